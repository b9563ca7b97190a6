// RV64M: products and quotients, with table 7.1's division-by-zero and overflow results
// (unprivileged spec 20191213, chapter 7). Expected values are computed here with BigInt from the
// spec's definitions, independent of the emulator's int32-pair arithmetic.

import { describe, expect, it } from 'vitest';
import * as A from './asm.js';
import { makeMachine, u64 } from './machine.js';

type Op = (rd: number, a: number, b: number) => number;

function run(op: Op, a: bigint, b: bigint): bigint {
  const m = makeMachine();
  m.run([A.li(5, a), A.li(6, b), op(7, 5, 6)]);
  return m.x(7);
}

const s64 = (v: bigint) => BigInt.asIntN(64, v);
const uu = (v: bigint) => BigInt.asUintN(64, v);
const MIN = -(1n << 63n);

const VALUES = [
  0n,
  1n,
  -1n,
  2n,
  3n,
  -7n,
  0x7fffffffn,
  -0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x123456789abcdefn,
  -0x123456789abcdefn,
  0x7fffffffffffffffn,
  MIN,
  0x20000000000000n, // 2^53
  0x1fffffffffffffn,
  -0x20000000000001n,
  0xfedcba9876543210n,
];

describe('multiplication', () => {
  for (const a of VALUES) {
    for (const b of [1n, -1n, 0x7fffffffn, 0xfedcba9876543210n, MIN, 0x123456789n, -3n]) {
      it(`a=${a} b=${b}`, () => {
        const sa = s64(a);
        const sb = s64(b);
        expect(run(A.mul, a, b)).toBe(uu(sa * sb));
        expect(run(A.mulh, a, b)).toBe(uu((sa * sb) >> 64n));
        expect(run(A.mulhu, a, b)).toBe(uu((uu(a) * uu(b)) >> 64n));
        expect(run(A.mulhsu, a, b)).toBe(uu((sa * uu(b)) >> 64n));
        const wa = BigInt.asIntN(32, a);
        const wb = BigInt.asIntN(32, b);
        expect(run(A.mulw, a, b)).toBe(uu(BigInt.asIntN(32, wa * wb)));
      });
    }
  }
});

describe('division: table 7.1 corner cases', () => {
  it('division by zero', () => {
    expect(run(A.div, 42n, 0n)).toBe(u64(-1));
    expect(run(A.divu, 42n, 0n)).toBe(0xffffffffffffffffn);
    expect(run(A.rem, -42n, 0n)).toBe(u64(-42));
    expect(run(A.remu, 42n, 0n)).toBe(42n);
    expect(run(A.divw, 42n, 0x100000000n)).toBe(u64(-1)); // low word of the divisor is 0
    expect(run(A.divuw, 42n, 0n)).toBe(u64(-1));
    expect(run(A.remw, 0x1ffffffffn, 0n)).toBe(u64(-1)); // dividend's low word, sign-extended
    expect(run(A.remuw, 0x180000000n, 0n)).toBe(u64(-0x80000000n));
  });
  it('signed overflow', () => {
    expect(run(A.div, MIN, -1n)).toBe(u64(MIN));
    expect(run(A.rem, MIN, -1n)).toBe(0n);
    expect(run(A.divw, -0x80000000n, -1n)).toBe(u64(-0x80000000n));
    expect(run(A.remw, -0x80000000n, -1n)).toBe(0n);
  });
  it('rounds toward zero; the remainder takes the dividend sign', () => {
    expect(run(A.div, -7n, 2n)).toBe(u64(-3));
    expect(run(A.rem, -7n, 2n)).toBe(u64(-1));
    expect(run(A.div, 7n, -2n)).toBe(u64(-3));
    expect(run(A.rem, 7n, -2n)).toBe(1n);
    expect(run(A.divw, -7n, 2n)).toBe(u64(-3));
    expect(run(A.remw, 7n, -2n)).toBe(1n);
    expect(run(A.divuw, -1n, 2n)).toBe(0x7fffffffn);
    expect(run(A.remuw, -1n, 10n)).toBe(5n);
  });
});

describe('division over many operand pairs', () => {
  for (const a of VALUES) {
    for (const b of VALUES) {
      if (b === 0n) continue;
      it(`a=${a} b=${b}`, () => {
        const sa = s64(a);
        const sb = s64(b);
        const overflow = sa === MIN && sb === -1n;
        expect(run(A.div, a, b)).toBe(uu(overflow ? MIN : sa / sb));
        expect(run(A.rem, a, b)).toBe(uu(overflow ? 0n : sa % sb));
        expect(run(A.divu, a, b)).toBe(uu(a) / uu(b));
        expect(run(A.remu, a, b)).toBe(uu(a) % uu(b));
      });
    }
  }
});
