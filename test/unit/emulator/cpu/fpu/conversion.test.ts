// FCVT: the float-to-integer saturation table of the RISC-V F chapter ("Domains of float-to-integer
// conversions and behavior for invalid inputs"), rounding of each mode, integer-to-float rounding,
// and binary32 <-> binary64. Expected values come from the spec table and IEEE 754 rounding.

import { describe, expect, it } from 'vitest';
import { NV, NX, OF, UF, allModes, d, per, run, s, same, type Expect } from './harness.js';

const hex = (e: Expect[]): string[] => e.map(([b, f]) => `${b.toString(16)}:${f}`);
const S = (bits: number): bigint => s(BigInt(bits >>> 0));

const I32_MAX = 0x7fffffffn;
const I32_MIN = 0xffffffff80000000n; // -2^31 sign-extended
const U32_MAX = 0xffffffffffffffffn; // 2^32-1 sign-extended, as the spec requires for 32-bit results
const I64_MAX = 0x7fffffffffffffffn;
const I64_MIN = 0x8000000000000000n;
const U64_MAX = 0xffffffffffffffffn;

describe('float to integer saturation (spec table)', () => {
  const table: Array<[string, bigint, bigint, bigint, bigint, bigint]> = [
    // [input, w, wu, l, lu] for binary64 inputs, all raising NV
    ['-Inf', d(-Infinity), I32_MIN, 0n, I64_MIN, 0n],
    ['+Inf', d(Infinity), I32_MAX, U32_MAX, I64_MAX, U64_MAX],
    ['qNaN', 0x7ff8000000000000n, I32_MAX, U32_MAX, I64_MAX, U64_MAX],
    ['negative qNaN', 0xfff8000000000000n, I32_MAX, U32_MAX, I64_MAX, U64_MAX],
    ['sNaN', 0x7ff0000000000001n, I32_MAX, U32_MAX, I64_MAX, U64_MAX],
    ['-2^64', d(-(2 ** 64)), I32_MIN, 0n, I64_MIN, 0n],
    ['2^64', d(2 ** 64), I32_MAX, U32_MAX, I64_MAX, U64_MAX],
  ];
  for (const [what, input, w, wu, l, lu] of table) {
    it(`${what} (binary64 and binary32)`, () => {
      const names = ['w', 'wu', 'l', 'lu'];
      [w, wu, l, lu].forEach((want, i) => {
        for (let rm = 0; rm < 5; rm++) {
          expect(run(`fcvt.${names[i]}.d`, [input], rm)).toMatchObject({ result: want, flags: NV });
        }
      });
      // The same values as binary32 inputs.
      const single =
        input === 0x7ff8000000000000n ? S(0x7fc00000)
        : input === 0xfff8000000000000n ? S(0xffc00000)
        : input === 0x7ff0000000000001n ? S(0x7f800001)
        : s(new Float64Array(new BigUint64Array([input]).buffer)[0]);
      [w, wu, l, lu].forEach((want, i) => {
        expect(run(`fcvt.${names[i]}.s`, [single], 0)).toMatchObject({ result: want, flags: NV });
      });
    });
  }

  it('fcvt.w: edges of the int32 range', () => {
    expect(run('fcvt.w.d', [d(-(2 ** 31))], 0)).toMatchObject({ result: I32_MIN, flags: 0 });
    expect(run('fcvt.w.d', [d(2 ** 31 - 1)], 0)).toMatchObject({ result: I32_MAX, flags: 0 });
    expect(run('fcvt.w.d', [d(2 ** 31)], 0)).toMatchObject({ result: I32_MAX, flags: NV });
    expect(run('fcvt.w.s', [S(0x4effffff)], 0)).toMatchObject({ result: 0x7fffff80n, flags: 0 });
    expect(run('fcvt.w.s', [S(0xcf000001)], 0)).toMatchObject({ result: I32_MIN, flags: NV });
    // 2147483647.5 rounds into range or out of it depending on the mode.
    expect(hex(allModes('fcvt.w.d', [d(2147483647.5)]))).toEqual(
      hex([[I32_MAX, NV], [I32_MAX, NX], [I32_MAX, NX], [I32_MAX, NV], [I32_MAX, NV]]),
    );
    expect(hex(allModes('fcvt.w.d', [d(-2147483648.5)]))).toEqual(
      hex([[I32_MIN, NX], [I32_MIN, NX], [I32_MIN, NV], [I32_MIN, NX], [I32_MIN, NV]]),
    );
  });

  it('fcvt.wu: negative inputs that round to zero are in range', () => {
    expect(hex(allModes('fcvt.wu.d', [d(-0.5)]))).toEqual(hex([[0n, NX], [0n, NX], [0n, NV], [0n, NX], [0n, NV]]));
    expect(run('fcvt.wu.d', [d(-1)], 1)).toMatchObject({ result: 0n, flags: NV });
    expect(run('fcvt.wu.d', [d(-0)], 0)).toMatchObject({ result: 0n, flags: 0 });
    // 2^32-1 fits and is sign-extended; 2^31 too.
    expect(run('fcvt.wu.d', [d(2 ** 32 - 1)], 0)).toMatchObject({ result: U32_MAX, flags: 0 });
    expect(run('fcvt.wu.d', [d(2 ** 31)], 0)).toMatchObject({ result: 0xffffffff80000000n, flags: 0 });
    expect(run('fcvt.wu.d', [d(2 ** 32)], 0)).toMatchObject({ result: U32_MAX, flags: NV });
  });

  it('fcvt.l / fcvt.lu: edges of the 64-bit ranges', () => {
    expect(run('fcvt.l.d', [d(2 ** 63)], 0)).toMatchObject({ result: I64_MAX, flags: NV });
    expect(run('fcvt.l.d', [d(-(2 ** 63))], 0)).toMatchObject({ result: I64_MIN, flags: 0 });
    expect(run('fcvt.l.d', [0x43dfffffffffffffn], 0)).toMatchObject({ result: 0x7ffffffffffffc00n, flags: 0 });
    expect(run('fcvt.l.d', [0xc3e0000000000001n], 0)).toMatchObject({ result: I64_MIN, flags: NV });
    expect(run('fcvt.lu.d', [0x43efffffffffffffn], 0)).toMatchObject({ result: 0xfffffffffffff800n, flags: 0 });
    expect(run('fcvt.lu.d', [d(2 ** 64)], 0)).toMatchObject({ result: U64_MAX, flags: NV });
    expect(run('fcvt.l.s', [s(-1.5)], 0)).toMatchObject({ result: 0xfffffffffffffffen, flags: NX });
    expect(run('fcvt.lu.s', [s(2 ** 63)], 0)).toMatchObject({ result: 0x8000000000000000n, flags: 0 });
  });
});

describe('rounding to integer', () => {
  const m = (v: bigint): bigint => BigInt.asUintN(64, v);
  it('2.5 and -2.5 in each mode', () => {
    expect(hex(allModes('fcvt.w.d', [d(2.5)]))).toEqual(hex(per(NX, 2n, 2n, 2n, 3n, 3n)));
    expect(hex(allModes('fcvt.l.d', [d(-2.5)]))).toEqual(hex(per(NX, m(-2n), m(-2n), m(-3n), m(-2n), m(-3n))));
    expect(hex(allModes('fcvt.w.s', [s(1.5)]))).toEqual(hex(per(NX, 2n, 1n, 1n, 2n, 2n)));
    expect(hex(allModes('fcvt.w.s', [s(0.25)]))).toEqual(hex(per(NX, 0n, 0n, 0n, 1n, 0n)));
    expect(hex(allModes('fcvt.w.s', [s(-0.75)]))).toEqual(hex(per(NX, m(-1n), 0n, m(-1n), 0n, m(-1n))));
  });
  it('exact integers raise nothing', () => {
    expect(hex(allModes('fcvt.l.d', [d(-123456789012)]))).toEqual(hex(same(m(-123456789012n), 0)));
  });
  it('rd = x0 is not written but flags still accrue', () => {
    const o = run('fcvt.w.d', [d(Infinity)], 0, { regs: [0, 1, 2, 3] });
    expect(o).toMatchObject({ result: 0n, flags: NV });
  });
});

describe('integer to float', () => {
  it('2^24 + 1 to binary32 is a tie', () => {
    expect(hex(allModes('fcvt.s.w', [16777217n]))).toEqual(
      hex(per(NX, S(0x4b800000), S(0x4b800000), S(0x4b800000), S(0x4b800001), S(0x4b800001))),
    );
    expect(hex(allModes('fcvt.s.l', [BigInt.asUintN(64, -16777217n)]))).toEqual(
      hex(per(NX, S(0xcb800000), S(0xcb800000), S(0xcb800001), S(0xcb800000), S(0xcb800001))),
    );
  });
  it('fcvt.s.w reads only the low 32 bits, fcvt.s.wu unsigned', () => {
    expect(run('fcvt.s.w', [0x12345678ffffffffn], 0)).toMatchObject({ result: s(-1), flags: 0 });
    expect(hex(allModes('fcvt.s.wu', [0xffffffffn]))).toEqual(
      hex(per(NX, S(0x4f800000), S(0x4f7fffff), S(0x4f7fffff), S(0x4f800000), S(0x4f800000))),
    );
  });
  it('fcvt.d.w and fcvt.d.wu are exact', () => {
    expect(run('fcvt.d.w', [0xffffffff80000000n], 0)).toMatchObject({ result: d(-(2 ** 31)), flags: 0 });
    expect(run('fcvt.d.wu', [0xffffffffn], 0)).toMatchObject({ result: d(2 ** 32 - 1), flags: 0 });
  });
  it('64-bit integers to binary64', () => {
    expect(hex(allModes('fcvt.d.l', [2n ** 53n + 1n]))).toEqual(
      hex(per(NX, 0x4340000000000000n, 0x4340000000000000n, 0x4340000000000000n, 0x4340000000000001n, 0x4340000000000001n)),
    );
    expect(hex(allModes('fcvt.d.l', [I64_MIN]))).toEqual(hex(same(0xc3e0000000000000n, 0)));
    expect(hex(allModes('fcvt.d.lu', [U64_MAX]))).toEqual(
      hex(per(NX, 0x43f0000000000000n, 0x43efffffffffffffn, 0x43efffffffffffffn, 0x43f0000000000000n, 0x43f0000000000000n)),
    );
    expect(run('fcvt.d.l', [U64_MAX], 0)).toMatchObject({ result: d(-1), flags: 0 });
    expect(run('fcvt.d.lu', [0n], 0)).toMatchObject({ result: 0n, flags: 0 });
  });
});

describe('binary64 <-> binary32', () => {
  it('fcvt.s.d rounds in each mode', () => {
    expect(hex(allModes('fcvt.s.d', [d(1 + 2 ** -24)]))).toEqual(
      hex(per(NX, S(0x3f800000), S(0x3f800000), S(0x3f800000), S(0x3f800001), S(0x3f800001))),
    );
    expect(hex(allModes('fcvt.s.d', [d(-(1 + 2 ** -24))]))).toEqual(
      hex(per(NX, S(0xbf800000), S(0xbf800000), S(0xbf800001), S(0xbf800000), S(0xbf800001))),
    );
  });
  it('fcvt.s.d overflow and underflow', () => {
    expect(hex(allModes('fcvt.s.d', [0x7fefffffffffffffn]))).toEqual(
      hex(per(OF | NX, S(0x7f800000), S(0x7f7fffff), S(0x7f7fffff), S(0x7f800000), S(0x7f800000))),
    );
    expect(hex(allModes('fcvt.s.d', [d(2 ** -150)]))).toEqual(hex(per(UF | NX, S(0), S(0), S(0), S(1), S(1))));
    expect(hex(allModes('fcvt.s.d', [d(2 ** -149)]))).toEqual(hex(same(S(1), 0)));
    // Just below 2^-126 by less than half a binary32 ulp: not tiny after rounding in RNE.
    expect(hex(allModes('fcvt.s.d', [d(2 ** -126 - 2 ** -160)]))).toEqual(
      hex([[S(0x00800000), NX], [S(0x007fffff), UF | NX], [S(0x007fffff), UF | NX], [S(0x00800000), NX], [S(0x00800000), NX]]),
    );
  });
  it('fcvt.s.d of NaNs, infinities and zeros', () => {
    expect(run('fcvt.s.d', [0x7ff8000000012345n], 0)).toMatchObject({ result: S(0x7fc00000), flags: 0 });
    expect(run('fcvt.s.d', [0x7ff0000000000001n], 0)).toMatchObject({ result: S(0x7fc00000), flags: NV });
    expect(run('fcvt.s.d', [d(-Infinity)], 0)).toMatchObject({ result: S(0xff800000), flags: 0 });
    expect(run('fcvt.s.d', [d(-0)], 3)).toMatchObject({ result: S(0x80000000), flags: 0 });
  });
  it('fcvt.d.s is exact, NaNs become the canonical NaN', () => {
    expect(run('fcvt.d.s', [s(1.5)], 0)).toMatchObject({ result: d(1.5), flags: 0 });
    expect(run('fcvt.d.s', [S(1)], 0)).toMatchObject({ result: d(2 ** -149), flags: 0 });
    expect(run('fcvt.d.s', [S(0x7fc12345)], 0)).toMatchObject({ result: 0x7ff8000000000000n, flags: 0 });
    expect(run('fcvt.d.s', [S(0xff800001)], 0)).toMatchObject({ result: 0x7ff8000000000000n, flags: NV });
    expect(run('fcvt.d.s', [S(0xff800000)], 0)).toMatchObject({ result: d(-Infinity), flags: 0 });
  });
});
