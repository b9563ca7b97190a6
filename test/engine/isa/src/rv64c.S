/* RV64C: every RV64 compressed encoding, assembled with the explicit c.* mnemonics so each one is
 * a 16-bit instruction (build.sh checks the disassembly), plus 32-bit instructions at 2-byte
 * aligned addresses and across a page boundary, and the defined-illegal all-zero instruction.
 * Reference: RISC-V unprivileged ISA 20191213, chapter 16 (RV64C: c.ld/c.sd/c.addiw/c.subw/c.addw
 * take the RV32 c.flw/c.fsw/c.jal slots; c.jalr links pc + 2; 16.2: c.srli/c.srai/c.slli take a
 * 6-bit shamt). */
#include "harness.h"
  .option rvc
TEST_BEGIN
  /* Quadrant 0 (rd'/rs' in x8..x15 = s0, s1, a0..a5). */
  TEST_CASE(1, 16, mv s1, sp; c.addi4spn a0, sp, 16; sub a0, a0, s1)
  TEST_CASE(2, 1020, mv s1, sp; c.addi4spn a0, sp, 1020; sub a0, a0, s1)
  TEST_CASE(3, 0xffffffff80000000, la s0, cdata; c.lw a0, 4(s0))
  TEST_CASE(4, 0x0123456789abcdef, la s0, cdata; c.ld a0, 8(s0))
  TEST_CASE(5, 0x1122334455667788, la s0, cscratch; li a1, 0x1122334455667788; c.sd a1, 8(s0); ld a0, 8(s0))
  TEST_CASE(6, 0x1111111199aabbcc, la s0, cscratch; li a1, 0x1111111111111111; sd a1, 0(s0); li a1, 0x99aabbcc; c.sw a1, 0(s0); ld a0, 0(s0))
  TEST_CASE(7, 0x3ff8000000000000, la s0, cdata; c.fld fa0, 16(s0); fmv.x.d a0, fa0)
  TEST_CASE(8, 0x4000000000000000, la s0, cscratch; li a1, 0x4000000000000000; fmv.d.x fa1, a1; c.fsd fa1, 16(s0); ld a0, 16(s0))
  TEST_CASE(9, 0x123456789abcdef0, la s0, cdata; c.ld a0, 248(s0))

  /* Quadrant 1. */
  TEST_CASE(10, 7, li a0, 7; c.nop)
  TEST_CASE(11, 0xfffffffffffffffe, li a0, 30; c.addi a0, -32)
  TEST_CASE(12, 45, li a0, 14; c.addi a0, 31)
  TEST_CASE(13, 0xffffffff80000000, li a0, 0x7fffffff; c.addiw a0, 1)
  TEST_CASE(14, 0x23456789, li a0, 0x123456789; c.addiw a0, 0)
  TEST_CASE(15, -32, c.li a0, -32)
  TEST_CASE(16, 31, c.li a0, 31)
  TEST_CASE(17, -512, mv s1, sp; c.addi16sp sp, -512; sub a0, sp, s1; mv sp, s1)
  TEST_CASE(18, 496, mv s1, sp; c.addi16sp sp, 496; sub a0, sp, s1; mv sp, s1)
  TEST_CASE(19, 0xfffffffffffe0000, c.lui a0, 0xfffe0)
  TEST_CASE(20, 0x1f000, c.lui a0, 0x1f)
  TEST_CASE(21, 1, li a0, 0x8000000000000000; c.srli a0, 63)
  TEST_CASE(22, 0x00000000ffffffff, li a0, -1; c.srli a0, 32)
  TEST_CASE(23, -1, li a0, 0x8000000000000000; c.srai a0, 63)
  TEST_CASE(24, 0xfffffffff8000000, li a0, 0x8000000000000000; c.srai a0, 36)
  TEST_CASE(25, 0xffffffffffffffe0, li a0, -1; c.andi a0, -32)
  TEST_CASE(26, 0x0f, li a0, 0xff; c.andi a0, 15)
  TEST_CASE(27, -1, li a0, 1; li a1, 2; c.sub a0, a1)
  TEST_CASE(28, 0xff00ff00ff00ff00, li a0, 0xffff0000ffff0000; li a1, 0x00ffff0000ffff00; c.xor a0, a1)
  TEST_CASE(29, 0xffff00ffff00ff00, li a0, 0xff000000ff000000; li a1, 0x00ff00ffff00ff00; c.or a0, a1)
  TEST_CASE(30, 0x00000000ff000000, li a0, 0xff000000ff000000; li a1, 0x00ff00ffff00ff00; c.and a0, a1)
  TEST_CASE(31, 0xffffffff80000000, li a0, 0; li a1, 0x80000000; c.subw a0, a1)
  TEST_CASE(32, 0xffffffff80000000, li a0, 0x17fffffff; li a1, 1; c.addw a0, a1)
  TEST_CASE(33, 3, li a0, 1; c.j 1f; li a0, 2; 1: addi a0, a0, 2)
  TEST_CASE(34, 3, li a0, 0; li s0, 3; 2: addi a0, a0, 1; addi s0, s0, -1; c.bnez s0, 2b)
  TEST_CASE(35, 1, li a0, 0; li s0, 0; c.beqz s0, 1f; j 2f; 1: li a0, 1; 2:)
  TEST_CASE(36, 0, li a0, 0; li s0, 1; c.beqz s0, 1f; j 2f; 1: li a0, 1; 2:)
  TEST_CASE(37, 0, li a0, 0; li s0, 0; c.bnez s0, 1f; j 2f; 1: li a0, 1; 2:)

  /* Quadrant 2. */
  TEST_CASE(40, 0x8000000000000000, li a0, 1; c.slli a0, 63)
  TEST_CASE(41, 0x100000000, li a0, 1; c.slli a0, 32)
  TEST_CASE(42, 0xffffffff80000000, addi sp, sp, -32; li a1, 0x80000000; sw a1, 12(sp); c.lwsp a0, 12(sp); addi sp, sp, 32)
  TEST_CASE(43, 0x0123456789abcdef, addi sp, sp, -32; li a1, 0x0123456789abcdef; sd a1, 24(sp); c.ldsp a0, 24(sp); addi sp, sp, 32)
  TEST_CASE(44, 0xc000000000000000, addi sp, sp, -32; li a1, 0xc000000000000000; sd a1, 16(sp); c.fldsp fa2, 16(sp); fmv.x.d a0, fa2; addi sp, sp, 32)
  TEST_CASE(45, 0x1111111100000005, addi sp, sp, -32; li a1, 0x1111111111111111; sd a1, 8(sp); li a1, 5; c.swsp a1, 8(sp); ld a0, 8(sp); addi sp, sp, 32)
  TEST_CASE(46, 0x5555aaaa5555aaaa, addi sp, sp, -512; li a1, 0x5555aaaa5555aaaa; c.sdsp a1, 504(sp); ld a0, 504(sp); addi sp, sp, 512)
  TEST_CASE(47, 0x3ff0000000000000, addi sp, sp, -32; li a1, 0x3ff0000000000000; fmv.d.x fa3, a1; c.fsdsp fa3, 0(sp); ld a0, 0(sp); addi sp, sp, 32)
  TEST_CASE(48, 1, li a0, 0; la a1, 1f; c.jr a1; j 2f; 1: li a0, 1; 2:)
  TEST_CASE(49, 42, li a1, 42; c.mv a0, a1)
  TEST_CASE(50, 0x8000000000000001, li a0, 0x7fffffffffffffff; li a1, 2; c.add a0, a1)
  /* c.jalr links pc + 2. */
  TEST_CASE(51, 0, la a1, c_return; 1: c.jalr a1; la a2, 1b; addi a2, a2, 2; sub a0, ra, a2)
  /* c.ebreak: breakpoint, mepc = its own address. */
  TEST_CASE(52, CAUSE_BREAKPOINT, EXPECT_TRAP_M(2f); 1: c.ebreak; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(53, 0, la a1, 1b; sub a0, TRAP_EPC, a1)

  /* A 32-bit instruction at an address that is 2 mod 4, reached by a jump. */
  TEST_CASE(60, 9, li a0, 0; la a1, odd_insn; jalr ra, 0(a1))
  /* A 32-bit instruction whose halves sit in two pages. */
  TEST_CASE(61, 0x1234, li a0, 0; la a1, split_insn; jalr ra, 0(a1))
  /* The all-zero 16-bit instruction is defined illegal; mtval is 0 (the instruction bits are 0). */
  TEST_CASE(62, CAUSE_ILLEGAL_INSTRUCTION, EXPECT_TRAP_M(2f); 1: .hword 0; 2: mv a0, TRAP_CAUSE)
  TEST_CASE(63, 0, la a1, 1b; sub a0, TRAP_EPC, a1)
  TEST_CASE(64, 0, mv a0, TRAP_TVAL)
TEST_END

c_return:
  c.jr ra

  .balign 4
  c.nop
odd_insn:
  addi a0, zero, 9
  c.jr ra

  .balign 4096
  .skip 4096 - 2
split_insn:
  lui a0, 1
  addi a0, a0, 0x234
  ret

  .data
  .balign 8
cdata:
  .dword 0x8000000000000000, 0x0123456789abcdef, 0x3ff8000000000000
  .skip 248 - 24
  .dword 0x123456789abcdef0
cscratch:
  .dword 0, 0, 0
