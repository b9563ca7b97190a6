// NaN-boxing (RISC-V D chapter, "NaN Boxing of Narrower Values"): single-precision results are
// written with the upper 32 bits all ones; an input whose upper half is not all ones is read as
// the canonical NaN 0x7fc00000 by every instruction that reads a binary32 operand, except the
// raw move fmv.x.w. Register moves keep NaN payloads bit for bit.

import { describe, expect, it } from 'vitest';
import { createFpuState, executeFp } from '../../../../../src/emulator/cpu/fpu/index.js';
import { NV, getF, opFp, run, s, setF } from './harness.js';

const S = (bits: number): bigint => s(BigInt(bits >>> 0));
const CANON = S(0x7fc00000);
const ONE_UNBOXED = 0x000000003f800000n; // 1.0 in the low word, upper half zero
const SNAN_BADLY_BOXED = 0xfffffffe7f800001n; // a signaling NaN, but not properly boxed

describe('improperly boxed binary32 operands read as the canonical (quiet) NaN', () => {
  it('arithmetic gives the canonical NaN without NV', () => {
    expect(run('fadd.s', [ONE_UNBOXED, s(1)], 0)).toMatchObject({ result: CANON, flags: 0 });
    expect(run('fmul.s', [s(2), SNAN_BADLY_BOXED], 0)).toMatchObject({ result: CANON, flags: 0 });
    expect(run('fsqrt.s', [ONE_UNBOXED], 1)).toMatchObject({ result: CANON, flags: 0 });
    expect(run('fmadd.s', [s(1), s(2), ONE_UNBOXED], 0)).toMatchObject({ result: CANON, flags: 0 });
    expect(run('fdiv.s', [ONE_UNBOXED, s(0)], 2)).toMatchObject({ result: CANON, flags: 0 });
  });
  it('sign injection works on the canonical NaN', () => {
    expect(run('fsgnj.s', [ONE_UNBOXED, s(-1)], 0).result).toBe(S(0xffc00000));
    expect(run('fsgnjn.s', [ONE_UNBOXED, s(1)], 0).result).toBe(S(0xffc00000));
    expect(run('fsgnj.s', [s(1), ONE_UNBOXED], 0).result).toBe(s(1)); // sign of the canonical NaN is +
    expect(run('fsgnjx.s', [s(-2), ONE_UNBOXED], 0).result).toBe(s(-2));
  });
  it('comparisons, min/max, class and conversions see a quiet NaN', () => {
    expect(run('feq.s', [ONE_UNBOXED, s(1)], 0)).toMatchObject({ result: 0n, flags: 0 });
    expect(run('flt.s', [ONE_UNBOXED, s(1)], 0)).toMatchObject({ result: 0n, flags: NV });
    expect(run('fmin.s', [ONE_UNBOXED, s(3)], 0)).toMatchObject({ result: s(3), flags: 0 });
    expect(run('fmax.s', [SNAN_BADLY_BOXED, ONE_UNBOXED], 0)).toMatchObject({ result: CANON, flags: 0 });
    expect(run('fclass.s', [SNAN_BADLY_BOXED], 0).result).toBe(1n << 9n);
    expect(run('fcvt.d.s', [ONE_UNBOXED], 0)).toMatchObject({ result: 0x7ff8000000000000n, flags: 0 });
    expect(run('fcvt.w.s', [ONE_UNBOXED], 0)).toMatchObject({ result: 0x7fffffffn, flags: NV });
  });
  it('fmv.x.w moves the raw low word, sign-extended, boxed or not', () => {
    expect(run('fmv.x.w', [0x1234567887654321n], 0).result).toBe(0xffffffff87654321n);
    expect(run('fmv.x.w', [0xffffffff7f800001n], 0).result).toBe(0x7f800001n);
  });
});

describe('results are boxed and payloads survive moves', () => {
  it('fmv.w.x boxes the low 32 bits of the integer register', () => {
    expect(run('fmv.w.x', [0x1234567887654321n], 0).result).toBe(0xffffffff87654321n);
  });
  it('fmv.d.x / fmv.x.d and fsgnj.d keep signaling NaN payloads', () => {
    expect(run('fmv.d.x', [0x7ff0000000000001n], 0).result).toBe(0x7ff0000000000001n);
    expect(run('fmv.x.d', [0xfff4000000abcdefn], 0).result).toBe(0xfff4000000abcdefn);
    expect(run('fsgnjn.d', [0x7ff0000000000001n, 0x7ff0000000000001n], 0)).toMatchObject({
      result: 0xfff0000000000001n,
      flags: 0,
    });
    expect(run('fsgnjx.s', [S(0xff800001), S(0xff800001)], 0)).toMatchObject({ result: S(0x7f800001), flags: 0 });
  });
  it('a single-precision result overwrites all 64 bits of the destination', () => {
    const st = createFpuState();
    setF(st, 1, s(1));
    setF(st, 2, s(2));
    setF(st, 3, 0x123456789abcdef0n);
    expect(executeFp(st, opFp(0x00, 2, 1, 0, 3), new Int32Array(64))).toBe(0);
    expect(getF(st, 3)).toBe(s(3));
  });
  it('f and fRaw alias one buffer', () => {
    const st = createFpuState();
    st.f[5] = 1;
    expect(st.fRaw[10]).toBe(0);
    expect(st.fRaw[11]).toBe(0x3ff00000);
    expect(st.f.buffer).toBe(st.fRaw.buffer);
  });
});
