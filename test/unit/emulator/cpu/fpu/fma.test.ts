// Fused multiply-add: one rounding (cases where multiply-then-add or a binary64 intermediate
// rounds differently), the four sign variants, exact-zero signs, and the RISC-V rule that
// inf * 0 raises NV even when the addend is a quiet NaN. Values worked out by hand from IEEE 754.

import { describe, expect, it } from 'vitest';
import { NV, NX, OF, UF, allModes, d, per, run, s, same, type Expect } from './harness.js';

const hex = (e: Expect[]): string[] => e.map(([b, f]) => `${b.toString(16)}:${f}`);
const S = (bits: number): bigint => s(BigInt(bits >>> 0));

describe('single rounding', () => {
  // 24929 * (673 * 2^-24) = (2^24 + 1) * 2^-24 = 1 + 2^-24 exactly: a binary32 tie. Rounding the
  // product first (or the binary64 sum, which absorbs 2^-60) loses the addend that breaks the tie.
  const a = s(24929);
  const b = s(673 * 2 ** -24);
  it('fmadd.s: tie broken upward by a tiny addend', () => {
    expect(hex(allModes('fmadd.s', [a, b, s(2 ** -60)]))).toEqual(
      hex(per(NX, S(0x3f800001), S(0x3f800000), S(0x3f800000), S(0x3f800001), S(0x3f800001))),
    );
  });
  it('fmadd.s: tie broken downward by a tiny negative addend', () => {
    expect(hex(allModes('fmadd.s', [a, b, s(-(2 ** -60))]))).toEqual(
      hex(per(NX, S(0x3f800000), S(0x3f800000), S(0x3f800000), S(0x3f800001), S(0x3f800000))),
    );
  });
  it('fmadd.s: the exact tie rounds to even, RMM away', () => {
    expect(hex(allModes('fmadd.s', [a, b, s(0)]))).toEqual(
      hex(per(NX, S(0x3f800000), S(0x3f800000), S(0x3f800000), S(0x3f800001), S(0x3f800001))),
    );
  });

  // 321 * (28059810762433 * 2^-53) = (2^53 + 1) * 2^-53 = 1 + 2^-53 exactly: a binary64 tie.
  const A = d(321);
  const B = d(28059810762433 * 2 ** -53);
  it('fmadd.d: tie broken upward by 2^-110', () => {
    expect(hex(allModes('fmadd.d', [A, B, d(2 ** -110)]))).toEqual(
      hex(per(NX, 0x3ff0000000000001n, 0x3ff0000000000000n, 0x3ff0000000000000n, 0x3ff0000000000001n, 0x3ff0000000000001n)),
    );
  });
  it('fmadd.d: tie broken downward by -2^-110', () => {
    expect(hex(allModes('fmadd.d', [A, B, d(-(2 ** -110))]))).toEqual(
      hex(per(NX, 0x3ff0000000000000n, 0x3ff0000000000000n, 0x3ff0000000000000n, 0x3ff0000000000001n, 0x3ff0000000000000n)),
    );
  });
  it('fmsub.d: product minus its own rounding keeps the low part exactly', () => {
    // (1 + 2^-52)^2 - (1 + 2^-51) = 2^-104, exact.
    const x = d(1 + 2 ** -52);
    expect(hex(allModes('fmsub.d', [x, x, d(1 + 2 ** -51)]))).toEqual(hex(same(d(2 ** -104), 0)));
  });
  it('fnmadd.d and fnmsub.d negate the product', () => {
    const x = d(1 + 2 ** -52);
    // -(x*x) + (1 + 2^-51) = -2^-104
    expect(hex(allModes('fnmsub.d', [x, x, d(1 + 2 ** -51)]))).toEqual(hex(same(d(-(2 ** -104)), 0)));
    // -(x*x) - (-(1 + 2^-51)) = -2^-104
    expect(hex(allModes('fnmadd.d', [x, x, d(-(1 + 2 ** -51))]))).toEqual(hex(same(d(-(2 ** -104)), 0)));
  });
});

describe('the four forms and zero signs', () => {
  const two = d(2);
  const three = d(3);
  const one = d(1);
  it('2*3+1, 2*3-1, -(2*3)+1, -(2*3)-1', () => {
    expect(run('fmadd.d', [two, three, one], 0).result).toBe(d(7));
    expect(run('fmsub.d', [two, three, one], 0).result).toBe(d(5));
    expect(run('fnmsub.d', [two, three, one], 0).result).toBe(d(-5));
    expect(run('fnmadd.d', [two, three, one], 0).result).toBe(d(-7));
    expect(run('fnmadd.s', [s(2), s(3), s(1)], 0).result).toBe(s(-7));
  });
  it('an exact zero sum is +0, or -0 when rounding down', () => {
    expect(hex(allModes('fmadd.d', [one, one, d(-1)]))).toEqual(hex(per(0, 0n, 0n, d(-0), 0n, 0n)));
    expect(hex(allModes('fnmadd.s', [s(1), s(1), s(-1)]))).toEqual(hex(per(0, s(0), s(0), s(-0), s(0), s(0))));
  });
  it('(-0)*1 + (-0) is -0; (+0)*1 + (-0) follows the sum rule', () => {
    expect(hex(allModes('fmadd.d', [d(-0), one, d(-0)]))).toEqual(hex(same(d(-0), 0)));
    expect(hex(allModes('fmadd.d', [d(0), one, d(-0)]))).toEqual(hex(per(0, 0n, 0n, d(-0), 0n, 0n)));
  });
  it('a zero product leaves the addend exact', () => {
    expect(hex(allModes('fmadd.s', [s(0), s(5), s(1.5)]))).toEqual(hex(same(s(1.5), 0)));
  });
});

describe('special operands', () => {
  const inf = d(Infinity);
  it('inf * 0 + qNaN raises NV (RISC-V requires it)', () => {
    expect(run('fmadd.d', [inf, d(0), 0x7ff8000000000000n], 0)).toMatchObject({ result: 0x7ff8000000000000n, flags: NV });
    expect(run('fmadd.s', [s(0), s(-Infinity), S(0x7fc00000)], 0)).toMatchObject({ result: S(0x7fc00000), flags: NV });
  });
  it('inf * 0 + 1 is invalid', () => {
    expect(run('fmsub.d', [d(0), inf, d(1)], 0)).toMatchObject({ result: 0x7ff8000000000000n, flags: NV });
  });
  it('qNaN operand: canonical NaN, no flags; sNaN: NV', () => {
    expect(run('fmadd.d', [0x7ff8000000000abcn, d(1), d(1)], 0)).toMatchObject({ result: 0x7ff8000000000000n, flags: 0 });
    expect(run('fmadd.d', [d(1), d(1), 0x7ff0000000000001n], 0)).toMatchObject({ result: 0x7ff8000000000000n, flags: NV });
  });
  it('inf * 1 - inf is invalid; inf * 1 + inf is inf', () => {
    expect(run('fmsub.d', [inf, d(1), inf], 0)).toMatchObject({ result: 0x7ff8000000000000n, flags: NV });
    expect(run('fmadd.d', [inf, d(1), inf], 0)).toMatchObject({ result: d(Infinity), flags: 0 });
  });
  it('finite product plus infinite addend', () => {
    expect(run('fnmsub.d', [d(2), d(3), d(-Infinity)], 0)).toMatchObject({ result: d(-Infinity), flags: 0 });
  });
  it('overflow and underflow', () => {
    expect(hex(allModes('fmadd.d', [d(2 ** 1000), d(2 ** 100), d(1)]))).toEqual(
      hex(per(OF | NX, d(Infinity), 0x7fefffffffffffffn, 0x7fefffffffffffffn, d(Infinity), d(Infinity))),
    );
    // 2^-600 * 2^-600 + 0: far below the subnormals
    expect(hex(allModes('fmadd.d', [d(2 ** -600), d(2 ** -600), d(0)]))).toEqual(
      hex(per(UF | NX, 0n, 0n, 0n, 1n, 0n)),
    );
  });
});
