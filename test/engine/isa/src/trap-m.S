/* Traps taken in M-mode: ecall from M/S/U (causes 11/9/8), ebreak, illegal instructions (mtval =
 * the instruction), instruction access fault, mret to M/S/U with MPP/MPIE, privileged instructions
 * and CSRs from lower modes, traps never going to a lower mode, mtvec vectored mode for exceptions.
 * Reference: RISC-V privileged architecture 1.12: 3.1.6.1 (mret: MIE = MPIE, MPIE = 1, MPP = U),
 * 3.1.7 (mtvec), 3.1.8 (medeleg: traps never move to a less privileged mode), 3.1.15 (mtval),
 * 3.1.16 (mcause table 3.6), 3.3.1 (ecall/ebreak: mepc = the instruction's address). */
#include "harness.h"
  .option norvc
#define HOLE 0x08000000
TEST_BEGIN
  TEST_CASE(1, CAUSE_MACHINE_ECALL, EXPECT_TRAP_M(2f); 1: ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(2, 0, la a1, 1b; sub a0, TRAP_EPC, a1)
  TEST_CASE(3, 0, mv a0, TRAP_TVAL)
  TEST_CASE(4, PRV_M, mv a0, TRAP_PRIV)
  TEST_CASE(5, CAUSE_BREAKPOINT, EXPECT_TRAP_M(2f); 1: ebreak; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(6, 0, la a1, 1b; sub a0, TRAP_EPC, a1)
  /* ebreak: mtval is 0 or the pc (priv 3.1.15 lets either be written). */
  TEST_CASE(7, 1, la a1, 1b; sub a1, TRAP_TVAL, a1; seqz a1, a1; seqz a2, TRAP_TVAL; or a0, a1, a2)
  /* Illegal instructions: custom-0 opcode, a reserved OP funct7, an all-ones word. mtval holds the
   * instruction bits (the spec allows 0; QEMU and our engine provide the bits). */
  TEST_CASE(10, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(2f); 1: .word 0x1234500b; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(11, 0x1234500b, mv a0, TRAP_TVAL)
  TEST_CASE(12, 0, la a1, 1b; sub a0, TRAP_EPC, a1)
  TEST_CASE(13, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(2f); 1: .word 0xfe000033; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(14, 0xfe000033, mv a0, TRAP_TVAL)
  /* Instructions in the mret/sret/wfi encoding space with wrong fields. */
  TEST_CASE(15, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(2f); 1: .word 0x30200f73 /* mret with rd != 0 */; 2: mv a0, TRAP_CAUSE)
  /* Jumping to an address with nothing there: instruction access fault, mepc = mtval = target. */
  TEST_CASE(16, CAUSE_FETCH_ACCESS, EXPECT_TRAP_M(1f); li a1, HOLE; jalr ra, 0(a1); 1: mv a0, TRAP_CAUSE)
  TEST_CASE(17, HOLE, mv a0, TRAP_EPC)
  TEST_CASE(18, HOLE, mv a0, TRAP_TVAL)
  /* Delegation does not apply to traps taken in M: they stay in M. */
  TEST_CASE(19, CAUSE_BREAKPOINT, li a1, (1 << CAUSE_BREAKPOINT) | (1 << CAUSE_ILLEGAL_INSTRUCTION); csrw medeleg, a1; EXPECT_TRAP_M(1f); ebreak; 1: csrw medeleg, zero; mv a0, TRAP_CAUSE)

  /* mret to M: MIE = MPIE, MPIE = 1, MPP = U (the least privileged mode). */
  TEST_CASE(20, MSTATUS_MIE | MSTATUS_MPIE, csrci mstatus, MSTATUS_MIE; li a1, MSTATUS_MPIE; csrs mstatus, a1; MRET_TO(PRV_M, 1f); 1: csrr a1, mstatus; andi a0, a1, MSTATUS_MIE | MSTATUS_MPIE; csrci mstatus, MSTATUS_MIE)
  TEST_CASE(21, PRV_U, srli a0, a1, 11; andi a0, a0, 3)
  TEST_CASE(22, MSTATUS_MPIE, li a1, MSTATUS_MPIE; csrc mstatus, a1; MRET_TO(PRV_M, 1f); 1: csrr a1, mstatus; andi a0, a1, MSTATUS_MIE | MSTATUS_MPIE)
  /* mret to S: the code there cannot read mstatus (illegal, taken from S); ecall from S is cause 9. */
  TEST_CASE(23, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: csrr a1, mstatus; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(24, PRV_S, mv a0, TRAP_PRIV)
  TEST_CASE(25, CAUSE_SUPERVISOR_ECALL, EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: csrr a1, sstatus; ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(26, 0, la a1, 1b; addi a1, a1, 4; sub a0, TRAP_EPC, a1)
  /* mret to U: sstatus is not accessible either; ecall from U is cause 8. */
  TEST_CASE(27, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(2f); MRET_TO(PRV_U, 1f); 1: csrr a1, sstatus; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(28, PRV_U, mv a0, TRAP_PRIV)
  TEST_CASE(29, CAUSE_USER_ECALL, EXPECT_TRAP_M(2f); MRET_TO(PRV_U, 1f); 1: ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(30, PRV_U, mv a0, TRAP_PRIV)
  /* mret from M to U with MPIE = 1: the trap back to M then saves MIE (U sees M interrupts
   * enabled regardless, 3.1.6.1) into MPIE = 1 - checked as mstatus.MPIE at the trap. */
  TEST_CASE(31, MSTATUS_MPIE, li a1, MSTATUS_MPIE; csrs mstatus, a1; EXPECT_TRAP_M(2f); MRET_TO(PRV_U, 1f); 1: ecall; 2: csrr a0, mstatus; andi a0, a0, MSTATUS_MPIE; csrci mstatus, MSTATUS_MIE)

  /* Privileged instructions and CSRs from lower modes. */
  TEST_CASE(40, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: mret; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(41, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(2f); MRET_TO(PRV_U, 1f); 1: sret; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(42, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(2f); MRET_TO(PRV_U, 1f); 1: sfence.vma; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(43, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: csrw mscratch, zero; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(44, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(2f); MRET_TO(PRV_U, 1f); 1: csrr a1, satp; 2: mv a0, TRAP_CAUSE)
  /* mtval of an illegal CSR access from U is the instruction. */
  TEST_CASE(45, 0, lwu a1, 0(TRAP_EPC); sub a0, TRAP_TVAL, a1)
  /* Counters from S/U need mcounteren (and scounteren for U). */
  TEST_CASE(46, CAUSE_ILLEGAL_INSTRUCTION, csrw mcounteren, zero; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: csrr a1, time; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(47, CAUSE_SUPERVISOR_ECALL, li a1, 2; csrw mcounteren, a1; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: csrr a1, time; ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(48, CAUSE_ILLEGAL_INSTRUCTION, li a1, 2; csrw mcounteren, a1; csrw scounteren, zero; EXPECT_TRAP_M(2f); MRET_TO(PRV_U, 1f); 1: csrr a1, time; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(49, CAUSE_USER_ECALL, li a1, 2; csrw mcounteren, a1; csrw scounteren, a1; EXPECT_TRAP_M(2f); MRET_TO(PRV_U, 1f); 1: csrr a1, time; ecall; 2: mv a0, TRAP_CAUSE; csrw mcounteren, zero; csrw scounteren, zero)
  /* TW = 1: wfi below M is illegal. */
  TEST_CASE(50, CAUSE_ILLEGAL_INSTRUCTION, li a1, MSTATUS_TW; csrs mstatus, a1; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: wfi; 2: li a1, MSTATUS_TW; csrc mstatus, a1; mv a0, TRAP_CAUSE)

  /* Vectored mtvec: exceptions still go to BASE. */
  TEST_CASE(60, CAUSE_MACHINE_ECALL, la a1, vectored_base; ori a1, a1, 1; csrw mtvec, a1; EXPECT_TRAP_M(1f); ecall; 1: la a1, m_trap; csrw mtvec, a1; mv a0, TRAP_CAUSE)
  TEST_CASE(61, 1, la a1, vector_hits; ld a0, 0(a1))
  /* mtvec keeps its mode bits: 1 = vectored, 0 = direct. */
  TEST_CASE(62, 1, la a1, vectored_base; ori a1, a1, 1; csrw mtvec, a1; csrr a0, mtvec; andi a0, a0, 3; la a1, m_trap; csrw mtvec, a1)
TEST_END

/* Entry 0 of the vector table counts its hits and continues in the harness handler. */
  .balign 256
vectored_base:
  j vector_exception
  .rept 15
  j fail
  .endr
vector_exception:
  la t5, vector_hits
  ld t6, 0(t5)
  addi t6, t6, 1
  sd t6, 0(t5)
  j m_trap

  .data
  .balign 8
vector_hits:
  .dword 0
