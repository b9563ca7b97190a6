/* Delegation to S-mode: medeleg/mideleg, scause/sepc/stval, sstatus.SPP/SPIE/SIE, sret to U and S,
 * ecall from U (cause 8) handled in S, ecall from S (cause 9) in M, TSR/TVM, stvec.
 * Reference: RISC-V privileged architecture 1.12: 3.1.8 (medeleg/mideleg; a delegated trap sets
 * scause/sepc/stval and sstatus.SPP/SPIE/SIE, not the M registers), 4.1.1 (sret: SIE = SPIE,
 * SPIE = 1, SPP = U), 3.1.6.5 (TVM, TW, TSR). */
#include "harness.h"
  .option norvc
#define DELEG (1 << CAUSE_USER_ECALL) | (1 << CAUSE_ILLEGAL_INSTRUCTION) | (1 << CAUSE_BREAKPOINT)
TEST_BEGIN
  TEST_CASE(1, DELEG, li a1, DELEG; csrw medeleg, a1; csrr a0, medeleg)
  /* U ecall goes to S: scause 8, sepc = the ecall, stval 0, SPP = U. From there, S ecalls M. */
  TEST_CASE(2, CAUSE_USER_ECALL, li a1, 0x5a; csrw mcause, a1; EXPECT_TRAP_M(3f); MRET_TO(PRV_S, 1f); 1: EXPECT_TRAP_S(2f); SRET_TO_U(4f); 4: ecall; 2: mv a2, TRAP_CAUSE; mv a3, TRAP_EPC; mv a4, TRAP_TVAL; mv a5, TRAP_PRIV; ecall; 3: mv a0, a2)
  TEST_CASE(3, 0, la a1, 4b; sub a0, a3, a1)
  TEST_CASE(4, 0, mv a0, a4)
  TEST_CASE(5, PRV_U, mv a0, a5)
  /* The S ecall reached M, from S. */
  TEST_CASE(6, CAUSE_SUPERVISOR_ECALL, mv a0, TRAP_CAUSE)
  TEST_CASE(7, PRV_S, mv a0, TRAP_PRIV)

  /* sret to U sets SIE = SPIE, SPIE = 1, SPP = U; the U ecall into S then saves SIE (= 1) in SPIE,
   * clears SIE, and records SPP = U: read sstatus in the S handler. */
  TEST_CASE(10, SSTATUS_SPIE, EXPECT_TRAP_M(3f); MRET_TO(PRV_S, 1f); 1: csrci sstatus, SSTATUS_SIE; li a1, SSTATUS_SPIE; csrs sstatus, a1; EXPECT_TRAP_S(2f); SRET_TO_U(4f); 4: ecall; 2: csrr a2, sstatus; ecall; 3: li a1, SSTATUS_SPIE | SSTATUS_SIE | SSTATUS_SPP; and a0, a2, a1)
  /* Delegated trap from S to S: SPP = S; SIE is saved in SPIE and cleared. */
  TEST_CASE(11, SSTATUS_SPIE | SSTATUS_SPP, EXPECT_TRAP_M(3f); MRET_TO(PRV_S, 1f); 1: la a1, s_counting_trap; csrw stvec, a1; csrsi sstatus, SSTATUS_SIE; EXPECT_TRAP_S(2f); 4: ebreak; 2: la a1, s_trap; csrw stvec, a1; la a1, s_status_at_trap; ld a2, 0(a1); mv a3, TRAP_EPC; ecall; 3: li a1, SSTATUS_SPIE | SSTATUS_SIE | SSTATUS_SPP; and a0, a2, a1)
  TEST_CASE(12, CAUSE_BREAKPOINT, csrr a0, scause)
  TEST_CASE(13, 0, la a1, 4b; sub a0, a3, a1)
  /* Illegal instruction from U delegated: stval = the instruction. */
  TEST_CASE(14, 0, EXPECT_TRAP_M(3f); MRET_TO(PRV_S, 1f); 1: EXPECT_TRAP_S(2f); SRET_TO_U(4f); 4: csrr a1, sstatus; 2: mv a2, TRAP_CAUSE; mv a3, TRAP_TVAL; mv a4, TRAP_EPC; ecall; 3: lwu a1, 0(a4); sub a0, a3, a1)
  TEST_CASE(15, CAUSE_ILLEGAL_INSTRUCTION, mv a0, a2)
  /* An exception whose cause is not delegated goes to M even from S (load access fault). */
  TEST_CASE(16, CAUSE_LOAD_ACCESS, EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: li a1, 0x08000000; ld a1, 0(a1); 2: mv a0, TRAP_CAUSE)
  TEST_CASE(17, PRV_S, mv a0, TRAP_PRIV)

  /* TSR = 1: sret in S is illegal (nothing delegated now, so the trap is taken in M). */
  TEST_CASE(20, CAUSE_ILLEGAL_INSTRUCTION, csrw medeleg, zero; li a1, MSTATUS_TSR; csrs mstatus, a1; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sret; 2: li a1, MSTATUS_TSR; csrc mstatus, a1; mv a0, TRAP_CAUSE)
  /* TVM = 1: satp and sfence.vma in S are illegal. */
  TEST_CASE(21, CAUSE_ILLEGAL_INSTRUCTION, li a1, MSTATUS_TVM; csrs mstatus, a1; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: csrr a1, satp; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(22, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sfence.vma; 2: li a1, MSTATUS_TVM; csrc mstatus, a1; mv a0, TRAP_CAUSE)
  /* Without TVM, S may use satp and sfence.vma. */
  TEST_CASE(23, CAUSE_SUPERVISOR_ECALL, EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: csrr a1, satp; sfence.vma; ecall; 2: mv a0, TRAP_CAUSE)
  /* S writes stvec; a delegated trap uses it. */
  TEST_CASE(24, 2, li a1, DELEG; csrw medeleg, a1; EXPECT_TRAP_M(3f); MRET_TO(PRV_S, 1f); 1: la a1, s_counting_trap; csrw stvec, a1; EXPECT_TRAP_S(2f); ebreak; 2: la a1, s_trap; csrw stvec, a1; ecall; 3: la a1, s_hits; ld a0, 0(a1))
  TEST_CASE(25, 0, csrw medeleg, zero; csrr a0, medeleg)
TEST_END

/* stvec target of tests 11 and 24: count, keep sstatus as the trap left it, then continue in the
 * harness S handler. */
  .balign 4
s_counting_trap:
  la t5, s_hits
  ld t6, 0(t5)
  addi t6, t6, 1
  sd t6, 0(t5)
  csrr t6, sstatus
  sd t6, 8(t5)
  j s_trap

  .data
  .balign 8
s_hits:
  .dword 0
s_status_at_trap:
  .dword 0
