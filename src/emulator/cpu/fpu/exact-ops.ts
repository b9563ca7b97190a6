// The exact slow path: IEEE 754 add, mul, div, sqrt, fused multiply-add and format conversion on
// encoded bits (BigInt), correct in every rounding mode with all five flags.
// Reference: IEEE 754-2019 5.4.1 (arithmetic), 6.2/7.2 (NaN and invalid cases), 6.3 (sign of
// exact zero sums) and the RISC-V F chapter (canonical NaN results, FMA invalid on inf*0 + qNaN).

import { FFLAG_DZ, FFLAG_NV, RM_RDN, type FloatFormat } from './constants.js';
import {
  CLS_INF,
  CLS_SNAN,
  CLS_ZERO,
  bitLength,
  isNaNClass,
  roundPack,
  softFlags,
  unpack,
  type Unpacked,
} from './round-pack.js';

function nanResult(fmt: FloatFormat, invalid: boolean): bigint {
  if (invalid) softFlags.value |= FFLAG_NV;
  return fmt.canonicalNaN;
}

function signedZero(fmt: FloatFormat, sign: number): bigint {
  return sign ? fmt.signBit : 0n;
}

function signedInf(fmt: FloatFormat, sign: number): bigint {
  return (sign ? fmt.signBit : 0n) | fmt.infBits;
}

/** Sign of an exact zero sum of two operands with signs sa and sb (IEEE 754 6.3). */
function zeroSumSign(sa: number, sb: number, rm: number): number {
  if (sa === sb) return sa;
  return rm === RM_RDN ? 1 : 0;
}

/** Round the exact sum of two finite nonzero values, each given as sign/sig/exp. */
function addFinite(
  fmt: FloatFormat,
  sa: number,
  siga: bigint,
  ea: number,
  sb: number,
  sigb: bigint,
  eb: number,
  rm: number,
): bigint {
  const e = ea < eb ? ea : eb;
  const va = siga << BigInt(ea - e);
  const vb = sigb << BigInt(eb - e);
  const sum = (sa ? -va : va) + (sb ? -vb : vb);
  if (sum === 0n) return signedZero(fmt, rm === RM_RDN ? 1 : 0);
  return sum < 0n ? roundPack(fmt, 1, -sum, e, rm) : roundPack(fmt, 0, sum, e, rm);
}

export function addBits(fmt: FloatFormat, a: bigint, b: bigint, rm: number): bigint {
  const A = unpack(fmt, a);
  const B = unpack(fmt, b);
  if (isNaNClass(A.cls) || isNaNClass(B.cls)) return nanResult(fmt, A.cls === CLS_SNAN || B.cls === CLS_SNAN);
  if (A.cls === CLS_INF) {
    if (B.cls === CLS_INF && A.sign !== B.sign) return nanResult(fmt, true);
    return signedInf(fmt, A.sign);
  }
  if (B.cls === CLS_INF) return signedInf(fmt, B.sign);
  if (A.cls === CLS_ZERO) return B.cls === CLS_ZERO ? signedZero(fmt, zeroSumSign(A.sign, B.sign, rm)) : b;
  if (B.cls === CLS_ZERO) return a;
  return addFinite(fmt, A.sign, A.sig, A.exp, B.sign, B.sig, B.exp, rm);
}

export function subBits(fmt: FloatFormat, a: bigint, b: bigint, rm: number): bigint {
  return addBits(fmt, a, b ^ fmt.signBit, rm);
}

export function mulBits(fmt: FloatFormat, a: bigint, b: bigint, rm: number): bigint {
  const A = unpack(fmt, a);
  const B = unpack(fmt, b);
  if (isNaNClass(A.cls) || isNaNClass(B.cls)) return nanResult(fmt, A.cls === CLS_SNAN || B.cls === CLS_SNAN);
  const sign = A.sign ^ B.sign;
  if (A.cls === CLS_INF || B.cls === CLS_INF) {
    if (A.cls === CLS_ZERO || B.cls === CLS_ZERO) return nanResult(fmt, true);
    return signedInf(fmt, sign);
  }
  if (A.cls === CLS_ZERO || B.cls === CLS_ZERO) return signedZero(fmt, sign);
  return roundPack(fmt, sign, A.sig * B.sig, A.exp + B.exp, rm);
}

export function divBits(fmt: FloatFormat, a: bigint, b: bigint, rm: number): bigint {
  const A = unpack(fmt, a);
  const B = unpack(fmt, b);
  if (isNaNClass(A.cls) || isNaNClass(B.cls)) return nanResult(fmt, A.cls === CLS_SNAN || B.cls === CLS_SNAN);
  const sign = A.sign ^ B.sign;
  if (A.cls === CLS_INF) return B.cls === CLS_INF ? nanResult(fmt, true) : signedInf(fmt, sign);
  if (B.cls === CLS_INF) return signedZero(fmt, sign);
  if (B.cls === CLS_ZERO) {
    if (A.cls === CLS_ZERO) return nanResult(fmt, true);
    softFlags.value |= FFLAG_DZ;
    return signedInf(fmt, sign);
  }
  if (A.cls === CLS_ZERO) return signedZero(fmt, sign);
  // Scale the dividend so the integer quotient has at least p+2 bits; the remainder becomes a
  // sticky bit below them.
  let k = fmt.p + 2 + bitLength(B.sig) - bitLength(A.sig);
  if (k < 0) k = 0;
  const n = A.sig << BigInt(k);
  const q = n / B.sig;
  const exp = A.exp - k - B.exp;
  if (q * B.sig === n) return roundPack(fmt, sign, q, exp, rm);
  return roundPack(fmt, sign, (q << 1n) | 1n, exp - 1, rm);
}

/** floor(sqrt(n)) for n >= 0. */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  // One Newton step shrinks the seed's ~2^-52 relative error to a unit or two; the loops finish.
  if (x > 1n << 26n) x = (x + n / x) >> 1n;
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

export function sqrtBits(fmt: FloatFormat, a: bigint, rm: number): bigint {
  const A = unpack(fmt, a);
  if (isNaNClass(A.cls)) return nanResult(fmt, A.cls === CLS_SNAN);
  if (A.cls === CLS_ZERO) return a;
  if (A.sign) return nanResult(fmt, true);
  if (A.cls === CLS_INF) return a;
  // Make the exponent even and the radicand wide enough for a root of at least p+2 bits.
  let k = 2 * fmt.p + 4 - bitLength(A.sig);
  if (k < 0) k = 0;
  if ((A.exp - k) & 1) k++;
  const n = A.sig << BigInt(k);
  const r = isqrt(n);
  const exp = (A.exp - k) / 2;
  if (r * r === n) return roundPack(fmt, 0, r, exp, rm);
  return roundPack(fmt, 0, (r << 1n) | 1n, exp - 1, rm);
}

/**
 * a*b + c with one rounding. Callers express fmsub/fnmsub/fnmadd by flipping the sign bits of
 * a and/or c first; a NaN input gives the canonical NaN whatever its sign.
 */
export function fmaBits(fmt: FloatFormat, a: bigint, b: bigint, c: bigint, rm: number): bigint {
  const A = unpack(fmt, a);
  const B = unpack(fmt, b);
  const C = unpack(fmt, c);
  // RISC-V: inf * 0 raises NV even when the addend is a quiet NaN.
  const infTimesZero =
    (A.cls === CLS_INF && B.cls === CLS_ZERO) || (A.cls === CLS_ZERO && B.cls === CLS_INF);
  if (infTimesZero || isNaNClass(A.cls) || isNaNClass(B.cls) || isNaNClass(C.cls)) {
    const snan = A.cls === CLS_SNAN || B.cls === CLS_SNAN || C.cls === CLS_SNAN;
    return nanResult(fmt, snan || infTimesZero);
  }
  const ps = A.sign ^ B.sign;
  if (A.cls === CLS_INF || B.cls === CLS_INF) {
    if (C.cls === CLS_INF && C.sign !== ps) return nanResult(fmt, true);
    return signedInf(fmt, ps);
  }
  if (C.cls === CLS_INF) return c;
  if (A.cls === CLS_ZERO || B.cls === CLS_ZERO) {
    return C.cls === CLS_ZERO ? signedZero(fmt, zeroSumSign(ps, C.sign, rm)) : c;
  }
  const psig = A.sig * B.sig;
  const pexp = A.exp + B.exp;
  if (C.cls === CLS_ZERO) return roundPack(fmt, ps, psig, pexp, rm);
  return addFinite(fmt, ps, psig, pexp, C.sign, C.sig, C.exp, rm);
}

/** Convert between binary32 and binary64 (either direction) in mode rm. */
export function convertBits(from: FloatFormat, to: FloatFormat, a: bigint, rm: number): bigint {
  const A: Unpacked = unpack(from, a);
  if (isNaNClass(A.cls)) return nanResult(to, A.cls === CLS_SNAN);
  if (A.cls === CLS_INF) return signedInf(to, A.sign);
  if (A.cls === CLS_ZERO) return signedZero(to, A.sign);
  return roundPack(to, A.sign, A.sig, A.exp, rm);
}

/** Convert a signed integer (any width) to `fmt` in mode rm. */
export function fromIntBits(fmt: FloatFormat, v: bigint, rm: number): bigint {
  if (v === 0n) return 0n;
  return v < 0n ? roundPack(fmt, 1, -v, 0, rm) : roundPack(fmt, 0, v, 0, rm);
}
