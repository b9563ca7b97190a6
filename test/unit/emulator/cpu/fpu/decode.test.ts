// Decoding: reserved rounding modes, DYN with an invalid frm, unsupported formats and unknown
// funct fields are illegal instructions (status 1) that change no state; DYN reads frm; a static
// rm overrides frm; fflags accrue. Reference: RISC-V F chapter (rm encoding, fcsr) and opcode map.

import { describe, expect, it } from 'vitest';
import { createFpuState, executeFp } from '../../../../../src/emulator/cpu/fpu/index.js';
import { DYN, NX, RNE, RUP, d, getF, opFp, opSpec, r4, run, setF } from './harness.js';

const ONE = d(1);
const TINY = d(2 ** -53);

/** Executes insn on a state with f1 = 1, f2 = 2^-53, f3 = 1 and frm as given; returns status and whether anything changed. */
function attempt(insn: number, frm = 0): { status: number; changed: boolean } {
  const s = createFpuState();
  s.frm = frm;
  setF(s, 1, ONE);
  setF(s, 2, TINY);
  setF(s, 3, ONE);
  const before = Array.from(s.fRaw);
  const x = new Int32Array(64).fill(7);
  const status = executeFp(s, insn, x);
  const changed = s.fflags !== 0 || s.fRaw.some((v, i) => v !== before[i]) || x.some((v) => v !== 7);
  return { status, changed };
}

describe('illegal encodings', () => {
  const rounded = ['fadd.s', 'fsub.d', 'fmul.s', 'fdiv.d', 'fsqrt.s', 'fmadd.d', 'fnmsub.s', 'fcvt.s.d', 'fcvt.d.s', 'fcvt.w.d', 'fcvt.d.w', 'fcvt.s.lu'];
  for (const name of rounded) {
    it(`${name}: rm 5 and 6 are reserved; DYN with frm 5, 6, 7 is illegal`, () => {
      const enc = (rm: number): number => opSpec(name).encode(4, 1, 2, 3, rm);
      for (const rm of [5, 6]) expect(attempt(enc(rm))).toEqual({ status: 1, changed: false });
      for (const frm of [5, 6, 7]) expect(attempt(enc(DYN), frm)).toEqual({ status: 1, changed: false });
      for (const frm of [0, 4]) expect(attempt(enc(DYN), frm).status).toBe(0);
    });
  }
  it('half (fmt 10) and quad (fmt 11) formats are not implemented', () => {
    expect(attempt(opFp(0x02, 2, 1, 0, 4)).status).toBe(1); // fadd.h
    expect(attempt(opFp(0x03, 2, 1, 0, 4)).status).toBe(1); // fadd.q
    expect(attempt(r4(0x43, 2, 3, 2, 1, 0, 4)).status).toBe(1); // fmadd.h
    expect(attempt(r4(0x4f, 3, 3, 2, 1, 0, 4)).status).toBe(1); // fnmadd.q
  });
  it('unknown funct3 on instructions without a rounding mode', () => {
    expect(attempt(opFp(0x10, 2, 1, 3, 4)).status).toBe(1); // fsgnj.s funct3 3
    expect(attempt(opFp(0x15, 2, 1, 2, 4)).status).toBe(1); // fmin.d funct3 2
    expect(attempt(opFp(0x51, 2, 1, 3, 4)).status).toBe(1); // feq.d funct3 3
    expect(attempt(opFp(0x71, 0, 1, 2, 4)).status).toBe(1); // fclass.d funct3 2
    expect(attempt(opFp(0x78, 0, 1, 1, 4)).status).toBe(1); // fmv.w.x funct3 1
  });
  it('fixed rs2 fields', () => {
    expect(attempt(opFp(0x2d, 1, 1, 0, 4)).status).toBe(1); // fsqrt.d with rs2 = 1
    expect(attempt(opFp(0x61, 4, 1, 0, 4)).status).toBe(1); // fcvt.?.d with rs2 = 4
    expect(attempt(opFp(0x69, 5, 1, 0, 4)).status).toBe(1); // fcvt.d.? with rs2 = 5
    expect(attempt(opFp(0x20, 0, 1, 0, 4)).status).toBe(1); // "fcvt.s.s"
    expect(attempt(opFp(0x21, 1, 1, 0, 4)).status).toBe(1); // "fcvt.d.d"
    expect(attempt(opFp(0x70, 1, 1, 0, 4)).status).toBe(1); // fmv.x.w with rs2 = 1
    expect(attempt(opFp(0x79, 1, 1, 0, 4)).status).toBe(1); // fmv.d.x with rs2 = 1
  });
  it('unknown funct7 and foreign opcodes', () => {
    expect(attempt(opFp(0x7f, 0, 1, 0, 4)).status).toBe(1);
    expect(attempt(opFp(0x18, 0, 1, 0, 4)).status).toBe(1);
    expect(attempt(0x00000013).status).toBe(1); // addi x0, x0, 0 is not an FP instruction
  });
  it('accepts an instruction word given as a signed int32', () => {
    // funct7 >= 0x40 sets bit 31: a fetch from an Int32Array hands these over as negative numbers.
    expect(attempt(opFp(0x61, 0, 1, 1, 4) | 0)).toEqual({ status: 0, changed: true }); // fcvt.w.d
    expect(attempt(opFp(0x79, 0, 1, 0, 4) | 0)).toEqual({ status: 0, changed: true }); // fmv.d.x
    expect(attempt(r4(0x43, 1, 31, 2, 1, 0, 4) | 0)).toEqual({ status: 0, changed: true }); // fmadd.d, rs3 = 31
  });
});

describe('rounding-mode selection and fflags', () => {
  it('DYN uses frm', () => {
    expect(run('fadd.d', [ONE, TINY], DYN, { frm: RUP })).toMatchObject({ result: 0x3ff0000000000001n, flags: NX });
    expect(run('fadd.d', [ONE, TINY], DYN, { frm: RNE })).toMatchObject({ result: ONE, flags: NX });
  });
  it('a static rm overrides frm', () => {
    expect(run('fadd.d', [ONE, TINY], RNE, { frm: RUP }).result).toBe(ONE);
    expect(run('fmadd.s', [0xffffffff3f800000n, 0xffffffff3f800000n, 0xffffffff33800000n], RUP, { frm: RNE }).result).toBe(
      0xffffffff3f800001n,
    );
  });
  it('fflags accrue across instructions and are never cleared by them', () => {
    const s = createFpuState();
    setF(s, 1, ONE);
    setF(s, 2, d(0));
    const x = new Int32Array(64);
    expect(executeFp(s, opFp(0x0d, 2, 1, 0, 4), x)).toBe(0); // 1/0: DZ
    setF(s, 2, TINY);
    expect(executeFp(s, opFp(0x01, 2, 1, 0, 5), x)).toBe(0); // 1 + 2^-53: NX
    expect(executeFp(s, opFp(0x01, 1, 1, 0, 6), x)).toBe(0); // 1 + 1: exact
    expect(s.fflags).toBe(8 | NX);
    expect(getF(s, 6)).toBe(d(2));
  });
});

describe('robustness', () => {
  it('random instruction words and register contents never throw', () => {
    let seed = 12345;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed | 0;
    };
    const opcodes = [0x53, 0x43, 0x47, 0x4b, 0x4f];
    const s = createFpuState();
    const x = new Int32Array(64);
    const seen = new Set<number>();
    const bad: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      if (i % 64 === 0) {
        for (let r = 0; r < 64; r++) {
          s.fRaw[r] = next();
          x[r] = next();
        }
        // Keep a share of well-formed singles and ordinary doubles among the random bits.
        for (let r = 1; r < 64; r += 4) s.fRaw[r] = -1;
        x[0] = x[1] = 0;
        s.frm = (next() >>> 0) % 8;
      }
      const insn = (next() & ~0x7f) | opcodes[(next() >>> 0) % opcodes.length];
      const status = executeFp(s, insn, x);
      seen.add(status);
      if ((status !== 0 && status !== 1) || (x[0] | x[1]) !== 0 || (s.fflags & ~0x1f) !== 0) bad.push(insn);
    }
    expect(bad).toEqual([]);
    expect([...seen].sort()).toEqual([0, 1]);
  });
});
