/* Start-up, trap handlers and pass/fail reporting shared by every ISA program (linked first).
 * Reference: RISC-V privileged architecture 1.12 (mtvec/stvec, mret/sret, PMP 3.7), QEMU `virt`
 * sifive_test finisher, riscv-tests HTIF tohost convention. Conventions: include/harness.h. */
#include "harness.h"

  .option norvc

  .section .text.init, "ax", @progbits
  .globl _start
_start:
  /* Single-hart programs: park every other hart. */
  csrr t0, mhartid
  bnez t0, park
  li TESTNUM, SETUP_TESTNUM

  la t0, m_trap
  csrw mtvec, t0
  la t0, s_trap
  csrw stvec, t0
  csrw mscratch, zero
  csrw sscratch, zero
  csrw medeleg, zero
  csrw mideleg, zero
  csrw mie, zero
  csrw satp, zero

  /* S and U accesses fail when PMP is implemented and no entry matches (priv 3.7.1): open all of
   * memory with one NAPOT entry. Skipped through a temporary mtvec if PMP is absent. */
  la t0, 1f
  csrw mtvec, t0
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f /* NAPOT | X | W | R */
  csrw pmpcfg0, t0
  .balign 4
1:
  la t0, m_trap
  csrw mtvec, t0

  /* FP on, fcsr cleared; programs that test FS set it themselves. */
  li t0, MSTATUS_FS
  csrc mstatus, t0
  li t0, MSTATUS_FS_INITIAL
  csrs mstatus, t0
  csrw fcsr, zero

  la sp, stack_top
  j tests

park:
  wfi
  j park

/* M-mode trap handler. A failing test escalates here with an ecall once fail_info is written. */
  .balign 64
  .globl m_trap, s_trap
m_trap:
  la t5, fail_info
  ld t5, 0(t5)
  bnez t5, report_fail
  csrrw t5, mscratch, zero
  beqz t5, m_unexpected
  csrr TRAP_CAUSE, mcause
  csrr TRAP_EPC, mepc
  csrr TRAP_TVAL, mtval
  csrr TRAP_PRIV, mstatus
  srli TRAP_PRIV, TRAP_PRIV, 11
  andi TRAP_PRIV, TRAP_PRIV, 3
  csrw mepc, t5
  /* Resume in M with MIE = 0 and MPRV = 0, whatever the trapped code had. */
  li t5, MSTATUS_MPP
  csrs mstatus, t5
  li t5, MSTATUS_MPIE | MSTATUS_MPRV
  csrc mstatus, t5
  mret

m_unexpected:
  la t5, fail_info
  li t6, 2
  sd t6, 0(t5)
  sd TESTNUM, 8(t5)
  csrr t6, mcause
  sd t6, 16(t5)
  csrr t6, mepc
  sd t6, 24(t5)
  csrr t6, mtval
  sd t6, 32(t5)
  j report_fail

/* S-mode trap handler (delegated traps). Failures reach M through an ecall from S, which the
 * programs never delegate. */
  .balign 64
s_trap:
  la t5, fail_info
  ld t5, 0(t5)
  bnez t5, s_escalate
  csrrw t5, sscratch, zero
  beqz t5, s_unexpected
  csrr TRAP_CAUSE, scause
  csrr TRAP_EPC, sepc
  csrr TRAP_TVAL, stval
  csrr TRAP_PRIV, sstatus
  srli TRAP_PRIV, TRAP_PRIV, 8
  andi TRAP_PRIV, TRAP_PRIV, 1
  csrw sepc, t5
  li t5, SSTATUS_SPP
  csrs sstatus, t5
  li t5, SSTATUS_SPIE
  csrc sstatus, t5
  sret

s_unexpected:
  la t5, fail_info
  li t6, 3
  sd t6, 0(t5)
  sd TESTNUM, 8(t5)
  csrr t6, scause
  sd t6, 16(t5)
  csrr t6, sepc
  sd t6, 24(t5)
  csrr t6, stval
  sd t6, 32(t5)
s_escalate:
  ecall
  j s_escalate

/* A TEST_CASE mismatch, in any privilege mode: a0 = value got, t6 = value expected. */
  .globl fail
fail:
  la t5, fail_info
  sd TESTNUM, 8(t5)
  sd a0, 16(t5)
  sd t6, 24(t5)
  li t6, 1
  sd t6, 0(t5)
  ecall
  j fail

/* In M: tell both reporting devices, then spin. */
report_fail:
  slli t5, TESTNUM, 1
  ori t5, t5, 1
  la t6, tohost
  sd t5, 0(t6)
  li t6, FINISHER_FAIL
  slli t5, TESTNUM, 16
  or t5, t5, t6
  li t6, SIFIVE_TEST_BASE
  sw t5, 0(t6)
1:
  j 1b

  .globl pass
pass:
  li t5, 1
  la t6, tohost
  sd t5, 0(t6)
  li t6, SIFIVE_TEST_BASE
  li t5, FINISHER_PASS
  sw t5, 0(t6)
1:
  j 1b

/* riscv-tests style host interface words. */
  .section .tohost, "aw", @progbits
  .balign 64
  .globl tohost
tohost:
  .dword 0
  .balign 64
  .globl fromhost
fromhost:
  .dword 0

/* Why a program failed, for hosts that can read memory. kind: 0 none, 1 mismatch (a = got,
 * b = expected), 2 unexpected M trap (a = mcause, b = mepc, c = mtval), 3 unexpected S trap. */
  .data
  .balign 64
  .globl fail_info
fail_info:
  .dword 0 /* kind */
  .dword 0 /* test number */
  .dword 0 /* a */
  .dword 0 /* b */
  .dword 0 /* c */

  .bss
  .balign 16
  .skip 4096
stack_top:
