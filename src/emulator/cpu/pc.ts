// The program counter as a double (RISC-V unprivileged spec 20191213, 1.4: pc is XLEN bits).
//
// The hot loop keeps pc as a JS number holding the signed 64-bit value: every address a hart can
// execute from (Sv39 canonical addresses, RAM) lies within +-2^38, so pc + imm is exact double
// arithmetic and needs no carry handling. A jump to a value beyond +-2^53 (it can only fault) stores
// the exact target in `wildPc` and the sentinel WILD_PC in pc, so epc/tval stay exact.

import type { Hart } from './hart.js';

/** 2^62: exactly representable, non-canonical for Sv39 and beyond any physical address. */
export const WILD_PC = 4611686018427387904;
const TWO32 = 4294967296;

/** pc from a lo/hi register pair. */
export function pairToPc(h: Hart, lo: number, hi: number): number {
  if (hi >= -0x200000 && hi < 0x200000) return hi * TWO32 + (lo >>> 0);
  h.wildPc = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
  return WILD_PC;
}

export function pcLo(h: Hart, pc: number): number {
  if (pc === WILD_PC) return Number(BigInt.asIntN(32, h.wildPc));
  return pc | 0;
}

export function pcHi(h: Hart, pc: number): number {
  if (pc === WILD_PC) return Number(BigInt.asIntN(32, h.wildPc >> 32n));
  return Math.floor(pc / TWO32) | 0;
}

export function pcToBig(h: Hart): bigint {
  if (h.pc === WILD_PC) return BigInt.asUintN(64, h.wildPc);
  return BigInt.asUintN(64, BigInt(h.pc));
}

export function bigToPc(h: Hart, v: bigint): number {
  const s = BigInt.asIntN(64, v);
  return pairToPc(h, Number(BigInt.asIntN(32, s)), Number(BigInt.asIntN(32, s >> 32n)));
}
