// FCVT between floating-point values and 32/64-bit integers, with the spec's saturation table.
// Reference: RISC-V Unprivileged ISA, F chapter, "Floating-Point Conversion and Move Instructions"
// (Table: domains of float-to-integer conversions and behavior for invalid inputs): out-of-range
// results clamp and raise NV only; NaN converts to the largest positive value; 32-bit results are
// sign-extended to XLEN. Every binary32/binary64 value is exact as a JS number, so no BigInt here.

import { FFLAG_NV, FFLAG_NX, RM_RDN, RM_RMM, RM_RTZ, RM_RUP } from './constants.js';

export const INT_W = 0;
export const INT_WU = 1;
export const INT_L = 2;
export const INT_LU = 3;

const TWO32 = 4294967296;
const TWO63 = 9223372036854775808;
const TWO64 = 18446744073709551616;

/** v rounded to an integral value in mode rm (v finite or infinite, not NaN). */
function roundToIntegral(v: number, rm: number): number {
  switch (rm) {
    case RM_RTZ:
      return Math.trunc(v);
    case RM_RDN:
      return Math.floor(v);
    case RM_RUP:
      return Math.ceil(v);
    case RM_RMM: {
      const t = Math.trunc(v);
      const d = v - t; // exact: below 2^52 the fraction is representable, above it is 0
      return d >= 0.5 ? t + 1 : d <= -0.5 ? t - 1 : t;
    }
    default: {
      const t = Math.trunc(v);
      const d = v - t;
      if (d > 0.5 || (d === 0.5 && t % 2 !== 0)) return t + 1;
      if (d < -0.5 || (d === -0.5 && t % 2 !== 0)) return t - 1;
      return t;
    }
  }
}

function put(x: Int32Array, rd: number, lo: number, hi: number): void {
  if (rd !== 0) {
    x[2 * rd] = lo;
    x[2 * rd + 1] = hi;
  }
}

/** The saturated result for NaN (and for +overflow) of each kind, as [lo, hi]. */
function putMax(x: Int32Array, rd: number, kind: number): void {
  if (kind === INT_W) put(x, rd, 0x7fffffff, 0);
  else if (kind === INT_L) put(x, rd, -1, 0x7fffffff);
  else put(x, rd, -1, -1); // WU (2^32-1 sign-extended) and LU (2^64-1)
}

function putMin(x: Int32Array, rd: number, kind: number): void {
  if (kind === INT_W) put(x, rd, 0x80000000 | 0, -1);
  else if (kind === INT_L) put(x, rd, 0, 0x80000000 | 0);
  else put(x, rd, 0, 0);
}

/** fcvt.{w,wu,l,lu}.{s,d}: converts value v (NaN allowed) into x[rd]; returns the flags raised. */
export function floatToInt(v: number, rm: number, kind: number, x: Int32Array, rd: number): number {
  if (v !== v) {
    putMax(x, rd, kind);
    return FFLAG_NV;
  }
  const r = roundToIntegral(v, rm);
  switch (kind) {
    case INT_W:
      if (r > 2147483647) {
        putMax(x, rd, kind);
        return FFLAG_NV;
      }
      if (r < -2147483648) {
        putMin(x, rd, kind);
        return FFLAG_NV;
      }
      put(x, rd, r | 0, r < 0 ? -1 : 0);
      break;
    case INT_WU: {
      if (r > 4294967295) {
        putMax(x, rd, kind);
        return FFLAG_NV;
      }
      if (r < 0) {
        putMin(x, rd, kind);
        return FFLAG_NV;
      }
      const lo = r | 0;
      put(x, rd, lo, lo >> 31);
      break;
    }
    case INT_L: {
      if (r >= TWO63) {
        putMax(x, rd, kind);
        return FFLAG_NV;
      }
      if (r < -TWO63) {
        putMin(x, rd, kind);
        return FFLAG_NV;
      }
      const hi = Math.floor(r / TWO32);
      put(x, rd, (r - hi * TWO32) | 0, hi | 0);
      break;
    }
    default: {
      if (r >= TWO64) {
        putMax(x, rd, kind);
        return FFLAG_NV;
      }
      if (r < 0) {
        putMin(x, rd, kind);
        return FFLAG_NV;
      }
      const hi = Math.floor(r / TWO32);
      put(x, rd, (r - hi * TWO32) | 0, hi | 0);
      break;
    }
  }
  return r === v ? 0 : FFLAG_NX;
}

/**
 * The source integer of fcvt.{s,d}.{w,wu,l,lu} as a JS number when it is exact in 53 bits, or NaN
 * when it needs the BigInt path (64-bit values of 2^53 and above).
 */
export function intSourceNumber(x: Int32Array, rs1: number, kind: number): number {
  const lo = x[2 * rs1];
  if (kind === INT_W) return lo;
  if (kind === INT_WU) return lo >>> 0;
  const hi = x[2 * rs1 + 1];
  if (kind === INT_L) {
    if (hi >= -0x200000 && hi < 0x200000) return hi * TWO32 + (lo >>> 0);
    return NaN;
  }
  if (hi >>> 0 < 0x200000) return (hi >>> 0) * TWO32 + (lo >>> 0);
  return NaN;
}

export function intSourceBig(x: Int32Array, rs1: number, kind: number): bigint {
  const lo = x[2 * rs1];
  if (kind === INT_W) return BigInt(lo);
  if (kind === INT_WU) return BigInt(lo >>> 0);
  const u = (BigInt(x[2 * rs1 + 1] >>> 0) << 32n) | BigInt(lo >>> 0);
  return kind === INT_L ? BigInt.asIntN(64, u) : u;
}
