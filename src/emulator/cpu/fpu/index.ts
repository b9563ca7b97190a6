// The F and D extensions: decode and execute OP-FP and the four fused multiply-add opcodes.
// Reference: RISC-V Unprivileged ISA 20191213+, chapters "F" and "D" (encodings in the RV32/64G
// opcode map). Round-to-nearest-even takes JS-double fast paths; every other mode, every special
// operand and every case a fast path cannot prove exact goes through the BigInt slow path.

import {
  BINARY32,
  BINARY64,
  CANONICAL_NAN_D_HI,
  FFLAG_NV,
  FFLAG_NX,
  RM_DYN,
  RM_RNE,
  type FloatFormat,
} from './constants.js';
import { addBits, convertBits, divBits, fmaBits, fromIntBits, mulBits, sqrtBits, subBits } from './exact-ops.js';
import { softFlags } from './round-pack.js';
import { SLOW, addD, divD, fmaD, mulD, sqrtD } from './fast-double.js';
import { addS, cvtDtoS, divS, fmaS, mulS, sqrtS } from './fast-single.js';
import {
  UNORDERED,
  cmpFlags,
  compare,
  fclassD,
  fclassS,
  injectSign,
  isNaNS,
  isSNaND,
  isSNaNS,
  minMaxD,
  minMaxS,
} from './bit-ops.js';
import { floatToInt, intSourceBig, intSourceNumber } from './int-convert.js';
import {
  bigToS,
  f32FromBits,
  readDBig,
  readSBits,
  sBig,
  singleView,
  writeDBig,
  writeSBits,
  writeSValue,
} from './registers.js';

export {
  FFLAG_DZ,
  FFLAG_NV,
  FFLAG_NX,
  FFLAG_OF,
  FFLAG_UF,
  RM_DYN,
  RM_RDN,
  RM_RMM,
  RM_RNE,
  RM_RTZ,
  RM_RUP,
} from './constants.js';

export interface FpuState {
  /** The 32 f registers as doubles (for binary64 arithmetic). */
  f: Float64Array;
  /** The same 256 bytes as Int32 pairs: f[i] low word at 2i, high word at 2i+1. */
  fRaw: Int32Array;
  /** Accrued exception flags, fcsr[4:0] (NV DZ OF UF NX). */
  fflags: number;
  /** Dynamic rounding mode, fcsr[7:5]. */
  frm: number;
}

/** FP state whose registers are the 256 bytes of `buffer` at `at` (8-aligned): a hart's state
 *  block (hart-state.ts HS_F), or a buffer of their own. */
export function createFpuState(buffer: ArrayBuffer = new ArrayBuffer(32 * 8), at = 0): FpuState {
  return { f: new Float64Array(buffer, at, 32), fRaw: new Int32Array(buffer, at, 64), fflags: 0, frm: 0 };
}

const OK = 0;
const ILLEGAL = 1;

const OP_ADD = 0;
const OP_SUB = 1;
const OP_MUL = 2;
const OP_DIV = 3;
const OP_SQRT = 4;

/** The rounding mode an instruction uses, or -1 when it is reserved (rm 5/6, or DYN with frm >= 5). */
function effectiveRm(rmField: number, frm: number): number {
  const rm = rmField === RM_DYN ? frm : rmField;
  return rm <= 4 ? rm : -1;
}

function isSignalingReg(fRaw: Int32Array, r: number, single: boolean): boolean {
  return single ? isSNaNS(readSBits(fRaw, r)) : isSNaND(fRaw[2 * r + 1], fRaw[2 * r]);
}

function writeX(x: Int32Array, rd: number, lo: number, hi: number): void {
  if (rd !== 0) {
    x[2 * rd] = lo;
    x[2 * rd + 1] = hi;
  }
}

function slowArith(fmt: FloatFormat, op: number, a: bigint, b: bigint, rm: number): bigint {
  switch (op) {
    case OP_ADD:
      return addBits(fmt, a, b, rm);
    case OP_SUB:
      return subBits(fmt, a, b, rm);
    case OP_MUL:
      return mulBits(fmt, a, b, rm);
    case OP_DIV:
      return divBits(fmt, a, b, rm);
    default:
      return sqrtBits(fmt, a, rm);
  }
}

/** The value of f[r] as binary32, NaN when it is a NaN or improperly boxed. */
function readSValue(fRaw: Int32Array, f32: Float32Array, r: number): number {
  return fRaw[2 * r + 1] === -1 ? f32[2 * r] : NaN;
}

function arithS(s: FpuState, op: number, rd: number, rs1: number, rs2: number, rm: number): number {
  const fRaw = s.fRaw;
  if (rm === RM_RNE) {
    const f32 = singleView(s.f);
    const a = readSValue(fRaw, f32, rs1);
    const b = readSValue(fRaw, f32, rs2);
    let fl: number;
    switch (op) {
      case OP_ADD:
        fl = addS(f32, fRaw, rd, a, b);
        break;
      case OP_SUB:
        fl = addS(f32, fRaw, rd, a, -b);
        break;
      case OP_MUL:
        fl = mulS(f32, fRaw, rd, a, b);
        break;
      case OP_DIV:
        fl = divS(f32, fRaw, rd, a, b);
        break;
      default:
        fl = sqrtS(f32, fRaw, rd, a);
        break;
    }
    if (fl !== SLOW) {
      s.fflags |= fl;
      return OK;
    }
  }
  softFlags.value = 0;
  const A = sBig(readSBits(fRaw, rs1));
  const B = sBig(readSBits(fRaw, rs2));
  writeSBits(fRaw, rd, bigToS(slowArith(BINARY32, op, A, B, rm)));
  s.fflags |= softFlags.value;
  return OK;
}

function arithD(s: FpuState, op: number, rd: number, rs1: number, rs2: number, rm: number): number {
  if (rm === RM_RNE) {
    const f = s.f;
    const a = f[rs1];
    const b = f[rs2];
    let fl: number;
    switch (op) {
      case OP_ADD:
        fl = addD(f, rd, a, b);
        break;
      case OP_SUB:
        fl = addD(f, rd, a, -b);
        break;
      case OP_MUL:
        fl = mulD(f, rd, a, b);
        break;
      case OP_DIV:
        fl = divD(f, rd, a, b);
        break;
      default:
        fl = sqrtD(f, rd, a);
        break;
    }
    if (fl !== SLOW) {
      s.fflags |= fl;
      return OK;
    }
  }
  const fRaw = s.fRaw;
  softFlags.value = 0;
  writeDBig(fRaw, rd, slowArith(BINARY64, op, readDBig(fRaw, rs1), readDBig(fRaw, rs2), rm));
  s.fflags |= softFlags.value;
  return OK;
}

/** FMADD/FMSUB/FNMSUB/FNMADD (opcodes 0x43/0x47/0x4b/0x4f, R4-type). */
function executeFma(s: FpuState, insn: number): number {
  const opcode = insn & 0x7f;
  if (opcode !== 0x43 && opcode !== 0x47 && opcode !== 0x4b && opcode !== 0x4f) return ILLEGAL;
  const fmt = (insn >>> 25) & 3;
  if (fmt > 1) return ILLEGAL;
  const rm = effectiveRm((insn >>> 12) & 7, s.frm);
  if (rm < 0) return ILLEGAL;
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const rs3 = insn >>> 27;
  const negProduct = opcode === 0x4b || opcode === 0x4f; // fnmsub, fnmadd
  const negAddend = opcode === 0x47 || opcode === 0x4f; // fmsub, fnmadd
  const fRaw = s.fRaw;
  if (fmt === 0) {
    if (rm === RM_RNE) {
      const f32 = singleView(s.f);
      const a = readSValue(fRaw, f32, rs1);
      const b = readSValue(fRaw, f32, rs2);
      const c = readSValue(fRaw, f32, rs3);
      const fl = fmaS(f32, fRaw, rd, negProduct ? -a : a, b, negAddend ? -c : c);
      if (fl !== SLOW) {
        s.fflags |= fl;
        return OK;
      }
    }
    softFlags.value = 0;
    const A = readSBits(fRaw, rs1);
    const C = readSBits(fRaw, rs3);
    const a = negProduct ? sBig(A ^ 0x80000000) : sBig(A);
    const c = negAddend ? sBig(C ^ 0x80000000) : sBig(C);
    writeSBits(fRaw, rd, bigToS(fmaBits(BINARY32, a, sBig(readSBits(fRaw, rs2)), c, rm)));
    s.fflags |= softFlags.value;
    return OK;
  }
  if (rm === RM_RNE) {
    const f = s.f;
    const a = f[rs1];
    const c = f[rs3];
    const fl = fmaD(f, rd, negProduct ? -a : a, f[rs2], negAddend ? -c : c);
    if (fl !== SLOW) {
      s.fflags |= fl;
      return OK;
    }
  }
  softFlags.value = 0;
  let a = readDBig(fRaw, rs1);
  let c = readDBig(fRaw, rs3);
  if (negProduct) a ^= BINARY64.signBit;
  if (negAddend) c ^= BINARY64.signBit;
  writeDBig(fRaw, rd, fmaBits(BINARY64, a, readDBig(fRaw, rs2), c, rm));
  s.fflags |= softFlags.value;
  return OK;
}

/**
 * OP-FP (opcode 0x53) and FMADD/FMSUB/FNMSUB/FNMADD (0x43/0x47/0x4b/0x4f): executes the 32-bit
 * `insn`, reading/writing integer registers in `x` (Int32Array(64) of lo/hi pairs; x0 is never
 * written). Returns 0 = ok, 1 = illegal instruction (reserved rm, rm=DYN with frm >= 5, unknown
 * funct/fmt). Sets fflags as IEEE 754 and the RISC-V spec require. The caller handles mstatus.FS
 * and the loads/stores.
 */
export function executeFp(s: FpuState, insn: number, x: Int32Array): number {
  if ((insn & 0x7f) !== 0x53) return executeFma(s, insn);
  const rd = (insn >>> 7) & 31;
  const funct3 = (insn >>> 12) & 7;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const fRaw = s.fRaw;
  switch (insn >>> 25) {
    case 0x00: // fadd.s
    case 0x04: // fsub.s
    case 0x08: // fmul.s
    case 0x0c: // fdiv.s
    case 0x2c: {
      // fsqrt.s
      const op = insn >>> 27 === 0x0b ? OP_SQRT : insn >>> 27;
      if (op === OP_SQRT && rs2 !== 0) return ILLEGAL;
      const rm = effectiveRm(funct3, s.frm);
      if (rm < 0) return ILLEGAL;
      return arithS(s, op, rd, rs1, rs2, rm);
    }
    case 0x01: // fadd.d
    case 0x05: // fsub.d
    case 0x09: // fmul.d
    case 0x0d: // fdiv.d
    case 0x2d: {
      // fsqrt.d
      const op = insn >>> 27 === 0x0b ? OP_SQRT : insn >>> 27;
      if (op === OP_SQRT && rs2 !== 0) return ILLEGAL;
      const rm = effectiveRm(funct3, s.frm);
      if (rm < 0) return ILLEGAL;
      return arithD(s, op, rd, rs1, rs2, rm);
    }
    case 0x10: // fsgnj.s / fsgnjn.s / fsgnjx.s
      if (funct3 > 2) return ILLEGAL;
      writeSBits(fRaw, rd, injectSign(funct3, readSBits(fRaw, rs1), readSBits(fRaw, rs2)));
      return OK;
    case 0x11: {
      // fsgnj.d / fsgnjn.d / fsgnjx.d
      if (funct3 > 2) return ILLEGAL;
      const lo = fRaw[2 * rs1];
      const hi = injectSign(funct3, fRaw[2 * rs1 + 1], fRaw[2 * rs2 + 1]);
      fRaw[2 * rd] = lo;
      fRaw[2 * rd + 1] = hi;
      return OK;
    }
    case 0x14: {
      // fmin.s / fmax.s
      if (funct3 > 1) return ILLEGAL;
      const A = readSBits(fRaw, rs1);
      const B = readSBits(fRaw, rs2);
      writeSBits(fRaw, rd, minMaxS(A, B, f32FromBits(A), f32FromBits(B), funct3 === 1));
      s.fflags |= cmpFlags.value;
      return OK;
    }
    case 0x15: {
      // fmin.d / fmax.d
      if (funct3 > 1) return ILLEGAL;
      const ahi = fRaw[2 * rs1 + 1];
      const alo = fRaw[2 * rs1];
      const bhi = fRaw[2 * rs2 + 1];
      const blo = fRaw[2 * rs2];
      const pick = minMaxD(ahi, alo, bhi, blo, s.f[rs1], s.f[rs2], funct3 === 1);
      s.fflags |= cmpFlags.value;
      if (pick === 2) {
        fRaw[2 * rd] = 0;
        fRaw[2 * rd + 1] = CANONICAL_NAN_D_HI;
      } else {
        fRaw[2 * rd] = pick === 0 ? alo : blo;
        fRaw[2 * rd + 1] = pick === 0 ? ahi : bhi;
      }
      return OK;
    }
    case 0x20: {
      // fcvt.s.d
      if (rs2 !== 1) return ILLEGAL;
      const rm = effectiveRm(funct3, s.frm);
      if (rm < 0) return ILLEGAL;
      if (rm === RM_RNE) {
        const fl = cvtDtoS(singleView(s.f), fRaw, rd, s.f[rs1]);
        if (fl !== SLOW) {
          s.fflags |= fl;
          return OK;
        }
      }
      softFlags.value = 0;
      writeSBits(fRaw, rd, bigToS(convertBits(BINARY64, BINARY32, readDBig(fRaw, rs1), rm)));
      s.fflags |= softFlags.value;
      return OK;
    }
    case 0x21: {
      // fcvt.d.s: exact; the rm field must still be a valid mode
      if (rs2 !== 0) return ILLEGAL;
      if (effectiveRm(funct3, s.frm) < 0) return ILLEGAL;
      const A = readSBits(fRaw, rs1);
      if (isNaNS(A)) {
        if (isSNaNS(A)) s.fflags |= FFLAG_NV;
        fRaw[2 * rd] = 0;
        fRaw[2 * rd + 1] = CANONICAL_NAN_D_HI;
      } else {
        s.f[rd] = f32FromBits(A);
      }
      return OK;
    }
    case 0x50:
    case 0x51: {
      // fle (0), flt (1), feq (2): NaN operands give 0; feq is quiet (NV only for a signaling
      // NaN), flt and fle signal NV for any NaN.
      if (funct3 > 2) return ILLEGAL;
      const single = insn >>> 25 === 0x50;
      let r: number;
      if (single) {
        const f32 = singleView(s.f);
        r = compare(funct3, readSValue(fRaw, f32, rs1), readSValue(fRaw, f32, rs2));
      } else {
        r = compare(funct3, s.f[rs1], s.f[rs2]);
      }
      if (r === UNORDERED) {
        r = 0;
        if (funct3 !== 2) s.fflags |= FFLAG_NV;
        else if (isSignalingReg(fRaw, rs1, single) || isSignalingReg(fRaw, rs2, single)) s.fflags |= FFLAG_NV;
      }
      writeX(x, rd, r, 0);
      return OK;
    }
    case 0x60:
    case 0x61: {
      // fcvt.{w,wu,l,lu}.{s,d}
      if (rs2 > 3) return ILLEGAL;
      const rm = effectiveRm(funct3, s.frm);
      if (rm < 0) return ILLEGAL;
      const v = insn >>> 25 === 0x60 ? f32FromBits(readSBits(fRaw, rs1)) : s.f[rs1];
      s.fflags |= floatToInt(v, rm, rs2, x, rd);
      return OK;
    }
    case 0x68:
    case 0x69: {
      // fcvt.{s,d}.{w,wu,l,lu}
      if (rs2 > 3) return ILLEGAL;
      const rm = effectiveRm(funct3, s.frm);
      if (rm < 0) return ILLEGAL;
      const single = insn >>> 25 === 0x68;
      const v = intSourceNumber(x, rs1, rs2);
      if (v === v) {
        if (!single) {
          s.f[rd] = v; // below 2^53: exact
          return OK;
        }
        const sv = Math.fround(v);
        if (sv === v || rm === RM_RNE) {
          writeSValue(fRaw, rd, sv);
          if (sv !== v) s.fflags |= FFLAG_NX;
          return OK;
        }
      }
      softFlags.value = 0;
      const big = intSourceBig(x, rs1, rs2);
      if (single) writeSBits(fRaw, rd, bigToS(fromIntBits(BINARY32, big, rm)));
      else writeDBig(fRaw, rd, fromIntBits(BINARY64, big, rm));
      s.fflags |= softFlags.value;
      return OK;
    }
    case 0x70:
    case 0x71: {
      // fmv.x.w / fmv.x.d (funct3 0), fclass.s / fclass.d (funct3 1)
      if (rs2 !== 0 || funct3 > 1) return ILLEGAL;
      const single = insn >>> 25 === 0x70;
      if (funct3 === 1) {
        const c = single ? fclassS(readSBits(fRaw, rs1)) : fclassD(fRaw[2 * rs1 + 1], fRaw[2 * rs1]);
        writeX(x, rd, c, 0);
      } else if (single) {
        const lo = fRaw[2 * rs1]; // raw low word, boxed or not
        writeX(x, rd, lo, lo >> 31);
      } else {
        writeX(x, rd, fRaw[2 * rs1], fRaw[2 * rs1 + 1]);
      }
      return OK;
    }
    case 0x78: // fmv.w.x
      if (rs2 !== 0 || funct3 !== 0) return ILLEGAL;
      writeSBits(fRaw, rd, x[2 * rs1]);
      return OK;
    case 0x79: // fmv.d.x
      if (rs2 !== 0 || funct3 !== 0) return ILLEGAL;
      fRaw[2 * rd] = x[2 * rs1];
      fRaw[2 * rd + 1] = x[2 * rs1 + 1];
      return OK;
    default:
      return ILLEGAL;
  }
}
