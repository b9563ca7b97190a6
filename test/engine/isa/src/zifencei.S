/* Zifencei and self-modifying code: instructions stored to memory run after fence.i, including
 * code just ahead of the store, code run before (and so possibly decoded or cached), and 16-bit
 * instructions. Reference: RISC-V unprivileged ISA 20191213, chapter 3 ("FENCE.I ... subsequent
 * instruction fetches on a RISC-V hart will see any previous data stores already visible to the
 * same RISC-V hart"). The new instructions are copied from templates assembled below, so no
 * encoding is written by hand. */
#include "harness.h"
  .option norvc
/* Copy the 4-byte instruction at `src` over the one at `dst`. */
#define PATCH32(dst, src) la t0, src; lwu t1, 0(t0); la t0, dst; sw t1, 0(t0)
TEST_BEGIN
  /* A routine in data memory, written, run, rewritten, run again. */
  TEST_CASE(1, 5, PATCH32(buffer, tpl_li5); PATCH32(buffer + 4, tpl_ret); fence.i; la a1, buffer; jalr ra, 0(a1))
  TEST_CASE(2, 7, PATCH32(buffer, tpl_li7); fence.i; la a1, buffer; jalr ra, 0(a1))
  /* Run the same code many times (a decoder cache would hold it), then change it. */
  TEST_CASE(3, 70, li a2, 0; li a3, 10; 1: la a1, buffer; jalr ra, 0(a1); add a2, a2, a0; addi a3, a3, -1; bnez a3, 1b; mv a0, a2)
  TEST_CASE(4, 50, PATCH32(buffer, tpl_li5); fence.i; li a2, 0; li a3, 10; 1: la a1, buffer; jalr ra, 0(a1); add a2, a2, a0; addi a3, a3, -1; bnez a3, 1b; mv a0, a2)
  /* Code right after the store, in the same straight-line block. */
  TEST_CASE(5, 9, PATCH32(2f, tpl_li9); fence.i; 2: addi a0, zero, 3)
  /* A loop whose own body is patched while it runs: the first pass adds 1, later passes add 2. */
  TEST_CASE(6, 1 + 2 * 4, li a0, 0; li a3, 5; 1: 2: addi a0, a0, 1; PATCH32(2b, tpl_add2); fence.i; addi a3, a3, -1; bnez a3, 1b; PATCH32(2b, tpl_add1); fence.i)
  /* 16-bit instructions written with sh. */
  TEST_CASE(7, 6, la t0, tpl_cli6; lhu t1, 0(t0); la t0, buffer; sh t1, 0(t0); la t0, tpl_cret; lhu t1, 0(t0); la t0, buffer; sh t1, 2(t0); fence.i; la a1, buffer; jalr ra, 0(a1))
TEST_END

/* Templates: copied, never executed in place. */
tpl_li5: addi a0, zero, 5
tpl_li7: addi a0, zero, 7
tpl_li9: addi a0, zero, 9
tpl_ret: ret
tpl_add1: addi a0, a0, 1
tpl_add2: addi a0, a0, 2
  .option rvc
tpl_cli6: c.li a0, 6
tpl_cret: c.jr ra
  .option norvc

  .data
  .balign 64
buffer:
  .skip 64
