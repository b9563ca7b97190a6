/* RV64A misaligned addresses: LR, SC and AMOs trap (no Zam), with tval = the address.
 * Reference: RISC-V unprivileged ISA 20191213, 8.2 and 8.4 ("If the address is not naturally
 * aligned, an address-misaligned exception or an access-fault exception will be generated");
 * privileged 1.12 table 3.6: an AMO or SC reports the Store/AMO causes (6 or 7), an LR the load
 * causes (4 or 5). QEMU 7.2 differs (a misaligned AMO raises cause 4, a misaligned SC just fails):
 * run-on-qemu.sh expects this program to stop at test 5 there. */
#include "harness.h"
  .option norvc
/* a0 = 1 when the recorded cause is `a` or `b`. */
#define CAUSE_IS(a, b) addi a0, TRAP_CAUSE, -(a); addi a1, TRAP_CAUSE, -(b); mul a0, a0, a1; seqz a0, a0
TEST_BEGIN
  TEST_CASE(1, 1, EXPECT_TRAP_M(1f); la a1, target + 2; lr.w a2, (a1); 1: CAUSE_IS(CAUSE_MISALIGNED_LOAD, CAUSE_LOAD_ACCESS))
  TEST_CASE(2, 0, la a1, target + 2; sub a0, TRAP_TVAL, a1)
  TEST_CASE(3, 1, EXPECT_TRAP_M(1f); la a1, target + 4; lr.d a2, (a1); 1: CAUSE_IS(CAUSE_MISALIGNED_LOAD, CAUSE_LOAD_ACCESS))
  TEST_CASE(4, 0, la a1, target + 4; sub a0, TRAP_TVAL, a1)
  /* AMOs report Store/AMO causes; memory is unchanged. */
  TEST_CASE(5, 1, EXPECT_TRAP_M(1f); la a1, target + 4; li a3, 1; amoadd.d a2, a3, (a1); 1: CAUSE_IS(CAUSE_MISALIGNED_STORE, CAUSE_STORE_ACCESS))
  TEST_CASE(6, 0, la a1, target + 4; sub a0, TRAP_TVAL, a1)
  TEST_CASE(7, 1, EXPECT_TRAP_M(1f); la a1, target + 1; li a3, 1; amoswap.w a2, a3, (a1); 1: CAUSE_IS(CAUSE_MISALIGNED_STORE, CAUSE_STORE_ACCESS))
  TEST_CASE(8, 0, la a1, target + 1; sub a0, TRAP_TVAL, a1)
  TEST_CASE(9, 0x1111111111111111, la a1, target; ld a0, 0(a1))
  /* SC.D misaligned, after an aligned LR so that only the alignment is wrong: it traps rather
   * than just failing, and writes nothing. */
  TEST_CASE(10, 1, EXPECT_TRAP_M(1f); la a1, target; lr.d a2, (a1); addi a1, a1, 4; sc.d a2, a2, (a1); 1: CAUSE_IS(CAUSE_MISALIGNED_STORE, CAUSE_STORE_ACCESS))
  TEST_CASE(11, 0, la a1, target + 4; sub a0, TRAP_TVAL, a1)
  TEST_CASE(12, 0x1111111111111111, la a1, target; ld a0, 8(a1))
TEST_END

  .data
  .balign 8
target:
  .dword 0x1111111111111111, 0x1111111111111111
