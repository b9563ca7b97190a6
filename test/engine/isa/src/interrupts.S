/* Interrupts: CLINT software (msip) and timer (mtime/mtimecmp) interrupts, mip/mie, global enables
 * per privilege mode, priority, mepc of an interrupt, WFI wake-up with and without MIE, vectored
 * mtvec, delegation of S interrupts (mideleg) and when each is taken.
 * Reference: RISC-V privileged architecture 1.12: 3.1.6.1 (an interrupt for a higher mode is
 * enabled in a lower mode whatever its xIE; for a lower mode it is never taken), 3.1.7 (vectored
 * mtvec: BASE + 4 * cause), 3.1.9 (mip/mie; MTIP/MSIP read-only in mip, STIP/SSIP writable by M;
 * priority MEI > MSI > MTI > SEI > SSI > STI), 3.3.3 (WFI resumes on a locally enabled pending
 * interrupt even when it is globally disabled; a taken interrupt has mepc = the next instruction);
 * ACLINT 1.0 / SiFive CLINT (msip at +0, mtimecmp at +0x4000, mtime at +0xbff8). */
#include "harness.h"
  .option norvc
#define INT(code) (CAUSE_INTERRUPT | (code))
#define SET_MSIP(v) li a6, CLINT_MSIP; li a7, v; sw a7, 0(a6)
/* mtimecmp = mtime + delta (a7 = the target time). */
#define TIMER_IN(delta) li a6, CLINT_MTIME; ld a7, 0(a6); addi a7, a7, delta; li a6, CLINT_MTIMECMP; sd a7, 0(a6)
#define TIMER_OFF li a6, CLINT_MTIMECMP; li a7, -1; sd a7, 0(a6)
#define TIMER_NOW li a6, CLINT_MTIMECMP; sd zero, 0(a6)
/* Spin for a bounded time (an interrupt expected meanwhile ends it early through the resume label). */
#define SPIN(n) li a5, n; 9: addi a5, a5, -1; bnez a5, 9b
TEST_BEGIN
  /* mip.MSIP follows the CLINT register. */
  TEST_CASE(1, MIP_MSIP, SET_MSIP(1); csrr a0, mip; andi a0, a0, MIP_MSIP)
  TEST_CASE(2, 1, li a6, CLINT_MSIP; lw a0, 0(a6))
  TEST_CASE(3, 0, SET_MSIP(0); csrr a0, mip; andi a0, a0, MIP_MSIP)
  /* MSIP and MTIP are read-only in mip. */
  TEST_CASE(4, 0, TIMER_OFF; li a1, MIP_MSIP | MIP_MTIP; csrs mip, a1; csrr a0, mip; andi a0, a0, MIP_MSIP | MIP_MTIP)
  /* mip.MTIP follows mtime >= mtimecmp. */
  TEST_CASE(5, MIP_MTIP, TIMER_NOW; csrr a0, mip; andi a0, a0, MIP_MTIP)
  TEST_CASE(6, 0, TIMER_OFF; csrr a0, mip; andi a0, a0, MIP_MTIP)
  /* The time CSR reads mtime. */
  TEST_CASE(7, 1, li a6, CLINT_MTIME; ld a1, 0(a6); csrr a2, time; sub a0, a2, a1; li a3, 100000; sltu a0, a0, a3)
  /* mtimecmp reads back. */
  TEST_CASE(8, 0x123456789, li a6, CLINT_MTIMECMP; li a1, 0x123456789; sd a1, 0(a6); ld a0, 0(a6); TIMER_OFF)

  /* Software interrupt: pending but not taken while MIE = 0, taken right after MIE is set, with
   * mepc = the instruction after the csrs. */
  TEST_CASE(10, INT(IRQ_M_SOFT), li a1, MIP_MSIP; csrw mie, a1; SET_MSIP(1); SPIN(100); EXPECT_TRAP_M(2f); 1: csrsi mstatus, MSTATUS_MIE; SPIN(1000); 2: SET_MSIP(0); csrw mie, zero; mv a0, TRAP_CAUSE)
  TEST_CASE(11, 0, la a1, 1b; addi a1, a1, 4; sub a0, TRAP_EPC, a1)
  TEST_CASE(12, 0, mv a0, TRAP_TVAL)
  /* After the trap, MIE = 0 and MPIE = the old MIE (1); MPP = M. */
  TEST_CASE(13, PRV_M, mv a0, TRAP_PRIV)
  /* Not taken when mie.MSIE = 0, whatever MIE (an unexpected trap would fail the test). */
  TEST_CASE(14, 7, csrw mie, zero; SET_MSIP(1); csrsi mstatus, MSTATUS_MIE; SPIN(1000); csrci mstatus, MSTATUS_MIE; SET_MSIP(0); li a0, 7)

  /* Timer interrupt. */
  TEST_CASE(20, INT(IRQ_M_TIMER), li a1, MIP_MTIP; csrw mie, a1; TIMER_IN(500); mv a4, a7; EXPECT_TRAP_M(2f); csrsi mstatus, MSTATUS_MIE; SPIN(50000000); 2: csrr a3, time; TIMER_OFF; csrw mie, zero; mv a0, TRAP_CAUSE)
  /* The interrupt came no earlier than mtimecmp. */
  TEST_CASE(21, 1, sltu a0, a3, a4; xori a0, a0, 1)
  /* WFI with MIE = 0: wakes up on the locally enabled timer interrupt, no trap. */
  TEST_CASE(22, MIP_MTIP, csrci mstatus, MSTATUS_MIE; li a1, MIP_MTIP; csrw mie, a1; TIMER_IN(500); wfi; csrr a0, mip; andi a0, a0, MIP_MTIP; TIMER_OFF; csrw mie, zero)
  /* WFI with MIE = 1: the interrupt is taken with mepc = the instruction after wfi. */
  TEST_CASE(23, INT(IRQ_M_TIMER), li a1, MIP_MTIP; csrw mie, a1; TIMER_IN(500); EXPECT_TRAP_M(2f); csrsi mstatus, MSTATUS_MIE; 1: wfi; SPIN(50000000); 2: TIMER_OFF; csrw mie, zero; mv a0, TRAP_CAUSE)
  TEST_CASE(24, 0, la a1, 1b; addi a1, a1, 4; sub a0, TRAP_EPC, a1)
  /* Priority: MSI before MTI when both are pending. */
  TEST_CASE(25, INT(IRQ_M_SOFT), li a1, MIP_MTIP | MIP_MSIP; csrw mie, a1; TIMER_NOW; SET_MSIP(1); EXPECT_TRAP_M(2f); csrsi mstatus, MSTATUS_MIE; SPIN(1000); 2: SET_MSIP(0); mv a0, TRAP_CAUSE)
  TEST_CASE(26, INT(IRQ_M_TIMER), EXPECT_TRAP_M(2f); csrsi mstatus, MSTATUS_MIE; SPIN(1000); 2: TIMER_OFF; csrw mie, zero; mv a0, TRAP_CAUSE)
  /* Vectored mtvec: the timer interrupt lands at BASE + 4 * 7. */
  TEST_CASE(27, INT(IRQ_M_TIMER), la a1, vectored_base; ori a1, a1, 1; csrw mtvec, a1; li a1, MIP_MTIP; csrw mie, a1; TIMER_NOW; EXPECT_TRAP_M(2f); csrsi mstatus, MSTATUS_MIE; SPIN(1000); 2: la a1, m_trap; csrw mtvec, a1; TIMER_OFF; csrw mie, zero; mv a0, TRAP_CAUSE)
  TEST_CASE(28, 1, la a1, vector_hits; ld a0, 0(a1))
  /* M interrupts are enabled in S and U whatever MIE says. */
  TEST_CASE(29, INT(IRQ_M_SOFT), csrci mstatus, MSTATUS_MIE; li a1, MIP_MSIP; csrw mie, a1; SET_MSIP(1); EXPECT_TRAP_M(2f); MRET_TO(PRV_U, 1f); 1: SPIN(1000); 2: SET_MSIP(0); csrw mie, zero; mv a0, TRAP_CAUSE)
  TEST_CASE(30, PRV_U, mv a0, TRAP_PRIV)

  /* S interrupts. M may set mip.STIP and mip.SSIP. */
  TEST_CASE(40, MIP_STIP | MIP_SSIP, li a1, MIP_STIP | MIP_SSIP; csrs mip, a1; csrr a0, mip; andi a0, a0, MIP_STIP | MIP_SSIP; csrc mip, a1)
  /* Delegated STI, taken in S once SIE is set; scause = interrupt 5. */
  TEST_CASE(41, INT(IRQ_S_TIMER), li a1, MIP_STIP; csrw mideleg, a1; csrw mie, a1; csrs mip, a1; EXPECT_TRAP_M(3f); MRET_TO(PRV_S, 1f); 1: SPIN(100); EXPECT_TRAP_S(2f); csrsi sstatus, SSTATUS_SIE; SPIN(1000); 2: mv a2, TRAP_CAUSE; ecall; 3: li a1, MIP_STIP; csrc mip, a1; mv a0, a2)
  /* Delegated STI in U: taken in S even with SIE = 0. */
  TEST_CASE(42, INT(IRQ_S_TIMER), csrci sstatus, SSTATUS_SIE; li a1, MIP_STIP; csrs mip, a1; EXPECT_TRAP_M(3f); MRET_TO(PRV_S, 1f); 1: EXPECT_TRAP_S(2f); SRET_TO_U(4f); 4: SPIN(1000); 2: mv a2, TRAP_CAUSE; mv a3, TRAP_PRIV; ecall; 3: li a1, MIP_STIP; csrc mip, a1; mv a0, a2)
  TEST_CASE(43, PRV_U, mv a0, a3)
  /* A delegated S interrupt is never taken in M, even with SIE = 1 and MIE = 1. */
  TEST_CASE(44, 9, li a1, MIP_STIP; csrs mip, a1; csrsi mstatus, MSTATUS_SIE | MSTATUS_MIE; SPIN(1000); csrci mstatus, MSTATUS_SIE | MSTATUS_MIE; li a1, MIP_STIP; csrc mip, a1; li a0, 9)
  /* Not delegated: STI pending in S goes to M although MIE = 0. */
  TEST_CASE(45, INT(IRQ_S_TIMER), csrw mideleg, zero; li a1, MIP_STIP; csrw mie, a1; csrs mip, a1; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: SPIN(1000); 2: li a1, MIP_STIP; csrc mip, a1; mv a0, TRAP_CAUSE)
  TEST_CASE(46, PRV_S, mv a0, TRAP_PRIV)
  /* S software interrupt raised by S itself through sip. */
  TEST_CASE(47, INT(IRQ_S_SOFT), li a1, MIP_SSIP; csrw mideleg, a1; csrw mie, a1; EXPECT_TRAP_M(3f); MRET_TO(PRV_S, 1f); 1: csrsi sstatus, SSTATUS_SIE; EXPECT_TRAP_S(2f); csrsi sip, MIP_SSIP; SPIN(1000); 2: mv a2, TRAP_CAUSE; csrci sip, MIP_SSIP; ecall; 3: csrw mie, zero; csrw mideleg, zero; mv a0, a2)
  /* An M timer interrupt preempts S: taken in M with the S state intact. */
  TEST_CASE(48, INT(IRQ_M_TIMER), li a1, MIP_MTIP; csrw mie, a1; TIMER_IN(500); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: SPIN(50000000); 2: TIMER_OFF; csrw mie, zero; mv a0, TRAP_CAUSE)
  TEST_CASE(49, PRV_S, mv a0, TRAP_PRIV)
TEST_END

/* Interrupt vector table for test 27: only entry 7 (machine timer) is expected. */
  .balign 256
vectored_base:
  .rept 7
  j fail
  .endr
  j vector_timer
  .rept 8
  j fail
  .endr
vector_timer:
  la t5, vector_hits
  ld t6, 0(t5)
  addi t6, t6, 1
  sd t6, 0(t5)
  j m_trap

  .data
  .balign 8
vector_hits:
  .dword 0
