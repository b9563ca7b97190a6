// Raw access to the f register file: NaN-boxing of single-precision values and bit/value views.
// Reference: RISC-V Unprivileged ISA, F chapter "NaN Boxing of Narrower Values" (D extension).
// Every move goes through the Int32 view so NaN payloads survive (V8 may rewrite NaN bits that
// pass through arithmetic or through a Float32 -> double conversion).

import { CANONICAL_NAN_S } from './constants.js';

const scratch = new ArrayBuffer(8);
const scratchF32 = new Float32Array(scratch, 0, 1);
const scratchI32 = new Int32Array(scratch);

/** The low 32 bits of f[r] if it is properly NaN-boxed, else the canonical NaN. */
export function readSBits(fRaw: Int32Array, r: number): number {
  return fRaw[2 * r + 1] === -1 ? fRaw[2 * r] : CANONICAL_NAN_S;
}

export function writeSBits(fRaw: Int32Array, r: number, bits: number): void {
  fRaw[2 * r] = bits;
  fRaw[2 * r + 1] = -1;
}

/** Value of a binary32 bit pattern as a double (exact; NaN payloads are not meaningful). */
export function f32FromBits(bits: number): number {
  scratchI32[0] = bits;
  return scratchF32[0];
}

export function writeSValue(fRaw: Int32Array, r: number, v: number): void {
  scratchF32[0] = v;
  fRaw[2 * r] = scratchI32[0];
  fRaw[2 * r + 1] = -1;
}

export function sBig(bits: number): bigint {
  return BigInt(bits >>> 0);
}

export function bigToS(b: bigint): number {
  return Number(b) | 0;
}

export function readDBig(fRaw: Int32Array, r: number): bigint {
  return (BigInt(fRaw[2 * r + 1] >>> 0) << 32n) | BigInt(fRaw[2 * r] >>> 0);
}

export function writeDBig(fRaw: Int32Array, r: number, b: bigint): void {
  fRaw[2 * r] = Number(b & 0xffffffffn) | 0;
  fRaw[2 * r + 1] = Number(b >> 32n) | 0;
}
let viewOf: Float64Array | null = null;
let viewF32: Float32Array = new Float32Array(0);

/**
 * A Float32Array over the register file (f[i]'s low word at index 2i), cached for the last
 * register file seen, so single-precision operands are read and written without a scratch copy.
 */
export function singleView(f: Float64Array): Float32Array {
  // Keyed on the array object: reading .buffer is a builtin call V8 does not inline.
  if (f !== viewOf) {
    viewOf = f;
    viewF32 = new Float32Array(f.buffer, f.byteOffset, 64);
  }
  return viewF32;
}
