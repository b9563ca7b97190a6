// fadd/fsub/fmul/fdiv/fsqrt in every rounding mode on normal, subnormal, zero, Inf, qNaN and sNaN
// operands, with fflags. Expected values are worked out from IEEE 754-2019 and the RISC-V F/D
// chapters (canonical NaN results, tininess detected after rounding), not from the implementation.

import { describe, expect, it } from 'vitest';
import { DZ, NV, NX, OF, UF, allModes, per, s, same, type Expect } from './harness.js';

// binary32 encodings, NaN-boxed
const S = (bits: number): bigint => s(BigInt(bits >>> 0));
const S_ONE = S(0x3f800000);
const S_NEG_ONE = S(0xbf800000);
const S_MAX = S(0x7f7fffff);
const S_NEG_MAX = S(0xff7fffff);
const S_INF = S(0x7f800000);
const S_NEG_INF = S(0xff800000);
const S_QNAN = S(0x7fc00000);
const S_QNAN_PAYLOAD = S(0x7fc12345);
const S_SNAN = S(0x7f800001);
const S_ZERO = S(0);
const S_NEG_ZERO = S(0x80000000);
const S_MIN_SUB = S(0x00000001);
const S_MIN_NORMAL = S(0x00800000);

// binary64 encodings
const D_ONE = 0x3ff0000000000000n;
const D_ONE_UP = 0x3ff0000000000001n;
const D_MAX = 0x7fefffffffffffffn;
const D_INF = 0x7ff0000000000000n;
const D_NEG_INF = 0xfff0000000000000n;
const D_QNAN = 0x7ff8000000000000n;
const D_SNAN = 0x7ff0000000000001n;
const D_ZERO = 0n;
const D_NEG_ZERO = 0x8000000000000000n;
const D_MIN_NORMAL = 0x0010000000000000n;
const D_MAX_SUB = 0x000fffffffffffffn;

interface Case {
  what: string;
  op: string;
  inputs: bigint[];
  want: Expect[];
}

const cases: Case[] = [
  // --- fadd.s / fsub.s
  { what: '1 + 2^-24 is a tie: even is 1.0', op: 'fadd.s', inputs: [S_ONE, S(0x33800000)],
    want: per(NX, S_ONE, S_ONE, S_ONE, S(0x3f800001), S(0x3f800001)) },
  { what: '1 + 0.75 ulp', op: 'fadd.s', inputs: [S_ONE, S(0x33c00000)],
    want: per(NX, S(0x3f800001), S_ONE, S_ONE, S(0x3f800001), S(0x3f800001)) },
  { what: '-1 - 2^-24 (tie, negative)', op: 'fadd.s', inputs: [S_NEG_ONE, S(0xb3800000)],
    want: per(NX, S_NEG_ONE, S_NEG_ONE, S(0xbf800001), S_NEG_ONE, S(0xbf800001)) },
  { what: '1 - 2^-25 is a tie below 1.0', op: 'fsub.s', inputs: [S_ONE, S(0x33000000)],
    want: per(NX, S_ONE, S(0x3f7fffff), S(0x3f7fffff), S_ONE, S_ONE) },
  { what: 'x + (-x) is +0, or -0 rounding down', op: 'fadd.s', inputs: [S_ONE, S_NEG_ONE],
    want: per(0, S_ZERO, S_ZERO, S_NEG_ZERO, S_ZERO, S_ZERO) },
  { what: '+0 + -0', op: 'fadd.s', inputs: [S_ZERO, S_NEG_ZERO],
    want: per(0, S_ZERO, S_ZERO, S_NEG_ZERO, S_ZERO, S_ZERO) },
  { what: '-0 + -0', op: 'fadd.s', inputs: [S_NEG_ZERO, S_NEG_ZERO], want: same(S_NEG_ZERO, 0) },
  { what: '-0 - +0', op: 'fsub.s', inputs: [S_NEG_ZERO, S_ZERO], want: same(S_NEG_ZERO, 0) },
  { what: 'max + max overflows', op: 'fadd.s', inputs: [S_MAX, S_MAX],
    want: per(OF | NX, S_INF, S_MAX, S_MAX, S_INF, S_INF) },
  { what: '-max - max overflows', op: 'fsub.s', inputs: [S_NEG_MAX, S_MAX],
    want: per(OF | NX, S_NEG_INF, S_NEG_MAX, S_NEG_INF, S_NEG_MAX, S_NEG_INF) },
  { what: 'subnormal + subnormal is exact', op: 'fadd.s', inputs: [S_MIN_SUB, S_MIN_SUB], want: same(S(2), 0) },
  { what: 'min normal - min subnormal is exact (no UF)', op: 'fsub.s', inputs: [S_MIN_NORMAL, S_MIN_SUB],
    want: same(S(0x007fffff), 0) },
  { what: 'Inf + -Inf is invalid', op: 'fadd.s', inputs: [S_INF, S_NEG_INF], want: same(S_QNAN, NV) },
  { what: 'Inf - Inf is invalid', op: 'fsub.s', inputs: [S_INF, S_INF], want: same(S_QNAN, NV) },
  { what: 'Inf + 1', op: 'fadd.s', inputs: [S_INF, S_ONE], want: same(S_INF, 0) },
  { what: 'qNaN payload is not propagated', op: 'fadd.s', inputs: [S_QNAN_PAYLOAD, S_ONE], want: same(S_QNAN, 0) },
  { what: 'sNaN raises NV', op: 'fsub.s', inputs: [S_ONE, S_SNAN], want: same(S_QNAN, NV) },

  // --- fmul.s
  { what: 'tie at the subnormal/normal boundary: tiny after rounding', op: 'fmul.s',
    inputs: [S_MIN_NORMAL, S(0x3f7fffff)],
    want: per(UF | NX, S_MIN_NORMAL, S(0x007fffff), S(0x007fffff), S_MIN_NORMAL, S_MIN_NORMAL) },
  { what: 'just below 2^-126 but not tiny after rounding (no UF when it rounds up)', op: 'fmul.s',
    inputs: [S(0x3f800001), S(0x007fffff)],
    want: [
      [S_MIN_NORMAL, NX],
      [S(0x007fffff), UF | NX],
      [S(0x007fffff), UF | NX],
      [S_MIN_NORMAL, NX],
      [S_MIN_NORMAL, NX],
    ] },
  { what: 'exact subnormal product: no UF', op: 'fmul.s', inputs: [S_MIN_NORMAL, S(0x3f000000)], want: same(S(0x00400000), 0) },
  { what: 'min subnormal * 0.5 ties to zero', op: 'fmul.s', inputs: [S_MIN_SUB, S(0x3f000000)],
    want: per(UF | NX, S_ZERO, S_ZERO, S_ZERO, S_MIN_SUB, S_MIN_SUB) },
  { what: '-min subnormal * 0.5', op: 'fmul.s', inputs: [S(0x80000001), S(0x3f000000)],
    want: per(UF | NX, S_NEG_ZERO, S_NEG_ZERO, S(0x80000001), S_NEG_ZERO, S(0x80000001)) },
  { what: '2^127 * 2 overflows', op: 'fmul.s', inputs: [S(0x7f000000), S(0x40000000)],
    want: per(OF | NX, S_INF, S_MAX, S_MAX, S_INF, S_INF) },
  { what: '0 * Inf is invalid', op: 'fmul.s', inputs: [S_ZERO, S_NEG_INF], want: same(S_QNAN, NV) },
  { what: '-0 * 3', op: 'fmul.s', inputs: [S_NEG_ZERO, S(0x40400000)], want: same(S_NEG_ZERO, 0) },
  { what: '-Inf * -2', op: 'fmul.s', inputs: [S_NEG_INF, S(0xc0000000)], want: same(S_INF, 0) },

  // --- fdiv.s
  { what: '1/3', op: 'fdiv.s', inputs: [S_ONE, S(0x40400000)],
    want: per(NX, S(0x3eaaaaab), S(0x3eaaaaaa), S(0x3eaaaaaa), S(0x3eaaaaab), S(0x3eaaaaab)) },
  { what: '-1/3', op: 'fdiv.s', inputs: [S_NEG_ONE, S(0x40400000)],
    want: per(NX, S(0xbeaaaaab), S(0xbeaaaaaa), S(0xbeaaaaab), S(0xbeaaaaaa), S(0xbeaaaaab)) },
  { what: '6/3 is exact', op: 'fdiv.s', inputs: [S(0x40c00000), S(0x40400000)], want: same(S(0x40000000), 0) },
  { what: '1/+0 divides by zero', op: 'fdiv.s', inputs: [S_ONE, S_ZERO], want: same(S_INF, DZ) },
  { what: '1/-0 divides by zero', op: 'fdiv.s', inputs: [S_ONE, S_NEG_ZERO], want: same(S_NEG_INF, DZ) },
  { what: '0/0 is invalid', op: 'fdiv.s', inputs: [S_ZERO, S_ZERO], want: same(S_QNAN, NV) },
  { what: 'Inf/Inf is invalid', op: 'fdiv.s', inputs: [S_INF, S_NEG_INF], want: same(S_QNAN, NV) },
  { what: 'Inf/0 is Inf without DZ', op: 'fdiv.s', inputs: [S_INF, S_ZERO], want: same(S_INF, 0) },
  { what: '1/Inf', op: 'fdiv.s', inputs: [S_ONE, S_NEG_INF], want: same(S_NEG_ZERO, 0) },
  { what: 'max / 0.5 overflows', op: 'fdiv.s', inputs: [S_MAX, S(0x3f000000)],
    want: per(OF | NX, S_INF, S_MAX, S_MAX, S_INF, S_INF) },
  { what: 'sNaN / 1', op: 'fdiv.s', inputs: [S_SNAN, S_ONE], want: same(S_QNAN, NV) },

  // --- fsqrt.s
  { what: 'sqrt(2)', op: 'fsqrt.s', inputs: [S(0x40000000)],
    want: per(NX, S(0x3fb504f3), S(0x3fb504f3), S(0x3fb504f3), S(0x3fb504f4), S(0x3fb504f3)) },
  { what: 'sqrt(4) is exact', op: 'fsqrt.s', inputs: [S(0x40800000)], want: same(S(0x40000000), 0) },
  { what: 'sqrt(min subnormal) = 2^-75 * sqrt(2)', op: 'fsqrt.s', inputs: [S_MIN_SUB],
    want: per(NX, S(0x1a3504f3), S(0x1a3504f3), S(0x1a3504f3), S(0x1a3504f4), S(0x1a3504f3)) },
  { what: 'sqrt(-0) = -0', op: 'fsqrt.s', inputs: [S_NEG_ZERO], want: same(S_NEG_ZERO, 0) },
  { what: 'sqrt(-1) is invalid', op: 'fsqrt.s', inputs: [S_NEG_ONE], want: same(S_QNAN, NV) },
  { what: 'sqrt(-Inf) is invalid', op: 'fsqrt.s', inputs: [S_NEG_INF], want: same(S_QNAN, NV) },
  { what: 'sqrt(+Inf)', op: 'fsqrt.s', inputs: [S_INF], want: same(S_INF, 0) },
  { what: 'sqrt(qNaN)', op: 'fsqrt.s', inputs: [S_QNAN_PAYLOAD], want: same(S_QNAN, 0) },
  { what: 'sqrt(sNaN)', op: 'fsqrt.s', inputs: [S_SNAN], want: same(S_QNAN, NV) },

  // --- binary64
  { what: '1 + 2^-53 is a tie', op: 'fadd.d', inputs: [D_ONE, 0x3ca0000000000000n],
    want: per(NX, D_ONE, D_ONE, D_ONE, D_ONE_UP, D_ONE_UP) },
  { what: '1 + 2^-54 is a quarter ulp', op: 'fadd.d', inputs: [D_ONE, 0x3c90000000000000n],
    want: per(NX, D_ONE, D_ONE, D_ONE, D_ONE_UP, D_ONE) },
  { what: '-1 - 3*2^-54', op: 'fsub.d', inputs: [0xbff0000000000000n, 0x3ca8000000000000n],
    want: per(NX, 0xbff0000000000001n, 0xbff0000000000000n, 0xbff0000000000001n, 0xbff0000000000000n, 0xbff0000000000001n) },
  { what: 'max + max overflows', op: 'fadd.d', inputs: [D_MAX, D_MAX], want: per(OF | NX, D_INF, D_MAX, D_MAX, D_INF, D_INF) },
  { what: '1 - 1', op: 'fsub.d', inputs: [D_ONE, D_ONE], want: per(0, D_ZERO, D_ZERO, D_NEG_ZERO, D_ZERO, D_ZERO) },
  { what: 'Inf - Inf', op: 'fsub.d', inputs: [D_INF, D_INF], want: same(D_QNAN, NV) },
  { what: 'sNaN + 1', op: 'fadd.d', inputs: [D_SNAN, D_ONE], want: same(D_QNAN, NV) },
  { what: 'qNaN payload + 1', op: 'fadd.d', inputs: [0xfff8000000000123n, D_ONE], want: same(D_QNAN, 0) },
  { what: 'a NaN-boxed single read as a double is a quiet NaN', op: 'fadd.d', inputs: [S_ONE, D_ONE], want: same(D_QNAN, 0) },
  { what: 'tie at the subnormal/normal boundary', op: 'fmul.d', inputs: [D_MIN_NORMAL, 0x3fefffffffffffffn],
    want: per(UF | NX, D_MIN_NORMAL, D_MAX_SUB, D_MAX_SUB, D_MIN_NORMAL, D_MIN_NORMAL) },
  { what: 'below 2^-1022 but not tiny after rounding', op: 'fmul.d', inputs: [D_ONE_UP, D_MAX_SUB],
    want: [
      [D_MIN_NORMAL, NX],
      [D_MAX_SUB, UF | NX],
      [D_MAX_SUB, UF | NX],
      [D_MIN_NORMAL, NX],
      [D_MIN_NORMAL, NX],
    ] },
  { what: 'min subnormal * 0.5', op: 'fmul.d', inputs: [1n, 0x3fe0000000000000n], want: per(UF | NX, 0n, 0n, 0n, 1n, 1n) },
  { what: 'max * 2', op: 'fmul.d', inputs: [D_MAX, 0x4000000000000000n], want: per(OF | NX, D_INF, D_MAX, D_MAX, D_INF, D_INF) },
  { what: 'Inf * 0', op: 'fmul.d', inputs: [D_INF, D_NEG_ZERO], want: same(D_QNAN, NV) },
  { what: '3 * 7 is exact', op: 'fmul.d', inputs: [0x4008000000000000n, 0x401c000000000000n], want: same(0x4035000000000000n, 0) },
  { what: '1/3', op: 'fdiv.d', inputs: [D_ONE, 0x4008000000000000n],
    want: per(NX, 0x3fd5555555555555n, 0x3fd5555555555555n, 0x3fd5555555555555n, 0x3fd5555555555556n, 0x3fd5555555555555n) },
  { what: '1/0', op: 'fdiv.d', inputs: [D_ONE, D_ZERO], want: same(D_INF, DZ) },
  { what: '-0/0', op: 'fdiv.d', inputs: [D_NEG_ZERO, D_ZERO], want: same(D_QNAN, NV) },
  { what: 'min normal / 2^52 = min subnormal, exact', op: 'fdiv.d', inputs: [D_MIN_NORMAL, 0x4330000000000000n], want: same(1n, 0) },
  { what: 'sqrt(2)', op: 'fsqrt.d', inputs: [0x4000000000000000n],
    want: per(NX, 0x3ff6a09e667f3bcdn, 0x3ff6a09e667f3bccn, 0x3ff6a09e667f3bccn, 0x3ff6a09e667f3bcdn, 0x3ff6a09e667f3bcdn) },
  { what: 'sqrt(2^-1074) = 2^-537', op: 'fsqrt.d', inputs: [1n], want: same(0x1e60000000000000n, 0) },
  { what: 'sqrt(-1)', op: 'fsqrt.d', inputs: [0xbff0000000000000n], want: same(D_QNAN, NV) },
  { what: 'sqrt(-0)', op: 'fsqrt.d', inputs: [D_NEG_ZERO], want: same(D_NEG_ZERO, 0) },
  { what: 'sqrt(Inf)', op: 'fsqrt.d', inputs: [D_INF], want: same(D_INF, 0) },
  { what: 'sqrt(sNaN)', op: 'fsqrt.d', inputs: [D_SNAN], want: same(D_QNAN, NV) },
];

const hex = (e: Expect[]): string[] => e.map(([b, f]) => `${b.toString(16)}:${f}`);

describe('arithmetic in all five rounding modes (RNE RTZ RDN RUP RMM)', () => {
  for (const c of cases) {
    it(`${c.op}: ${c.what}`, () => {
      expect(hex(allModes(c.op, c.inputs))).toEqual(hex(c.want));
    });
  }
});
