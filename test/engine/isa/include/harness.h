/* Harness for the bare-metal ISA programs: constants, TEST_CASE and privilege-switch macros.
 * Reference: RISC-V unprivileged ISA 20191213, privileged architecture 1.12 (20211203).
 *
 * Each program is a list of TEST_CASE(n, expected, insns...) checks: the instructions leave a
 * result in a0, which must equal `expected`, or the program fails with code n (1..254). Programs
 * start in M-mode at 0x8000_0000 with no firmware (harness.S) and report through both the `virt`
 * test device (0x5555 = pass, (n << 16) | 0x3333 = fail) and the HTIF `tohost` word ((n << 1) | 1).
 *
 * Register convention (tests must not use these):
 *   gp        current test number
 *   t5, t6    harness scratch (the trap handlers and the TEST_CASE compare clobber them)
 *   s8..s11   record of the last expected trap: previous privilege, cause, epc, tval
 *
 * Expecting a trap: write the resume address to mscratch (trap taken in M) or sscratch (taken in S)
 * before the trapping instruction. The handler records the trap in s8..s11, clears the scratch
 * register and resumes there, in the mode that took the trap (M, or S), with its interrupt enable
 * cleared (MIE or SIE = 0). A trap while the scratch register is 0 fails the current test.
 */
#ifndef ISA_HARNESS_H
#define ISA_HARNESS_H

#define TESTNUM gp
#define TRAP_PRIV s8
#define TRAP_CAUSE s9
#define TRAP_EPC s10
#define TRAP_TVAL s11

/* Test number reported for a failure outside any test case (set-up code). */
#define SETUP_TESTNUM 255

#define SIFIVE_TEST_BASE 0x100000
#define FINISHER_PASS 0x5555
#define FINISHER_FAIL 0x3333

#define CLINT_BASE 0x2000000
#define CLINT_MSIP (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME (CLINT_BASE + 0xbff8)

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

#define MSTATUS_SIE (1 << 1)
#define MSTATUS_MIE (1 << 3)
#define MSTATUS_SPIE (1 << 5)
#define MSTATUS_MPIE (1 << 7)
#define MSTATUS_SPP (1 << 8)
#define MSTATUS_MPP (3 << 11)
#define MSTATUS_FS (3 << 13)
#define MSTATUS_FS_INITIAL (1 << 13)
#define MSTATUS_FS_CLEAN (2 << 13)
#define MSTATUS_FS_DIRTY (3 << 13)
#define MSTATUS_MPRV (1 << 17)
#define MSTATUS_SUM (1 << 18)
#define MSTATUS_MXR (1 << 19)
#define MSTATUS_TVM (1 << 20)
#define MSTATUS_TW (1 << 21)
#define MSTATUS_TSR (1 << 22)
#define MSTATUS_UXL (3 << 32)
#define MSTATUS_SXL (3 << 34)
#define MSTATUS_SD (1 << 63)

#define SSTATUS_SIE MSTATUS_SIE
#define SSTATUS_SPIE MSTATUS_SPIE
#define SSTATUS_SPP MSTATUS_SPP

#define MIP_SSIP (1 << 1)
#define MIP_MSIP (1 << 3)
#define MIP_STIP (1 << 5)
#define MIP_MTIP (1 << 7)
#define MIP_SEIP (1 << 9)
#define MIP_MEIP (1 << 11)

#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_USER_ECALL 8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_MACHINE_ECALL 11
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT 13
#define CAUSE_STORE_PAGE_FAULT 15
#define CAUSE_INTERRUPT (1 << 63)
#define IRQ_S_SOFT 1
#define IRQ_M_SOFT 3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7

/* Sv39 (privileged spec 4.4). */
#define SATP_MODE_SV39 (8 << 60)
#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_U (1 << 4)
#define PTE_G (1 << 5)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)

/* Floating-point rounding modes (frm / rm field) and fflags bits (unprivileged spec 11.2). */
#define FFLAG_NX 0x01
#define FFLAG_UF 0x02
#define FFLAG_OF 0x04
#define FFLAG_DZ 0x08
#define FFLAG_NV 0x10

#define TEST_CASE(n, expected, code...) \
  .if ((n) < 1) || ((n) > 254); .error "test numbers must be 1..254"; .endif; \
test_ ## n: \
  li TESTNUM, n; \
  code; \
  li t6, expected; \
  beq a0, t6, test_ ## n ## _ok; \
  j fail; \
test_ ## n ## _ok:

/* Start of the test list and its end (reached in M-mode: every test passed). */
#define TEST_BEGIN \
  .text; \
  .globl tests; \
tests:

#define TEST_END \
  j pass;

/* Expect the next trap in M (resume at `label` in M) or in S (resume at `label` in S). The trap
 * record is reset to -1 first, so a missing trap cannot pass on an earlier trap's values. */
#define CLEAR_TRAP_RECORD li TRAP_PRIV, -1; li TRAP_CAUSE, -1; li TRAP_EPC, -1; li TRAP_TVAL, -1
#define EXPECT_TRAP_M(label) CLEAR_TRAP_RECORD; la t5, label; csrw mscratch, t5
#define EXPECT_TRAP_S(label) CLEAR_TRAP_RECORD; la t5, label; csrw sscratch, t5

/* From M, continue at `label` in privilege `prv` (sets MPP and mepc, then mret). */
#define MRET_TO(prv, label) \
  li t5, MSTATUS_MPP; csrc mstatus, t5; \
  li t5, ((prv) << 11); csrs mstatus, t5; \
  la t5, label; csrw mepc, t5; \
  mret

/* From S, continue at `label` in U (SPP = 0, sepc, sret). */
#define SRET_TO_U(label) \
  li t5, SSTATUS_SPP; csrc sstatus, t5; \
  la t5, label; csrw sepc, t5; \
  sret

#endif
