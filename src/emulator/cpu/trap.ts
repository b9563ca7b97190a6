// Trap entry, interrupt selection and xRET (privileged spec v1.12: 3.1.6.1 privilege stack,
// 3.1.8 medeleg/mideleg, 3.1.9 interrupt priority MEI > MSI > MTI > SEI > SSI > STI,
// 3.3.2 MRET/SRET, 4.1.1 sstatus).

import type { Hart } from './hart.js';
import { PRIV_M, PRIV_S, PRIV_U, type Privilege } from './hart-api.js';
import {
  CSR_MCAUSE,
  CSR_MEPC,
  CSR_MTVAL,
  CSR_MTVEC,
  CSR_SCAUSE,
  CSR_SEPC,
  CSR_STVAL,
  CSR_STVEC,
  MSTATUS_MIE,
  MSTATUS_MPIE,
  MSTATUS_MPP,
  MSTATUS_MPP_SHIFT,
  MSTATUS_MPRV,
  MSTATUS_SIE,
  MSTATUS_SPIE,
  MSTATUS_SPP,
} from './csr-numbers.js';
import { pairToPc, pcHi, pcLo } from './pc.js';
import { updateContext } from './context.js';
import { releaseReservation } from './reservation.js';

/** Interrupt causes in the order they are taken when several are pending and enabled. */
const PRIORITY = [11, 3, 7, 9, 1, 5];

function highest(bits: number): number {
  for (const cause of PRIORITY) if ((bits >>> cause) & 1) return cause;
  return -1;
}

/** The interrupt to take now, or -1 (global enables per privilege mode, 3.1.6.1). */
export function pendingInterrupt(h: Hart): number {
  const pend = (h.mipSw | h.mipHw) & h.mie;
  if (pend === 0) return -1;
  const priv = h.priv;
  const mLevel = pend & ~h.mideleg;
  if (mLevel !== 0 && (priv < PRIV_M || (h.mstatus & MSTATUS_MIE) !== 0)) return highest(mLevel);
  const sLevel = pend & h.mideleg;
  if (sLevel !== 0 && (priv < PRIV_S || (priv === PRIV_S && (h.mstatus & MSTATUS_SIE) !== 0))) return highest(sLevel);
  return -1;
}

/**
 * Enter the trap handler for `cause` (an interrupt when `interrupt`), with epc = h.pc. Exceptions
 * and interrupts from S/U go to S when delegated; nothing ever traps from M down to S.
 */
export function takeTrap(h: Hart, cause: number, interrupt: boolean, tvalLo: number, tvalHi: number): void {
  const from = h.priv;
  const deleg = interrupt ? h.mideleg : h.medeleg;
  const toS = from <= PRIV_S && ((deleg >>> cause) & 1) !== 0;
  const epcLo = pcLo(h, h.pc);
  const epcHi = pcHi(h, h.pc);
  const f = h.csrFile;
  let st = h.mstatus;
  let vec: number;
  if (toS) {
    f[2 * CSR_SCAUSE] = cause;
    f[2 * CSR_SCAUSE + 1] = interrupt ? -0x80000000 : 0;
    f[2 * CSR_SEPC] = epcLo;
    f[2 * CSR_SEPC + 1] = epcHi;
    f[2 * CSR_STVAL] = tvalLo;
    f[2 * CSR_STVAL + 1] = tvalHi;
    st = (st & ~MSTATUS_SPIE) | ((st & MSTATUS_SIE) !== 0 ? MSTATUS_SPIE : 0);
    st &= ~MSTATUS_SIE;
    st = (st & ~MSTATUS_SPP) | (from === PRIV_S ? MSTATUS_SPP : 0);
    h.priv = PRIV_S;
    vec = CSR_STVEC;
  } else {
    f[2 * CSR_MCAUSE] = cause;
    f[2 * CSR_MCAUSE + 1] = interrupt ? -0x80000000 : 0;
    f[2 * CSR_MEPC] = epcLo;
    f[2 * CSR_MEPC + 1] = epcHi;
    f[2 * CSR_MTVAL] = tvalLo;
    f[2 * CSR_MTVAL + 1] = tvalHi;
    st = (st & ~MSTATUS_MPIE) | ((st & MSTATUS_MIE) !== 0 ? MSTATUS_MPIE : 0);
    st &= ~MSTATUS_MIE;
    st = (st & ~MSTATUS_MPP) | (from << MSTATUS_MPP_SHIFT);
    h.priv = PRIV_M;
    vec = CSR_MTVEC;
  }
  h.mstatus = st;
  const tvecLo = f[2 * vec];
  const tvecHi = f[2 * vec + 1];
  let target = pairToPc(h, tvecLo & ~3, tvecHi);
  if (interrupt && (tvecLo & 3) === 1) target += 4 * cause;
  h.pc = target;
  releaseReservation(h);
  updateContext(h);
}

/** MRET: pop the M-mode privilege stack (3.3.2). The caller has checked priv === M. */
export function mret(h: Hart): void {
  let st = h.mstatus;
  const mpp = ((st >>> MSTATUS_MPP_SHIFT) & 3) as Privilege;
  st = (st & ~MSTATUS_MIE) | ((st & MSTATUS_MPIE) !== 0 ? MSTATUS_MIE : 0);
  st |= MSTATUS_MPIE;
  st &= ~MSTATUS_MPP; // MPP = U, the least-privileged mode
  if (mpp !== PRIV_M) st &= ~MSTATUS_MPRV;
  h.mstatus = st;
  h.priv = mpp;
  const f = h.csrFile;
  h.pc = pairToPc(h, f[2 * CSR_MEPC], f[2 * CSR_MEPC + 1]);
  releaseReservation(h);
  updateContext(h);
}

/** SRET: pop the S-mode privilege stack. The caller has checked priv and TSR. */
export function sret(h: Hart): void {
  let st = h.mstatus;
  const spp: Privilege = (st & MSTATUS_SPP) !== 0 ? PRIV_S : PRIV_U;
  st = (st & ~MSTATUS_SIE) | ((st & MSTATUS_SPIE) !== 0 ? MSTATUS_SIE : 0);
  st |= MSTATUS_SPIE;
  st &= ~MSTATUS_SPP;
  st &= ~MSTATUS_MPRV; // SPP is never M
  h.mstatus = st;
  h.priv = spp;
  const f = h.csrFile;
  h.pc = pairToPc(h, f[2 * CSR_SEPC], f[2 * CSR_SEPC + 1]);
  releaseReservation(h);
  updateContext(h);
}
