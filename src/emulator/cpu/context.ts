// The translation context of a hart: which TLB entries its fetches and loads/stores may use
// (privileged spec 1.12, 3.1.6.3 MPRV/MXR/SUM and 4.3.1: M-mode and satp.MODE=Bare are untranslated).
// Recomputed whenever priv, mstatus or satp change.

import type { Hart } from './hart.js';
import { PRIV_M, PRIV_U } from './hart-api.js';
import { MSTATUS_MPP_SHIFT, MSTATUS_MPRV, MSTATUS_MXR, MSTATUS_SUM } from './csr-numbers.js';
import { CTX_BARE, CTX_MXR, CTX_S, CTX_SUM, CTX_U } from './mmu/tlb.js';

export function updateContext(h: Hart): void {
  const paging = h.satpMode === 8;
  const priv = h.priv;
  h.fetchCtx = !paging || priv === PRIV_M ? CTX_BARE : priv === PRIV_U ? CTX_U : CTX_S;
  const st = h.mstatus;
  const eff = priv === PRIV_M && (st & MSTATUS_MPRV) !== 0 ? (st >>> MSTATUS_MPP_SHIFT) & 3 : priv;
  if (!paging || eff === PRIV_M) {
    h.dataCtx = CTX_BARE;
  } else {
    let ctx = eff === PRIV_U ? CTX_U : CTX_S | ((st & MSTATUS_SUM) !== 0 ? CTX_SUM : 0);
    if ((st & MSTATUS_MXR) !== 0) ctx |= CTX_MXR;
    h.dataCtx = ctx;
  }
}
