// Exact rounding of a dyadic value sig * 2^exp to binary32/binary64 in any RISC-V rounding mode.
// Reference: IEEE 754-2019 4.3 (rounding-direction attributes), 7.4/7.5 (overflow, underflow) and
// the RISC-V F chapter: tininess is detected after rounding; UF is raised only when the tiny result
// is also inexact; overflow returns Inf or the largest finite number depending on the mode.

import { FFLAG_NX, FFLAG_OF, FFLAG_UF, RM_RDN, RM_RMM, RM_RNE, RM_RTZ, RM_RUP, type FloatFormat } from './constants.js';

/** Exception flags raised by the slow path since the caller last cleared them. */
export const softFlags = { value: 0 };

export const CLS_ZERO = 0;
export const CLS_FINITE = 1;
export const CLS_INF = 2;
export const CLS_QNAN = 3;
export const CLS_SNAN = 4;

/** A decoded operand: finite values are (-1)^sign * sig * 2^exp with an integer sig > 0. */
export interface Unpacked {
  cls: number;
  sign: number;
  sig: bigint;
  exp: number;
}

export function unpack(fmt: FloatFormat, bits: bigint): Unpacked {
  const fracBits = fmt.p - 1;
  const sign = (bits & fmt.signBit) !== 0n ? 1 : 0;
  const biased = Number((bits >> BigInt(fracBits)) & BigInt(fmt.expMax));
  const frac = bits & fmt.fracMask;
  if (biased === fmt.expMax) {
    if (frac === 0n) return { cls: CLS_INF, sign, sig: 0n, exp: 0 };
    return { cls: (frac & fmt.quietBit) !== 0n ? CLS_QNAN : CLS_SNAN, sign, sig: 0n, exp: 0 };
  }
  if (biased === 0) {
    if (frac === 0n) return { cls: CLS_ZERO, sign, sig: 0n, exp: 0 };
    return { cls: CLS_FINITE, sign, sig: frac, exp: fmt.emin - fracBits };
  }
  return { cls: CLS_FINITE, sign, sig: frac | fmt.hidden, exp: biased - fmt.bias - fracBits };
}

export function isNaNClass(cls: number): boolean {
  return cls >= CLS_QNAN;
}

/** Number of significant bits of a positive BigInt. */
export function bitLength(v: bigint): number {
  const approx = Number(v);
  if (approx === Infinity) return v.toString(2).length;
  // Number() rounds, which can carry into the next power of two: correct with one shift test.
  let n = Math.floor(Math.log2(approx)) + 1;
  if (v >> BigInt(n) !== 0n) n++;
  else if (n > 1 && v >> BigInt(n - 1) === 0n) n--;
  return n;
}

let lastInexact = false;

/** sig / 2^drop rounded to an integer in mode rm; sets lastInexact. */
function shiftRound(sig: bigint, drop: number, sign: number, rm: number): bigint {
  if (drop <= 0) {
    lastInexact = false;
    return drop === 0 ? sig : sig << BigInt(-drop);
  }
  const d = BigInt(drop);
  const kept = sig >> d;
  const rem = sig - (kept << d);
  if (rem === 0n) {
    lastInexact = false;
    return kept;
  }
  lastInexact = true;
  const half = 1n << (d - 1n);
  let up: boolean;
  switch (rm) {
    case RM_RNE:
      up = rem > half || (rem === half && (kept & 1n) === 1n);
      break;
    case RM_RTZ:
      up = false;
      break;
    case RM_RDN:
      up = sign === 1;
      break;
    case RM_RUP:
      up = sign === 0;
      break;
    default: // RM_RMM
      up = rem >= half;
      break;
  }
  return up ? kept + 1n : kept;
}

function overflowResult(fmt: FloatFormat, sign: number, rm: number): bigint {
  softFlags.value |= FFLAG_OF | FFLAG_NX;
  const signBits = sign ? fmt.signBit : 0n;
  const toInf =
    rm === RM_RNE || rm === RM_RMM || (rm === RM_RDN && sign === 1) || (rm === RM_RUP && sign === 0);
  return signBits | (toInf ? fmt.infBits : fmt.maxFiniteBits);
}

/**
 * Round (-1)^sign * sig * 2^exp (sig > 0) to `fmt` in mode `rm` and return the encoded bits.
 * Callers that know only that the true value lies strictly between two such numbers append a
 * sticky bit (sig*2+1, exp-1) after making sure sig carries at least p+2 significant bits.
 */
export function roundPack(fmt: FloatFormat, sign: number, sig: bigint, exp: number, rm: number): bigint {
  const signBits = sign ? fmt.signBit : 0n;
  const p = fmt.p;
  const top = exp + bitLength(sig) - 1; // exponent of the leading bit
  if (top >= fmt.emin) {
    let kept = shiftRound(sig, top - p + 1 - exp, sign, rm);
    let e = top;
    if (kept >> BigInt(p) !== 0n) {
      kept >>= 1n;
      e++;
    }
    if (e > fmt.emax) return overflowResult(fmt, sign, rm);
    if (lastInexact) softFlags.value |= FFLAG_NX;
    return signBits | (BigInt(e + fmt.bias) << BigInt(p - 1)) | (kept & fmt.fracMask);
  }
  // Below the normal range. Tininess after rounding: round to p bits as if the exponent range
  // were unbounded; the value is tiny unless that rounds up to exactly 2^emin.
  const unbounded = shiftRound(sig, top - p + 1 - exp, sign, rm);
  const tiny = !(unbounded >> BigInt(p) !== 0n && top + 1 === fmt.emin);
  const kept = shiftRound(sig, fmt.emin - p + 1 - exp, sign, rm);
  if (lastInexact) softFlags.value |= tiny ? FFLAG_NX | FFLAG_UF : FFLAG_NX;
  // kept <= 2^(p-1): the hidden-bit position is the exponent field's low bit, so a carry into it
  // encodes the smallest normal number directly.
  return signBits | kept;
}
