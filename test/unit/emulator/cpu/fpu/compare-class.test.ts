// fmin/fmax (IEEE 754-2019 minimumNumber/maximumNumber as RISC-V 2.2+ defines them: -0 < +0, one
// NaN operand yields the other, signaling NaN raises NV), feq (quiet) vs flt/fle (signaling),
// and fclass on all ten classes. Values from the RISC-V F chapter.

import { describe, expect, it } from 'vitest';
import { NV, d, run, s } from './harness.js';

const S = (bits: number): bigint => s(BigInt(bits >>> 0));

describe('fmin / fmax', () => {
  for (const fmt of ['s', 'd'] as const) {
    const v = fmt === 's' ? (x: number) => s(x) : d;
    const qnan = fmt === 's' ? S(0x7fc00000) : 0x7ff8000000000000n;
    const qnanPayload = fmt === 's' ? S(0x7fc00abc) : 0x7ff8000000000abcn;
    const snan = fmt === 's' ? S(0x7f800001) : 0x7ff0000000000001n;
    it(`${fmt}: -0 is less than +0`, () => {
      expect(run(`fmin.${fmt}`, [v(-0), v(0)], 0).result).toBe(v(-0));
      expect(run(`fmin.${fmt}`, [v(0), v(-0)], 0).result).toBe(v(-0));
      expect(run(`fmax.${fmt}`, [v(-0), v(0)], 0).result).toBe(v(0));
      expect(run(`fmax.${fmt}`, [v(0), v(-0)], 0).result).toBe(v(0));
    });
    it(`${fmt}: ordinary values and infinities`, () => {
      expect(run(`fmin.${fmt}`, [v(-Infinity), v(1)], 0)).toMatchObject({ result: v(-Infinity), flags: 0 });
      expect(run(`fmax.${fmt}`, [v(1), v(-Infinity)], 0)).toMatchObject({ result: v(1), flags: 0 });
      expect(run(`fmax.${fmt}`, [v(-3), v(-2)], 0)).toMatchObject({ result: v(-2), flags: 0 });
    });
    it(`${fmt}: one NaN yields the other operand; sNaN raises NV`, () => {
      expect(run(`fmin.${fmt}`, [qnanPayload, v(1)], 0)).toMatchObject({ result: v(1), flags: 0 });
      expect(run(`fmax.${fmt}`, [v(-1), qnan], 0)).toMatchObject({ result: v(-1), flags: 0 });
      expect(run(`fmin.${fmt}`, [snan, v(1)], 0)).toMatchObject({ result: v(1), flags: NV });
      expect(run(`fmax.${fmt}`, [v(2), snan], 0)).toMatchObject({ result: v(2), flags: NV });
    });
    it(`${fmt}: two NaNs give the canonical NaN`, () => {
      expect(run(`fmin.${fmt}`, [qnanPayload, qnanPayload], 0)).toMatchObject({ result: qnan, flags: 0 });
      expect(run(`fmax.${fmt}`, [snan, qnanPayload], 0)).toMatchObject({ result: qnan, flags: NV });
    });
  }
});

describe('feq / flt / fle', () => {
  for (const fmt of ['s', 'd'] as const) {
    const v = fmt === 's' ? (x: number) => s(x) : d;
    const qnan = fmt === 's' ? S(0x7fc00000) : 0x7ff8000000000000n;
    const snan = fmt === 's' ? S(0xff800001) : 0xfff0000000000001n;
    it(`${fmt}: ordered comparisons`, () => {
      expect(run(`feq.${fmt}`, [v(-0), v(0)], 0)).toMatchObject({ result: 1n, flags: 0 });
      expect(run(`flt.${fmt}`, [v(-0), v(0)], 0)).toMatchObject({ result: 0n, flags: 0 });
      expect(run(`fle.${fmt}`, [v(-0), v(0)], 0)).toMatchObject({ result: 1n, flags: 0 });
      expect(run(`flt.${fmt}`, [v(-Infinity), v(Infinity)], 0)).toMatchObject({ result: 1n, flags: 0 });
      expect(run(`fle.${fmt}`, [v(2), v(1)], 0)).toMatchObject({ result: 0n, flags: 0 });
      expect(run(`feq.${fmt}`, [v(1), v(2)], 0)).toMatchObject({ result: 0n, flags: 0 });
    });
    it(`${fmt}: feq is quiet: NV only for signaling NaNs`, () => {
      expect(run(`feq.${fmt}`, [qnan, v(1)], 0)).toMatchObject({ result: 0n, flags: 0 });
      expect(run(`feq.${fmt}`, [qnan, qnan], 0)).toMatchObject({ result: 0n, flags: 0 });
      expect(run(`feq.${fmt}`, [v(1), snan], 0)).toMatchObject({ result: 0n, flags: NV });
    });
    it(`${fmt}: flt and fle signal NV for any NaN`, () => {
      expect(run(`flt.${fmt}`, [qnan, v(1)], 0)).toMatchObject({ result: 0n, flags: NV });
      expect(run(`fle.${fmt}`, [v(1), qnan], 0)).toMatchObject({ result: 0n, flags: NV });
      expect(run(`fle.${fmt}`, [snan, snan], 0)).toMatchObject({ result: 0n, flags: NV });
    });
  }
  it('rd = x0 is never written', () => {
    expect(run('feq.d', [d(1), d(1)], 0, { regs: [0, 1, 2, 3] }).result).toBe(0n);
  });
});

describe('fclass', () => {
  const single: Array<[string, number, number]> = [
    ['-Inf', 0xff800000, 0],
    ['negative normal', 0xbf800000, 1],
    ['negative subnormal', 0x80000001, 2],
    ['-0', 0x80000000, 3],
    ['+0', 0x00000000, 4],
    ['positive subnormal', 0x007fffff, 5],
    ['positive normal', 0x00800000, 6],
    ['+Inf', 0x7f800000, 7],
    ['signaling NaN', 0x7f800001, 8],
    ['negative signaling NaN', 0xffbfffff, 8],
    ['quiet NaN', 0x7fc00000, 9],
    ['negative quiet NaN', 0xffc00001, 9],
  ];
  for (const [what, bits, bit] of single) {
    it(`fclass.s ${what}`, () => expect(run('fclass.s', [S(bits)], 0)).toMatchObject({ result: 1n << BigInt(bit), flags: 0 }));
  }
  const double: Array<[string, bigint, number]> = [
    ['-Inf', 0xfff0000000000000n, 0],
    ['negative normal', 0x8010000000000000n, 1],
    ['negative subnormal', 0x800fffffffffffffn, 2],
    ['-0', 0x8000000000000000n, 3],
    ['+0', 0n, 4],
    ['positive subnormal', 1n, 5],
    ['positive normal', 0x7fefffffffffffffn, 6],
    ['+Inf', 0x7ff0000000000000n, 7],
    ['signaling NaN', 0x7ff4000000000000n, 8],
    ['quiet NaN', 0xfff8000000000001n, 9],
    ['a boxed single seen as a double', 0xffffffff3f800000n, 9],
  ];
  for (const [what, bits, bit] of double) {
    it(`fclass.d ${what}`, () => expect(run('fclass.d', [bits], 0)).toMatchObject({ result: 1n << BigInt(bit), flags: 0 }));
  }
});
