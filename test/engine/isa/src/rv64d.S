/* RV64D: double-precision arithmetic under the rounding modes, fflags, conversions between
 * double, single and integers (saturation, NaN handling, NaN-boxed single inputs), fmin/fmax,
 * compares, fclass, fused multiply-add, sign injection, moves, loads/stores, FS = Off.
 * Reference: RISC-V unprivileged ISA 20191213, chapter 12 (12.2 NaN-boxing: FCVT.D.S of an
 * improperly boxed input sees the canonical NaN; 12.5 conversions) and 11.7 table 11.4;
 * privileged 1.12, 3.1.6.6. Expected values are IEEE results worked by hand (encodings checked
 * with Python's struct). */
#include "harness.h"
  .option norvc
/* (Macro parameters avoid one-letter names: cpp would replace the x in fmv.x.d.) */
#define DLI(freg, bits) li t0, bits; fmv.d.x freg, t0
#define DOP1(insn, op1, rm...) csrw fflags, zero; DLI(fa1, op1); insn fa0, fa1, ##rm; fmv.x.d a0, fa0
#define DOP2(insn, op1, op2, rm...) csrw fflags, zero; DLI(fa1, op1); DLI(fa2, op2); insn fa0, fa1, fa2, ##rm; fmv.x.d a0, fa0
#define DOP3(insn, op1, op2, op3) csrw fflags, zero; DLI(fa1, op1); DLI(fa2, op2); DLI(fa3, op3); insn fa0, fa1, fa2, fa3; fmv.x.d a0, fa0
#define DTOI(insn, op1, rm...) csrw fflags, zero; DLI(fa1, op1); insn a0, fa1, ##rm
#define DCMP(insn, op1, op2) csrw fflags, zero; DLI(fa1, op1); DLI(fa2, op2); insn a0, fa1, fa2
#define ITOD(insn, op1, rm...) csrw fflags, zero; li a1, op1; insn fa0, a1, ##rm; fmv.x.d a0, fa0
#define FLAGS csrr a0, fflags
#define BOXED(bits) (0xffffffff00000000 | (bits))

#define ONE 0x3ff0000000000000
#define TWO 0x4000000000000000
#define THREE 0x4008000000000000
#define HALF 0x3fe0000000000000
#define NEG_ONE 0xbff0000000000000
#define PINF 0x7ff0000000000000
#define NINF 0xfff0000000000000
#define QNAN 0x7ff8000000000000
#define SNAN 0x7ff0000000000001
#define MAXD 0x7fefffffffffffff
#define THIRD 0x3fd5555555555555
TEST_BEGIN
  TEST_CASE(1, 0x400e000000000000, DOP2(fadd.d, 0x3ff8000000000000, 0x4002000000000000))
  TEST_CASE(2, 0, FLAGS)
  TEST_CASE(3, 0xc000000000000000, DOP2(fsub.d, ONE, THREE))
  TEST_CASE(4, 0xc008000000000000, DOP2(fmul.d, 0x3ff8000000000000, 0xc000000000000000))
  TEST_CASE(5, THIRD, DOP2(fdiv.d, ONE, THREE, rne))
  TEST_CASE(6, FFLAG_NX, FLAGS)
  TEST_CASE(7, 0x3fd5555555555556, DOP2(fdiv.d, ONE, THREE, rup))
  TEST_CASE(8, THIRD, DOP2(fdiv.d, ONE, THREE, rtz))
  TEST_CASE(9, THIRD, DOP2(fdiv.d, ONE, THREE, rmm))
  TEST_CASE(10, 0xbfd5555555555556, DOP2(fdiv.d, NEG_ONE, THREE, rdn))
  TEST_CASE(11, 0xbfd5555555555555, DOP2(fdiv.d, NEG_ONE, THREE, rup))
  TEST_CASE(12, 0x3fd5555555555556, csrwi frm, 3; DOP2(fdiv.d, ONE, THREE, dyn); csrwi frm, 0)
  TEST_CASE(13, 0x3ff6a09e667f3bcd, DOP1(fsqrt.d, TWO))
  TEST_CASE(14, FFLAG_NX, FLAGS)
  TEST_CASE(15, QNAN, DOP1(fsqrt.d, NEG_ONE))
  TEST_CASE(16, FFLAG_NV, FLAGS)

  TEST_CASE(20, PINF, DOP2(fdiv.d, ONE, 0))
  TEST_CASE(21, FFLAG_DZ, FLAGS)
  TEST_CASE(22, QNAN, DOP2(fdiv.d, 0, 0))
  TEST_CASE(23, FFLAG_NV, FLAGS)
  TEST_CASE(24, PINF, DOP2(fmul.d, MAXD, TWO))
  TEST_CASE(25, FFLAG_OF | FFLAG_NX, FLAGS)
  TEST_CASE(26, MAXD, DOP2(fmul.d, MAXD, TWO, rtz))
  TEST_CASE(27, 0, DOP2(fmul.d, 0x0000000000000001, HALF))
  TEST_CASE(28, FFLAG_UF | FFLAG_NX, FLAGS)
  TEST_CASE(29, QNAN, DOP2(fadd.d, 0x7ff8000000012345, ONE))
  TEST_CASE(30, 0, FLAGS)
  TEST_CASE(31, QNAN, DOP2(fmul.d, SNAN, ONE))
  TEST_CASE(32, FFLAG_NV, FLAGS)
  /* A NaN-boxed single is, as a double, a quiet NaN. */
  TEST_CASE(33, QNAN, DOP2(fadd.d, BOXED(0x3f800000), ONE))
  TEST_CASE(34, 0, FLAGS)

  /* Double <-> single. */
  TEST_CASE(40, BOXED(0x3eaaaaab), DOP1(fcvt.s.d, THIRD, rne))
  TEST_CASE(41, FFLAG_NX, FLAGS)
  TEST_CASE(42, BOXED(0x3eaaaaaa), DOP1(fcvt.s.d, THIRD, rtz))
  TEST_CASE(43, BOXED(0x7f800000), DOP1(fcvt.s.d, 0x7e37e43c8800759c /* 1e300 */, rne))
  TEST_CASE(44, FFLAG_OF | FFLAG_NX, FLAGS)
  TEST_CASE(45, BOXED(0x7fc00000), DOP1(fcvt.s.d, 0x7ff8000000012345))
  TEST_CASE(46, 0, FLAGS)
  TEST_CASE(47, BOXED(0x7fc00000), DOP1(fcvt.s.d, SNAN))
  TEST_CASE(48, FFLAG_NV, FLAGS)
  TEST_CASE(49, BOXED(0x3f800000), DOP1(fcvt.s.d, ONE))
  TEST_CASE(50, ONE, DOP1(fcvt.d.s, BOXED(0x3f800000)))
  TEST_CASE(51, 0, FLAGS)
  TEST_CASE(52, QNAN, DOP1(fcvt.d.s, BOXED(0x7f800001)))
  TEST_CASE(53, FFLAG_NV, FLAGS)
  /* Improperly boxed single input: the canonical (quiet) NaN, no flag. */
  TEST_CASE(54, QNAN, DOP1(fcvt.d.s, 0x000000003f800000))
  TEST_CASE(55, 0, FLAGS)
  TEST_CASE(56, 0xc00921fb60000000, DOP1(fcvt.d.s, BOXED(0xc0490fdb)))

  /* Double -> integer. */
  TEST_CASE(60, 0x7fffffff, DTOI(fcvt.w.d, QNAN, rtz))
  TEST_CASE(61, FFLAG_NV, FLAGS)
  /* 2147483647.5 rounds (tie to even) to 2^31: out of range. Toward zero it fits. */
  TEST_CASE(62, 0x7fffffff, DTOI(fcvt.w.d, 0x41dfffffffe00000, rne))
  TEST_CASE(63, FFLAG_NV, FLAGS)
  TEST_CASE(64, 0x7fffffff, DTOI(fcvt.w.d, 0x41dfffffffe00000, rtz))
  TEST_CASE(65, FFLAG_NX, FLAGS)
  TEST_CASE(66, 0xffffffff80000000, DTOI(fcvt.w.d, 0xc1e0000000100000 /* -2147483648.5 */, rtz))
  TEST_CASE(67, FFLAG_NX, FLAGS)
  TEST_CASE(68, 0xffffffffffffffff, DTOI(fcvt.wu.d, 0x41efffffffe00000 /* 2^32 - 1 */, rtz))
  TEST_CASE(69, 0, FLAGS)
  TEST_CASE(70, 0x8000000000000000, DTOI(fcvt.l.d, 0xc6293e5939a08cea /* -1e30 */, rtz))
  TEST_CASE(71, FFLAG_NV, FLAGS)
  TEST_CASE(72, 0x7fffffffffffffff, DTOI(fcvt.l.d, 0x43e0000000000000 /* 2^63 */, rtz))
  TEST_CASE(73, FFLAG_NV, FLAGS)
  TEST_CASE(74, 0x8000000000000000, DTOI(fcvt.l.d, 0xc3e0000000000000 /* -2^63 */, rtz))
  TEST_CASE(75, 0, FLAGS)
  TEST_CASE(76, 0xffffffffffffffff, DTOI(fcvt.lu.d, 0x43f0000000000000 /* 2^64 */, rtz))
  TEST_CASE(77, FFLAG_NV, FLAGS)
  TEST_CASE(78, 0, DTOI(fcvt.lu.d, 0x8000000000000000 /* -0.0 */, rtz))
  TEST_CASE(79, 0, FLAGS)
  TEST_CASE(80, 0, DTOI(fcvt.lu.d, NEG_ONE, rtz))
  TEST_CASE(81, FFLAG_NV, FLAGS)
  TEST_CASE(82, 0xffffffffffffffff, DTOI(fcvt.lu.d, QNAN, rtz))
  TEST_CASE(83, 3, DTOI(fcvt.l.d, 0x4004000000000000 /* 2.5 */, rmm))
  TEST_CASE(84, 2, DTOI(fcvt.l.d, 0x4004000000000000, rne))
  TEST_CASE(85, -3, DTOI(fcvt.l.d, 0xc004000000000000, rdn))

  /* Integer -> double. */
  TEST_CASE(90, NEG_ONE, ITOD(fcvt.d.l, -1))
  TEST_CASE(91, 0x43f0000000000000, ITOD(fcvt.d.lu, -1, rne))
  TEST_CASE(92, FFLAG_NX, FLAGS)
  TEST_CASE(93, TWO, ITOD(fcvt.d.w, 0xffffffff00000002))
  TEST_CASE(94, 0x41efffffffe00000, ITOD(fcvt.d.wu, 0xffffffff))
  TEST_CASE(95, 0, FLAGS)
  TEST_CASE(96, 0x4340000000000000, ITOD(fcvt.d.l, 0x20000000000001, rne))
  TEST_CASE(97, FFLAG_NX, FLAGS)
  TEST_CASE(98, 0x4340000000000001, ITOD(fcvt.d.l, 0x20000000000001, rup))
  TEST_CASE(99, 0xc1e0000000000000, ITOD(fcvt.d.w, 0x80000000))

  /* fmin/fmax, compares, fclass. */
  TEST_CASE(100, 0x8000000000000000, DOP2(fmin.d, 0, 0x8000000000000000))
  TEST_CASE(101, 0, DOP2(fmax.d, 0x8000000000000000, 0))
  TEST_CASE(102, ONE, DOP2(fmax.d, QNAN, ONE))
  TEST_CASE(103, 0, FLAGS)
  TEST_CASE(104, ONE, DOP2(fmin.d, ONE, SNAN))
  TEST_CASE(105, FFLAG_NV, FLAGS)
  TEST_CASE(106, QNAN, DOP2(fmin.d, 0x7ff8000000000abc, 0x7ff8000000000def))
  TEST_CASE(107, 1, DCMP(flt.d, NEG_ONE, ONE))
  TEST_CASE(108, 1, DCMP(fle.d, 0x8000000000000000, 0))
  TEST_CASE(109, 0, DCMP(flt.d, 0x8000000000000000, 0))
  TEST_CASE(110, 0, DCMP(feq.d, QNAN, ONE))
  TEST_CASE(111, 0, FLAGS)
  TEST_CASE(112, 0, DCMP(fle.d, QNAN, ONE))
  TEST_CASE(113, FFLAG_NV, FLAGS)
  TEST_CASE(114, 0, DCMP(feq.d, SNAN, SNAN))
  TEST_CASE(115, FFLAG_NV, FLAGS)
  TEST_CASE(120, 0x001, DTOI(fclass.d, NINF))
  TEST_CASE(121, 0x002, DTOI(fclass.d, NEG_ONE))
  TEST_CASE(122, 0x004, DTOI(fclass.d, 0x8000000000000001))
  TEST_CASE(123, 0x008, DTOI(fclass.d, 0x8000000000000000))
  TEST_CASE(124, 0x010, DTOI(fclass.d, 0))
  TEST_CASE(125, 0x020, DTOI(fclass.d, 0x000fffffffffffff))
  TEST_CASE(126, 0x040, DTOI(fclass.d, ONE))
  TEST_CASE(127, 0x080, DTOI(fclass.d, PINF))
  TEST_CASE(128, 0x100, DTOI(fclass.d, SNAN))
  TEST_CASE(129, 0x200, DTOI(fclass.d, QNAN))
  TEST_CASE(130, 0x200, DTOI(fclass.d, BOXED(0x3f800000)))

  /* Fused multiply-add: x = 1 + 2^-27, x*x = 1 + 2^-26 + 2^-54. */
  TEST_CASE(140, 0x400c000000000000, DOP3(fmadd.d, 0x3ff8000000000000, TWO, HALF))
  TEST_CASE(141, 0xc00c000000000000, DOP3(fnmadd.d, 0x3ff8000000000000, TWO, HALF))
  TEST_CASE(142, 0x4004000000000000, DOP3(fmsub.d, 0x3ff8000000000000, TWO, HALF))
  TEST_CASE(143, 0xc004000000000000, DOP3(fnmsub.d, 0x3ff8000000000000, TWO, HALF))
  TEST_CASE(144, 0x3ff0000004000000, DOP2(fmul.d, 0x3ff0000002000000, 0x3ff0000002000000))
  TEST_CASE(145, FFLAG_NX, FLAGS)
  TEST_CASE(146, 0x3c90000000000000, DOP3(fmsub.d, 0x3ff0000002000000, 0x3ff0000002000000, 0x3ff0000004000000))
  TEST_CASE(147, 0, FLAGS)
  TEST_CASE(148, QNAN, DOP3(fmadd.d, 0, NINF, QNAN))
  TEST_CASE(149, FFLAG_NV, FLAGS)

  /* Sign injection, moves, loads and stores. */
  TEST_CASE(150, NEG_ONE, DOP2(fsgnj.d, ONE, 0xc000000000000000))
  TEST_CASE(151, ONE, DOP2(fsgnjn.d, ONE, 0xc000000000000000))
  TEST_CASE(152, ONE, DOP2(fsgnjx.d, NEG_ONE, NEG_ONE))
  TEST_CASE(153, 0xfff0000000000001, DOP2(fsgnj.d, SNAN, NEG_ONE))
  TEST_CASE(154, 0, FLAGS)
  TEST_CASE(155, 0x123456789abcdef0, li a1, 0x123456789abcdef0; fmv.d.x fa0, a1; fmv.x.d a0, fa0)
  TEST_CASE(156, 0x400921fb54442d18, la a1, ddata; fld fa0, 8(a1); la a2, dscratch; fsd fa0, 8(a2); ld a0, 8(a2))
  /* fsd of a boxed single stores all 64 bits; fld brings back a valid boxed single. */
  TEST_CASE(157, BOXED(0x3f800000), li a1, 0x3f800000; fmv.w.x fa0, a1; la a2, dscratch; fsd fa0, 0(a2); ld a0, 0(a2))
  TEST_CASE(158, BOXED(0x40000000), la a2, dscratch; fld fa1, 0(a2); fadd.s fa0, fa1, fa1; fmv.x.d a0, fa0)

  /* FS = Off: D instructions are illegal too. */
  TEST_CASE(160, CAUSE_ILLEGAL_INSTRUCTION, li a1, MSTATUS_FS; csrc mstatus, a1; EXPECT_TRAP_M(1f); la a1, ddata; fld fa0, 0(a1); 1: mv a0, TRAP_CAUSE)
  TEST_CASE(161, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(1f); fmv.d.x fa0, zero; 1: mv a0, TRAP_CAUSE)
  TEST_CASE(162, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(1f); fcvt.d.s fa0, fa1; 1: mv a0, TRAP_CAUSE)
  TEST_CASE(163, 0, lwu a1, 0(TRAP_EPC); sub a0, TRAP_TVAL, a1)
  TEST_CASE(164, 3, li a1, MSTATUS_FS_INITIAL; csrs mstatus, a1; fmv.d.x fa0, zero; csrr a0, mstatus; srli a0, a0, 13; andi a0, a0, 3)
TEST_END

  .data
  .balign 8
ddata:
  .dword 0x3ff0000000000000, 0x400921fb54442d18
dscratch:
  .dword 0, 0, 0
