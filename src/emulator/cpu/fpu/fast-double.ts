// Round-to-nearest-even fast paths for binary64 add/sub/mul/div/sqrt using JS doubles, which
// already round that way; inexactness is decided with error-free transformations instead of BigInt.
// Reference: Knuth's TwoSum and Dekker/Veltkamp TwoProduct (Handbook of Floating-Point Arithmetic,
// 2nd ed., 4.3 and 4.4): exact while nothing overflows or underflows, so each function returns
// SLOW for any case outside a safe exponent window, and the exact BigInt path takes it.
// Each function writes f[rd] and returns the flags raised (0 or NX), or SLOW without writing.

import { FFLAG_NX } from './constants.js';

export const SLOW = -1;

/** Veltkamp's splitting constant 2^27 + 1. */
const SPLITTER = 134217729;
/** Operands and results inside [TINY, HUGE] keep every TwoProduct term exact and finite. */
const TINY = 2 ** -960;
const HUGE = 2 ** 995;

/** The exact rounding error of the product hi = fl(a*b): a*b = hi + err. Operands in the window. */
function productError(a: number, b: number, hi: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - hi + ah * bl + al * bh + al * bl;
}

function inWindow(v: number): boolean {
  const m = v < 0 ? -v : v;
  return m >= TINY && m <= HUGE;
}

export function addD(f: Float64Array, rd: number, a: number, b: number): number {
  const r = a + b;
  if (r - r !== 0) return SLOW; // Inf or NaN: overflow, infinite or NaN operands
  const bb = r - a;
  const err = a - (r - bb) + (b - bb);
  if (err !== 0) {
    if (err !== err) return SLOW;
    f[rd] = r;
    return FFLAG_NX;
  }
  // A sum never underflows inexactly: below 2^-1022 it is exact.
  f[rd] = r;
  return 0;
}

export function mulD(f: Float64Array, rd: number, a: number, b: number): number {
  const r = a * b;
  if (r - r !== 0) return SLOW;
  if (r === 0) {
    if (a !== 0 && b !== 0) return SLOW; // underflow to zero
    f[rd] = r;
    return 0;
  }
  if (!inWindow(a) || !inWindow(b) || !inWindow(r)) return SLOW;
  f[rd] = r;
  return productError(a, b, r) !== 0 ? FFLAG_NX : 0;
}

export function divD(f: Float64Array, rd: number, a: number, b: number): number {
  const q = a / b;
  if (q - q !== 0) return SLOW; // division by zero, overflow, Inf/NaN operands
  if (a === 0) {
    if (b === 0 || b - b !== 0) return SLOW;
    f[rd] = q;
    return 0;
  }
  if (!inWindow(a) || !inWindow(b) || !inWindow(q)) return SLOW;
  // a - q*b is exactly representable; it is zero iff the quotient was exact.
  const hi = q * b;
  const lo = productError(q, b, hi);
  f[rd] = q;
  return a - hi !== lo ? FFLAG_NX : 0;
}

export function sqrtD(f: Float64Array, rd: number, a: number): number {
  if (!(a >= TINY && a <= HUGE)) return SLOW; // zeros, negatives, NaN, Inf, extreme exponents
  const r = Math.sqrt(a);
  const hi = r * r;
  f[rd] = r;
  if (hi !== a) return FFLAG_NX;
  return productError(r, r, hi) !== 0 ? FFLAG_NX : 0;
}

const scratchF64 = new Float64Array(1);
const scratchI32 = new Int32Array(scratchF64.buffer);

/**
 * Round-to-odd of x+y given s = RN(x+y) and its exact error e (x+y = s+e, e !== 0): the neighbour
 * of the exact sum whose last significand bit is 1.
 */
function roundToOdd(s: number, e: number): number {
  scratchF64[0] = s;
  const lo = scratchI32[0];
  if ((lo & 1) !== 0) return s;
  if (e > 0 === s > 0) {
    scratchI32[0] = lo | 1; // one ulp away from zero: the low bit was clear, no carry
  } else {
    // one ulp toward zero (s is never 0 here: an inexact sum is not zero)
    if (lo === 0) scratchI32[1]--;
    scratchI32[0] = lo - 1;
  }
  return scratchF64[0];
}

/**
 * a*b + c with one rounding (RNE), by Boldo and Melquiond's emulated FMA ("Emulation of FMA and
 * correctly rounded sums: proved algorithms using rounding to odd", IEEE TC 57(4), 2008):
 * exact product uh+ul, TwoSum c+uh = th+tl, v = RO(tl+ul), result RN(th+v). Inexact iff tl+ul or
 * th+v is inexact. Limited to operands and results inside the window where every step is exact.
 */
export function fmaD(f: Float64Array, rd: number, a: number, b: number, c: number): number {
  if (!inWindow(a) || !inWindow(b)) return SLOW;
  if (c !== 0 && !inWindow(c)) return SLOW;
  const uh = a * b;
  if (!inWindow(uh)) return SLOW;
  const ul = productError(a, b, uh);
  const th = c + uh;
  let bb = th - c;
  const tl = c - (th - bb) + (uh - bb);
  let v = tl + ul;
  bb = v - tl;
  const e2 = tl - (v - bb) + (ul - bb);
  if (e2 !== 0) v = roundToOdd(v, e2);
  const r = th + v;
  if (r === 0) {
    // The product is nonzero, so an exact zero sum is +0 in RNE, which th+v gives.
    if (e2 !== 0) return SLOW; // unreachable: an inexact sum is not zero
    f[rd] = r;
    return 0;
  }
  if (!inWindow(r)) return SLOW;
  bb = r - th;
  const e3 = th - (r - bb) + (v - bb);
  f[rd] = r;
  return e2 !== 0 || e3 !== 0 ? FFLAG_NX : 0;
}
