// Non-arithmetic F/D operations on raw bits: sign injection, fclass, fmin/fmax, feq/flt/fle.
// Reference: RISC-V Unprivileged ISA, F chapter (FSGNJ, FMIN/FMAX as IEEE 754-2019
// minimumNumber/maximumNumber with -0 < +0, FEQ quiet vs FLT/FLE signaling, FCLASS table).

import {
  CANONICAL_NAN_S,
  FCLASS_NEG_INF,
  FCLASS_NEG_NORMAL,
  FCLASS_NEG_SUBNORMAL,
  FCLASS_NEG_ZERO,
  FCLASS_POS_INF,
  FCLASS_POS_NORMAL,
  FCLASS_POS_SUBNORMAL,
  FCLASS_POS_ZERO,
  FCLASS_QNAN,
  FCLASS_SNAN,
  FFLAG_NV,
} from './constants.js';

export function isSNaNS(bits: number): boolean {
  return (bits & 0x7fc00000) === 0x7f800000 && (bits & 0x003fffff) !== 0;
}

export function isNaNS(bits: number): boolean {
  return (bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0;
}

export function isSNaND(hi: number, lo: number): boolean {
  return (hi & 0x7ff80000) === 0x7ff00000 && ((hi & 0x0007ffff) | lo) !== 0;
}

/** funct3 0 = fsgnj, 1 = fsgnjn, 2 = fsgnjx: the sign bit of a combined with that of b. */
export function injectSign(funct3: number, a: number, b: number): number {
  const sb = funct3 === 0 ? b : funct3 === 1 ? ~b : a ^ b;
  return (a & 0x7fffffff) | (sb & 0x80000000);
}

function classify(sign: boolean, expAllOnes: boolean, expZero: boolean, fracZero: boolean, quiet: boolean): number {
  if (expAllOnes) {
    if (fracZero) return sign ? FCLASS_NEG_INF : FCLASS_POS_INF;
    return quiet ? FCLASS_QNAN : FCLASS_SNAN;
  }
  if (expZero) {
    if (fracZero) return sign ? FCLASS_NEG_ZERO : FCLASS_POS_ZERO;
    return sign ? FCLASS_NEG_SUBNORMAL : FCLASS_POS_SUBNORMAL;
  }
  return sign ? FCLASS_NEG_NORMAL : FCLASS_POS_NORMAL;
}

export function fclassS(bits: number): number {
  const exp = bits & 0x7f800000;
  return classify(bits < 0, exp === 0x7f800000, exp === 0, (bits & 0x007fffff) === 0, (bits & 0x00400000) !== 0);
}

export function fclassD(hi: number, lo: number): number {
  const exp = hi & 0x7ff00000;
  return classify(hi < 0, exp === 0x7ff00000, exp === 0, ((hi & 0x000fffff) | lo) === 0, (hi & 0x00080000) !== 0);
}

/** Flags raised by the last minMax/compare call. */
export const cmpFlags = { value: 0 };

/**
 * fmin (isMax false) / fmax on binary32 bits: returns the result bits. A single NaN operand
 * yields the other operand; two NaNs the canonical NaN; a signaling NaN raises NV.
 */
export function minMaxS(a: number, b: number, va: number, vb: number, isMax: boolean): number {
  const aNaN = va !== va;
  const bNaN = vb !== vb;
  if (aNaN || bNaN) {
    cmpFlags.value = isSNaNS(a) || isSNaNS(b) ? FFLAG_NV : 0;
    if (aNaN && bNaN) return CANONICAL_NAN_S;
    return aNaN ? b : a;
  }
  cmpFlags.value = 0;
  if (va === vb) return isMax ? a & b : a | b; // only the sign bit can differ (-0 vs +0)
  return (va < vb) !== isMax ? a : b;
}

/** As minMaxS for binary64, on hi/lo words and values: 0 picks a, 1 picks b, 2 the canonical NaN. */
export function minMaxD(ahi: number, alo: number, bhi: number, blo: number, va: number, vb: number, isMax: boolean): number {
  const aNaN = va !== va;
  const bNaN = vb !== vb;
  if (aNaN || bNaN) {
    cmpFlags.value = isSNaND(ahi, alo) || isSNaND(bhi, blo) ? FFLAG_NV : 0;
    if (aNaN && bNaN) return 2;
    return aNaN ? 1 : 0;
  }
  cmpFlags.value = 0;
  if (va === vb) {
    // Equal values differ at most in the sign of zero: min prefers the negative one.
    const aNeg = ahi < 0;
    return aNeg === isMax ? 1 : 0;
  }
  return (va < vb) !== isMax ? 0 : 1;
}

/** feq (funct3 2), flt (1), fle (0) on two values: 1 or 0, or UNORDERED when either is NaN. */
export function compare(funct3: number, va: number, vb: number): number {
  if (funct3 === 2) return va === vb ? 1 : va === va && vb === vb ? 0 : UNORDERED;
  if (funct3 === 1) return va < vb ? 1 : va === va && vb === vb ? 0 : UNORDERED;
  return va <= vb ? 1 : va === va && vb === vb ? 0 : UNORDERED;
}

export const UNORDERED = -1;
