/* RV64I loads and stores of every width: sign/zero extension, partial stores, offsets, misaligned
 * accesses and access faults. Reference: RISC-V unprivileged ISA 20191213, 2.6 and 5.3 (LWU, LD,
 * SD); privileged 1.12, 3.1.15 (mtval holds the faulting address), 3.5 (PMA: no device = access fault). */
#include "harness.h"
  .option norvc
/* An address with no memory or device on `virt` (between the PLIC region's start and the flash). */
#define HOLE 0x08000000
TEST_BEGIN
  TEST_CASE(1, -1, la a1, bytes; lb a0, 0(a1))
  TEST_CASE(2, 0xff, la a1, bytes; lbu a0, 0(a1))
  TEST_CASE(3, 0x7f, la a1, bytes; lb a0, 1(a1))
  TEST_CASE(4, 0xffffffffffffeeff, la a1, bytes; lh a0, 2(a1))
  TEST_CASE(5, 0xeeff, la a1, bytes; lhu a0, 2(a1))
  TEST_CASE(6, 0x7ffe, la a1, bytes; lh a0, 4(a1))
  TEST_CASE(7, 0xffffffffccddeeff, la a1, words; lw a0, 0(a1))
  TEST_CASE(8, 0xccddeeff, la a1, words; lwu a0, 0(a1))
  TEST_CASE(9, 0x7fffffff, la a1, words; lw a0, 4(a1))
  TEST_CASE(10, 0x8899aabbccddeeff, la a1, dwords; ld a0, 0(a1))
  TEST_CASE(11, 0x0123456789abcdef, la a1, dwords; ld a0, 8(a1))
  /* Negative offsets. */
  TEST_CASE(12, 0x8899aabbccddeeff, la a1, dwords + 8; ld a0, -8(a1))
  TEST_CASE(13, 0x7fffffff, la a1, words + 2047; lw a0, -2043(a1))
  /* A load into x0 leaves it 0. */
  TEST_CASE(14, 0, la a1, dwords; ld zero, 0(a1); mv a0, zero)

  /* Stores write exactly their width. */
  TEST_CASE(20, 0x11111111111111ab, la a1, scratch; li a2, 0x1111111111111111; sd a2, 0(a1); li a3, 0xffffffffffffffab; sb a3, 0(a1); ld a0, 0(a1))
  TEST_CASE(21, 0x111111111111abcd, la a1, scratch; li a2, 0x1111111111111111; sd a2, 0(a1); li a3, 0x123456789abcabcd; sh a3, 0(a1); ld a0, 0(a1))
  TEST_CASE(22, 0x11111111deadbeef, la a1, scratch; li a2, 0x1111111111111111; sd a2, 0(a1); li a3, 0x55555555deadbeef; sw a3, 0(a1); ld a0, 0(a1))
  TEST_CASE(23, 0x1111ab1111111111, la a1, scratch; li a2, 0x1111111111111111; sd a2, 0(a1); li a3, 0xab; sb a3, 5(a1); ld a0, 0(a1))
  TEST_CASE(24, 0xcafef00dcafef00d, la a1, scratch; li a2, 0xcafef00dcafef00d; sd a2, 8(a1); ld a0, 8(a1))
  TEST_CASE(25, 0x1122334455667788, la a1, scratch + 16; li a2, 0x1122334455667788; sd a2, -16(a1); ld a0, -16(a1))

  /* Misaligned loads and stores complete (Linux in S-mode relies on it; the EEI may trap instead,
   * unprivileged 2.6, but neither QEMU nor our engine does). */
  TEST_CASE(30, 0x7ffeeeff, la a1, bytes; lw a0, 2(a1))
  TEST_CASE(31, 0xffffffffffffff7f, la a1, bytes; li a2, 0x7f7f; sh a2, 0(a1); lh a0, 1(a1); li a2, 0x7fff; sh a2, 0(a1))
  TEST_CASE(32, 0xaabbccddeeff7ffe, la a1, misaligned; ld a0, 3(a1))
  TEST_CASE(33, 0x0123456789abcdef, la a1, scratch; sd zero, 0(a1); sd zero, 8(a1); li a2, 0x0123456789abcdef; sd a2, 5(a1); ld a0, 5(a1))
  TEST_CASE(34, 0x6789abcdef000000, la a1, scratch; ld a0, 2(a1))
  TEST_CASE(35, 0x0000000000012345, la a1, scratch; ld a0, 10(a1))
  TEST_CASE(36, 0xffffffffabcdef00, la a1, scratch; lw a0, 4(a1))

  /* A load or store that reaches no memory or device: access fault, mtval = the address. */
  TEST_CASE(40, CAUSE_LOAD_ACCESS, EXPECT_TRAP_M(1f); li a1, HOLE; ld a2, 8(a1); 1: mv a0, TRAP_CAUSE)
  TEST_CASE(41, HOLE + 8, mv a0, TRAP_TVAL)
  TEST_CASE(42, CAUSE_STORE_ACCESS, EXPECT_TRAP_M(1f); li a1, HOLE; sw a1, 4(a1); 1: mv a0, TRAP_CAUSE)
  TEST_CASE(43, HOLE + 4, mv a0, TRAP_TVAL)
  /* The faulting load must not write its destination. */
  TEST_CASE(44, 0x5a5a, li a2, 0x5a5a; EXPECT_TRAP_M(1f); li a1, HOLE; lw a2, 0(a1); 1: mv a0, a2)
TEST_END

  .data
  .balign 8
bytes:
  .byte 0xff, 0x7f, 0xff, 0xee, 0xfe, 0x7f, 0x00, 0x00
words:
  .word 0xccddeeff, 0x7fffffff
dwords:
  .dword 0x8899aabbccddeeff, 0x0123456789abcdef
misaligned:
  .byte 0x00, 0x01, 0x02, 0xfe, 0x7f, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x00
  .balign 8
scratch:
  .dword 0, 0, 0
