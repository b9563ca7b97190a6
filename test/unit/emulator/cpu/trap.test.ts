// Traps and interrupts: exception causes and tvals, MRET/SRET and the privilege stack, medeleg/
// mideleg delegation, interrupt priority and global enables, vectored mtvec, WFI, access faults,
// host SBI ecalls and MMIO-raised interrupts (privileged spec v1.12, 3.1.6-3.1.9, 3.1.15, 3.3).

import { describe, expect, it } from 'vitest';
import * as A from './asm.js';
import { makeMachine, RAM_BASE, u64 } from './machine.js';
import { addrOf, CODE, M_HANDLER, NO_TRAP, runPriv, S_HANDLER } from './priv-harness.js';
import { PRIV_M, PRIV_S, PRIV_U, type HartControl } from '../../../../src/emulator/cpu/hart-api.js';

const MIE = 1n << 3n;
const SIE = 1n << 1n;
const INT = 1n << 63n;

describe('synchronous exceptions', () => {
  it('ecall cause depends on the mode; mepc = the ecall, mtval = 0', () => {
    for (const [priv, cause] of [
      [PRIV_U, 8n],
      [PRIV_S, 9n],
      [PRIV_M, 11n],
    ] as const) {
      const code = [A.nop(), A.ecall()];
      const r = runPriv(priv, code);
      expect(r.mcause).toBe(cause);
      expect(r.mepc).toBe(addrOf(code, 1));
      expect(r.mtval).toBe(0n);
    }
  });
  it('ebreak: breakpoint with mepc = mtval = its address', () => {
    const code = [A.nop(), A.ebreak()];
    const r = runPriv(PRIV_S, code);
    expect(r.mcause).toBe(3n);
    expect(r.mepc).toBe(addrOf(code, 1));
    expect(r.mtval).toBe(addrOf(code, 1));
  });
  it('illegal instruction: mtval = the instruction bits', () => {
    const opWithFunct7Two = (0x02 << 25) | 0x33; // OP with an unassigned funct7
    for (const insn of [0xffffffff, 0x0000707f /* opcode 0x7f */, A.mret() /* from S */, opWithFunct7Two, A.slli(1, 1, 0) | (1 << 31)]) {
      const r = runPriv(PRIV_S, [insn]);
      expect(r.mcause).toBe(2n);
      expect(r.mtval).toBe(BigInt(insn >>> 0));
    }
  });
  it('access faults name the physical address that hit nothing', () => {
    let r = runPriv(PRIV_M, [A.li(5, 0x4000), A.ld(6, 5, 8)]);
    expect(r.mcause).toBe(5n);
    expect(r.mtval).toBe(0x4008n);
    r = runPriv(PRIV_M, [A.li(5, 0x4000), A.sw(6, 5, -4)]);
    expect(r.mcause).toBe(7n);
    expect(r.mtval).toBe(0x3ffcn);
    r = runPriv(PRIV_M, [A.li(5, 0x4000), A.jalr(0, 5, 0)]);
    expect(r.mcause).toBe(1n);
    expect(r.mepc).toBe(0x4000n);
    expect(r.mtval).toBe(0x4000n);
    // just past the end of RAM (4 MiB)
    r = runPriv(PRIV_M, [A.li(5, RAM_BASE + 4 * 1024 * 1024 - 4), A.ld(6, 5, 0)]);
    expect(r.mcause).toBe(5n);
  });
  it('effective addresses carry and borrow across a 2^32 boundary', () => {
    const cases: [bigint, number, (rd: number, rs1: number, off: number) => number, bigint, bigint][] = [
      [0x100000004n, -8, A.ld, 5n, 0xfffffffcn],
      [0xfffffff8n, 16, A.lw, 5n, 0x100000008n],
      [0x100000004n, -8, A.sd, 7n, 0xfffffffcn],
      [0xfffffff8n, 16, A.sb, 7n, 0x100000008n],
      [0n, -1, A.lbu, 5n, 0xffffffffffffffffn],
    ];
    for (const [base, off, op, cause, addr] of cases) {
      const r = runPriv(PRIV_M, [A.li(5, base), op(6, 5, off)]);
      expect([r.mcause, r.mtval]).toEqual([cause, addr]);
    }
  });
  it('a jump far beyond any address keeps the exact 64-bit target in mepc/mtval', () => {
    const target = 0x7ffffffffffffff0n;
    const r = runPriv(PRIV_M, [A.li(5, target), A.jalr(1, 5, 0)]);
    expect(r.mcause).toBe(1n);
    expect(r.mepc).toBe(target);
    expect(r.mtval).toBe(target);
    const r2 = runPriv(PRIV_M, [A.li(5, -0x1000n), A.jalr(1, 5, 0)]);
    expect(r2.mtval).toBe(u64(-0x1000n));
  });
});

describe('MRET and SRET', () => {
  it('mret pops MPIE into MIE, sets MPIE, leaves MPP = U and goes to MPP', () => {
    const target = RAM_BASE + 0x800;
    const m = makeMachine();
    m.load(target, [A.csrr(7, A.CSR.sstatus), A.ecall()]); // in S: read sstatus, then ecall (cause 9)
    const r = runPriv(
      PRIV_M,
      [A.li(5, target), A.csrw(A.CSR.mepc, 5), A.li(5, (1n << 11n) | (1n << 7n) | (1n << 17n)), A.csrw(A.CSR.mstatus, 5), A.mret()],
      { machine: m },
    );
    expect(r.mcause).toBe(9n);
    expect(r.mepc).toBe(BigInt(target + 4));
    const st = m.hart.getCsr(A.CSR.mstatus);
    // the ecall trap pushed S into MPP and MIE (=1 after mret) into MPIE
    expect((st >> 11n) & 3n).toBe(1n);
    expect(st & (1n << 7n)).toBe(1n << 7n);
    expect(st & (1n << 17n)).toBe(0n); // MPRV cleared by an mret to S
  });
  it('mret to U: U-mode cannot read sstatus', () => {
    const target = RAM_BASE + 0x800;
    const m = makeMachine();
    m.load(target, [A.csrr(7, A.CSR.sstatus)]);
    const r = runPriv(PRIV_M, [A.li(5, target), A.csrw(A.CSR.mepc, 5), A.csrw(A.CSR.mstatus, 0), A.mret()], { machine: m });
    expect(r.mcause).toBe(2n);
    expect(r.mepc).toBe(BigInt(target));
    expect((m.hart.getCsr(A.CSR.mstatus) >> 11n) & 3n).toBe(0n); // trapped from U
  });
  it('sret pops SPIE into SIE and returns to SPP', () => {
    const target = RAM_BASE + 0x800;
    const m = makeMachine();
    m.load(target, [A.ecall()]);
    const r = runPriv(
      PRIV_S,
      [A.li(5, target), A.csrw(A.CSR.sepc, 5), A.li(5, 1n << 5n), A.csrw(A.CSR.sstatus, 5), A.sret()], // SPP = U, SPIE = 1
      { machine: m },
    );
    expect(r.mcause).toBe(8n); // ecall from U
    const st = m.hart.getCsr(A.CSR.mstatus);
    expect(st & SIE).toBe(SIE);
    expect(st & (1n << 5n)).toBe(1n << 5n);
  });
  it('sret is illegal in U and, with TSR, in S; mret is illegal below M', () => {
    expect(runPriv(PRIV_U, [A.sret()]).mcause).toBe(2n);
    expect(runPriv(PRIV_S, [A.sret()], { csrs: [[A.CSR.mstatus, 1n << 22n]] }).mcause).toBe(2n);
    expect(runPriv(PRIV_S, [A.mret()]).mcause).toBe(2n);
    expect(runPriv(PRIV_U, [A.mret()]).mcause).toBe(2n);
  });
});

describe('delegation', () => {
  it('a delegated exception from U goes to S with scause/sepc/stval, SPP = U, SPIE = old SIE', () => {
    const code = [A.nop(), A.ecall()];
    const m = makeMachine();
    const r = runPriv(PRIV_U, code, { medeleg: 1n << 8n, machine: m, csrs: [[A.CSR.mstatus, SIE]] });
    expect(r.mcause).toBe(NO_TRAP);
    expect(r.scause).toBe(8n);
    expect(r.sepc).toBe(addrOf(code, 1));
    expect(r.stval).toBe(0n);
    expect(m.hart.priv).toBe(PRIV_S);
    const st = m.hart.getCsr(A.CSR.mstatus);
    expect(st & (1n << 8n)).toBe(0n);
    expect(st & (1n << 5n)).toBe(1n << 5n);
    expect(st & SIE).toBe(0n);
  });
  it('a delegated exception from S stays in S (SPP = S); from M it is never delegated', () => {
    const ill = 0xffffffff;
    const r = runPriv(PRIV_S, [ill], { medeleg: 1n << 2n });
    expect(r.scause).toBe(2n);
    expect(r.stval).toBe(0xffffffffn);
    expect(r.m.hart.getCsr(A.CSR.mstatus) & (1n << 8n)).toBe(1n << 8n);
    const r2 = runPriv(PRIV_M, [ill], { medeleg: 0xb3ffn });
    expect(r2.mcause).toBe(2n);
    expect(r2.scause).toBe(NO_TRAP);
  });
});

describe('interrupts', () => {
  const MSIP = 1 << 3;
  const MTIP = 1 << 7;
  const MEIP = 1 << 11;
  /** Which interrupt is taken first with these pending bits, all enabled, in M with MIE = 1. */
  function first(hw: number, sw: bigint): bigint {
    const m = makeMachine();
    m.hart.setPending(hw, true);
    const r = runPriv(PRIV_M, [A.nop()], {
      machine: m,
      csrs: [
        [A.CSR.mie, 0xaaan],
        [A.CSR.mip, sw],
        [A.CSR.mstatus, MIE],
      ],
    });
    return r.mcause;
  }
  it('priority MEI > MSI > MTI > SEI > SSI > STI', () => {
    expect(first(MEIP | MSIP | MTIP, 0x222n)).toBe(INT | 11n);
    expect(first(MSIP | MTIP, 0x222n)).toBe(INT | 3n);
    expect(first(MTIP, 0x222n)).toBe(INT | 7n);
    expect(first(0, 0x222n)).toBe(INT | 9n);
    expect(first(0, 0x022n)).toBe(INT | 1n);
    expect(first(0, 0x020n)).toBe(INT | 5n);
  });
  it('mepc is the next instruction to execute; mtval = 0', () => {
    const m = makeMachine();
    m.hart.setPending(MTIP, true);
    const code = [A.csrw(A.CSR.mstatus, 0), A.li(5, MIE), A.csrs(A.CSR.mstatus, 5), A.nop()];
    const r = runPriv(PRIV_M, code, { machine: m, csrs: [[A.CSR.mie, 0x80n]] });
    expect(r.mcause).toBe(INT | 7n);
    // the csrs that sets MIE completes; the interrupt is taken before the nop
    expect(r.mepc).toBe(addrOf(code, 3));
    expect(r.mtval).toBe(0n);
  });
  it('M with MIE = 0 takes nothing; below M, M-level interrupts are taken whatever MIE says', () => {
    const m = makeMachine();
    m.hart.setPending(MTIP, true);
    expect(runPriv(PRIV_M, [A.nop()], { machine: m, csrs: [[A.CSR.mie, 0x80n]] }).mcause).toBe(NO_TRAP);
    expect(runPriv(PRIV_S, [A.nop()], { machine: m, csrs: [[A.CSR.mie, 0x80n]] }).mcause).toBe(INT | 7n);
    expect(runPriv(PRIV_U, [A.nop()], { machine: m, csrs: [[A.CSR.mie, 0x80n]] }).mcause).toBe(INT | 7n);
  });
  it('delegated S-level interrupts: never in M, in S only with SIE, in U always; they go to stvec', () => {
    const opts = (mstatus: bigint) => ({
      mideleg: 0x222n,
      csrs: [
        [A.CSR.mie, 0x222n],
        [A.CSR.mip, 0x20n], // STIP
        [A.CSR.mstatus, mstatus],
      ] as [number, bigint][],
    });
    const inM = runPriv(PRIV_M, [A.nop()], opts(MIE | SIE));
    expect(inM.mcause).toBe(NO_TRAP);
    expect(inM.scause).toBe(NO_TRAP);
    expect(runPriv(PRIV_S, [A.nop()], opts(0n)).scause).toBe(NO_TRAP);
    expect(runPriv(PRIV_S, [A.nop()], opts(SIE)).scause).toBe(INT | 5n);
    const inU = runPriv(PRIV_U, [A.nop()], opts(0n));
    expect(inU.scause).toBe(INT | 5n);
    expect(inU.mcause).toBe(NO_TRAP);
  });
  it('a non-delegated S-level interrupt goes to M', () => {
    const r = runPriv(PRIV_S, [A.nop()], {
      csrs: [
        [A.CSR.mie, 0x200n],
        [A.CSR.mip, 0x200n],
      ],
    });
    expect(r.mcause).toBe(INT | 9n);
  });
  it('vectored mtvec: interrupts go to base + 4 * cause, exceptions to base', () => {
    const m = makeMachine();
    const base = RAM_BASE + 0x4000;
    m.load(base, [A.addi(26, 0, 1), A.wfi(), A.jal(0, 0)]);
    m.load(base + 4 * 7, [A.addi(26, 0, 7), A.wfi(), A.jal(0, 0)]);
    m.hart.setPending(MTIP, true);
    runPriv(PRIV_S, [A.nop()], { machine: m, csrs: [[A.CSR.mtvec, BigInt(base) | 1n], [A.CSR.mie, 0x80n]] });
    expect(m.x(26)).toBe(7n);
    m.hart.setPending(MTIP, false);
    runPriv(PRIV_S, [A.ecall()], { machine: m, csrs: [[A.CSR.mtvec, BigInt(base) | 1n]] });
    expect(m.x(26)).toBe(1n);
  });
  it('S-level vectored stvec', () => {
    const m = makeMachine();
    const base = RAM_BASE + 0x4000;
    m.load(base + 4 * 1, [A.addi(26, 0, 1), A.wfi(), A.jal(0, 0)]);
    runPriv(PRIV_U, [A.nop()], {
      machine: m,
      mideleg: 0x222n,
      csrs: [
        [A.CSR.stvec, BigInt(base) | 1n],
        [A.CSR.mie, 0x2n],
        [A.CSR.mip, 0x2n],
      ],
    });
    expect(m.x(26)).toBe(1n);
  });
});

describe('WFI', () => {
  it('parks the hart (run returns) when nothing is pending; setPending wakes it', () => {
    const m = makeMachine();
    m.load(CODE, [A.addi(5, 0, 1), A.wfi(), A.addi(5, 0, 2), A.wfi()]);
    const h = m.hart;
    h.reset(BigInt(CODE), PRIV_M, 0n, 0n);
    h.setCsr(A.CSR.mie, 0x80n); // MTIE, but MIE = 0: wakes without trapping
    const n = h.run(1000);
    expect(n).toBe(2);
    expect(h.waiting).toBe(true);
    expect(h.run(1000)).toBe(0);
    h.setPending(MTIP_BIT, true);
    expect(h.waiting).toBe(false);
    h.run(1000);
    expect(m.x(5)).toBe(2n);
    // still pending: the second WFI does not wait
    expect(h.waiting).toBe(false);
  });
  it('is illegal in U-mode, and in S-mode when TW is set', () => {
    expect(runPriv(PRIV_U, [A.wfi()]).mcause).toBe(2n);
    expect(runPriv(PRIV_S, [A.wfi()], { csrs: [[A.CSR.mstatus, 1n << 21n]] }).mcause).toBe(2n);
    const m = makeMachine();
    const r = runPriv(PRIV_S, [A.wfi()], { machine: m });
    expect(r.mcause).toBe(NO_TRAP);
    expect(m.hart.waiting).toBe(true);
  });
});
const MTIP_BIT = 1 << 7;

describe('platform interplay', () => {
  it('an interrupt raised by a device during a store is taken at the next instruction', () => {
    let hart: HartControl | undefined;
    const dev = {
      read: () => 0,
      write: () => hart?.setPending(MTIP_BIT, true),
    };
    const m = makeMachine({ devices: [[0x1000_0000, 0x100, dev]] });
    hart = m.hart;
    const code = [A.li(5, 0x1000_0000), A.nop(), A.sb(0, 5, 0), A.nop(), A.nop()];
    const r = runPriv(PRIV_S, code, { machine: m, csrs: [[A.CSR.mie, 0x80n]] });
    expect(r.mcause).toBe(INT | 7n);
    expect(r.mepc).toBe(addrOf(code, 3));
  });
  it('requestExit from a device ends run() at the next instruction', () => {
    let hart: HartControl | undefined;
    const dev = { read: () => 0, write: () => hart?.requestExit() };
    const m = makeMachine({ devices: [[0x1000_0000, 0x100, dev]] });
    hart = m.hart;
    m.load(CODE, [A.li(5, 0x1000_0000), A.sw(0, 5, 0), A.jal(0, 0)]);
    m.hart.reset(BigInt(CODE), PRIV_M, 0n, 0n);
    const n = m.hart.run(1_000_000);
    expect(n).toBe(A.li(5, 0x1000_0000).length + 1);
    expect(m.hart.getPc()).toBe(addrOf([A.li(5, 0x1000_0000), A.sw(0, 5, 0)], 2));
  });
  it('an ecall from S calls the host SBI and continues after it; from U it still traps', () => {
    const calls: bigint[] = [];
    const m = makeMachine({
      sbiCall: (h) => {
        calls.push(h.getX(17));
        h.setX(10, 0n);
        h.setX(11, 0x1234n);
      },
    });
    const r = runPriv(PRIV_S, [A.li(17, 0x10), A.ecall(), A.addi(12, 11, 1)], { machine: m });
    expect(r.mcause).toBe(NO_TRAP);
    expect(calls).toEqual([0x10n]);
    expect(m.x(12)).toBe(0x1235n);
    expect(runPriv(PRIV_U, [A.ecall()], { machine: m }).mcause).toBe(8n);
  });
  it('a guest trap storm never hangs run(): the budget bounds it', () => {
    const m = makeMachine();
    const h = m.hart;
    h.reset(0x4000n, PRIV_M, 0n, 0n); // fetch faults; mtvec = 0 also faults, forever
    expect(h.run(5000)).toBe(5000);
    expect(h.getCsr(A.CSR.mcause)).toBe(1n);
  });
  it('the M-mode handler addresses are where the recorders live', () => {
    expect(M_HANDLER).not.toBe(S_HANDLER);
  });
});
