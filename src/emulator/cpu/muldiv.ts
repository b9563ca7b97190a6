// RV64M multiply/divide on int32 lo/hi register pairs (unprivileged spec 20191213, chapter 7,
// table 7.1 for division by zero and overflow). Results go straight into the register file
// `x` at pair index `d` (= 2 * rd, or the sink pair 64 for x0, so x0 is never written).

const TWO32 = 4294967296;

/** High 32 bits of the unsigned 64-bit product of two unsigned 32-bit values. */
export function mulhu32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

/** MUL: low 64 bits of the product. */
export function mul64(x: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  const hi = (mulhu32(alo, blo) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
  x[d] = Math.imul(alo, blo);
  x[d + 1] = hi;
}

// 16-bit limbs of the two operands and the 128-bit product, reused to avoid allocation.
const la = new Uint32Array(4);
const lb = new Uint32Array(4);
const lp = new Float64Array(8);

/** Unsigned 64x64 -> high 64 bits, written to x[d], x[d+1]. */
function mulhuInto(x: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  la[0] = alo & 0xffff;
  la[1] = alo >>> 16;
  la[2] = ahi & 0xffff;
  la[3] = ahi >>> 16;
  lb[0] = blo & 0xffff;
  lb[1] = blo >>> 16;
  lb[2] = bhi & 0xffff;
  lb[3] = bhi >>> 16;
  lp.fill(0);
  for (let i = 0; i < 4; i++) {
    let carry = 0;
    const ai = la[i];
    for (let j = 0; j < 4; j++) {
      // ai * bj < 2^32 and the column sum stays below 2^34: exact in a double.
      const t = lp[i + j] + ai * lb[j] + carry;
      lp[i + j] = t % 65536;
      carry = Math.floor(t / 65536);
    }
    lp[i + 4] += carry;
  }
  x[d] = lp[4] + lp[5] * 65536;
  x[d + 1] = lp[6] + lp[7] * 65536;
}

export function mulhu64(x: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  mulhuInto(x, d, alo, ahi, blo, bhi);
}

/** Subtract the pair (lo, hi) from x[d..d+1] modulo 2^64. */
function subInto(x: Int32Array, d: number, lo: number, hi: number): void {
  const a = x[d];
  const r = (a - lo) | 0;
  const borrow = a >>> 0 < lo >>> 0 ? 1 : 0;
  x[d] = r;
  x[d + 1] = (x[d + 1] - hi - borrow) | 0;
}

/** MULH: signed x signed. high(a*b) = mulhu(a,b) - (a<0 ? b : 0) - (b<0 ? a : 0). */
export function mulh64(x: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  mulhuInto(x, d, alo, ahi, blo, bhi);
  if (ahi < 0) subInto(x, d, blo, bhi);
  if (bhi < 0) subInto(x, d, alo, ahi);
}

/** MULHSU: signed rs1 x unsigned rs2. */
export function mulhsu64(x: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  mulhuInto(x, d, alo, ahi, blo, bhi);
  if (ahi < 0) subInto(x, d, blo, bhi);
}

// The pair fits a double exactly when the value is within +-2^53.
function fitsSigned(hi: number): boolean {
  return hi >= -0x200000 && hi < 0x200000;
}
function fitsUnsigned(hi: number): boolean {
  return hi >= 0 && hi < 0x200000;
}

function putDouble(x: Int32Array, d: number, v: number): void {
  x[d] = v | 0;
  x[d + 1] = Math.floor(v / TWO32) | 0;
}

function bigSigned(lo: number, hi: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
}
function bigUnsigned(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
function putBig(x: Int32Array, d: number, v: bigint): void {
  x[d] = Number(BigInt.asIntN(32, v));
  x[d + 1] = Number(BigInt.asIntN(32, v >> 32n));
}

/** DIV: by zero -> -1; -2^63 / -1 -> -2^63 (table 7.1). */
export function div64(x: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    x[d] = -1;
    x[d + 1] = -1;
    return;
  }
  if (fitsSigned(ahi) && fitsSigned(bhi)) {
    // |a|, |b| < 2^53: the correctly rounded quotient truncates to the exact integer quotient.
    const a = ahi * TWO32 + (alo >>> 0);
    const b = bhi * TWO32 + (blo >>> 0);
    putDouble(x, d, Math.trunc(a / b));
    return;
  }
  if (alo === 0 && ahi === -0x80000000 && blo === -1 && bhi === -1) {
    x[d] = 0;
    x[d + 1] = -0x80000000;
    return;
  }
  putBig(x, d, bigSigned(alo, ahi) / bigSigned(blo, bhi));
}

/** DIVU: by zero -> 2^64 - 1. */
export function divu64(x: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    x[d] = -1;
    x[d + 1] = -1;
    return;
  }
  if (fitsUnsigned(ahi) && fitsUnsigned(bhi)) {
    const a = ahi * TWO32 + (alo >>> 0);
    const b = bhi * TWO32 + (blo >>> 0);
    putDouble(x, d, Math.floor(a / b));
    return;
  }
  putBig(x, d, bigUnsigned(alo, ahi) / bigUnsigned(blo, bhi));
}

/** REM: by zero -> dividend; -2^63 % -1 -> 0. The sign follows the dividend. */
export function rem64(x: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    x[d] = alo;
    x[d + 1] = ahi;
    return;
  }
  if (fitsSigned(ahi) && fitsSigned(bhi)) {
    const a = ahi * TWO32 + (alo >>> 0);
    const b = bhi * TWO32 + (blo >>> 0);
    const r = a % b; // exact for integers; -0 becomes 0 below
    putDouble(x, d, r === 0 ? 0 : r);
    return;
  }
  if (alo === 0 && ahi === -0x80000000 && blo === -1 && bhi === -1) {
    x[d] = 0;
    x[d + 1] = 0;
    return;
  }
  putBig(x, d, bigSigned(alo, ahi) % bigSigned(blo, bhi));
}

/** REMU: by zero -> dividend. */
export function remu64(x: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    x[d] = alo;
    x[d + 1] = ahi;
    return;
  }
  if (fitsUnsigned(ahi) && fitsUnsigned(bhi)) {
    const a = ahi * TWO32 + (alo >>> 0);
    const b = bhi * TWO32 + (blo >>> 0);
    putDouble(x, d, a % b);
    return;
  }
  putBig(x, d, bigUnsigned(alo, ahi) % bigUnsigned(blo, bhi));
}

/** DIVW/DIVUW/REMW/REMUW: 32-bit operands, result sign-extended. `op` is funct3 (4..7). */
export function divw(x: Int32Array, d: number, op: number, a: number, b: number): void {
  let r: number;
  switch (op) {
    case 4: // DIVW
      r = b === 0 ? -1 : a === -0x80000000 && b === -1 ? a : (a / b) | 0;
      break;
    case 5: // DIVUW
      r = b === 0 ? -1 : ((a >>> 0) / (b >>> 0)) | 0;
      break;
    case 6: // REMW
      r = b === 0 ? a : a === -0x80000000 && b === -1 ? 0 : a % b | 0;
      break;
    default: // REMUW
      r = b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0;
      break;
  }
  x[d] = r;
  x[d + 1] = r >> 31;
}
