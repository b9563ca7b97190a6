// RV64A: LR/SC success and failure, every AMO in .W and .D, misaligned atomics, and reservations
// across two harts on one bus (unprivileged spec 20191213, chapter 8).

import { describe, expect, it } from 'vitest';
import * as A from './asm.js';
import { makeMachine, RAM_BASE, u64 } from './machine.js';
import { PRIV_M } from '../../../../src/emulator/cpu/hart-api.js';

const DATA = RAM_BASE + 0x10000;

describe('LR/SC', () => {
  it('sc after lr succeeds (rd = 0) and stores', () => {
    const m = makeMachine();
    m.write64(DATA, 5n);
    m.run([A.li(10, DATA), A.lrD(5, 10), A.addi(5, 5, 1), A.scD(6, 10, 5), A.ld(7, 10, 0)]);
    expect(m.x(6)).toBe(0n);
    expect(m.x(7)).toBe(6n);
  });
  it('lr.w sign-extends; sc.w stores 32 bits', () => {
    const m = makeMachine();
    m.write64(DATA, 0x11111111_80000000n);
    m.run([A.li(10, DATA), A.lrW(5, 10), A.li(6, 0x7777777712345678n), A.scW(7, 10, 6)]);
    expect(m.x(5)).toBe(0xffffffff80000000n);
    expect(m.x(7)).toBe(0n);
    expect(m.read64(DATA)).toBe(0x11111111_12345678n);
  });
  it('sc without a reservation fails (rd = 1) and does not store', () => {
    const m = makeMachine();
    m.write64(DATA, 5n);
    m.run([A.li(10, DATA), A.li(5, 9), A.scD(6, 10, 5)]);
    expect(m.x(6)).toBe(1n);
    expect(m.read64(DATA)).toBe(5n);
  });
  it('a second sc fails: the first one consumed the reservation', () => {
    const m = makeMachine();
    m.run([A.li(10, DATA), A.lrD(5, 10), A.scD(6, 10, 5), A.scD(7, 10, 5)]);
    expect(m.x(6)).toBe(0n);
    expect(m.x(7)).toBe(1n);
  });
  it('sc to another address than the lr fails', () => {
    const m = makeMachine();
    m.run([A.li(10, DATA), A.lrD(5, 10), A.addi(11, 10, 64), A.scD(6, 11, 5)]);
    expect(m.x(6)).toBe(1n);
  });
  it('a trap between lr and sc clears the reservation', () => {
    const m = makeMachine();
    // mtvec -> handler at +0x100 which skips the ecall (mepc += 4) and mrets
    const handler = RAM_BASE + 0x100;
    m.load(handler, [A.csrr(28, A.CSR.mepc), A.addi(28, 28, 4), A.csrw(A.CSR.mepc, 28), A.mret()]);
    m.run([A.li(29, handler), A.csrw(A.CSR.mtvec, 29), A.li(10, DATA), A.lrD(5, 10), A.ecall(), A.scD(6, 10, 5)]);
    expect(m.x(6)).toBe(1n);
  });
  it("another hart's store to the reserved granule makes sc fail; a store elsewhere does not", () => {
    for (const [offset, expected] of [
      [0, 1n],
      [4, 1n],
      [256, 0n],
    ] as const) {
      const m = makeMachine({ harts: 2 });
      const [h0, h1] = m.harts;
      // hart 0: lr; wfi (pause); sc
      m.load(RAM_BASE, [A.li(10, DATA), A.lrD(5, 10), A.wfi(), A.scD(6, 10, 5), A.wfi()]);
      // hart 1: store to DATA + offset (page already in its TLB before the lr: warm it first)
      m.load(RAM_BASE + 0x1000, [A.li(10, DATA), A.sd(0, 10, 128), A.wfi(), A.sw(0, 10, offset), A.wfi()]);
      h0.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
      h1.reset(BigInt(RAM_BASE + 0x1000), PRIV_M, 0n, 0n);
      h1.run(100); // warms hart 1's store TLB, parks in wfi
      h0.run(100); // lr, parks
      h1.waiting = false;
      h1.run(100); // the store
      h0.waiting = false;
      h0.run(100); // sc
      expect(h0.getX(6)).toBe(expected);
    }
  });
  it('misaligned lr/sc/amo trap with the address-misaligned causes', () => {
    const m = makeMachine();
    const handler = RAM_BASE + 0x100;
    m.load(handler, [A.csrr(20, A.CSR.mcause), A.csrr(21, A.CSR.mtval), A.wfi()]);
    m.run([A.li(29, handler), A.csrw(A.CSR.mtvec, 29), A.li(10, DATA + 4), A.lrD(5, 10)]);
    expect(m.x(20)).toBe(4n); // load address misaligned
    expect(m.x(21)).toBe(BigInt(DATA + 4));
    m.run([A.li(29, handler), A.csrw(A.CSR.mtvec, 29), A.li(10, DATA + 2), A.amoaddW(5, 10, 0)]);
    expect(m.x(20)).toBe(6n); // store/AMO address misaligned
    m.run([A.li(29, handler), A.csrw(A.CSR.mtvec, 29), A.li(10, DATA + 1), A.scW(5, 10, 0)]);
    expect(m.x(20)).toBe(6n);
  });
});

describe('AMOs', () => {
  type Amo = (rd: number, rs1: number, rs2: number) => number;
  const MEM = 0x80000000_fffffff0n; // low word is negative as int32
  const SRC = 0x00000001_00000005n;
  const s32 = (v: bigint) => BigInt.asIntN(32, v);
  const u32 = (v: bigint) => BigInt.asUintN(32, v);
  const s64 = (v: bigint) => BigInt.asIntN(64, v);
  const cases: [string, Amo, Amo, (a: bigint, b: bigint, w: boolean) => bigint][] = [
    ['swap', A.amoswapW, A.amoswapD, (_a, b) => b],
    ['add', A.amoaddW, A.amoaddD, (a, b) => a + b],
    ['xor', A.amoxorW, A.amoxorD, (a, b) => a ^ b],
    ['and', A.amoandW, A.amoandD, (a, b) => a & b],
    ['or', A.amoorW, A.amoorD, (a, b) => a | b],
    ['min', A.amominW, A.amominD, (a, b, w) => ((w ? s32(a) < s32(b) : s64(a) < s64(b)) ? a : b)],
    ['max', A.amomaxW, A.amomaxD, (a, b, w) => ((w ? s32(a) > s32(b) : s64(a) > s64(b)) ? a : b)],
    ['minu', A.amominuW, A.amominuD, (a, b, w) => ((w ? u32(a) < u32(b) : u64(a) < u64(b)) ? a : b)],
    ['maxu', A.amomaxuW, A.amomaxuD, (a, b, w) => ((w ? u32(a) > u32(b) : u64(a) > u64(b)) ? a : b)],
  ];
  for (const [name, w, d, f] of cases) {
    it(`amo${name}.w returns the sign-extended old word and stores 32 bits`, () => {
      const m = makeMachine();
      m.write64(DATA, MEM);
      m.run([A.li(10, DATA), A.li(6, SRC), w(7, 10, 6)]);
      expect(m.x(7)).toBe(u64(s32(MEM)));
      const expectedWord = u32(f(u32(MEM), u32(SRC), true));
      expect(m.read64(DATA)).toBe((MEM & 0xffffffff00000000n) | expectedWord);
    });
    it(`amo${name}.d`, () => {
      const m = makeMachine();
      m.write64(DATA, MEM);
      m.run([A.li(10, DATA), A.li(6, SRC), d(7, 10, 6)]);
      expect(m.x(7)).toBe(MEM);
      expect(m.read64(DATA)).toBe(u64(f(MEM, SRC, false)));
    });
  }
  it('rd = rs2 reads the source before writing the old value', () => {
    const m = makeMachine();
    m.write64(DATA, 10n);
    m.run([A.li(10, DATA), A.li(6, 3), A.amoaddD(6, 10, 6)]);
    expect(m.x(6)).toBe(10n);
    expect(m.read64(DATA)).toBe(13n);
  });
  it('amoadd.d carries across the halves', () => {
    const m = makeMachine();
    m.write64(DATA, 0xffffffffn);
    m.run([A.li(10, DATA), A.li(6, 1), A.amoaddD(7, 10, 6)]);
    expect(m.read64(DATA)).toBe(0x100000000n);
  });
});
