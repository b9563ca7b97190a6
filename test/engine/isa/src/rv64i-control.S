/* RV64I control transfer: conditional branches (signed/unsigned edges), JAL, JALR.
 * Reference: RISC-V unprivileged ISA 20191213, 2.5 (jalr clears bit 0 of the target; the link is
 * the address of the next instruction, written after the target is computed). */
#include "harness.h"
  .option norvc
/* a0 = 1 when the branch `insn` to its target is taken, 0 when it falls through. */
#define BRANCH(insn, x, y) li a1, x; li a2, y; li a0, 0; insn a1, a2, 1f; j 2f; 1: li a0, 1; 2:
TEST_BEGIN
  TEST_CASE(1, 1, BRANCH(beq, 5, 5))
  TEST_CASE(2, 0, BRANCH(beq, 5, -5))
  TEST_CASE(3, 1, BRANCH(bne, 0x100000000, 0))
  TEST_CASE(4, 0, BRANCH(bne, -1, -1))
  TEST_CASE(5, 1, BRANCH(blt, -1, 1))
  TEST_CASE(6, 0, BRANCH(blt, 1, -1))
  TEST_CASE(7, 0, BRANCH(blt, 7, 7))
  TEST_CASE(8, 1, BRANCH(blt, 0x8000000000000000, 0x7fffffffffffffff))
  TEST_CASE(9, 1, BRANCH(bge, 7, 7))
  TEST_CASE(10, 1, BRANCH(bge, 1, -1))
  TEST_CASE(11, 0, BRANCH(bge, -1, 1))
  TEST_CASE(12, 0, BRANCH(bltu, -1, 1))
  TEST_CASE(13, 1, BRANCH(bltu, 1, -1))
  TEST_CASE(14, 0, BRANCH(bltu, 3, 3))
  TEST_CASE(15, 1, BRANCH(bltu, 0x7fffffffffffffff, 0x8000000000000000))
  TEST_CASE(16, 1, BRANCH(bgeu, 0, 0))
  TEST_CASE(17, 1, BRANCH(bgeu, -1, 1))
  TEST_CASE(18, 0, BRANCH(bgeu, 1, -1))
  /* A backward taken branch: loop five times. */
  TEST_CASE(19, 5, li a0, 0; li a1, 5; 1: addi a0, a0, 1; blt a0, a1, 1b)

  /* JAL: link = pc + 4; rd = x0 discards it. */
  TEST_CASE(20, 0, jal a1, 1f; 1: la a2, 1b; sub a0, a1, a2)
  TEST_CASE(21, 3, li a0, 1; jal zero, 1f; li a0, 2; 1: addi a0, a0, 2)
  /* A jump forward past 2 KiB of code and back (20-bit offset, both directions). */
  TEST_CASE(22, 7, li a0, 7; jal ra, far_forward)

  /* JALR: target = (rs1 + imm) with bit 0 cleared. */
  TEST_CASE(30, 1, li a0, 0; la a1, jalr_target; addi a1, a1, 1; jalr ra, 0(a1))
  TEST_CASE(31, 1, li a0, 0; la a1, jalr_target; addi a1, a1, -3; jalr ra, 4(a1))
  TEST_CASE(32, 1, li a0, 0; la a1, jalr_target; addi a1, a1, 2047; jalr ra, -2047(a1))
  /* Link value of jalr. */
  TEST_CASE(33, 0, la a1, 1f; jalr a2, 0(a1); 1: la a3, 1b; sub a0, a2, a3)
  /* rd == rs1: the target uses the old rs1, then rd gets the link. */
  TEST_CASE(34, 0, la a1, 2f; jalr a1, 0(a1); 1: j fail; 2: la a2, 1b; sub a0, a1, a2)
  /* rd = x0: a plain jump, x0 stays 0. */
  TEST_CASE(35, 0, la a1, 1f; jalr zero, 0(a1); j fail; 1: mv a0, zero)
TEST_END

  .balign 4
jalr_target:
  li a0, 1
  ret

  .skip 2048
far_forward:
  addi a0, a0, -7
  addi a0, a0, 7
  ret
