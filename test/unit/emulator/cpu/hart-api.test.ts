// The platform's view of a hart (src/emulator/cpu/hart-api.ts): registers and pc at the BigInt seam,
// reset state, setPending/SSIP, stop, and how the hart reaches devices over the bus (MMIO splitting,
// instruction fetch from a device, straddling fetch faults).

import { describe, expect, it } from 'vitest';
import * as A from './asm.js';
import { makeMachine, RAM_BASE, u64 } from './machine.js';
import { PRIV_M, PRIV_S, MIP_SSIP } from '../../../../src/emulator/cpu/hart-api.js';
import type { MmioDevice } from '../../../../src/emulator/memory/bus.js';

class RecordingDevice implements MmioDevice {
  log: string[] = [];
  constructor(private readonly words: Uint8Array = new Uint8Array(0x100)) {}
  read(offset: number, size: 1 | 2 | 4): number {
    this.log.push(`r${size}@${offset}`);
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.words[offset + i] << (8 * i);
    return v >>> 0;
  }
  write(offset: number, size: 1 | 2 | 4, value: number): void {
    this.log.push(`w${size}@${offset}=${value.toString(16)}`);
    for (let i = 0; i < size; i++) this.words[offset + i] = (value >>> (8 * i)) & 0xff;
  }
}

describe('registers and pc through BigInt', () => {
  it('getX/setX round-trip 64-bit values (unsigned view); x0 ignores writes', () => {
    const h = makeMachine().hart;
    h.setX(5, -2n);
    expect(h.getX(5)).toBe(u64(-2n));
    h.setX(6, 0x8000000000000001n);
    expect(h.getX(6)).toBe(0x8000000000000001n);
    h.setX(0, 5n);
    expect(h.getX(0)).toBe(0n);
  });
  it('setPc/getPc handle high kernel addresses and values beyond 2^53', () => {
    const h = makeMachine().hart;
    h.setPc(0xffffffff80001000n);
    expect(h.getPc()).toBe(0xffffffff80001000n);
    h.setPc(0x7fffffffffff0000n);
    expect(h.getPc()).toBe(0x7fffffffffff0000n);
  });
  it('reset below M leaves the hart as a boot loader would: a0/a1, delegation, counters open, FS on', () => {
    const h = makeMachine().hart;
    h.reset(0x80200000n, PRIV_S, 3n, 0x82200000n);
    expect(h.priv).toBe(PRIV_S);
    expect(h.getPc()).toBe(0x80200000n);
    expect(h.getX(10)).toBe(3n);
    expect(h.getX(11)).toBe(0x82200000n);
    expect(h.getCsr(A.CSR.satp)).toBe(0n);
    expect(h.getCsr(A.CSR.mideleg)).toBe(0x222n);
    expect(h.getCsr(A.CSR.medeleg) & (1n << 9n)).toBe(0n); // S ecalls go to the SBI
    expect(h.getCsr(A.CSR.medeleg) & (1n << 13n)).toBe(1n << 13n);
    expect(h.getCsr(A.CSR.scounteren)).toBe(7n);
    expect(h.getCsr(A.CSR.mcounteren)).toBe(7n);
    expect((h.getCsr(A.CSR.mstatus) >> 13n) & 3n).toBe(1n);
    expect(h.getCsr(A.CSR.mstatus) & 0xaan).toBe(0n); // SIE MIE SPIE MPIE off
    h.reset(0x80000000n, PRIV_M, 0n, 0n);
    expect(h.getCsr(A.CSR.medeleg)).toBe(0n);
    expect(h.getCsr(A.CSR.mideleg)).toBe(0n);
  });
  it('a stopped hart runs nothing', () => {
    const m = makeMachine();
    m.load(RAM_BASE, [A.addi(5, 0, 1)]);
    m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
    m.hart.stopped = true;
    expect(m.hart.run(100)).toBe(0);
    expect(m.x(5)).toBe(0n);
  });
  it('an IPI (setPending SSIP) is a software bit the guest clears through sip', () => {
    const m = makeMachine();
    const h = m.hart;
    m.load(RAM_BASE, [A.csrr(5, A.CSR.sip), A.csrrci(0, A.CSR.sip, 2), A.csrr(6, A.CSR.sip), A.wfi()]);
    h.reset(BigInt(RAM_BASE), PRIV_S, 0n, 0n);
    h.setPending(MIP_SSIP, true);
    expect(h.pending & MIP_SSIP).toBe(MIP_SSIP);
    h.run(100);
    expect(m.x(5)).toBe(2n);
    expect(m.x(6)).toBe(0n);
    expect(h.pending & MIP_SSIP).toBe(0);
  });
  it('instret counts retired instructions across run() calls; budgets bound each run', () => {
    const m = makeMachine();
    m.load(RAM_BASE, [A.addi(5, 5, 1), A.jal(0, -4)]);
    m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
    const before = m.hart.instret;
    expect(m.hart.run(1000)).toBe(1000);
    expect(m.hart.run(500)).toBe(500);
    expect(m.hart.instret - before).toBe(1500);
    expect(m.x(5)).toBe(750n);
  });
});

describe('memory-mapped I/O', () => {
  it('8-byte accesses become two 4-byte ones, low word first; narrow ones pass through', () => {
    const dev = new RecordingDevice();
    const m = makeMachine({ devices: [[0x1000_0000, 0x100, dev]] });
    m.run([A.li(10, 0x1000_0000), A.li(5, 0x1122334455667788n), A.sd(5, 10, 8), A.ld(6, 10, 8), A.sb(5, 10, 1), A.lhu(7, 10, 0), A.lw(8, 10, 12)]);
    expect(dev.log).toEqual(['w4@8=55667788', 'w4@12=11223344', 'r4@8', 'r4@12', 'w1@1=88', 'r2@0', 'r4@12']);
    expect(m.x(6)).toBe(0x1122334455667788n);
    expect(m.x(7)).toBe(0x8800n);
    expect(m.x(8)).toBe(0x11223344n);
  });
  it('misaligned MMIO accesses are split into bytes', () => {
    const dev = new RecordingDevice();
    const m = makeMachine({ devices: [[0x1000_0000, 0x100, dev]] });
    m.run([A.li(10, 0x1000_0000), A.li(5, 0xaabbccdd), A.sw(5, 10, 1), A.lw(6, 10, 1)]);
    expect(dev.log).toEqual(['w1@1=dd', 'w1@2=cc', 'w1@3=bb', 'w1@4=aa', 'r1@1', 'r1@2', 'r1@3', 'r1@4']);
    expect(m.x(6)).toBe(u64(-0x55443323n)); // 0xaabbccdd sign-extended
  });
  it('instructions can be fetched from a device (a boot ROM)', () => {
    const rom = new Uint8Array(0x100);
    const view = new DataView(rom.buffer);
    view.setUint32(0, A.addi(5, 0, 42), true);
    view.setUint16(4, 0x4185, true); // c.li x3, 1
    view.setUint32(6, A.wfi(), true);
    const m = makeMachine({ devices: [[0x1000, 0x100, new RecordingDevice(rom)]] });
    m.hart.reset(0x1000n, PRIV_M, 0n, 0n);
    m.hart.run(100);
    expect(m.x(5)).toBe(42n);
    expect(m.x(3)).toBe(1n);
    expect(m.hart.waiting).toBe(true);
  });
  it('a 32-bit instruction whose second half is on a missing page faults at that half', () => {
    const m = makeMachine();
    // The last 2 bytes of RAM hold the first half of a 32-bit instruction.
    const end = RAM_BASE + 4 * 1024 * 1024;
    m.ram.view.setUint16(end - 2 - RAM_BASE, A.addi(5, 0, 1) & 0xffff, true);
    m.load(RAM_BASE + 0x3000, [A.csrr(20, A.CSR.mcause), A.csrr(21, A.CSR.mepc), A.csrr(22, A.CSR.mtval), A.wfi()]);
    m.hart.reset(BigInt(end - 2), PRIV_M, 0n, 0n);
    m.hart.setCsr(A.CSR.mtvec, BigInt(RAM_BASE + 0x3000));
    m.hart.run(100);
    expect(m.x(20)).toBe(1n);
    expect(m.x(21)).toBe(BigInt(end - 2));
    expect(m.x(22)).toBe(BigInt(end));
  });
  it('an access that hits nothing is an access fault, never an exception in the host', () => {
    const m = makeMachine();
    m.load(RAM_BASE + 0x3000, [A.csrr(20, A.CSR.mcause), A.wfi()]);
    m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
    m.hart.setCsr(A.CSR.mtvec, BigInt(RAM_BASE + 0x3000));
    m.load(RAM_BASE, [A.li(10, 0xdead0000), A.sd(0, 10, 0)]);
    expect(() => m.hart.run(100)).not.toThrow();
    expect(m.x(20)).toBe(7n);
  });
});
