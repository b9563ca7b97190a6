// Zicsr and the machine/supervisor CSRs: values, WARL writability, access rules by privilege,
// read-only CSRs, counters and counter-enable, satp mode probing, FS gating of fcsr
// (privileged spec v1.12 chapters 2-4; unprivileged 20191213 chapter 9 and 11.2).

import { describe, expect, it } from 'vitest';
import * as A from './asm.js';
import { makeMachine, u64 } from './machine.js';
import { addrOf, NO_TRAP, runPriv } from './priv-harness.js';
import { PRIV_M, PRIV_S, PRIV_U } from '../../../../src/emulator/cpu/hart-api.js';

const ILLEGAL = 2n;

describe('identification CSRs', () => {
  it('misa is rv64imafdcsu, vendor/arch/impl/configptr read 0, mhartid is the hart id', () => {
    const m = makeMachine({ harts: 2 });
    const r = runPriv(
      PRIV_M,
      [
        A.csrr(5, A.CSR.misa),
        A.csrr(6, A.CSR.mvendorid),
        A.csrr(7, A.CSR.marchid),
        A.csrr(8, A.CSR.mimpid),
        A.csrr(9, A.CSR.mconfigptr),
        A.csrr(10, A.CSR.mhartid),
      ],
      { machine: m },
    );
    expect(r.mcause).toBe(NO_TRAP);
    // MXL = 2 (bits 63:62); A=0 C=2 D=3 F=5 I=8 M=12 S=18 U=20
    expect(m.x(5)).toBe((2n << 62n) | (1n << 0n) | (1n << 2n) | (1n << 3n) | (1n << 5n) | (1n << 8n) | (1n << 12n) | (1n << 18n) | (1n << 20n));
    for (const reg of [6, 7, 8, 9, 10]) expect(m.x(reg)).toBe(0n);
    expect(m.harts[1].getCsr(A.CSR.mhartid)).toBe(1n);
  });
});

describe('Zicsr instruction forms', () => {
  it('csrrw/csrrs/csrrc and the immediate forms return the old value', () => {
    const r = runPriv(PRIV_M, [
      A.li(5, 0xf0f0n),
      A.csrrw(6, A.CSR.mscratch, 5), // x6 = 0, mscratch = f0f0
      A.li(5, 0x0f00n),
      A.csrrs(7, A.CSR.mscratch, 5), // x7 = f0f0, -> fff0
      A.li(5, 0x00f0n),
      A.csrrc(8, A.CSR.mscratch, 5), // x8 = fff0, -> ff00
      A.csrrwi(9, A.CSR.mscratch, 31), // x9 = ff00, -> 1f
      A.csrrsi(10, A.CSR.mscratch, 0x0), // read only
      A.csrrsi(11, A.CSR.mscratch, 0x20 - 0x20 + 0x0), // read only again
      A.csrrci(12, A.CSR.mscratch, 0x3), // x12 = 1f -> 1c
      A.csrr(13, A.CSR.mscratch),
      A.li(5, -1),
      A.csrw(A.CSR.mscratch, 5),
      A.csrr(14, A.CSR.mscratch),
    ]);
    const x = (i: number) => r.m.x(i);
    expect(r.mcause).toBe(NO_TRAP);
    expect([x(6), x(7), x(8), x(9), x(10), x(11), x(12), x(13), x(14)]).toEqual([
      0n,
      0xf0f0n,
      0xfff0n,
      0xff00n,
      0x1fn,
      0x1fn,
      0x1fn,
      0x1cn,
      0xffffffffffffffffn,
    ]);
  });
  it('writing a read-only CSR is illegal with mtval = the instruction; reading it with rs1 = x0 is fine', () => {
    const bad = A.csrrw(5, A.CSR.mhartid, 0);
    const code = [A.csrrs(6, A.CSR.mhartid, 0), A.csrrsi(7, A.CSR.mhartid, 0), bad];
    const r = runPriv(PRIV_M, code);
    expect(r.mcause).toBe(ILLEGAL);
    expect(r.mepc).toBe(addrOf(code, 2));
    expect(r.mtval).toBe(BigInt(bad));
    const r2 = runPriv(PRIV_M, [A.csrrsi(7, A.CSR.cycle, 1)]);
    expect(r2.mcause).toBe(ILLEGAL);
  });
  it('an unknown CSR is illegal', () => {
    for (const csr of [0x3ff, 0x5c0, 0x7ff, 0xfff, 0x000, 0x3a1 /* pmpcfg1 does not exist on RV64 */]) {
      const insn = A.csrr(5, csr);
      const r = runPriv(PRIV_M, [insn]);
      expect(r.mcause, `csr 0x${csr.toString(16)}`).toBe(ILLEGAL);
      expect(r.mtval).toBe(BigInt(insn));
    }
  });
  it('M-level CSRs are illegal from S, S-level ones from U', () => {
    const r = runPriv(PRIV_S, [A.csrr(5, A.CSR.mstatus)]);
    expect(r.mcause).toBe(ILLEGAL);
    const r2 = runPriv(PRIV_U, [A.csrr(5, A.CSR.sstatus)]);
    expect(r2.mcause).toBe(ILLEGAL);
    const r3 = runPriv(PRIV_S, [A.csrr(5, A.CSR.sstatus), A.csrr(6, A.CSR.sscratch)]);
    expect(r3.mcause).toBe(NO_TRAP);
  });
});

describe('mstatus and sstatus', () => {
  it('UXL and SXL read as 2; SD mirrors FS = Dirty; sstatus shows UXL and the S fields only', () => {
    const r = runPriv(PRIV_M, [
      A.li(5, 0x6000n), // FS = 3
      A.csrrs(0, A.CSR.mstatus, 5),
      A.csrr(6, A.CSR.mstatus),
      A.csrr(7, A.CSR.sstatus),
      A.li(5, 0x4000n), // FS = 1
      A.csrrc(0, A.CSR.mstatus, 5),
      A.csrr(8, A.CSR.mstatus),
    ]);
    const SD = 1n << 63n;
    expect(r.m.x(6) & (0xfn << 32n)).toBe(0xan << 32n);
    expect(r.m.x(6) & SD).toBe(SD);
    expect(r.m.x(7) & (0xfn << 32n)).toBe(0x2n << 32n);
    expect(r.m.x(7) & SD).toBe(SD);
    expect(r.m.x(7) & 0x6000n).toBe(0x6000n);
    expect(r.m.x(8) & SD).toBe(0n);
    expect(r.m.x(8) & 0x6000n).toBe(0x2000n);
  });
  it('the writable fields stick; MPP cannot hold the reserved value 2', () => {
    const m = makeMachine();
    const h = m.hart;
    h.reset(0x80000000n, PRIV_M, 0n, 0n);
    // SIE MIE SPIE MPIE SPP MPP=3 FS=3 MPRV SUM MXR TVM TW TSR
    const all = 0x7e19aan | (3n << 11n) | (3n << 13n);
    h.setCsr(A.CSR.mstatus, all);
    expect(h.getCsr(A.CSR.mstatus) & 0xffffffffn).toBe(all);
    h.setCsr(A.CSR.mstatus, (all & ~(3n << 11n)) | (2n << 11n));
    expect((h.getCsr(A.CSR.mstatus) >> 11n) & 3n).toBe(3n);
    h.setCsr(A.CSR.mstatus, 0n);
    expect(h.getCsr(A.CSR.mstatus)).toBe(0xa00000000n);
    // sstatus writes cannot reach M-only fields
    h.setCsr(A.CSR.sstatus, -1n);
    expect(h.getCsr(A.CSR.mstatus) & 0xffffffffn).toBe(0x2n | 0x20n | 0x100n | 0x6000n | 0x40000n | 0x80000n);
  });
});

describe('interrupt-enable and pending registers', () => {
  it('mie keeps only the six standard bits; mip lets M write SSIP, STIP, SEIP only', () => {
    const h = makeMachine().hart;
    h.reset(0x80000000n, PRIV_M, 0n, 0n);
    h.setCsr(A.CSR.mie, -1n);
    expect(h.getCsr(A.CSR.mie)).toBe(0xaaan);
    h.setCsr(A.CSR.mip, -1n);
    expect(h.getCsr(A.CSR.mip)).toBe(0x222n);
    h.setPending(1 << 7, true); // MTIP from the platform
    expect(h.getCsr(A.CSR.mip)).toBe(0x2a2n);
    h.setCsr(A.CSR.mip, 0n); // cannot clear MTIP
    expect(h.getCsr(A.CSR.mip)).toBe(0x80n);
  });
  it('mideleg delegates only S-level interrupts; medeleg never ecall-from-M', () => {
    const h = makeMachine().hart;
    h.reset(0x80000000n, PRIV_M, 0n, 0n);
    h.setCsr(A.CSR.mideleg, -1n);
    expect(h.getCsr(A.CSR.mideleg)).toBe(0x222n);
    h.setCsr(A.CSR.medeleg, -1n);
    expect(h.getCsr(A.CSR.medeleg) & (1n << 11n)).toBe(0n);
    expect(h.getCsr(A.CSR.medeleg) & 0xb1ffn).toBe(0xb1ffn);
  });
  it('sie/sip are views through mideleg; S may write SSIP via sip only when delegated', () => {
    const r = runPriv(
      PRIV_S,
      [A.li(5, -1), A.csrw(A.CSR.sie, 5), A.csrr(6, A.CSR.sie), A.csrw(A.CSR.sip, 5), A.csrr(7, A.CSR.sip)],
      { mideleg: 0x222n },
    );
    expect(r.mcause).toBe(NO_TRAP);
    expect(r.m.x(6)).toBe(0x222n);
    expect(r.m.x(7)).toBe(0x2n); // only SSIP
    expect(r.m.hart.getCsr(A.CSR.mie)).toBe(0x222n);
    const r2 = runPriv(PRIV_S, [A.li(5, -1), A.csrw(A.CSR.sip, 5), A.csrr(7, A.CSR.sip), A.csrr(8, A.CSR.sie)], { mideleg: 0n });
    expect(r2.m.x(7)).toBe(0n);
    expect(r2.m.hart.getCsr(A.CSR.mip)).toBe(0n);
  });
});

describe('trap-vector and epc registers', () => {
  it('mepc/sepc clear bit 0; mtvec keeps direct/vectored and ignores reserved modes', () => {
    const h = makeMachine().hart;
    h.reset(0x80000000n, PRIV_M, 0n, 0n);
    h.setCsr(A.CSR.mepc, 0x80001003n);
    expect(h.getCsr(A.CSR.mepc)).toBe(0x80001002n);
    h.setCsr(A.CSR.sepc, 0xffffffffffffffffn);
    expect(h.getCsr(A.CSR.sepc)).toBe(0xfffffffffffffffen);
    h.setCsr(A.CSR.mtvec, 0x80002001n);
    expect(h.getCsr(A.CSR.mtvec)).toBe(0x80002001n);
    h.setCsr(A.CSR.mtvec, 0x80004002n);
    expect(h.getCsr(A.CSR.mtvec)).toBe(0x80002001n);
  });
});

describe('satp', () => {
  it('only Bare and Sv39 are accepted; Sv48/Sv57 writes leave satp unchanged; ASID reads 0', () => {
    // In M-mode, so the bogus root page table is never walked.
    const r = runPriv(PRIV_M, [
      A.li(5, (8n << 60n) | 0x12345n),
      A.csrw(A.CSR.satp, 5),
      A.li(5, (10n << 60n) | 0x1n), // Sv57
      A.csrw(A.CSR.satp, 5),
      A.csrr(6, A.CSR.satp),
      A.li(5, (9n << 60n) | 0x2n), // Sv48
      A.csrw(A.CSR.satp, 5),
      A.csrr(7, A.CSR.satp),
      A.li(5, (8n << 60n) | (0xffffn << 44n) | 0x3n), // ASID all ones
      A.csrw(A.CSR.satp, 5),
      A.csrr(8, A.CSR.satp),
      A.csrw(A.CSR.satp, 0),
    ]);
    expect(r.mcause).toBe(NO_TRAP);
    expect(r.m.x(6)).toBe((8n << 60n) | 0x12345n);
    expect(r.m.x(7)).toBe((8n << 60n) | 0x12345n);
    expect(r.m.x(8)).toBe((8n << 60n) | 0x3n);
  });
  it('TVM makes satp and sfence.vma illegal in S-mode', () => {
    const tvm = [[A.CSR.mstatus, 1n << 20n]] as [number, bigint][];
    expect(runPriv(PRIV_S, [A.csrr(5, A.CSR.satp)], { csrs: tvm }).mcause).toBe(ILLEGAL);
    expect(runPriv(PRIV_S, [A.sfenceVma(0, 0)], { csrs: tvm }).mcause).toBe(ILLEGAL);
    expect(runPriv(PRIV_M, [A.csrr(5, A.CSR.satp), A.sfenceVma(0, 0)], { csrs: tvm }).mcause).toBe(NO_TRAP);
  });
});

describe('counters', () => {
  it('minstret counts retired instructions; time reads the platform clock', () => {
    const m = makeMachine();
    m.time.now = 123456789;
    const r = runPriv(PRIV_M, [A.csrr(5, A.CSR.minstret), A.nop(), A.nop(), A.csrr(6, A.CSR.minstret), A.csrr(7, A.CSR.time), A.csrr(8, A.CSR.instret)], {
      machine: m,
    });
    expect(r.mcause).toBe(NO_TRAP);
    expect(m.x(6) - m.x(5)).toBe(3n);
    expect(m.x(8) - m.x(6)).toBe(2n);
    expect(m.x(7)).toBe(123456789n);
  });
  it('minstret and mcycle are writable', () => {
    const r = runPriv(PRIV_M, [A.li(5, 1000), A.csrw(A.CSR.minstret, 5), A.csrr(6, A.CSR.minstret), A.csrw(A.CSR.mcycle, 5), A.csrr(7, A.CSR.mcycle)]);
    expect(r.m.x(6)).toBe(1000n);
    expect(r.m.x(7)).toBe(1000n);
  });
  it('S needs mcounteren, U needs mcounteren and scounteren', () => {
    const read = [A.csrr(5, A.CSR.time)];
    const c = (mc: bigint, sc: bigint): [number, bigint][] => [
      [A.CSR.mcounteren, mc],
      [A.CSR.scounteren, sc],
    ];
    expect(runPriv(PRIV_S, read, { csrs: c(0n, 7n) }).mcause).toBe(ILLEGAL);
    expect(runPriv(PRIV_S, read, { csrs: c(2n, 0n) }).mcause).toBe(NO_TRAP);
    expect(runPriv(PRIV_U, read, { csrs: c(2n, 0n) }).mcause).toBe(ILLEGAL);
    expect(runPriv(PRIV_U, read, { csrs: c(0n, 2n) }).mcause).toBe(ILLEGAL);
    // U with both bits: no trap until the final WFI, which is illegal in U-mode
    const ok = runPriv(PRIV_U, read, { csrs: c(2n, 2n) });
    expect(ok.mcause).toBe(ILLEGAL);
    expect(ok.mepc).toBe(addrOf(read, 1));
    // bit 0 (cycle) does not open bit 1 (time)
    expect(runPriv(PRIV_S, read, { csrs: c(5n, 0n) }).mcause).toBe(ILLEGAL);
    expect(runPriv(PRIV_S, [A.csrr(5, A.CSR.cycle), A.csrr(6, A.CSR.instret)], { csrs: c(5n, 0n) }).mcause).toBe(NO_TRAP);
  });
});

describe('other machine CSRs', () => {
  it('pmpcfg0 and pmpaddr0..15 are writable (pmpaddr holds 54 bits); menvcfg/senvcfg read 0', () => {
    const h = makeMachine().hart;
    h.reset(0x80000000n, PRIV_M, 0n, 0n);
    h.setCsr(A.CSR.pmpaddr0, -1n);
    expect(h.getCsr(A.CSR.pmpaddr0)).toBe((1n << 54n) - 1n);
    h.setCsr(A.CSR.pmpaddr0 + 15, 0x1234n);
    expect(h.getCsr(A.CSR.pmpaddr0 + 15)).toBe(0x1234n);
    h.setCsr(A.CSR.pmpcfg0, 0x1f1fn);
    expect(h.getCsr(A.CSR.pmpcfg0)).toBe(0x1f1fn);
    const r = runPriv(PRIV_M, [A.li(5, -1), A.csrw(A.CSR.menvcfg, 5), A.csrr(6, A.CSR.menvcfg), A.csrw(A.CSR.senvcfg, 5), A.csrr(7, A.CSR.senvcfg)]);
    expect(r.mcause).toBe(NO_TRAP);
    expect(r.m.x(6)).toBe(0n);
    expect(r.m.x(7)).toBe(0n);
  });
});

describe('floating-point state gating (mstatus.FS)', () => {
  const fsOff: [number, bigint][] = [[A.CSR.mstatus, 0n]];
  it('fcsr, fflags, frm and FP loads are illegal with FS = Off', () => {
    for (const insn of [A.csrr(5, A.CSR.fcsr), A.csrr(5, A.CSR.fflags), A.csrrwi(0, A.CSR.frm, 1), A.fld(1, 0, 0), A.fsd(1, 0, 0), A.faddD(1, 2, 3)]) {
      const r = runPriv(PRIV_M, [insn], { csrs: fsOff });
      expect(r.mcause).toBe(ILLEGAL);
      expect(r.mtval).toBe(BigInt(insn));
    }
  });
  it('fcsr packs frm and fflags; writing any FP state sets FS = Dirty and SD', () => {
    const r = runPriv(
      PRIV_M,
      [A.csrrwi(0, A.CSR.frm, 3), A.csrrwi(0, A.CSR.fflags, 0x15), A.csrr(5, A.CSR.fcsr), A.csrr(6, A.CSR.mstatus)],
      { csrs: [[A.CSR.mstatus, 1n << 13n]] },
    );
    expect(r.mcause).toBe(NO_TRAP);
    expect(r.m.x(5)).toBe((3n << 5n) | 0x15n);
    expect((r.m.x(6) >> 13n) & 3n).toBe(3n);
    expect(r.m.x(6) >> 63n).toBe(1n);
  });
  it('flw NaN-boxes; fsw stores the low word; fld makes FS dirty', () => {
    const m = makeMachine();
    const D = 0x80010000;
    m.write64(D, 0x1122334455667788n);
    const r = runPriv(
      PRIV_M,
      [A.li(10, D), A.flw(1, 10, 0), A.fmvXD(5, 1), A.fsw(1, 10, 8), A.fld(2, 10, 0), A.fsd(2, 10, 16), A.csrr(6, A.CSR.mstatus)],
      { machine: m, csrs: [[A.CSR.mstatus, 1n << 13n]] },
    );
    expect(r.mcause).toBe(NO_TRAP);
    expect(m.x(5)).toBe(0xffffffff55667788n);
    expect(m.read64(D + 8)).toBe(0x55667788n);
    expect(m.read64(D + 16)).toBe(0x1122334455667788n);
    expect((m.x(6) >> 13n) & 3n).toBe(3n);
    void u64;
  });
});
