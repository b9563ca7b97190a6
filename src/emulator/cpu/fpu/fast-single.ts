// Round-to-nearest-even fast paths for binary32 arithmetic: compute in binary64, round once more
// with Math.fround. Double rounding is innocuous for + - * / sqrt because 53 >= 2*24 + 2
// (Figueroa, "When is double rounding innocuous?", SIGNUM 1995); FMA is not covered by that
// result, so fmaS resolves the one case where it matters (a binary64 sum that is a binary32 tie).
// Reference: IEEE 754-2019 7.4-7.6, RISC-V F chapter (tininess after rounding).
// Operands are binary32 values held exactly in doubles. Each function writes f[rd] NaN-boxed
// (through f32, a Float32Array over the register file) and returns the flags raised, or SLOW (nothing written) for overflow, NaN/Inf operands and
// results at the smallest normal magnitude, where tininess-after-rounding needs the exact path.

import { FFLAG_NX, FFLAG_UF } from './constants.js';
import { SLOW } from './fast-double.js';

const MIN_NORMAL = 2 ** -126;

/** Flags for a finite binary32 result s that is inexact when nx: adds UF for tiny results. */
function finish(f32: Float32Array, fRaw: Int32Array, rd: number, s: number, nx: boolean): number {
  let flags = 0;
  if (nx) {
    const m = s < 0 ? -s : s;
    if (m === MIN_NORMAL) return SLOW;
    flags = m < MIN_NORMAL ? FFLAG_NX | FFLAG_UF : FFLAG_NX;
  }
  f32[2 * rd] = s; // exact: s is a binary32 value
  fRaw[2 * rd + 1] = -1;
  return flags;
}

export function addS(f32: Float32Array, fRaw: Int32Array, rd: number, a: number, b: number): number {
  const r = a + b;
  const s = Math.fround(r);
  if (s - s !== 0) return SLOW;
  const bb = r - a;
  const err = a - (r - bb) + (b - bb);
  return finish(f32, fRaw, rd, s, err !== 0 || s !== r);
}

export function mulS(f32: Float32Array, fRaw: Int32Array, rd: number, a: number, b: number): number {
  const r = a * b; // exact: 24x24-bit significands, exponents far inside binary64's range
  const s = Math.fround(r);
  if (s - s !== 0) return SLOW;
  return finish(f32, fRaw, rd, s, s !== r);
}

export function divS(f32: Float32Array, fRaw: Int32Array, rd: number, a: number, b: number): number {
  if (b - b !== 0 || b === 0) return SLOW;
  const q = a / b;
  const s = Math.fround(q);
  if (s - s !== 0) return SLOW;
  // When s === q the product s*b is exact (24x24 bits), so it equals a iff the quotient was exact.
  return finish(f32, fRaw, rd, s, s !== q || s * b !== a);
}

export function sqrtS(f32: Float32Array, fRaw: Int32Array, rd: number, a: number): number {
  if (!(a > 0 && a < Infinity)) return SLOW;
  const s = Math.fround(Math.sqrt(a));
  f32[2 * rd] = s;
  fRaw[2 * rd + 1] = -1;
  return s * s !== a ? FFLAG_NX : 0; // s*s is exact; a root never overflows or underflows
}

/** a*b + c with one rounding (callers negate operands for the other three FMA forms). */
export function fmaS(f32: Float32Array, fRaw: Int32Array, rd: number, a: number, b: number, c: number): number {
  const p = a * b; // exact
  const r = p + c;
  if (r - r !== 0) return SLOW;
  const bb = r - p;
  const err = p - (r - bb) + (c - bb);
  let s = Math.fround(r);
  if (s - s !== 0) return SLOW;
  if (err !== 0) {
    // r is the binary64 rounding of the exact sum r+err. It rounds to the same binary32 value as
    // the exact sum unless r is exactly halfway between two binary32 values: then err decides.
    const d = r - s;
    if (d !== 0) {
      const t = s + 2 * d; // the other neighbour, exact when r is a tie
      if (Math.fround(t) === t && (err > 0) === (d > 0)) s = t;
    }
  }
  return finish(f32, fRaw, rd, s, err !== 0 || s !== r);
}

/** fcvt.s.d of a binary64 value v. */
export function cvtDtoS(f32: Float32Array, fRaw: Int32Array, rd: number, v: number): number {
  const s = Math.fround(v);
  if (s - s !== 0) return SLOW; // NaN, Inf or overflow
  return finish(f32, fRaw, rd, s, s !== v);
}
