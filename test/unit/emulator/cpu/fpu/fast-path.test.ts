// The round-to-nearest-even fast paths against the exact BigInt path (itself checked against the
// RISC-V reference vectors) on operands clustered at the edges of the fast paths' safe exponent
// windows, at the subnormal boundary and around ties, where a wrong window would show.
// FPU_FAST_N sets the cases per operation (default 4000; 150000 passed when this was written).

import { describe, expect, it } from 'vitest';
import { BINARY32, BINARY64 } from '../../../../../src/emulator/cpu/fpu/constants.js';
import { addBits, convertBits, divBits, fmaBits, mulBits, sqrtBits, subBits } from '../../../../../src/emulator/cpu/fpu/exact-ops.js';
import { softFlags } from '../../../../../src/emulator/cpu/fpu/round-pack.js';
import { run } from './harness.js';

let state = 0x9e3779b97f4a7c15n;
function rnd(): bigint {
  state ^= state >> 12n;
  state ^= (state << 25n) & 0xffffffffffffffffn;
  state ^= state >> 27n;
  return (state * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
}
const pick = <T>(xs: T[]): T => xs[Number(rnd() % BigInt(xs.length))];

/** binary64 operands with exponents near the fast-path window edges (2^-960, 2^995), the
 * subnormal boundary, 1.0 and the overflow threshold; significands random or nearly all ones. */
function operand64(): bigint {
  const centre = pick([-1074, -1022, -969, -960, -540, -480, 0, 26, 497, 995, 1000, 1023]);
  const e = Math.max(-1022, Math.min(1023, centre + Number(rnd() % 9n) - 4));
  const frac = pick([rnd() & 0xfffffffffffffn, 0xfffffffffffffn - (rnd() % 4n), rnd() % 4n]);
  const sign = (rnd() & 1n) << 63n;
  if (centre === -1074) return sign | (rnd() & 0xfffffffffffffn); // subnormal
  return sign | (BigInt(e + 1023) << 52n) | frac;
}

function operand32(): bigint {
  const centre = pick([-149, -126, -63, 0, 64, 127]);
  const e = Math.max(-126, Math.min(127, centre + Number(rnd() % 7n) - 3));
  const frac = pick([rnd() & 0x7fffffn, 0x7fffffn - (rnd() % 4n), rnd() % 4n]);
  const sign = (rnd() & 1n) << 31n;
  const bits = centre === -149 ? sign | (rnd() & 0x7fffffn) : sign | (BigInt(e + 127) << 23n) | frac;
  return 0xffffffff00000000n | bits;
}

function exact(fn: () => bigint, boxed: boolean): string {
  softFlags.value = 0;
  const r = fn();
  return `${(boxed ? 0xffffffff00000000n | r : r).toString(16)}:${softFlags.value}`;
}

const N = Number(process.env.FPU_FAST_N ?? 4000);
const lo32 = (v: bigint): bigint => v & 0xffffffffn;

describe('RNE fast paths agree with the exact path', () => {
  const binary: Array<[string, (a: bigint, b: bigint) => bigint]> = [
    ['fadd.d', (a, b) => addBits(BINARY64, a, b, 0)],
    ['fsub.d', (a, b) => subBits(BINARY64, a, b, 0)],
    ['fmul.d', (a, b) => mulBits(BINARY64, a, b, 0)],
    ['fdiv.d', (a, b) => divBits(BINARY64, a, b, 0)],
  ];
  for (const [name, ref] of binary) {
    it(`${name}: ${N} operand pairs near the window edges`, () => {
      const bad: string[] = [];
      for (let i = 0; i < N; i++) {
        const a = operand64();
        // Pair with a related operand half of the time (cancellation, quotients near 1).
        const b = rnd() & 1n ? operand64() : a ^ (rnd() % 8n) ^ ((rnd() & 1n) << 63n);
        const o = run(name, [a, b], 0);
        const want = exact(() => ref(a, b), false);
        if (`${o.result.toString(16)}:${o.flags}` !== want) bad.push(`${a.toString(16)} ${b.toString(16)} -> ${want}`);
      }
      expect(bad.slice(0, 5)).toEqual([]);
    });
  }
  it(`fsqrt.d: ${N} operands`, () => {
    const bad: string[] = [];
    for (let i = 0; i < N; i++) {
      const a = operand64() & 0x7fffffffffffffffn;
      const o = run('fsqrt.d', [a], 0);
      const want = exact(() => sqrtBits(BINARY64, a, 0), false);
      if (`${o.result.toString(16)}:${o.flags}` !== want) bad.push(`${a.toString(16)} -> ${want}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });
  it(`fmadd.d: ${N} triples, half of them cancelling`, () => {
    const bad: string[] = [];
    for (let i = 0; i < N; i++) {
      const a = operand64();
      const b = operand64();
      let c = operand64();
      if (rnd() & 1n) {
        // -(a*b) rounded, nudged by a few ulps: massive cancellation
        c = mulBits(BINARY64, a, b, 0) ^ (1n << 63n);
        c += (rnd() % 5n) - 2n;
        c &= 0xffffffffffffffffn;
      }
      const o = run('fmadd.d', [a, b, c], 0);
      const want = exact(() => fmaBits(BINARY64, a, b, c, 0), false);
      if (`${o.result.toString(16)}:${o.flags}` !== want) bad.push(`${a.toString(16)} ${b.toString(16)} ${c.toString(16)} -> ${want}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });
  it(`binary32 add/mul/div/sqrt/fma and fcvt.s.d: ${N} cases each`, () => {
    const bad: string[] = [];
    for (let i = 0; i < N; i++) {
      const a = operand32();
      const b = operand32();
      const c = rnd() & 1n ? operand32() : 0xffffffff00000000n | (lo32(mulBits(BINARY32, lo32(a), lo32(b), 0)) ^ 0x80000000n);
      const cases: Array<[string, bigint[], () => bigint]> = [
        ['fadd.s', [a, b], () => addBits(BINARY32, lo32(a), lo32(b), 0)],
        ['fmul.s', [a, b], () => mulBits(BINARY32, lo32(a), lo32(b), 0)],
        ['fdiv.s', [a, b], () => divBits(BINARY32, lo32(a), lo32(b), 0)],
        ['fsqrt.s', [a & ~0x80000000n], () => sqrtBits(BINARY32, lo32(a) & 0x7fffffffn, 0)],
        ['fmadd.s', [a, b, c], () => fmaBits(BINARY32, lo32(a), lo32(b), lo32(c), 0)],
      ];
      for (const [name, inputs, ref] of cases) {
        const o = run(name, inputs, 0);
        const want = exact(ref, true);
        if (`${o.result.toString(16)}:${o.flags}` !== want) bad.push(`${name} ${inputs.map((v) => v.toString(16)).join(' ')} -> ${want}`);
      }
      const x = operand64();
      const o = run('fcvt.s.d', [x], 0);
      const want = exact(() => convertBits(BINARY64, BINARY32, x, 0), true);
      if (`${o.result.toString(16)}:${o.flags}` !== want) bad.push(`fcvt.s.d ${x.toString(16)} -> ${want}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });
});
