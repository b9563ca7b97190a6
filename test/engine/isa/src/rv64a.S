/* RV64A: LR/SC pairs and their failure cases, every AMO in .w and .d form (old value returned,
 * sign-extended for .w; memory updated; signed vs unsigned min/max).
 * Reference: RISC-V unprivileged ISA 20191213, chapter 8 (8.2 LR/SC: SC writes 0 on success and
 * a nonzero code on failure, any SC invalidates the reservation; 8.4 AMOs). Misaligned atomics:
 * rv64a-misaligned.S. */
#include "harness.h"
  .option norvc
/* Set the target doubleword to `init`, run `amo rd=a0, rs2=src`. */
#define AMO(insn, init, src) la a1, target; li a2, init; sd a2, 0(a1); li a3, src; insn a0, a3, (a1)
/* Same, then a0 = the doubleword in memory. */
#define AMO_MEM(insn, init, src) AMO(insn, init, src); ld a0, 0(a1)
TEST_BEGIN
  /* LR/SC succeed as a pair: SC writes 0 to rd and stores. */
  TEST_CASE(1, 0, la a1, target; li a2, 5; sd a2, 0(a1); lr.d a3, (a1); addi a3, a3, 1; sc.d a0, a3, (a1))
  TEST_CASE(2, 6, la a1, target; ld a0, 0(a1))
  TEST_CASE(3, 0xffffffff80000000, la a1, target; li a2, 0x80000000; sd a2, 0(a1); lr.w a0, (a1))
  TEST_CASE(4, 0, la a1, target; lr.w a2, (a1); li a3, 0x12345678; sc.w a0, a3, (a1))
  TEST_CASE(5, 0x12345678, la a1, target; ld a0, 0(a1))
  /* The reservation is consumed by the first SC: a second SC fails and does not store. */
  TEST_CASE(6, 1, la a1, target; sd zero, 0(a1); lr.d a2, (a1); li a3, 1; sc.d a4, a3, (a1); li a3, 2; sc.d a0, a3, (a1); snez a0, a0)
  TEST_CASE(7, 1, la a1, target; ld a0, 0(a1))
  /* SC with no LR before it (the previous SC cleared any reservation) fails. */
  TEST_CASE(8, 1, la a1, target; li a3, 99; sc.w a0, a3, (a1); snez a0, a0)
  TEST_CASE(9, 1, la a1, target; ld a0, 0(a1))
  /* SC to an address outside the reservation set (another page) fails. */
  TEST_CASE(10, 1, la a1, target; la a2, other_page; sd zero, 0(a2); lr.d a4, (a1); li a3, 7; sc.d a0, a3, (a2); snez a0, a0)
  TEST_CASE(11, 0, la a2, other_page; ld a0, 0(a2))
  /* An SC.W success writes only 32 bits. */
  TEST_CASE(12, 0x1111111122222222, la a1, target; li a2, 0x1111111133333333; sd a2, 0(a1); lr.w a3, (a1); li a3, 0xffffffff22222222; sc.w a4, a3, (a1); ld a0, 0(a1))

  /* AMO .d: rd = old value, memory = op(old, rs2). */
  TEST_CASE(20, 0x0123456789abcdef, AMO(amoswap.d, 0x0123456789abcdef, 0x1111))
  TEST_CASE(21, 0x1111, ld a0, 0(a1))
  TEST_CASE(22, 0x7fffffffffffffff, AMO(amoadd.d, 0x7fffffffffffffff, 1))
  TEST_CASE(23, 0x8000000000000000, ld a0, 0(a1))
  TEST_CASE(24, 0xff00ff00ff00ff00, AMO_MEM(amoxor.d, 0xffff0000ffff0000, 0x00ffff0000ffff00))
  TEST_CASE(25, 0xf000000000000f00, AMO_MEM(amoand.d, 0xff00000000000ff0, 0xf0ffffffffffff0f))
  TEST_CASE(26, 0xff000000000000ff, AMO_MEM(amoor.d, 0xf0000000000000f0, 0x0f0000000000000f))
  TEST_CASE(27, -5, AMO_MEM(amomin.d, 3, -5))
  TEST_CASE(28, 3, AMO_MEM(amominu.d, 3, -5))
  TEST_CASE(29, 3, AMO_MEM(amomax.d, 3, -5))
  TEST_CASE(30, -5, AMO_MEM(amomaxu.d, 3, -5))
  TEST_CASE(31, 0x8000000000000000, AMO_MEM(amomin.d, 0x8000000000000000, 0x7fffffffffffffff))
  TEST_CASE(32, 0x7fffffffffffffff, AMO_MEM(amominu.d, 0x8000000000000000, 0x7fffffffffffffff))
  TEST_CASE(33, 3, AMO(amomin.d, 3, -5))
  TEST_CASE(34, -5, AMO(amomaxu.d, -5, 3))

  /* AMO .w: operate on 32 bits, rd = old word sign-extended, upper memory word untouched. */
  TEST_CASE(40, 0xffffffff80000000, AMO(amoswap.w, 0x5555555580000000, 0x1234))
  TEST_CASE(41, 0x5555555500001234, ld a0, 0(a1))
  TEST_CASE(42, 0xffffffffffffffff, AMO(amoadd.w, 0x12345678ffffffff, 1))
  TEST_CASE(43, 0x1234567800000000, ld a0, 0(a1))
  TEST_CASE(44, 0x0000000080000001, AMO_MEM(amoadd.w, 0x0000000080000000, 0xffffffff00000001))
  TEST_CASE(45, 0x00000000ff00ff00, AMO_MEM(amoxor.w, 0x00000000ffff0000, 0x0000000000ffff00))
  TEST_CASE(46, 0x7777777700000f00, AMO_MEM(amoand.w, 0x777777770000ff00, 0xffffffff00000fff))
  TEST_CASE(47, 0x00000000f00000ff, AMO_MEM(amoor.w, 0x00000000f0000000, 0x00000000000000ff))
  TEST_CASE(48, 0x0000000080000000, AMO_MEM(amomin.w, 0x0000000080000000, 1))
  TEST_CASE(49, 0x0000000000000001, AMO_MEM(amominu.w, 0x0000000080000000, 1))
  TEST_CASE(50, 0x0000000000000001, AMO_MEM(amomax.w, 0x0000000080000000, 1))
  TEST_CASE(51, 0x0000000080000000, AMO_MEM(amomaxu.w, 0x0000000080000000, 1))
  /* min/max compare only the low 32 bits of rs2 (0x1_00000000 is 0 as a word). */
  TEST_CASE(52, 0x0000000000000000, AMO_MEM(amominu.w, 0x0000000000000005, 0x0000000100000000))
  TEST_CASE(53, 0xffffffffffffffff, AMO(amomax.w, 0x00000000ffffffff, -2))
  TEST_CASE(54, 0x00000000ffffffff, ld a0, 0(a1))
  TEST_CASE(55, 0xffffffff80000000, AMO(amomaxu.w, 0x0000000080000000, 5))
  TEST_CASE(56, 0xffffffffffffffff, AMO(amominu.w, 0x00000000ffffffff, 0xfffffffffffffffe))
  TEST_CASE(57, 0x00000000fffffffe, ld a0, 0(a1))
  /* AMO on the upper word of a doubleword. */
  TEST_CASE(58, 0x0000000300000009, la a1, target; li a2, 0x0000000100000009; sd a2, 0(a1); addi a4, a1, 4; li a3, 2; amoadd.w zero, a3, (a4); ld a0, 0(a1))

TEST_END

  .data
  .balign 8
target:
  .dword 0
  .balign 4096
other_page:
  .dword 0
