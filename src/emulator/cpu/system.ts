// The SYSTEM opcode: ECALL, EBREAK, MRET, SRET, WFI, SFENCE.VMA and the Zicsr instructions
// (unprivileged 20191213 2.8 and 9; privileged v1.12 3.3.1-3.3.3 incl. TSR/TW/TVM, 4.2.1 SFENCE.VMA).
// Called with h.pc = the instruction's address; returns what the hot loop must do next.

import type { Hart } from './hart.js';
import { PRIV_M, PRIV_S, PRIV_U } from './hart-api.js';
import {
  CAUSE_BREAKPOINT,
  CAUSE_ILLEGAL_INSTRUCTION,
  CAUSE_MACHINE_ECALL,
  CAUSE_SUPERVISOR_ECALL,
  CAUSE_USER_ECALL,
  MSTATUS_TSR,
  MSTATUS_TVM,
  MSTATUS_TW,
} from './csr-numbers.js';
import { csrInstruction } from './csr.js';
import { mret, sret } from './trap.js';
import { raise } from './mmu/sv39.js';
import { pcHi, pcLo } from './pc.js';

/** Continue at pc + 4. */
export const SYS_NEXT = 0;
/** A trap is recorded in the hart (trapCause/tval); pc stays on the instruction. */
export const SYS_TRAP = 1;
/** Continue at h.pc (xRET, or the platform moved the hart during an SBI call). */
export const SYS_JUMP = 2;
/** WFI with nothing to wake it: continue at pc + 4 once woken; the hart is now waiting. */
export const SYS_WAIT = 3;

const ECALL = 0x00000073;
const EBREAK = 0x00100073;
const MRET = 0x30200073;
const SRET = 0x10200073;
const WFI = 0x10500073;

function illegal(h: Hart, insn: number): number {
  raise(h, CAUSE_ILLEGAL_INSTRUCTION, insn, 0);
  return SYS_TRAP;
}

export function systemInstruction(h: Hart, insn: number): number {
  const f3 = (insn >>> 12) & 7;
  if (f3 !== 0) {
    if (f3 === 4) return illegal(h, insn);
    return csrInstruction(h, insn) ? SYS_NEXT : SYS_TRAP;
  }
  const priv = h.priv;
  switch (insn) {
    case ECALL: {
      const sbi = h.host.sbiCall;
      if (priv === PRIV_S && sbi !== undefined) {
        const epoch = h.epoch;
        sbi(h);
        return h.epoch !== epoch ? SYS_JUMP : SYS_NEXT;
      }
      const cause = priv === PRIV_U ? CAUSE_USER_ECALL : priv === PRIV_S ? CAUSE_SUPERVISOR_ECALL : CAUSE_MACHINE_ECALL;
      raise(h, cause, 0, 0);
      return SYS_TRAP;
    }
    case EBREAK:
      // tval = epc = the ebreak's own address: Linux's BUG/WARN handler resumes past it.
      raise(h, CAUSE_BREAKPOINT, pcLo(h, h.pc), pcHi(h, h.pc));
      return SYS_TRAP;
    case MRET:
      if (priv !== PRIV_M) return illegal(h, insn);
      mret(h);
      return SYS_JUMP;
    case SRET:
      if (priv === PRIV_U || (priv === PRIV_S && (h.mstatus & MSTATUS_TSR) !== 0)) return illegal(h, insn);
      sret(h);
      return SYS_JUMP;
    case WFI:
      // As QEMU: always illegal in U-mode (S-mode exists); in S-mode when TW is set.
      if (priv === PRIV_U || (priv === PRIV_S && (h.mstatus & MSTATUS_TW) !== 0)) return illegal(h, insn);
      // Wake-up only needs the interrupt enabled in mie, whatever the global enable (3.3.3).
      if (((h.mipSw | h.mipHw) & h.mie) !== 0) return SYS_NEXT;
      h.waiting = true;
      return SYS_WAIT;
  }
  if (insn >>> 25 === 0x09 && ((insn >>> 7) & 31) === 0) {
    // SFENCE.VMA rs1, rs2 (rs2 = ASID is ignored: ASIDLEN = 0).
    if (priv === PRIV_U || (priv === PRIV_S && (h.mstatus & MSTATUS_TVM) !== 0)) return illegal(h, insn);
    const rs1 = (insn >>> 15) & 31;
    if (rs1 === 0) h.tlb.flushAll();
    else h.tlb.flushPage(h.x[2 * rs1], h.x[2 * rs1 + 1]);
    return SYS_NEXT;
  }
  return illegal(h, insn);
}
