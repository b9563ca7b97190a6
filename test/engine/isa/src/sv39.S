/* Sv39 translation: identity, gigapage and megapage mappings, 4 KiB pages, load/store/fetch page
 * faults with cause and stval, R/W/X/U permissions with SUM and MXR, reserved encodings, misaligned
 * superpages, hardware A/D updates, non-canonical addresses, sfence.vma, MPRV, satp WARL.
 * Reference: RISC-V privileged architecture 1.12, 4.1.11 (satp: a write with an unsupported MODE
 * has no effect), 4.3.1 (access faults vs page faults), 4.4 (Sv39: bits 63:39 must equal bit 38;
 * PTE layout; reserved bits 63:54 fault), 4.3.2 (the walk: V = 0 or W without R faults; a leaf at
 * i > 0 with nonzero low PPN is a misaligned superpage; no leaf at i = 0 faults; U pages from S need
 * SUM and are never executable in S; MXR makes X pages readable; A/D may be set by hardware),
 * 3.1.6.3 (MPRV). All test code in S or U runs through these tables; traps go to M (nothing is
 * delegated) whose handler runs untranslated. */
#include "harness.h"
  .option norvc

#define TEST_VA 0x40000000
#define VA_PAGE(i) (TEST_VA + (i) * 0x1000)
#define MEGA_VA 0x40200000 /* megapage alias of 0x8000_0000 */
#define BAD_MEGA_VA 0x40400000 /* megapage with a misaligned PPN */
#define NONLEAF_VA 0x40600000 /* level-0 entry that is a pointer */
#define GIGA_VA 0xc0000000 /* gigapage alias of 0x8000_0000 */

/* Level-0 slots of the 4 KiB test pages (VA_PAGE(i)). */
#define P_RW 0
#define P_RO 1
#define P_INVALID 2
#define P_WONLY 3
#define P_USER 4
#define P_XONLY 5
#define P_CODE 6
#define P_AD 7
#define P_UCODE 8
#define P_RESERVED 9
#define P_DIRTY 10
#define P_REMAP 11
#define P_CODE2 12
#define P_AFTER_CODE2 13

/* Offset in code_page of the routine a0 = *(u64 *)a2. */
#define CODE_LOAD 0x100

#define LEAF PTE_V | PTE_A | PTE_D
/* table[index] = leaf or pointer to the page at symbol `sym` with `flags`. */
#define MAP_SYM(table, index, sym, flags) la t0, sym; srli t0, t0, 12; slli t0, t0, 10; ori t0, t0, flags; la t1, table; sd t0, (index) * 8(t1)
#define MAP_PA(table, index, pa, flags) li t0, pa; srli t0, t0, 12; slli t0, t0, 10; ori t0, t0, flags; la t1, table; sd t0, (index) * 8(t1)
/* From M: continue at virtual address `va` in privilege `prv` (translated through satp). */
#define ENTER(prv, va) li t5, MSTATUS_MPP; csrc mstatus, t5; li t5, ((prv) << 11); csrs mstatus, t5; li t5, va; csrw mepc, t5; mret
/* Physical address of `sym` + offset seen through the gigapage / megapage alias. */
#define ALIAS(base, sym) la a1, sym; li a2, 0x80000000; sub a1, a1, a2; li a2, base; add a1, a1, a2
#define LOAD_PTE(slot) la a1, pt_l0; ld a0, (slot) * 8(a1)

TEST_BEGIN
  /* Build the tables (still test number 255: a failure here is a set-up failure). */
  MAP_SYM(pt_root, 0, pt_l1_low, PTE_V)
  MAP_PA(pt_l1_low, 0, 0x0, LEAF | PTE_R | PTE_W)              /* 0..2 MiB: the test device */
  MAP_SYM(pt_root, 1, pt_l1_test, PTE_V)
  MAP_PA(pt_root, 2, 0x80000000, LEAF | PTE_R | PTE_W | PTE_X) /* identity: RAM, code, tables */
  MAP_PA(pt_root, 3, 0x80000000, LEAF | PTE_R | PTE_W)         /* gigapage alias */
  MAP_SYM(pt_l1_test, 0, pt_l0, PTE_V)
  MAP_PA(pt_l1_test, 1, 0x80000000, LEAF | PTE_R | PTE_W)      /* megapage alias */
  MAP_PA(pt_l1_test, 2, 0x80001000, LEAF | PTE_R | PTE_W)      /* misaligned megapage */
  MAP_SYM(pt_l1_test, 3, pt_l0_nonleaf, PTE_V)
  MAP_SYM(pt_l0_nonleaf, 0, page_rw, PTE_V)                    /* pointer at level 0 */
  MAP_SYM(pt_l0, P_RW, page_rw, LEAF | PTE_R | PTE_W)
  MAP_SYM(pt_l0, P_RO, page_ro, PTE_V | PTE_A | PTE_R)
  MAP_SYM(pt_l0, P_WONLY, page_rw, LEAF | PTE_W)
  MAP_SYM(pt_l0, P_USER, page_user, LEAF | PTE_R | PTE_W | PTE_U)
  MAP_SYM(pt_l0, P_XONLY, code_page, PTE_V | PTE_A | PTE_X)
  MAP_SYM(pt_l0, P_CODE, code_page, PTE_V | PTE_A | PTE_R | PTE_X)
  MAP_SYM(pt_l0, P_AD, page_ad, PTE_V | PTE_R | PTE_W)
  MAP_SYM(pt_l0, P_UCODE, code_page, PTE_V | PTE_A | PTE_R | PTE_X | PTE_U)
  MAP_SYM(pt_l0, P_DIRTY, page_ad, PTE_V | PTE_A | PTE_R | PTE_W)
  MAP_SYM(pt_l0, P_REMAP, page_rw, LEAF | PTE_R | PTE_W)
  MAP_SYM(pt_l0, P_CODE2, code_page2, PTE_V | PTE_A | PTE_R | PTE_X)
  /* Reserved bit 54 set on an otherwise valid leaf. */
  MAP_SYM(pt_l0, P_RESERVED, page_rw, LEAF | PTE_R | PTE_W); li t1, (1 << 54); or t0, t0, t1; la t1, pt_l0; sd t0, P_RESERVED * 8(t1)
  /* Known contents. */
  la t0, page_rw; li t1, 0x1111111111111111; sd t1, 0(t0); sd t1, 8(t0)
  la t0, page_ro; li t1, 0x2222222222222222; sd t1, 0(t0)
  la t0, page_user; li t1, 0x3333333333333333; sd t1, 0(t0)
  la t0, page_ad; li t1, 0x4444444444444444; sd t1, 0(t0)
  la t0, magic; li t1, 0x5555555555555555; sd t1, 0(t0)

  /* satp: Sv39 with the root's PPN reads back; an unsupported MODE write changes nothing. */
  TEST_CASE(1, 0, la a1, pt_root; srli a1, a1, 12; li a2, SATP_MODE_SV39; or a1, a1, a2; csrw satp, a1; sfence.vma; csrr a2, satp; sub a0, a2, a1)
  TEST_CASE(2, 0, csrr a1, satp; li a2, (5 << 60) | 0x12345; csrw satp, a2; csrr a2, satp; sub a0, a2, a1)
  TEST_CASE(3, 0, csrr a1, satp; li a2, (15 << 60) | 0x12345; csrw satp, a2; csrr a2, satp; sub a0, a2, a1)

  /* M ignores satp: physical accesses still work. Identity, gigapage and megapage in S. */
  TEST_CASE(10, 0x5555555555555555, la a1, magic; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2:)
  TEST_CASE(11, CAUSE_SUPERVISOR_ECALL, mv a0, TRAP_CAUSE)
  TEST_CASE(12, 0x5555555555555555, ALIAS(GIGA_VA, magic); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2:)
  TEST_CASE(13, 0x5555555555555555, ALIAS(MEGA_VA, magic); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2:)
  /* A store through the alias lands in the physical page. */
  TEST_CASE(14, 0x0123456789abcdef, ALIAS(GIGA_VA, magic); li a3, 0x0123456789abcdef; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sd a3, 8(a1); ecall; 2: la a1, magic; ld a0, 8(a1))

  /* 4 KiB pages. */
  TEST_CASE(20, 0x1111111111111111, li a1, VA_PAGE(P_RW); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 8(a1); ecall; 2:)
  TEST_CASE(21, 0x6666666666666666, li a1, VA_PAGE(P_RW); li a3, 0x6666666666666666; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sd a3, 16(a1); ecall; 2: la a1, page_rw; ld a0, 16(a1))
  TEST_CASE(22, 0x2222222222222222, li a1, VA_PAGE(P_RO); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2:)
  /* Invalid PTE: load page fault, stval = the virtual address. */
  TEST_CASE(23, CAUSE_LOAD_PAGE_FAULT, li a1, VA_PAGE(P_INVALID); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0x18(a1); ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(24, VA_PAGE(P_INVALID) + 0x18, mv a0, TRAP_TVAL)
  TEST_CASE(25, 0, la a1, 1b; sub a0, TRAP_EPC, a1)
  TEST_CASE(26, PRV_S, mv a0, TRAP_PRIV)
  TEST_CASE(27, CAUSE_STORE_PAGE_FAULT, li a1, VA_PAGE(P_INVALID); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sw a1, 4(a1); ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(28, VA_PAGE(P_INVALID) + 4, mv a0, TRAP_TVAL)
  /* Store to a read-only page. */
  TEST_CASE(29, CAUSE_STORE_PAGE_FAULT, li a1, VA_PAGE(P_RO); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sb a1, 0x7ff(a1); ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(30, VA_PAGE(P_RO) + 0x7ff, mv a0, TRAP_TVAL)
  TEST_CASE(31, 0x2222222222222222, la a1, page_ro; ld a0, 0(a1))
  /* An AMO needs write permission: store/AMO page fault on a read-only page. */
  TEST_CASE(32, CAUSE_STORE_PAGE_FAULT, li a1, VA_PAGE(P_RO); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: amoadd.d a2, a1, (a1); ecall; 2: mv a0, TRAP_CAUSE)
  /* W without R is reserved: loads and stores fault. */
  TEST_CASE(33, CAUSE_LOAD_PAGE_FAULT, li a1, VA_PAGE(P_WONLY); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(34, CAUSE_STORE_PAGE_FAULT, li a1, VA_PAGE(P_WONLY); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sd a0, 0(a1); ecall; 2: mv a0, TRAP_CAUSE)
  /* Fetch from a page without X: instruction page fault, sepc = stval = the target. */
  TEST_CASE(35, CAUSE_FETCH_PAGE_FAULT, EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: li a1, VA_PAGE(P_RW) + 0x40; jalr ra, 0(a1); ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(36, VA_PAGE(P_RW) + 0x40, mv a0, TRAP_EPC)
  TEST_CASE(37, VA_PAGE(P_RW) + 0x40, mv a0, TRAP_TVAL)
  /* Fetch from an executable page (R+X and X-only). */
  TEST_CASE(38, 42, li a0, 0; EXPECT_TRAP_M(2f); ENTER(PRV_S, VA_PAGE(P_CODE)); 2:)
  TEST_CASE(39, VA_PAGE(P_CODE) + 4, mv a0, TRAP_EPC)
  TEST_CASE(40, 42, li a0, 0; EXPECT_TRAP_M(2f); ENTER(PRV_S, VA_PAGE(P_XONLY)); 2:)

  /* U bit. S loads from a U page fault unless SUM = 1; S never executes a U page. */
  TEST_CASE(50, CAUSE_LOAD_PAGE_FAULT, li a1, MSTATUS_SUM; csrc mstatus, a1; li a1, VA_PAGE(P_USER); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(51, CAUSE_STORE_PAGE_FAULT, li a1, VA_PAGE(P_USER); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sd a0, 0(a1); ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(52, 0x3333333333333333, li a1, MSTATUS_SUM; csrs mstatus, a1; li a1, VA_PAGE(P_USER); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2:)
  TEST_CASE(53, CAUSE_FETCH_PAGE_FAULT, li a0, 0; EXPECT_TRAP_M(2f); ENTER(PRV_S, VA_PAGE(P_UCODE)); 2: mv a0, TRAP_CAUSE)
  TEST_CASE(54, VA_PAGE(P_UCODE), mv a0, TRAP_TVAL)
  /* SUM = 1 also lets S write U pages (through a sstatus write from S itself). */
  TEST_CASE(55, 0x7777, li a1, MSTATUS_SUM; csrc mstatus, a1; li a1, VA_PAGE(P_USER); li a3, 0x7777; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: li a2, MSTATUS_SUM; csrs sstatus, a2; sd a3, 8(a1); ecall; 2: la a1, page_user; ld a0, 8(a1))
  /* U runs code from a U page and reads U data; it cannot read non-U pages or run non-U code. */
  TEST_CASE(56, 42, li a0, 0; EXPECT_TRAP_M(2f); ENTER(PRV_U, VA_PAGE(P_UCODE)); 2:)
  TEST_CASE(57, CAUSE_USER_ECALL, mv a0, TRAP_CAUSE)
  TEST_CASE(58, 0x3333333333333333, li a2, VA_PAGE(P_USER); EXPECT_TRAP_M(2f); ENTER(PRV_U, VA_PAGE(P_UCODE) + CODE_LOAD); 2:)
  TEST_CASE(59, CAUSE_LOAD_PAGE_FAULT, li a2, VA_PAGE(P_RW); EXPECT_TRAP_M(2f); ENTER(PRV_U, VA_PAGE(P_UCODE) + CODE_LOAD); 2: mv a0, TRAP_CAUSE)
  TEST_CASE(60, VA_PAGE(P_RW), mv a0, TRAP_TVAL)
  TEST_CASE(61, CAUSE_FETCH_PAGE_FAULT, EXPECT_TRAP_M(2f); ENTER(PRV_U, VA_PAGE(P_CODE)); 2: mv a0, TRAP_CAUSE)
  TEST_CASE(62, PRV_U, mv a0, TRAP_PRIV)
  TEST_CASE(63, 0, li a1, MSTATUS_SUM; csrc mstatus, a1; li a0, 0)

  /* MXR: loads from an X-only page fault, unless MXR = 1. */
  TEST_CASE(70, CAUSE_LOAD_PAGE_FAULT, li a1, VA_PAGE(P_XONLY); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: lw a0, 0(a1); ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(71, 0, li a1, MSTATUS_MXR; csrs mstatus, a1; li a1, VA_PAGE(P_XONLY); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: lwu a2, 0(a1); ecall; 2: li a1, MSTATUS_MXR; csrc mstatus, a1; la a1, code_page; lwu a1, 0(a1); sub a0, a2, a1)
  /* MXR does not make X-only pages writable. */
  TEST_CASE(72, CAUSE_STORE_PAGE_FAULT, li a1, MSTATUS_MXR; csrs mstatus, a1; li a1, VA_PAGE(P_XONLY); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sw a1, 0(a1); ecall; 2: li a1, MSTATUS_MXR; csrc mstatus, a1; mv a0, TRAP_CAUSE)

  /* A and D: set by hardware on access (the spec also allows a page fault instead; QEMU and our
   * engine update them). A load sets A only; a store sets D. */
  TEST_CASE(80, 0x4444444444444444, li a1, VA_PAGE(P_AD); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2:)
  TEST_CASE(81, PTE_A, LOAD_PTE(P_AD); andi a0, a0, PTE_A | PTE_D)
  TEST_CASE(82, 0x8888, sfence.vma; li a1, VA_PAGE(P_AD); li a3, 0x8888; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sd a3, 8(a1); ecall; 2: la a1, page_ad; ld a0, 8(a1))
  TEST_CASE(83, PTE_A | PTE_D, LOAD_PTE(P_AD); andi a0, a0, PTE_A | PTE_D)
  /* A = 1, D = 0 and a store: D gets set. */
  TEST_CASE(84, PTE_A | PTE_D, li a1, VA_PAGE(P_DIRTY); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sd a1, 16(a1); ecall; 2: LOAD_PTE(P_DIRTY); andi a0, a0, PTE_A | PTE_D)
  /* Fetch sets A. */
  TEST_CASE(85, PTE_A, MAP_SYM(pt_l0, P_CODE, code_page, PTE_V | PTE_R | PTE_X); sfence.vma; li a0, 0; EXPECT_TRAP_M(2f); ENTER(PRV_S, VA_PAGE(P_CODE)); 2: LOAD_PTE(P_CODE); andi a0, a0, PTE_A)

  /* Non-canonical addresses (bits 63:39 != bit 38): page faults with the full address. */
  TEST_CASE(90, CAUSE_LOAD_PAGE_FAULT, li a1, 0x0000004000000000; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(91, 0x0000004000000000, mv a0, TRAP_TVAL)
  TEST_CASE(92, CAUSE_STORE_PAGE_FAULT, li a1, 0xffffff0000000000 + VA_PAGE(P_RW); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sd a0, 0(a1); ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(93, 0xffffff0000000000 + VA_PAGE(P_RW), mv a0, TRAP_TVAL)
  /* Misaligned superpage, pointer at level 0, reserved PTE bits. */
  TEST_CASE(94, CAUSE_LOAD_PAGE_FAULT, li a1, BAD_MEGA_VA; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(95, CAUSE_LOAD_PAGE_FAULT, li a1, NONLEAF_VA; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(96, CAUSE_LOAD_PAGE_FAULT, li a1, VA_PAGE(P_RESERVED); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2: mv a0, TRAP_CAUSE)

  /* sfence.vma makes a changed PTE visible (the old translation was used just before). */
  TEST_CASE(100, 0x1111111111111111, li a1, VA_PAGE(P_REMAP); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2:)
  TEST_CASE(101, 0x2222222222222222, MAP_SYM(pt_l0, P_REMAP, page_ro, LEAF | PTE_R); li a1, VA_PAGE(P_REMAP); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sfence.vma; ld a0, 0(a1); ecall; 2:)
  /* ... and a page made invalid faults after sfence.vma with its address. */
  TEST_CASE(102, CAUSE_LOAD_PAGE_FAULT, la t1, pt_l0; sd zero, P_REMAP * 8(t1); li a1, VA_PAGE(P_REMAP); EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sfence.vma a1; ld a0, 0(a1); ecall; 2: mv a0, TRAP_CAUSE)

  /* The same for fetches: code at a virtual page follows the PTE after sfence.vma. */
  TEST_CASE(103, 42, MAP_SYM(pt_l0, P_REMAP, code_page, PTE_V | PTE_A | PTE_R | PTE_X); sfence.vma; li a0, 0; EXPECT_TRAP_M(2f); ENTER(PRV_S, VA_PAGE(P_REMAP)); 2:)
  TEST_CASE(104, 43, MAP_SYM(pt_l0, P_REMAP, code_page3, PTE_V | PTE_A | PTE_R | PTE_X); li a0, 0; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: sfence.vma; li a1, VA_PAGE(P_REMAP); jalr ra, 0(a1); 2:)
  /* Switching satp to another root (from S, with sfence.vma) changes what a cached address maps to:
   * root 2 maps the 1 GiB at TEST_VA to 0x8000_0000. */
  TEST_CASE(105, 0, MAP_SYM(pt_root2, 0, pt_l1_low, PTE_V); MAP_PA(pt_root2, 2, 0x80000000, LEAF | PTE_R | PTE_W | PTE_X); MAP_PA(pt_root2, 1, 0x80000000, LEAF | PTE_R | PTE_W); \
    la a3, pt_root2; srli a3, a3, 12; li a2, SATP_MODE_SV39; or a3, a3, a2; li a1, VA_PAGE(P_RW); \
    EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a4, 0(a1); csrw satp, a3; sfence.vma; ld a5, 0(a1); ecall; 2: \
    li a2, 0x1111111111111111; sub a4, a4, a2; li a2, 0x80000000; ld a2, 0(a2); sub a5, a5, a2; or a0, a4, a5)
  TEST_CASE(106, 0, la a1, pt_root; srli a1, a1, 12; li a2, SATP_MODE_SV39; or a1, a1, a2; csrw satp, a1; sfence.vma; li a0, 0)

  /* A misaligned load across into an invalid page faults; nothing is written to rd. */
  TEST_CASE(110, CAUSE_LOAD_PAGE_FAULT, li a1, VA_PAGE(P_INVALID) - 4; li a0, 0x99; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2: mv a2, a0; mv a0, TRAP_CAUSE)
  TEST_CASE(111, 0x99, mv a0, a2)
  /* A 32-bit instruction whose second half is in an unmapped page: fetch page fault, mepc = the
   * instruction, mtval = the start of the faulting page (priv 3.1.15). */
  TEST_CASE(112, CAUSE_FETCH_PAGE_FAULT, EXPECT_TRAP_M(2f); ENTER(PRV_S, VA_PAGE(P_CODE2) + 0xffe); 2: mv a0, TRAP_CAUSE)
  TEST_CASE(113, VA_PAGE(P_CODE2) + 0xffe, mv a0, TRAP_EPC)
  TEST_CASE(114, VA_PAGE(P_AFTER_CODE2), mv a0, TRAP_TVAL)

  /* MPRV in M with MPP = S: loads and stores are translated as in S. */
  TEST_CASE(120, 0x2222222222222222, li a1, MSTATUS_MPP; csrc mstatus, a1; li a1, (PRV_S << 11) | MSTATUS_MPRV; csrs mstatus, a1; li a1, VA_PAGE(P_RO); ld a0, 0(a1); li a1, MSTATUS_MPRV; csrc mstatus, a1)
  TEST_CASE(121, CAUSE_LOAD_PAGE_FAULT, li a1, MSTATUS_MPP; csrc mstatus, a1; li a1, (PRV_S << 11) | MSTATUS_MPRV; csrs mstatus, a1; li a1, VA_PAGE(P_INVALID); EXPECT_TRAP_M(2f); ld a0, 0(a1); 2: mv a0, TRAP_CAUSE)
  /* MPRV does not apply to fetches: this code kept running. The handler cleared MPRV. */
  TEST_CASE(122, 0, csrr a0, mstatus; li a1, MSTATUS_MPRV; and a0, a0, a1)

  /* Bare mode again: S accesses are physical. */
  TEST_CASE(130, 0x5555555555555555, csrw satp, zero; sfence.vma; la a1, magic; EXPECT_TRAP_M(2f); MRET_TO(PRV_S, 1f); 1: ld a0, 0(a1); ecall; 2:)
TEST_END

/* Code reached through the test mappings (P_CODE, P_XONLY, P_UCODE); each piece ends in an ecall. */
  .balign 4096
code_page:
  li a0, 42
  ecall
  .balign 256
code_load: /* at CODE_LOAD: a0 = *(u64 *)a2 */
  ld a0, 0(a2)
  ecall
  .balign 4096

code_page3:
  li a0, 43
  ecall
  .balign 4096

/* A page whose last halfword starts a 32-bit instruction (P_CODE2; the next page is unmapped). */
code_page2:
  .skip 4094
  lui a0, 1
  .skip 2
  .balign 4096

  .data
  .balign 8
magic:
  .dword 0, 0

  .bss
  .balign 4096
pt_root: .skip 4096
pt_root2: .skip 4096
pt_l1_low: .skip 4096
pt_l1_test: .skip 4096
pt_l0: .skip 4096
pt_l0_nonleaf: .skip 4096
page_rw: .skip 4096
page_ro: .skip 4096
page_user: .skip 4096
page_ad: .skip 4096
