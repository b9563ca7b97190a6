/* RV64M: multiply (low and high halves, signed/unsigned mixes), divide and remainder with the
 * spec's results for division by zero and signed overflow, and the W forms.
 * Reference: RISC-V unprivileged ISA 20191213, chapter 7 (table 7.1: division by zero and overflow). */
#include "harness.h"
  .option norvc
#define OP(insn, x, y) li a1, x; li a2, y; insn a0, a1, a2
TEST_BEGIN
  TEST_CASE(1, -21, OP(mul, 3, -7))
  TEST_CASE(2, 0xfffffffffffffffe, OP(mul, 0x7fffffffffffffff, 2))
  TEST_CASE(3, 0x0000000000000001, OP(mul, -1, -1))
  TEST_CASE(4, 0x235a1df76f0d5adf, OP(mul, 0x0123456789abcdef, 0xfedcba9876543211))
  /* MULH: signed x signed, high 64 bits. */
  TEST_CASE(10, 0, OP(mulh, -1, -1))
  TEST_CASE(11, 0x4000000000000000, OP(mulh, 0x8000000000000000, 0x8000000000000000))
  TEST_CASE(12, -1, OP(mulh, -1, 1))
  TEST_CASE(13, 0xc000000000000000, OP(mulh, 0x8000000000000000, 0x7fffffffffffffff))
  TEST_CASE(14, 0x3fffffffffffffff, OP(mulh, 0x7fffffffffffffff, 0x7fffffffffffffff))
  /* MULHU: unsigned x unsigned. */
  TEST_CASE(20, 0xfffffffffffffffe, OP(mulhu, -1, -1))
  TEST_CASE(21, 0x4000000000000000, OP(mulhu, 0x8000000000000000, 0x8000000000000000))
  TEST_CASE(22, 0, OP(mulhu, -1, 1))
  TEST_CASE(23, 0x00121fa00ad77d74, OP(mulhu, 0x0123456789abcdef, 0x0fedcba987654321))
  /* MULHSU: rs1 signed, rs2 unsigned. */
  TEST_CASE(30, -1, OP(mulhsu, -1, -1))
  TEST_CASE(31, -1, OP(mulhsu, 0x8000000000000000, 2))
  TEST_CASE(32, 1, OP(mulhsu, 2, -1))
  TEST_CASE(33, 0xc000000000000000, OP(mulhsu, 0x8000000000000000, 0x8000000000000000))
  TEST_CASE(34, 0, OP(mulhsu, 1, -1))
  /* MULW: low 32 bits of the product, sign-extended; upper source bits ignored. */
  TEST_CASE(40, -2, OP(mulw, 0x7fffffff, 2))
  TEST_CASE(41, 15, OP(mulw, 0x100000003, 5))
  TEST_CASE(42, 0xffffffff80000000, OP(mulw, 0x40000000, 2))

  /* DIV/REM truncate toward zero; the remainder has the sign of the dividend. */
  TEST_CASE(50, -3, OP(div, 7, -2))
  TEST_CASE(51, 1, OP(rem, 7, -2))
  TEST_CASE(52, -3, OP(div, -7, 2))
  TEST_CASE(53, -1, OP(rem, -7, 2))
  TEST_CASE(54, 3, OP(div, -7, -2))
  TEST_CASE(55, -1, OP(rem, -7, -2))
  TEST_CASE(56, 0x7fffffffffffffff, OP(divu, -1, 2))
  TEST_CASE(57, 1, OP(remu, -1, 2))
  TEST_CASE(58, 0, OP(divu, 7, -1))
  TEST_CASE(59, 7, OP(remu, 7, -1))
  /* Division by zero: quotient all ones, remainder = dividend. */
  TEST_CASE(60, -1, OP(div, 42, 0))
  TEST_CASE(61, -1, OP(div, -42, 0))
  TEST_CASE(62, 0xffffffffffffffff, OP(divu, 42, 0))
  TEST_CASE(63, 42, OP(rem, 42, 0))
  TEST_CASE(64, -42, OP(rem, -42, 0))
  TEST_CASE(65, 0x8000000000000000, OP(remu, 0x8000000000000000, 0))
  /* Signed overflow: -2^63 / -1 = -2^63, remainder 0. */
  TEST_CASE(66, 0x8000000000000000, OP(div, 0x8000000000000000, -1))
  TEST_CASE(67, 0, OP(rem, 0x8000000000000000, -1))

  /* W forms: 32-bit operands (upper bits ignored), 32-bit results sign-extended. */
  TEST_CASE(70, -3, OP(divw, 7, -2))
  TEST_CASE(71, -1, OP(remw, -7, 2))
  TEST_CASE(72, 0xffffffff80000000, OP(divw, 0xffffffff80000000, -1))
  TEST_CASE(73, 0, OP(remw, 0xffffffff80000000, -1))
  TEST_CASE(74, -1, OP(divw, 5, 0))
  TEST_CASE(75, -1, OP(divuw, 5, 0))
  TEST_CASE(76, 0xffffffff80000000, OP(remw, 0x80000000, 0))
  TEST_CASE(77, 0xffffffff80000000, OP(remuw, 0x80000000, 0))
  TEST_CASE(78, 5, OP(remw, 0xffffffff00000005, 0))
  TEST_CASE(79, -1, OP(divuw, 0xffffffff, 1))
  TEST_CASE(80, 8, OP(divuw, 0x100000010, 0x100000002))
  TEST_CASE(81, 0x7fffffff, OP(divuw, 0xfffffffe, 2))
  TEST_CASE(82, 1, OP(remuw, 0xffffffff, 2))
  TEST_CASE(83, 3, OP(divw, 0x500000007, 0x700000002))
  TEST_CASE(84, 0xffffffff80000000, OP(divw, 0x80000000, 1))
TEST_END
