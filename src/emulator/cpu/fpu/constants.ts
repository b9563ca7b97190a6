// Floating-point CSR fields and IEEE 754 format parameters for the RISC-V F and D extensions.
// Reference: RISC-V Unprivileged ISA, chapter "F" (fcsr, Table "Rounding mode encoding",
// "Accrued exception flag encoding") and IEEE 754-2019 section 3.6 (binary32/binary64 parameters).

/** fflags bits (fcsr[4:0]). */
export const FFLAG_NX = 1 << 0; // inexact
export const FFLAG_UF = 1 << 1; // underflow
export const FFLAG_OF = 1 << 2; // overflow
export const FFLAG_DZ = 1 << 3; // divide by zero
export const FFLAG_NV = 1 << 4; // invalid operation

/** Rounding modes (instruction rm field and frm). 5 and 6 are reserved; 7 (DYN) selects frm. */
export const RM_RNE = 0;
export const RM_RTZ = 1;
export const RM_RDN = 2;
export const RM_RUP = 3;
export const RM_RMM = 4;
export const RM_DYN = 7;

/** fclass result bits. */
export const FCLASS_NEG_INF = 1 << 0;
export const FCLASS_NEG_NORMAL = 1 << 1;
export const FCLASS_NEG_SUBNORMAL = 1 << 2;
export const FCLASS_NEG_ZERO = 1 << 3;
export const FCLASS_POS_ZERO = 1 << 4;
export const FCLASS_POS_SUBNORMAL = 1 << 5;
export const FCLASS_POS_NORMAL = 1 << 6;
export const FCLASS_POS_INF = 1 << 7;
export const FCLASS_SNAN = 1 << 8;
export const FCLASS_QNAN = 1 << 9;

/** The canonical NaNs RISC-V produces for every NaN result (no payload propagation). */
export const CANONICAL_NAN_S = 0x7fc00000;
export const CANONICAL_NAN_D_HI = 0x7ff80000;

/** Parameters of one binary interchange format, with BigInt masks for the exact slow path. */
export interface FloatFormat {
  readonly width: 32 | 64;
  /** Precision in bits, hidden bit included. */
  readonly p: number;
  readonly bias: number;
  readonly emin: number;
  readonly emax: number;
  /** All-ones biased exponent (Inf/NaN). */
  readonly expMax: number;
  readonly fracMask: bigint;
  readonly hidden: bigint;
  readonly quietBit: bigint;
  readonly signBit: bigint;
  readonly canonicalNaN: bigint;
  readonly infBits: bigint;
  /** Largest finite magnitude, as bits. */
  readonly maxFiniteBits: bigint;
}

function makeFormat(width: 32 | 64, p: number, expBits: number): FloatFormat {
  const bias = (1 << (expBits - 1)) - 1;
  const expMax = (1 << expBits) - 1;
  const fracBits = BigInt(p - 1);
  const fracMask = (1n << fracBits) - 1n;
  const infBits = BigInt(expMax) << fracBits;
  return {
    width,
    p,
    bias,
    emin: 1 - bias,
    emax: bias,
    expMax,
    fracMask,
    hidden: 1n << fracBits,
    quietBit: 1n << (fracBits - 1n),
    signBit: 1n << BigInt(width - 1),
    canonicalNaN: infBits | (1n << (fracBits - 1n)),
    infBits,
    maxFiniteBits: infBits - 1n,
  };
}

export const BINARY32: FloatFormat = makeFormat(32, 24, 8);
export const BINARY64: FloatFormat = makeFormat(64, 53, 11);
