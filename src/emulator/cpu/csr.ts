// Control and status registers: reads, WARL writes and the access rules of the Zicsr instructions
// (privileged spec v1.12, 2.1-2.3 CSR address map and access rules, 3.1 machine CSRs, 4.1 supervisor
// CSRs, 3.1.11-3.1.12 counters and counter-enable; unprivileged 20191213, 9.1 and 11.2 for fcsr).
// Values move as int32 lo/hi pairs; readCsr leaves the value in h.tmpLo/h.tmpHi.

import type { Hart } from './hart.js';
import { PRIV_M, PRIV_S, PRIV_U, MIP_SEIP, MIP_SSIP, MIP_STIP } from './hart-api.js';
import * as C from './csr-numbers.js';
import { updateContext } from './context.js';

const TWO32 = 4294967296;
/** mie bits that exist: SSIE, MSIE, STIE, MTIE, SEIE, MEIE. */
const MIE_WRITABLE = 0xaaa;
/** S-level interrupts: the only ones mideleg can delegate (as QEMU). */
const S_INTERRUPTS = MIP_SSIP | MIP_STIP | MIP_SEIP;
/** mip bits M-mode software may write. */
const MIP_WRITABLE = MIP_SSIP | MIP_STIP | MIP_SEIP;

function statusHigh(h: Hart, xl: number): number {
  return (h.mstatus & C.MSTATUS_FS) === C.MSTATUS_FS ? xl | C.STATUS_HI_SD : xl;
}

function put(h: Hart, lo: number, hi: number): true {
  h.tmpLo = lo | 0;
  h.tmpHi = hi | 0;
  return true;
}

function putNumber(h: Hart, v: number): true {
  return put(h, v | 0, Math.floor(v / TWO32));
}

function fpuEnabled(h: Hart): boolean {
  return (h.mstatus & C.MSTATUS_FS) !== 0;
}

/** Plain storage CSRs: read and written as whole 64-bit values (after per-CSR masking). */
function isPlain(csr: number): boolean {
  switch (csr) {
    case C.CSR_MSCRATCH:
    case C.CSR_SSCRATCH:
    case C.CSR_MEPC:
    case C.CSR_SEPC:
    case C.CSR_MCAUSE:
    case C.CSR_SCAUSE:
    case C.CSR_MTVAL:
    case C.CSR_STVAL:
    case C.CSR_MTVEC:
    case C.CSR_STVEC:
      return true;
  }
  return false;
}

/** Read a CSR with no privilege check. Returns false for a CSR that does not exist. */
export function readCsr(h: Hart, csr: number): boolean {
  if (isPlain(csr)) return put(h, h.csrFile[2 * csr], h.csrFile[2 * csr + 1]);
  if (csr >= C.CSR_PMPCFG0 && csr <= C.CSR_PMPCFG15) {
    if (csr & 1) return false; // RV64 has only the even pmpcfg registers
    return put(h, h.csrFile[2 * csr], h.csrFile[2 * csr + 1]);
  }
  if (csr >= C.CSR_PMPADDR0 && csr <= C.CSR_PMPADDR63) return put(h, h.csrFile[2 * csr], h.csrFile[2 * csr + 1]);
  if (
    (csr >= C.CSR_HPMCOUNTER3 && csr <= C.CSR_HPMCOUNTER31) ||
    (csr >= C.CSR_MHPMCOUNTER3 && csr <= C.CSR_MHPMCOUNTER31) ||
    (csr >= C.CSR_MHPMEVENT3 && csr <= C.CSR_MHPMEVENT31)
  ) {
    return put(h, 0, 0);
  }
  switch (csr) {
    case C.CSR_FFLAGS:
      return put(h, h.fpu.fflags & 0x1f, 0);
    case C.CSR_FRM:
      return put(h, h.fpu.frm & 7, 0);
    case C.CSR_FCSR:
      return put(h, ((h.fpu.frm & 7) << 5) | (h.fpu.fflags & 0x1f), 0);
    case C.CSR_CYCLE:
    case C.CSR_MCYCLE:
      return putNumber(h, h.instretCount + h.cycleDelta);
    case C.CSR_INSTRET:
    case C.CSR_MINSTRET:
      return putNumber(h, h.instretCount);
    case C.CSR_TIME:
      return putNumber(h, Math.max(0, Math.floor(h.host.clock.now())));
    case C.CSR_SSTATUS:
      return put(h, h.mstatus & C.SSTATUS_MASK, statusHigh(h, C.SSTATUS_HI_XL));
    case C.CSR_SIE:
      return put(h, h.mie & h.mideleg, 0);
    case C.CSR_SIP:
      return put(h, (h.mipSw | h.mipHw) & h.mideleg, 0);
    case C.CSR_SCOUNTEREN:
      return put(h, h.scounteren, 0);
    case C.CSR_SENVCFG:
    case C.CSR_MENVCFG:
    case C.CSR_MCOUNTINHIBIT:
    case C.CSR_MVENDORID:
    case C.CSR_MARCHID:
    case C.CSR_MIMPID:
    case C.CSR_MCONFIGPTR:
      return put(h, 0, 0);
    case C.CSR_SATP:
      return put(h, h.satpPpnLo, (h.satpMode << 28) | h.satpPpnHi);
    case C.CSR_MHARTID:
      return putNumber(h, h.hartId);
    case C.CSR_MSTATUS:
      return put(h, h.mstatus, statusHigh(h, C.MSTATUS_HI_XL));
    case C.CSR_MISA:
      return put(h, C.MISA_LO, C.MISA_HI);
    case C.CSR_MEDELEG:
      return put(h, h.medeleg, 0);
    case C.CSR_MIDELEG:
      return put(h, h.mideleg, 0);
    case C.CSR_MIE:
      return put(h, h.mie, 0);
    case C.CSR_MIP:
      return put(h, h.mipSw | h.mipHw, 0);
    case C.CSR_MCOUNTEREN:
      return put(h, h.mcounteren, 0);
  }
  return false;
}

function setStatus(h: Hart, v: number): void {
  // MPP is WARL over {U, S, M}: the reserved value 2 keeps the previous mode.
  if (((v >>> C.MSTATUS_MPP_SHIFT) & 3) === 2) v = (v & ~C.MSTATUS_MPP) | (h.mstatus & C.MSTATUS_MPP);
  h.mstatus = v;
  updateContext(h);
}

/** Write a CSR with no privilege check (WARL legalisation applies). Unknown CSRs are ignored. */
export function writeCsr(h: Hart, csr: number, lo: number, hi: number): void {
  const f = h.csrFile;
  switch (csr) {
    case C.CSR_MSCRATCH:
    case C.CSR_SSCRATCH:
    case C.CSR_MCAUSE:
    case C.CSR_SCAUSE:
    case C.CSR_MTVAL:
    case C.CSR_STVAL:
      f[2 * csr] = lo;
      f[2 * csr + 1] = hi;
      return;
    case C.CSR_MEPC:
    case C.CSR_SEPC:
      // IALIGN = 16: bit 0 is always zero.
      f[2 * csr] = lo & ~1;
      f[2 * csr + 1] = hi;
      return;
    case C.CSR_MTVEC:
    case C.CSR_STVEC:
      // MODE >= 2 is reserved: keep the old value (as QEMU does).
      if ((lo & 3) >= 2) return;
      f[2 * csr] = lo;
      f[2 * csr + 1] = hi;
      return;
    case C.CSR_FFLAGS:
      h.fpu.fflags = lo & 0x1f;
      dirtyFs(h);
      return;
    case C.CSR_FRM:
      h.fpu.frm = lo & 7;
      dirtyFs(h);
      return;
    case C.CSR_FCSR:
      h.fpu.fflags = lo & 0x1f;
      h.fpu.frm = (lo >>> 5) & 7;
      dirtyFs(h);
      return;
    case C.CSR_MCYCLE:
      h.cycleDelta = (hi >>> 0) * TWO32 + (lo >>> 0) - h.instretCount;
      return;
    case C.CSR_MINSTRET: {
      const old = h.instretCount;
      h.instretCount = (hi >>> 0) * TWO32 + (lo >>> 0);
      h.cycleDelta -= h.instretCount - old;
      return;
    }
    case C.CSR_SSTATUS:
      setStatus(h, (h.mstatus & ~C.SSTATUS_MASK) | (lo & C.SSTATUS_MASK));
      return;
    case C.CSR_MSTATUS:
      setStatus(h, (h.mstatus & ~C.MSTATUS_WRITABLE) | (lo & C.MSTATUS_WRITABLE));
      return;
    case C.CSR_SIE: {
      const mask = h.mideleg & MIE_WRITABLE;
      h.mie = (h.mie & ~mask) | (lo & mask);
      return;
    }
    case C.CSR_MIE:
      h.mie = lo & MIE_WRITABLE;
      return;
    case C.CSR_SIP: {
      const mask = h.mideleg & MIP_SSIP;
      h.mipSw = (h.mipSw & ~mask) | (lo & mask);
      return;
    }
    case C.CSR_MIP:
      h.mipSw = (h.mipSw & ~MIP_WRITABLE) | (lo & MIP_WRITABLE);
      return;
    case C.CSR_MIDELEG:
      h.mideleg = lo & S_INTERRUPTS;
      return;
    case C.CSR_MEDELEG:
      h.medeleg = lo & C.MEDELEG_WRITABLE;
      return;
    case C.CSR_MCOUNTEREN:
      h.mcounteren = lo;
      return;
    case C.CSR_SCOUNTEREN:
      h.scounteren = lo;
      return;
    case C.CSR_SATP: {
      const mode = hi >>> 28;
      // Only Bare and Sv39: any other MODE leaves satp entirely unchanged (Linux probes Sv57/Sv48).
      if (mode !== 0 && mode !== 8) return;
      h.satpMode = mode;
      h.satpPpnLo = lo;
      h.satpPpnHi = hi & 0xfff; // ASID (bits 59:44) is hardwired to zero: ASIDLEN = 0
      h.satpRoot = ((hi & 0xfff) * TWO32 + (lo >>> 0)) * 4096;
      h.tlb.flushAll();
      updateContext(h);
      return;
    }
  }
  if (csr >= C.CSR_PMPCFG0 && csr <= C.CSR_PMPCFG15 && (csr & 1) === 0) {
    f[2 * csr] = lo;
    f[2 * csr + 1] = hi;
    return;
  }
  if (csr >= C.CSR_PMPADDR0 && csr < C.CSR_PMPADDR0 + 16) {
    // pmpaddr holds bits 55:2 of an address.
    f[2 * csr] = lo;
    f[2 * csr + 1] = hi & 0x3fffff;
  }
  // Everything else that exists is read-only zero or WARL-ignored (pmp 16-63, hpm, envcfg, inhibit).
}

function dirtyFs(h: Hart): void {
  h.mstatus |= C.MSTATUS_FS;
}

/** May the current privilege read counter `csr` (cycle/time/instret/hpmcounterN)? (3.1.11) */
function counterAllowed(h: Hart, csr: number): boolean {
  if (h.priv === PRIV_M) return true;
  const bit = csr & 0x1f;
  if (((h.mcounteren >>> bit) & 1) === 0) return false;
  return h.priv !== PRIV_U || ((h.scounteren >>> bit) & 1) !== 0;
}

function illegal(h: Hart, insn: number): false {
  h.trapCause = C.CAUSE_ILLEGAL_INSTRUCTION;
  h.trapTvalLo = insn;
  h.trapTvalHi = 0;
  return false;
}

/**
 * Execute CSRRW/CSRRS/CSRRC/CSRRWI/CSRRSI/CSRRCI (funct3 1-3, 5-7). Returns false with an illegal
 * instruction trap recorded for an unknown CSR, too little privilege or a write to a read-only CSR.
 */
export function csrInstruction(h: Hart, insn: number): boolean {
  const csr = insn >>> 20;
  const f3 = (insn >>> 12) & 7;
  const rs1 = (insn >>> 15) & 31;
  const rd = (insn >>> 7) & 31;
  const op = f3 & 3;
  const writes = op === 1 || rs1 !== 0;
  if (h.priv < ((csr >>> 8) & 3)) return illegal(h, insn);
  if (writes && csr >>> 10 === 3) return illegal(h, insn);
  if (csr === C.CSR_SATP && h.priv === PRIV_S && (h.mstatus & C.MSTATUS_TVM) !== 0) return illegal(h, insn);
  if (csr <= C.CSR_FCSR && !fpuEnabled(h)) return illegal(h, insn);
  if (csr >= C.CSR_CYCLE && csr <= C.CSR_HPMCOUNTER31 && !counterAllowed(h, csr)) return illegal(h, insn);
  if (!readCsr(h, csr)) return illegal(h, insn);
  const oldLo = h.tmpLo;
  const oldHi = h.tmpHi;
  if (writes) {
    // Read-modify-write of mip/sip sees only the software-written bits, not the platform's lines
    // (3.1.9: "only the software-writable SEIP bit" takes part in csrrs/csrrc).
    const baseLo = op !== 1 && (csr === C.CSR_MIP || csr === C.CSR_SIP) ? h.mipSw : oldLo;
    let sLo: number;
    let sHi: number;
    if (f3 & 4) {
      sLo = rs1;
      sHi = 0;
    } else {
      sLo = h.x[2 * rs1];
      sHi = h.x[2 * rs1 + 1];
    }
    let nLo = sLo;
    let nHi = sHi;
    if (op === 2) {
      nLo = baseLo | sLo;
      nHi = oldHi | sHi;
    } else if (op === 3) {
      nLo = baseLo & ~sLo;
      nHi = oldHi & ~sHi;
    }
    writeCsr(h, csr, nLo, nHi);
    // A counter written by an instruction shows the written value after that instruction retires:
    // pre-compensate the retirement the hot loop is about to count.
    if (csr === C.CSR_MINSTRET) {
      h.instretCount -= 1;
      h.cycleDelta += 1;
    } else if (csr === C.CSR_MCYCLE) {
      h.cycleDelta -= 1;
    }
  }
  if (rd !== 0) {
    h.x[2 * rd] = oldLo;
    h.x[2 * rd + 1] = oldHi;
  }
  return true;
}
