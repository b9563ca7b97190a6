/* RV64F: single-precision arithmetic under every rounding mode, fflags, fcsr/frm/fflags CSRs,
 * invalid rounding modes, NaN-boxing, conversions with saturation, fmin/fmax, compares, fclass,
 * fused multiply-add, sign injection, moves, loads/stores, and mstatus.FS (Off => illegal,
 * writes => Dirty). Reference: RISC-V unprivileged ISA 20191213, chapter 11 (11.2 fcsr; 11.3
 * NaN generation: canonical NaN 0x7fc00000; 11.6 fmin/fmax; 11.7 table 11.4 conversion results
 * for out-of-range and NaN inputs; 11.8 NaN-boxing via chapter 12.2), IEEE 754-2008 (tininess
 * after rounding); privileged 1.12, 3.1.6.6 (FS). Expected values are IEEE results worked by hand
 * (checked with Python's struct for the float encodings). */
#include "harness.h"
  .option norvc
/* Single-precision operands are built from their bit patterns; results are compared as the whole
 * 64-bit register, so every check also checks NaN-boxing of the result. */
#define BOXED(bits) (0xffffffff00000000 | (bits))
/* (Macro parameters avoid one-letter names: cpp would replace the x in fmv.x.d.) */
#define FLI(freg, bits) li t0, bits; fmv.w.x freg, t0
#define FOP1(insn, op1, rm...) csrw fflags, zero; FLI(fa1, op1); insn fa0, fa1, ##rm; fmv.x.d a0, fa0
#define FOP2(insn, op1, op2, rm...) csrw fflags, zero; FLI(fa1, op1); FLI(fa2, op2); insn fa0, fa1, fa2, ##rm; fmv.x.d a0, fa0
#define FOP3(insn, op1, op2, op3) csrw fflags, zero; FLI(fa1, op1); FLI(fa2, op2); FLI(fa3, op3); insn fa0, fa1, fa2, fa3; fmv.x.d a0, fa0
/* Operations with an integer result: conversions to integer, compares, fclass. */
#define FTOI(insn, op1, rm...) csrw fflags, zero; FLI(fa1, op1); insn a0, fa1, ##rm
#define FCMP(insn, op1, op2) csrw fflags, zero; FLI(fa1, op1); FLI(fa2, op2); insn a0, fa1, fa2
#define ITOF(insn, op1, rm...) csrw fflags, zero; li a1, op1; insn fa0, a1, ##rm; fmv.x.d a0, fa0
#define FLAGS csrr a0, fflags

#define ONE 0x3f800000
#define TWO 0x40000000
#define THREE 0x40400000
#define HALF 0x3f000000
#define NEG_ONE 0xbf800000
#define PINF 0x7f800000
#define NINF 0xff800000
#define QNAN 0x7fc00000
#define SNAN 0x7f800001
#define MAXF 0x7f7fffff
TEST_BEGIN
  /* Arithmetic. */
  TEST_CASE(1, BOXED(0x40700000), FOP2(fadd.s, 0x3fc00000, 0x40100000))
  TEST_CASE(2, 0, FLAGS)
  TEST_CASE(3, BOXED(0xc0000000), FOP2(fsub.s, ONE, THREE))
  TEST_CASE(4, BOXED(0xc0400000), FOP2(fmul.s, 0x3fc00000, 0xc0000000))
  /* 1/3 under each static rounding mode, and -1/3. */
  TEST_CASE(5, BOXED(0x3eaaaaab), FOP2(fdiv.s, ONE, THREE, rne))
  TEST_CASE(6, FFLAG_NX, FLAGS)
  TEST_CASE(7, BOXED(0x3eaaaaaa), FOP2(fdiv.s, ONE, THREE, rtz))
  TEST_CASE(8, BOXED(0x3eaaaaaa), FOP2(fdiv.s, ONE, THREE, rdn))
  TEST_CASE(9, BOXED(0x3eaaaaab), FOP2(fdiv.s, ONE, THREE, rup))
  TEST_CASE(10, BOXED(0x3eaaaaab), FOP2(fdiv.s, ONE, THREE, rmm))
  TEST_CASE(11, BOXED(0xbeaaaaab), FOP2(fdiv.s, NEG_ONE, THREE, rdn))
  TEST_CASE(12, BOXED(0xbeaaaaaa), FOP2(fdiv.s, NEG_ONE, THREE, rup))
  TEST_CASE(13, BOXED(0xbeaaaaaa), FOP2(fdiv.s, NEG_ONE, THREE, rtz))
  /* Dynamic rounding mode from frm; a static mode overrides it. */
  TEST_CASE(14, BOXED(0x3eaaaaaa), csrwi frm, 1; FOP2(fdiv.s, ONE, THREE, dyn))
  TEST_CASE(15, BOXED(0x3eaaaaab), csrwi frm, 3; FOP2(fdiv.s, ONE, THREE, dyn))
  TEST_CASE(16, BOXED(0x3eaaaaaa), csrwi frm, 3; FOP2(fdiv.s, ONE, THREE, rtz); csrwi frm, 0)
  /* Square root. */
  TEST_CASE(17, BOXED(0x3fb504f3), FOP1(fsqrt.s, TWO))
  TEST_CASE(18, FFLAG_NX, FLAGS)
  TEST_CASE(19, BOXED(TWO), FOP1(fsqrt.s, 0x40800000))
  TEST_CASE(20, 0, FLAGS)
  TEST_CASE(21, BOXED(QNAN), FOP1(fsqrt.s, NEG_ONE))
  TEST_CASE(22, FFLAG_NV, FLAGS)
  TEST_CASE(23, BOXED(0x80000000), FOP1(fsqrt.s, 0x80000000))

  /* Signed zeros: x - x is +0, except -0 when rounding down; -0 + -0 = -0. */
  TEST_CASE(24, BOXED(0x00000000), FOP2(fsub.s, ONE, ONE, rne))
  TEST_CASE(25, BOXED(0x80000000), FOP2(fsub.s, ONE, ONE, rdn))
  TEST_CASE(26, BOXED(0x80000000), FOP2(fadd.s, 0x80000000, 0x80000000))
  TEST_CASE(27, BOXED(0x00000000), FOP2(fadd.s, 0x80000000, 0, rne))
  TEST_CASE(28, BOXED(0x80000000), FOP3(fnmadd.s, 0, ONE, 0))
  TEST_CASE(29, BOXED(0x80000000), FOP2(fmul.s, 0x80000000, ONE))

  /* Exceptional results and their flags. */
  TEST_CASE(30, BOXED(PINF), FOP2(fdiv.s, ONE, 0))
  TEST_CASE(31, FFLAG_DZ, FLAGS)
  TEST_CASE(32, BOXED(NINF), FOP2(fdiv.s, NEG_ONE, 0))
  TEST_CASE(33, BOXED(QNAN), FOP2(fdiv.s, 0, 0))
  TEST_CASE(34, FFLAG_NV, FLAGS)
  TEST_CASE(35, BOXED(QNAN), FOP2(fsub.s, PINF, PINF))
  TEST_CASE(36, FFLAG_NV, FLAGS)
  TEST_CASE(37, BOXED(QNAN), FOP2(fmul.s, PINF, 0))
  TEST_CASE(38, BOXED(PINF), FOP2(fmul.s, MAXF, TWO))
  TEST_CASE(39, FFLAG_OF | FFLAG_NX, FLAGS)
  TEST_CASE(40, BOXED(MAXF), FOP2(fmul.s, MAXF, TWO, rtz))
  TEST_CASE(41, FFLAG_OF | FFLAG_NX, FLAGS)
  TEST_CASE(42, BOXED(MAXF), FOP2(fmul.s, MAXF, TWO, rdn))
  TEST_CASE(43, BOXED(0xff7fffff), FOP2(fmul.s, 0xff7fffff, TWO, rup))
  TEST_CASE(44, BOXED(0), FOP2(fmul.s, 0x00000001, HALF))
  TEST_CASE(45, FFLAG_UF | FFLAG_NX, FLAGS)
  TEST_CASE(46, BOXED(0x00400000), FOP2(fmul.s, 0x00800000, HALF))
  TEST_CASE(47, 0, FLAGS)
  /* Tininess is detected after rounding (unpriv 11.2): 2^-126 * (1 - 2^-25) rounds to the smallest
   * normal with an unbounded exponent too, so only NX; 2^-126 * (1 - 2^-24) is tiny, then rounds
   * up to the smallest normal: UF | NX. (The inputs are doubles converted with fcvt.s.d.) */
  TEST_CASE(53, BOXED(0x00800000), csrw fflags, zero; li t0, 0x380ffffff0000000; fmv.d.x fa1, t0; fcvt.s.d fa0, fa1, rne; fmv.x.d a0, fa0)
  TEST_CASE(54, FFLAG_NX, FLAGS)
  TEST_CASE(55, BOXED(0x00800000), csrw fflags, zero; li t0, 0x380fffffe0000000; fmv.d.x fa1, t0; fcvt.s.d fa0, fa1, rne; fmv.x.d a0, fa0)
  TEST_CASE(56, FFLAG_UF | FFLAG_NX, FLAGS)
  /* Subnormal arithmetic is exact where it can be: no flags. */
  TEST_CASE(57, BOXED(0x00000002), FOP2(fadd.s, 0x00000001, 0x00000001))
  TEST_CASE(58, 0, FLAGS)
  TEST_CASE(59, BOXED(0x00400000), FOP2(fdiv.s, 0x00800000, TWO))

  /* Any NaN result is the canonical NaN; only a signaling input raises NV. */
  TEST_CASE(48, BOXED(QNAN), FOP2(fadd.s, 0x7fc12345, ONE))
  TEST_CASE(49, 0, FLAGS)
  TEST_CASE(50, BOXED(QNAN), FOP2(fadd.s, ONE, SNAN))
  TEST_CASE(51, FFLAG_NV, FLAGS)
  /* Flags accrue until cleared. */
  TEST_CASE(52, FFLAG_NX | FFLAG_DZ, csrw fflags, zero; FLI(fa1, ONE); FLI(fa2, THREE); fdiv.s fa0, fa1, fa2; fdiv.s fa0, fa1, fa3; FLI(fa3, 0); fdiv.s fa0, fa1, fa3; FLAGS)

  /* fcsr = frm << 5 | fflags; bits 31:8 read as zero. */
  TEST_CASE(60, 0xff, li a1, 0xfff; csrw fcsr, a1; csrr a0, fcsr)
  TEST_CASE(61, 7, csrr a0, frm)
  TEST_CASE(62, 0x1f, csrr a0, fflags)
  TEST_CASE(63, 0x1f, csrrwi a0, fflags, 0)
  TEST_CASE(64, 0xe0, csrr a0, fcsr)
  TEST_CASE(65, 0xe4, csrsi fflags, FFLAG_OF; csrr a0, fcsr)
  TEST_CASE(66, 0x24, csrwi frm, 1; csrr a0, fcsr; csrw fcsr, zero)
  /* A reserved rounding mode, static (rm = 5, 6) or dynamic (frm = 5, 6, 7): illegal instruction. */
  TEST_CASE(67, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(1f); .word 0x00c5d553 /* fadd.s fa0, fa1, fa2, rm=5 */; 1: mv a0, TRAP_CAUSE)
  TEST_CASE(68, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(1f); .word 0x00c5e553 /* fadd.s fa0, fa1, fa2, rm=6 */; 1: mv a0, TRAP_CAUSE)
  TEST_CASE(69, CAUSE_ILLEGAL_INSTRUCTION, csrwi frm, 5; EXPECT_TRAP_M(1f); fadd.s fa0, fa1, fa2, dyn; 1: mv a0, TRAP_CAUSE)
  TEST_CASE(70, CAUSE_ILLEGAL_INSTRUCTION, csrwi frm, 7; EXPECT_TRAP_M(1f); fsqrt.s fa0, fa1, dyn; 1: mv a0, TRAP_CAUSE; csrwi frm, 0)
  /* An instruction without a rounding mode still runs with a bad frm. */
  TEST_CASE(71, BOXED(0xbf800000), csrwi frm, 6; FOP2(fsgnjn.s, ONE, ONE); csrwi frm, 0)

  /* NaN-boxing: a single-precision input whose upper 32 bits are not all ones is the canonical NaN. */
#define UNBOXED_ONE 0x000000003f800000
  TEST_CASE(80, BOXED(QNAN), csrw fflags, zero; li a1, UNBOXED_ONE; fmv.d.x fa1, a1; fadd.s fa0, fa1, fa1; fmv.x.d a0, fa0)
  TEST_CASE(81, 0, FLAGS)
  TEST_CASE(82, BOXED(QNAN), li a1, UNBOXED_ONE; fmv.d.x fa1, a1; fsgnj.s fa0, fa1, fa1; fmv.x.d a0, fa0)
  TEST_CASE(83, BOXED(0xffc00000), li a1, UNBOXED_ONE; fmv.d.x fa1, a1; FLI(fa2, ONE); fsgnjn.s fa0, fa1, fa2; fmv.x.d a0, fa0)
  TEST_CASE(84, BOXED(0xbf800000), li a1, UNBOXED_ONE; fmv.d.x fa2, a1; FLI(fa1, ONE); fsgnjn.s fa0, fa1, fa2; fmv.x.d a0, fa0)
  TEST_CASE(85, 0x200, li a1, UNBOXED_ONE; fmv.d.x fa1, a1; fclass.s a0, fa1)
  TEST_CASE(86, 0, li a1, UNBOXED_ONE; fmv.d.x fa1, a1; feq.s a0, fa1, fa1)
  TEST_CASE(87, BOXED(QNAN), li a1, 0xfffffffe3f800000; fmv.d.x fa1, a1; fmin.s fa0, fa1, fa1; fmv.x.d a0, fa0)
  /* Transfers move the low 32 bits untouched (FMV.X.W sign-extends them) and box on the way in. */
  TEST_CASE(88, 0xffffffffbf800000, li a1, 0x00000000bf800000; fmv.d.x fa1, a1; fmv.x.w a0, fa1)
  TEST_CASE(89, 0x000000003f800000, li a1, UNBOXED_ONE; fmv.d.x fa1, a1; la a2, fscratch; fsw fa1, 0(a2); lwu a0, 0(a2))
  TEST_CASE(90, BOXED(0x3f800000), li a1, 0x123456783f800000; fmv.w.x fa0, a1; fmv.x.d a0, fa0)
  TEST_CASE(91, BOXED(0x7f800001), li a1, 0x000000007f800001; fmv.w.x fa0, a1; fmv.x.d a0, fa0)
  TEST_CASE(92, BOXED(0x40490fdb), la a2, fdata; flw fa0, 4(a2); fmv.x.d a0, fa0)

  /* Conversions to integer: saturate, NaN counts as +inf, NV when out of range (table 11.4). */
  TEST_CASE(100, 0x7fffffff, FTOI(fcvt.w.s, QNAN, rtz))
  TEST_CASE(101, FFLAG_NV, FLAGS)
  TEST_CASE(102, 0x7fffffff, FTOI(fcvt.w.s, PINF, rtz))
  TEST_CASE(103, 0xffffffff80000000, FTOI(fcvt.w.s, NINF, rtz))
  TEST_CASE(104, 0x7fffffff, FTOI(fcvt.w.s, 0x4f32d05e /* 3e9 */, rtz))
  TEST_CASE(105, FFLAG_NV, FLAGS)
  TEST_CASE(106, 0xffffffff80000000, FTOI(fcvt.w.s, 0xcf000000 /* -2^31 */, rtz))
  TEST_CASE(107, 0, FLAGS)
  TEST_CASE(108, 0, FTOI(fcvt.wu.s, NEG_ONE, rtz))
  TEST_CASE(109, FFLAG_NV, FLAGS)
  TEST_CASE(110, 0, FTOI(fcvt.wu.s, 0xbf000000 /* -0.5 */, rtz))
  TEST_CASE(111, FFLAG_NX, FLAGS)
  TEST_CASE(112, 0xffffffffb2d05e00, FTOI(fcvt.wu.s, 0x4f32d05e /* 3e9 */, rtz))
  TEST_CASE(113, 0, FLAGS)
  TEST_CASE(114, 0xffffffffffffffff, FTOI(fcvt.wu.s, QNAN, rtz))
  TEST_CASE(115, 0xffffffffffffffff, FTOI(fcvt.wu.s, PINF, rtz))
  TEST_CASE(116, 0x7fffffffffffffff, FTOI(fcvt.l.s, QNAN, rtz))
  TEST_CASE(117, 0x8000000000000000, FTOI(fcvt.l.s, NINF, rtz))
  TEST_CASE(118, 0x7fffffffffffffff, FTOI(fcvt.l.s, 0x5f0ac723 /* 1e19 */, rtz))
  TEST_CASE(119, FFLAG_NV, FLAGS)
  TEST_CASE(120, 0, FTOI(fcvt.lu.s, NINF, rtz))
  TEST_CASE(121, 0xffffffffffffffff, FTOI(fcvt.lu.s, 0x5f800000 /* 2^64 */, rtz))
  TEST_CASE(122, FFLAG_NV, FLAGS)
  TEST_CASE(123, 0x8000000000000000, FTOI(fcvt.lu.s, 0x5f000000 /* 2^63 */, rtz))
  TEST_CASE(124, 0, FLAGS)
  /* Rounding of 2.5, -2.5 and 1.5 to integer. */
  TEST_CASE(125, 2, FTOI(fcvt.w.s, 0x40200000, rne))
  TEST_CASE(126, FFLAG_NX, FLAGS)
  TEST_CASE(127, 3, FTOI(fcvt.w.s, 0x40200000, rmm))
  TEST_CASE(128, 3, FTOI(fcvt.w.s, 0x40200000, rup))
  TEST_CASE(129, 2, FTOI(fcvt.w.s, 0x40200000, rdn))
  TEST_CASE(130, 2, FTOI(fcvt.w.s, 0x40200000, rtz))
  TEST_CASE(131, -3, FTOI(fcvt.w.s, 0xc0200000, rdn))
  TEST_CASE(132, -2, FTOI(fcvt.w.s, 0xc0200000, rup))
  TEST_CASE(133, -3, FTOI(fcvt.w.s, 0xc0200000, rmm))
  TEST_CASE(134, -2, FTOI(fcvt.w.s, 0xc0200000, rne))
  TEST_CASE(135, 2, FTOI(fcvt.l.s, 0x3fc00000 /* 1.5 */, rne))
  TEST_CASE(136, -2, csrwi frm, 2; FTOI(fcvt.l.s, 0xbfc00000 /* -1.5 */, dyn); csrwi frm, 0)

  /* Conversions from integer. */
  TEST_CASE(140, BOXED(0xbf800000), ITOF(fcvt.s.w, -1))
  TEST_CASE(141, BOXED(ONE), ITOF(fcvt.s.w, 0x100000001))
  TEST_CASE(142, BOXED(0x4f800000), ITOF(fcvt.s.wu, 0xffffffff, rne))
  TEST_CASE(143, FFLAG_NX, FLAGS)
  TEST_CASE(144, BOXED(0x4f7fffff), ITOF(fcvt.s.wu, 0xffffffff, rtz))
  TEST_CASE(145, BOXED(0x5f000000), ITOF(fcvt.s.l, 0x7fffffffffffffff, rne))
  TEST_CASE(146, BOXED(0x5f800000), ITOF(fcvt.s.lu, 0xffffffffffffffff, rne))
  TEST_CASE(147, BOXED(0xdf000000), ITOF(fcvt.s.l, 0x8000000000000000, rne))
  TEST_CASE(148, 0, FLAGS)
  TEST_CASE(149, BOXED(0x4b800000), ITOF(fcvt.s.w, 16777217, rne))
  TEST_CASE(150, BOXED(0x4b800001), ITOF(fcvt.s.w, 16777217, rup))

  /* fmin/fmax: -0 < +0; a quiet NaN operand is ignored; only a signaling NaN raises NV. */
  TEST_CASE(160, BOXED(0x80000000), FOP2(fmin.s, 0x80000000, 0))
  TEST_CASE(161, BOXED(0x80000000), FOP2(fmin.s, 0, 0x80000000))
  TEST_CASE(162, BOXED(0), FOP2(fmax.s, 0x80000000, 0))
  TEST_CASE(163, BOXED(ONE), FOP2(fmin.s, QNAN, ONE))
  TEST_CASE(164, 0, FLAGS)
  TEST_CASE(165, BOXED(ONE), FOP2(fmax.s, ONE, QNAN))
  TEST_CASE(166, BOXED(ONE), FOP2(fmin.s, SNAN, ONE))
  TEST_CASE(167, FFLAG_NV, FLAGS)
  TEST_CASE(168, BOXED(QNAN), FOP2(fmax.s, 0x7fc00123, QNAN))
  TEST_CASE(169, BOXED(0xff7fffff), FOP2(fmax.s, NINF, 0xff7fffff))

  /* Compares: feq is quiet, flt/fle signal on any NaN. */
  TEST_CASE(170, 1, FCMP(feq.s, ONE, ONE))
  TEST_CASE(171, 0, FCMP(feq.s, QNAN, QNAN))
  TEST_CASE(172, 0, FLAGS)
  TEST_CASE(173, 0, FCMP(feq.s, SNAN, ONE))
  TEST_CASE(174, FFLAG_NV, FLAGS)
  TEST_CASE(175, 0, FCMP(flt.s, QNAN, ONE))
  TEST_CASE(176, FFLAG_NV, FLAGS)
  TEST_CASE(177, 0, FCMP(fle.s, ONE, QNAN))
  TEST_CASE(178, FFLAG_NV, FLAGS)
  TEST_CASE(179, 0, FCMP(flt.s, 0x80000000, 0))
  TEST_CASE(180, 1, FCMP(fle.s, 0x80000000, 0))
  TEST_CASE(181, 1, FCMP(feq.s, 0x80000000, 0))
  TEST_CASE(182, 1, FCMP(flt.s, NEG_ONE, ONE))

  /* fclass: one bit per class. */
  TEST_CASE(190, 0x001, FTOI(fclass.s, NINF))
  TEST_CASE(191, 0x002, FTOI(fclass.s, NEG_ONE))
  TEST_CASE(192, 0x004, FTOI(fclass.s, 0x80000001))
  TEST_CASE(193, 0x008, FTOI(fclass.s, 0x80000000))
  TEST_CASE(194, 0x010, FTOI(fclass.s, 0))
  TEST_CASE(195, 0x020, FTOI(fclass.s, 0x00000001))
  TEST_CASE(196, 0x040, FTOI(fclass.s, ONE))
  TEST_CASE(197, 0x080, FTOI(fclass.s, PINF))
  TEST_CASE(198, 0x100, FTOI(fclass.s, SNAN))
  TEST_CASE(199, 0x200, FTOI(fclass.s, QNAN))

  /* Fused multiply-add: one rounding. x = 1 + 2^-12: x*x = 1 + 2^-11 + 2^-24 rounds (tie to even)
   * to 1 + 2^-11 when multiplied alone, but x*x - (1 + 2^-11) is exactly 2^-24 when fused. */
  TEST_CASE(200, BOXED(0x40600000), FOP3(fmadd.s, 0x3fc00000, TWO, HALF))
  TEST_CASE(201, BOXED(0x40200000), FOP3(fmsub.s, 0x3fc00000, TWO, HALF))
  TEST_CASE(202, BOXED(0xc0200000), FOP3(fnmsub.s, 0x3fc00000, TWO, HALF))
  TEST_CASE(203, BOXED(0xc0600000), FOP3(fnmadd.s, 0x3fc00000, TWO, HALF))
  TEST_CASE(204, BOXED(0x3f801000), FOP2(fmul.s, 0x3f800800, 0x3f800800))
  TEST_CASE(205, FFLAG_NX, FLAGS)
  TEST_CASE(206, BOXED(0x33800000), FOP3(fmsub.s, 0x3f800800, 0x3f800800, 0x3f801000))
  TEST_CASE(207, 0, FLAGS)
  /* inf * 0 + qNaN raises NV (11.6). */
  TEST_CASE(208, BOXED(QNAN), FOP3(fmadd.s, PINF, 0, QNAN))
  TEST_CASE(209, FFLAG_NV, FLAGS)

  /* Sign injection is not arithmetic: NaN payloads survive, no flags. */
  TEST_CASE(210, BOXED(0xbf800000), FOP2(fsgnj.s, ONE, 0xc0000000))
  TEST_CASE(211, BOXED(ONE), FOP2(fsgnjn.s, ONE, 0xc0000000))
  TEST_CASE(212, BOXED(ONE), FOP2(fsgnjx.s, NEG_ONE, 0xc0000000))
  TEST_CASE(213, BOXED(0xbf800000), FOP2(fsgnjx.s, ONE, 0xc0000000))
  TEST_CASE(214, BOXED(0xff800001), FOP2(fsgnj.s, SNAN, NEG_ONE))
  TEST_CASE(215, 0, FLAGS)

  /* Loads and stores. */
  TEST_CASE(220, 0x40490fdb, la a2, fdata; flw fa0, 4(a2); la a3, fscratch; fsw fa0, 8(a3); lwu a0, 8(a3))
  TEST_CASE(221, 0xffffffffbf800000, la a3, fscratch + 16; FLI(fa0, NEG_ONE); fsw fa0, -4(a3); lw a0, -4(a3))

  /* mstatus.FS: writes make it Dirty (and SD = 1); Off makes every F instruction and fcsr illegal. */
  TEST_CASE(230, 3, li a1, MSTATUS_FS; csrc mstatus, a1; li a1, MSTATUS_FS_INITIAL; csrs mstatus, a1; FLI(fa0, ONE); csrr a0, mstatus; srli a0, a0, 13; andi a0, a0, 3)
  TEST_CASE(231, 1, csrr a0, mstatus; srli a0, a0, 63)
  TEST_CASE(232, 3, li a1, MSTATUS_FS; csrc mstatus, a1; li a1, MSTATUS_FS_CLEAN; csrs mstatus, a1; fadd.s fa3, fa1, fa2; csrr a0, mstatus; srli a0, a0, 13; andi a0, a0, 3)
  TEST_CASE(233, 0, li a1, MSTATUS_FS; csrc mstatus, a1; csrr a0, mstatus; srli a0, a0, 63)
  TEST_CASE(234, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(2f); 1: fadd.s fa0, fa1, fa2; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(235, 0, la a1, 1b; sub a0, TRAP_EPC, a1)
  TEST_CASE(236, 0, lwu a1, 0(TRAP_EPC); sub a0, TRAP_TVAL, a1)
  TEST_CASE(237, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(1f); fmv.w.x fa0, zero; 1: mv a0, TRAP_CAUSE)
  TEST_CASE(238, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(1f); la a1, fdata; flw fa0, 0(a1); 1: mv a0, TRAP_CAUSE)
  TEST_CASE(239, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(1f); la a1, fscratch; fsw fa0, 0(a1); 1: mv a0, TRAP_CAUSE)
  TEST_CASE(240, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(1f); csrr a1, fflags; 1: mv a0, TRAP_CAUSE)
  TEST_CASE(241, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(1f); csrw fcsr, zero; 1: mv a0, TRAP_CAUSE)
  TEST_CASE(242, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(1f); fmv.x.w a1, fa0; 1: mv a0, TRAP_CAUSE)
  /* Integer code still runs with FS = Off; turning FS back on gives the registers back. */
  TEST_CASE(243, 5, li a0, 2; addi a0, a0, 3)
  TEST_CASE(244, BOXED(ONE), li a1, MSTATUS_FS_INITIAL; csrs mstatus, a1; fmv.x.d a0, fa0)
TEST_END

  .data
  .balign 8
fdata:
  .word 0x3f800000, 0x40490fdb
fscratch:
  .dword 0, 0, 0
