// The A extension: LR/SC and the AMOs, .W and .D (unprivileged spec 20191213, chapter 8; aq/rl are
// ignored: one thread runs all harts, so every access is already sequentially consistent).
// Misaligned addresses trap (cause 4 for LR, 6 otherwise); atomics on anything but RAM are access faults.

import type { Hart } from './hart.js';
import {
  CAUSE_ILLEGAL_INSTRUCTION,
  CAUSE_LOAD_ACCESS,
  CAUSE_MISALIGNED_LOAD,
  CAUSE_MISALIGNED_STORE,
  CAUSE_STORE_ACCESS,
} from './csr-numbers.js';
import { ACCESS_LOAD, ACCESS_STORE, afterStore, xlate } from './mmu/access.js';
import { raise } from './mmu/sv39.js';
import { releaseReservation, reserve } from './reservation.js';

const F5_LR = 0x02;
const F5_SC = 0x03;
const F5_SWAP = 0x01;
const F5_ADD = 0x00;
const F5_XOR = 0x04;
const F5_AND = 0x0c;
const F5_OR = 0x08;
const F5_MIN = 0x10;
const F5_MAX = 0x14;
const F5_MINU = 0x18;
const F5_MAXU = 0x1c;

function isKnown(f5: number): boolean {
  switch (f5) {
    case F5_LR:
    case F5_SC:
    case F5_SWAP:
    case F5_ADD:
    case F5_XOR:
    case F5_AND:
    case F5_OR:
    case F5_MIN:
    case F5_MAX:
    case F5_MINU:
    case F5_MAXU:
      return true;
  }
  return false;
}

/** Signed (hi, lo) pair comparison a < b. */
function lt(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi < bhi || (ahi === bhi && alo >>> 0 < blo >>> 0);
}
function ltu(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi >>> 0 < bhi >>> 0 || (ahi === bhi && alo >>> 0 < blo >>> 0);
}

/** Execute an AMO-opcode (0x2f) instruction. Returns false with the trap recorded. */
export function amoInstruction(h: Hart, insn: number): boolean {
  const f3 = (insn >>> 12) & 7;
  const f5 = insn >>> 27;
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  if ((f3 !== 2 && f3 !== 3) || !isKnown(f5) || (f5 === F5_LR && rs2 !== 0)) {
    raise(h, CAUSE_ILLEGAL_INSTRUCTION, insn, 0);
    return false;
  }
  const x = h.x;
  const lo = x[2 * rs1];
  const hi = x[2 * rs1 + 1];
  const size = f3 === 2 ? 4 : 8;
  if ((lo & (size - 1)) !== 0) {
    raise(h, f5 === F5_LR ? CAUSE_MISALIGNED_LOAD : CAUSE_MISALIGNED_STORE, lo, hi);
    return false;
  }
  const isLoad = f5 === F5_LR;
  const pa = xlate(h, lo, hi, isLoad ? ACCESS_LOAD : ACCESS_STORE);
  if (pa < 0) return false;
  const ram = h.ram;
  if (pa < ram.base || pa + size > ram.end) {
    raise(h, isLoad ? CAUSE_LOAD_ACCESS : CAUSE_STORE_ACCESS, lo, hi);
    return false;
  }
  const off = pa - ram.base;
  const view = ram.view;
  const bLo = x[2 * rs2];
  const bHi = x[2 * rs2 + 1];
  const d = rd === 0 ? 64 : 2 * rd; // x0's writes go to the sink pair, as in the hot loop
  if (f5 === F5_LR) {
    const vLo = view.getInt32(off, true);
    x[d] = vLo;
    x[d + 1] = size === 4 ? vLo >> 31 : view.getInt32(off + 4, true);
    reserve(h, pa, off - (off & 0xfff));
    return true;
  }
  if (f5 === F5_SC) {
    const ok = h.resValid && h.resAddr === pa - (pa & 7);
    releaseReservation(h);
    if (ok) {
      view.setInt32(off, bLo, true);
      if (size === 8) view.setInt32(off + 4, bHi, true);
      afterStore(h, pa, size);
    }
    x[d] = ok ? 0 : 1;
    x[d + 1] = 0;
    return true;
  }
  const aLo = view.getInt32(off, true);
  if (size === 4) {
    let r: number;
    switch (f5) {
      case F5_SWAP:
        r = bLo;
        break;
      case F5_ADD:
        r = (aLo + bLo) | 0;
        break;
      case F5_XOR:
        r = aLo ^ bLo;
        break;
      case F5_AND:
        r = aLo & bLo;
        break;
      case F5_OR:
        r = aLo | bLo;
        break;
      case F5_MIN:
        r = aLo < bLo ? aLo : bLo;
        break;
      case F5_MAX:
        r = aLo > bLo ? aLo : bLo;
        break;
      case F5_MINU:
        r = aLo >>> 0 < bLo >>> 0 ? aLo : bLo;
        break;
      default:
        r = aLo >>> 0 > bLo >>> 0 ? aLo : bLo;
        break;
    }
    view.setInt32(off, r, true);
    x[d] = aLo;
    x[d + 1] = aLo >> 31;
  } else {
    const aHi = view.getInt32(off + 4, true);
    let rLo: number;
    let rHi: number;
    switch (f5) {
      case F5_SWAP:
        rLo = bLo;
        rHi = bHi;
        break;
      case F5_ADD:
        rLo = (aLo + bLo) | 0;
        rHi = (aHi + bHi + (rLo >>> 0 < aLo >>> 0 ? 1 : 0)) | 0;
        break;
      case F5_XOR:
        rLo = aLo ^ bLo;
        rHi = aHi ^ bHi;
        break;
      case F5_AND:
        rLo = aLo & bLo;
        rHi = aHi & bHi;
        break;
      case F5_OR:
        rLo = aLo | bLo;
        rHi = aHi | bHi;
        break;
      case F5_MIN:
      case F5_MAX:
      case F5_MINU:
      case F5_MAXU: {
        const aLess = f5 === F5_MIN || f5 === F5_MAX ? lt(aLo, aHi, bLo, bHi) : ltu(aLo, aHi, bLo, bHi);
        const pickA = f5 === F5_MIN || f5 === F5_MINU ? aLess : !aLess;
        rLo = pickA ? aLo : bLo;
        rHi = pickA ? aHi : bHi;
        break;
      }
      default:
        rLo = aLo;
        rHi = aHi;
    }
    view.setInt32(off, rLo, true);
    view.setInt32(off + 4, rHi, true);
    x[d] = aLo;
    x[d + 1] = aHi;
  }
  afterStore(h, pa, size);
  return true;
}
