/* Zicsr: csrrw/csrrs/csrrc and their immediate forms (old value returned, x0 / uimm 0 cases),
 * read-only CSRs (writes illegal, reads fine), unknown CSRs, misa/mhartid/mvendorid values, WARL
 * fields (mepc[0], MPP), sstatus/sie as views of mstatus/mie, counters.
 * Reference: RISC-V unprivileged ISA 20191213, chapter 9 (csrrs/csrrc with rs1 = x0 and the
 * immediate forms with uimm = 0 do not write; otherwise they write even an unchanged value);
 * privileged 1.12, 2.1 (csr[11:10] = 3: read-only), 2.2, 3.1.1 (misa), 3.1.5 (mhartid), 3.1.14
 * (mepc[0] = 0), 3.1.6.1 (MPP WARL, 2 reserved), 4.1.1 and 4.1.3 (sstatus, sie views: bits of
 * undelegated interrupts read as zero). */
#include "harness.h"
  .option norvc
#define MISA_EXT(c) (1 << ((c) - 'A'))
#define MISA_RV64GC_SU (MISA_EXT('I') | MISA_EXT('M') | MISA_EXT('A') | MISA_EXT('F') | MISA_EXT('D') | MISA_EXT('C') | MISA_EXT('S') | MISA_EXT('U'))
#define ILLEGAL(insn...) EXPECT_TRAP_M(1f); insn; 1: mv a0, TRAP_CAUSE
TEST_BEGIN
  TEST_CASE(1, 0, li a1, 0x1234; csrrw a0, mscratch, a1; csrw mscratch, zero)
  TEST_CASE(2, 0x1234, li a1, 0x1234; csrw mscratch, a1; li a2, 0x5678; csrrw a0, mscratch, a2)
  TEST_CASE(3, 0x5678, csrr a0, mscratch)
  TEST_CASE(4, 0x5678, li a1, 0xf00f; csrrs a0, mscratch, a1)
  TEST_CASE(5, 0xf67f, csrr a0, mscratch)
  TEST_CASE(6, 0xf67f, li a1, 0xff; csrrc a0, mscratch, a1)
  TEST_CASE(7, 0xf600, csrr a0, mscratch)
  TEST_CASE(8, 0xf600, csrrwi a0, mscratch, 31)
  TEST_CASE(9, 31, csrr a0, mscratch)
  TEST_CASE(10, 31, csrrci a0, mscratch, 0x15)
  TEST_CASE(11, 0x0a, csrr a0, mscratch)
  TEST_CASE(12, 0x0a, csrrsi a0, mscratch, 0x11)
  TEST_CASE(13, 0x1b, csrr a0, mscratch)
  /* rd = x0 still writes; rs1 = x0 or uimm = 0 with csrrs/csrrc does not. */
  TEST_CASE(14, 0xffffffffffffffff, li a1, -1; csrrw zero, mscratch, a1; csrr a0, mscratch)
  TEST_CASE(15, 0xffffffffffffffff, csrrs a0, mscratch, zero; csrrc a0, mscratch, zero; csrrsi a0, mscratch, 0; csrrci a0, mscratch, 0)
  TEST_CASE(16, 0, csrw mscratch, zero; csrr a0, mscratch)
  /* The 5-bit immediate is zero-extended. */
  TEST_CASE(17, 0x10, csrrwi zero, mscratch, 0x10; csrr a0, mscratch; csrw mscratch, zero)

  /* Machine information registers. */
  TEST_CASE(20, 0, csrr a0, mhartid)
  TEST_CASE(21, 2, csrr a0, misa; srli a0, a0, 62)
  TEST_CASE(22, MISA_RV64GC_SU, csrr a1, misa; li a2, MISA_RV64GC_SU; and a0, a1, a2)
  /* No user-level N or hypervisor... only check that the bits we rely on do not claim Q (quad FP). */
  TEST_CASE(23, 0, csrr a1, misa; li a2, MISA_EXT('Q'); and a0, a1, a2)

  /* Read-only CSRs: reading is fine, any write attempt is illegal (even of the same value, even
   * through csrrs with a register that holds 0); the destination is not written. */
  TEST_CASE(30, 0, csrrs a0, mhartid, zero)
  TEST_CASE(31, 0, csrrsi a0, mvendorid, 0; csrrs a0, marchid, zero; csrrs a0, mimpid, zero; li a0, 0)
  TEST_CASE(32, CAUSE_ILLEGAL_INSTRUCTION, ILLEGAL(csrw mhartid, zero))
  TEST_CASE(34, CAUSE_ILLEGAL_INSTRUCTION, ILLEGAL(csrrsi a2, mvendorid, 1))
  TEST_CASE(35, CAUSE_ILLEGAL_INSTRUCTION, ILLEGAL(csrrci a2, marchid, 1))
  TEST_CASE(36, CAUSE_ILLEGAL_INSTRUCTION, ILLEGAL(csrw cycle, zero))
  TEST_CASE(37, CAUSE_ILLEGAL_INSTRUCTION, ILLEGAL(csrrwi zero, time, 0))
  /* mtval holds the instruction; the destination register kept its value. */
  TEST_CASE(38, 0, li a2, 77; EXPECT_TRAP_M(2f); 1: csrrw a2, mhartid, zero; 2: lwu a1, 0(TRAP_EPC); sub a0, TRAP_TVAL, a1)
  TEST_CASE(39, 77, mv a0, a2)
  /* An unimplemented CSR number is illegal to read. */
  TEST_CASE(40, CAUSE_ILLEGAL_INSTRUCTION, ILLEGAL(csrr a1, 0x8ff))
  TEST_CASE(41, CAUSE_ILLEGAL_INSTRUCTION, ILLEGAL(csrr a1, 0x7ff))

  /* WARL fields. */
  /* UXL = SXL = 2 (64-bit) on RV64 with S and U. */
  TEST_CASE(52, 0xa, csrr a0, mstatus; srli a0, a0, 32; andi a0, a0, 0xf)

  /* sstatus is a view of mstatus: SIE written through sstatus shows in mstatus; MIE is not visible. */
  TEST_CASE(60, MSTATUS_SIE, csrw sstatus, zero; csrsi sstatus, MSTATUS_SIE; csrr a0, mstatus; andi a0, a0, MSTATUS_SIE | MSTATUS_MIE)
  TEST_CASE(61, 0, csrsi mstatus, MSTATUS_MIE; csrr a0, sstatus; andi a0, a0, MSTATUS_MIE; csrci mstatus, MSTATUS_MIE | MSTATUS_SIE)
  TEST_CASE(62, MSTATUS_MIE, csrsi mstatus, MSTATUS_MIE; li a1, MSTATUS_MIE; csrc sstatus, a1; csrr a0, mstatus; andi a0, a0, MSTATUS_MIE; csrci mstatus, MSTATUS_MIE)
  /* sie: only delegated interrupts are visible. */
  TEST_CASE(63, 0, csrw mideleg, zero; li a1, -1; csrw sie, a1; csrr a0, sie; csrw mie, zero)
  TEST_CASE(64, MIP_SSIP | MIP_STIP | MIP_SEIP, li a1, MIP_SSIP | MIP_STIP | MIP_SEIP; csrw mideleg, a1; li a1, -1; csrw sie, a1; csrr a0, sie)
  TEST_CASE(65, MIP_SSIP | MIP_STIP | MIP_SEIP, csrr a1, mie; li a2, MIP_SSIP | MIP_STIP | MIP_SEIP | MIP_MSIP | MIP_MTIP | MIP_MEIP; and a0, a1, a2; csrw mie, zero; csrw mideleg, zero)
  /* sip.SSIP written by S shows in mip. */
  TEST_CASE(66, MIP_SSIP, li a1, MIP_SSIP; csrw mideleg, a1; csrs sip, a1; csrr a0, mip; andi a0, a0, MIP_SSIP; csrc mip, a1; csrw mideleg, zero)

  /* Counters: instret counts (at least the 4 instructions between the reads); time advances. */
  TEST_CASE(70, 1, csrr a1, minstret; nop; nop; nop; csrr a2, minstret; sub a0, a2, a1; sltiu a0, a0, 4; xori a0, a0, 1)
  TEST_CASE(71, 1, csrr a1, time; li a2, 20000; 1: addi a2, a2, -1; bnez a2, 1b; csrr a3, time; sltu a0, a1, a3)

  /* Kept last: QEMU 7.2 decides "write" from the value of rs1 rather than its number, so it lets
   * this through (expectations.txt). Unprivileged 9.1, table 9.1: rs1 != x0 means a write. */
  TEST_CASE(90, CAUSE_ILLEGAL_INSTRUCTION, li a1, 0; ILLEGAL(csrrs a2, mhartid, a1))
  TEST_CASE(91, CAUSE_ILLEGAL_INSTRUCTION, li a1, 0; ILLEGAL(csrrc a2, time, a1))
  /* QEMU 7.2 lets MPP hold 2, which priv 3.1.6.1 rules out ("can hold only privilege mode x and
   * any implemented privilege mode lower than x"). */
  TEST_CASE(92, 1, li a1, MSTATUS_MPP; csrc mstatus, a1; li a1, (2 << 11); csrs mstatus, a1; csrr a1, mstatus; srli a1, a1, 11; andi a1, a1, 3; li a2, 2; sub a0, a1, a2; snez a0, a0)
  /* QEMU 7.2 also keeps bit 0 of mepc (it clears it only when mret uses it); 3.1.14: mepc[0] = 0. */
  TEST_CASE(93, 0x80001000, li a1, 0x80001001; csrw mepc, a1; csrr a0, mepc)
TEST_END
