/* RV64I integer computation: arithmetic, W forms with sign extension, shifts, compares, lui/auipc.
 * Reference: RISC-V unprivileged ISA 20191213, chapters 2 (RV32I) and 5 (RV64I). */
#include "harness.h"
  .option norvc
TEST_BEGIN
  /* ADD/ADDI/SUB wrap modulo 2^64; immediates are sign-extended 12-bit values. */
  TEST_CASE(1, 0x8000000000000000, li a1, 0x7fffffffffffffff; li a2, 1; add a0, a1, a2)
  TEST_CASE(2, 0, li a1, -1; addi a0, a1, 1)
  TEST_CASE(3, 0xfffffffffffff800, addi a0, zero, -2048)
  TEST_CASE(4, 2047, addi a0, zero, 2047)
  TEST_CASE(5, -1, li a1, 0; li a2, 1; sub a0, a1, a2)
  TEST_CASE(6, 0x7fffffffffffffff, li a1, 0x8000000000000000; li a2, 1; sub a0, a1, a2)
  /* x0 ignores writes. */
  TEST_CASE(7, 0, addi zero, zero, 5; mv a0, zero)

  /* W forms: 32-bit result, sign-extended to 64 bits; upper source bits ignored. */
  TEST_CASE(10, 0xffffffff80000000, li a1, 0x7fffffff; li a2, 1; addw a0, a1, a2)
  TEST_CASE(11, -1, li a1, 0xffffffff; addiw a0, a1, 0)
  TEST_CASE(12, 0x23456789, li a1, 0x123456789; addiw a0, a1, 0)
  TEST_CASE(13, 0xffffffff80000000, li a1, 0x80000000; subw a0, zero, a1)
  TEST_CASE(14, 0x7fffffff, li a1, 0xffffffff80000000; li a2, 1; subw a0, a1, a2)
  TEST_CASE(15, 3, li a1, 0x1200000001; li a2, 0x3400000002; addw a0, a1, a2)
  TEST_CASE(16, 0xfffffffffffff800, li a1, 0x500000000; addiw a0, a1, -2048)

  /* 64-bit shifts use rs2[5:0]; shift by 63 and by 64 + 1. */
  TEST_CASE(20, 0x8000000000000000, li a1, 1; li a2, 63; sll a0, a1, a2)
  TEST_CASE(21, 2, li a1, 1; li a2, 65; sll a0, a1, a2)
  TEST_CASE(22, 1, li a1, 0x8000000000000000; li a2, 63; srl a0, a1, a2)
  TEST_CASE(23, -1, li a1, 0x8000000000000000; li a2, 63; sra a0, a1, a2)
  TEST_CASE(24, 0x8000000000000000, li a1, 0xffffffffffffffff; slli a0, a1, 63)
  TEST_CASE(25, 1, li a1, 0x8000000000000000; srli a0, a1, 63)
  TEST_CASE(26, -1, li a1, 0x8000000000000000; srai a0, a1, 63)
  TEST_CASE(27, 0x00000000ffffffff, li a1, -1; srli a0, a1, 32)
  TEST_CASE(28, 0xfffffffff0000000, li a1, 0x8000000000000000; srai a0, a1, 35)
  TEST_CASE(29, 0x1234, li a1, 0x1234; li a2, 0xffffffffffffffc0; sll a0, a1, a2)

  /* 32-bit shifts use rs2[4:0] and sign-extend the 32-bit result. */
  TEST_CASE(30, 0xffffffff80000000, li a1, 1; li a2, 31; sllw a0, a1, a2)
  TEST_CASE(31, 1, li a1, 1; li a2, 32; sllw a0, a1, a2)
  TEST_CASE(32, 1, li a1, 0xffffffff80000000; li a2, 31; srlw a0, a1, a2)
  TEST_CASE(33, 0xffffffff80000000, li a1, 0x80000000; li a2, 0; srlw a0, a1, a2)
  TEST_CASE(34, -1, li a1, 0x80000000; li a2, 31; sraw a0, a1, a2)
  TEST_CASE(35, 0xfffffffff8000000, li a1, 0x1234567880000000; sraiw a0, a1, 4)
  TEST_CASE(36, 0xffffffff80000000, li a1, 0xff00000001; slliw a0, a1, 31)
  TEST_CASE(37, 1, li a1, 0x80000000; srliw a0, a1, 31)
  TEST_CASE(38, 0x0fffffff, li a1, 0xfffffffffffffff0; srliw a0, a1, 4)
  TEST_CASE(39, -1, li a1, 0x80000000; sraiw a0, a1, 31)
  TEST_CASE(40, 0x40000000, li a1, 0x80000000; li a2, 33; srlw a0, a1, a2)

  /* SLT/SLTU and immediate forms: the immediate is sign-extended, then compared unsigned. */
  TEST_CASE(50, 1, li a1, -1; li a2, 1; slt a0, a1, a2)
  TEST_CASE(51, 0, li a1, -1; li a2, 1; sltu a0, a1, a2)
  TEST_CASE(52, 1, li a1, 0x8000000000000000; li a2, 0x7fffffffffffffff; slt a0, a1, a2)
  TEST_CASE(53, 0, li a1, 0x8000000000000000; li a2, 0x7fffffffffffffff; sltu a0, a1, a2)
  TEST_CASE(54, 0, li a1, 5; li a2, 5; slt a0, a1, a2)
  TEST_CASE(55, 0, li a1, 0; slti a0, a1, -1)
  TEST_CASE(56, 1, li a1, -2; slti a0, a1, -1)
  TEST_CASE(57, 1, li a1, 5; sltiu a0, a1, -1)
  TEST_CASE(58, 1, li a1, 0; sltiu a0, a1, 1)
  TEST_CASE(59, 0, li a1, -1; sltiu a0, a1, -1)
  TEST_CASE(60, 1, li a1, 0; sltu a0, zero, a1; xori a0, a0, 1)

  /* Logic with sign-extended immediates. */
  TEST_CASE(70, 0x0000ffffff00ffff, li a1, 0xffffffff00ff00ff; li a2, 0xffff0000ffffff00; xor a0, a1, a2)
  TEST_CASE(76, 0xffffffffffffff00, li a1, 0x00000000000000ff; xori a0, a1, -1)
  TEST_CASE(71, 0xf0f0f0f0f0f0f0f0, li a1, 0xf0f0f0f0f0f0f0f0; li a2, 0xffffffffffffffff; and a0, a1, a2)
  TEST_CASE(72, 0xfffffffffffff800, li a1, 0x1234; andi a0, a1, -2048; li a2, 0x1000; xor a0, a0, a2; ori a0, a0, -2048)
  TEST_CASE(73, 0xedcba98765432100, li a1, 0x123456789abcdeff; xori a0, a1, -1; andi a0, a0, -256)
  TEST_CASE(74, 0xff0fff0fff0fff0f, li a1, 0xff00ff00ff00ff00; li a2, 0x000ff00ff00ff00f; or a0, a1, a2)
  TEST_CASE(75, 0x7ff, ori a0, zero, 0x7ff)

  /* LUI sign-extends its 32-bit result; AUIPC adds it to the pc of the auipc itself. */
  TEST_CASE(80, 0xffffffff80000000, lui a0, 0x80000)
  TEST_CASE(81, 0x7ffff000, lui a0, 0x7ffff)
  TEST_CASE(82, 0xfffffffffffff000, lui a0, 0xfffff)
  TEST_CASE(83, 0, 1: auipc a0, 0; la a1, 1b; sub a0, a0, a1)
  TEST_CASE(84, 0xffffffff80000000, 1: auipc a0, 0x80000; la a1, 1b; sub a0, a0, a1)
  TEST_CASE(85, 0x12345000, 1: auipc a0, 0x12345; la a1, 1b; sub a0, a0, a1)
  TEST_CASE(86, 0x123456789abcdef0, li a0, 0x123456789abcdef0)
TEST_END
