// Sv39 address translation (privileged spec v1.12, 4.3.2 "Virtual Address Translation Process" and
// 4.4 Sv39), plus the bare mapping. Returns the physical address or -1 with the trap recorded in the
// hart. The A/D bits are set by this walk, as QEMU does, with the PTE written back to physical memory.

import type { Hart } from '../hart.js';
import {
  CAUSE_FETCH_ACCESS,
  CAUSE_FETCH_PAGE_FAULT,
  CAUSE_LOAD_ACCESS,
  CAUSE_LOAD_PAGE_FAULT,
  CAUSE_STORE_ACCESS,
  CAUSE_STORE_PAGE_FAULT,
} from '../csr-numbers.js';
import { CTX_BARE, CTX_MXR, CTX_SUM, CTX_U } from './tlb.js';

export const ACCESS_FETCH = 0;
export const ACCESS_LOAD = 1;
export const ACCESS_STORE = 2;
export type Access = typeof ACCESS_FETCH | typeof ACCESS_LOAD | typeof ACCESS_STORE;

const PTE_V = 1 << 0;
const PTE_R = 1 << 1;
const PTE_W = 1 << 2;
const PTE_X = 1 << 3;
const PTE_U = 1 << 4;
const PTE_A = 1 << 6;
const PTE_D = 1 << 7;

const TWO32 = 4294967296;
/** Beyond 2^53 a double cannot hold a physical address exactly; nothing is mapped there anyway. */
const MAX_PHYS = 9007199254740992;

const PAGE_FAULT = [CAUSE_FETCH_PAGE_FAULT, CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT];
const ACCESS_FAULT = [CAUSE_FETCH_ACCESS, CAUSE_LOAD_ACCESS, CAUSE_STORE_ACCESS];

/** Set after a successful translate(): the page size of the leaf (12, 21 or 30 bits). */
export let lastPageShift = 12;

export function raise(h: Hart, cause: number, lo: number, hi: number): -1 {
  h.trapCause = cause;
  h.trapTvalLo = lo;
  h.trapTvalHi = hi;
  return -1;
}

export function accessFault(h: Hart, access: Access, lo: number, hi: number): -1 {
  return raise(h, ACCESS_FAULT[access], lo, hi);
}

function readPte(h: Hart, pa: number, word: number): number {
  const ram = h.ram;
  const a = pa + word * 4;
  if (a >= ram.base && a + 4 <= ram.end) return ram.view.getInt32(a - ram.base, true);
  return h.bus.read(a, 4) | 0;
}

/**
 * Translate virtual address (lo, hi) for `access` under context `ctx` (tlb.ts). Returns the physical
 * address, or -1 after recording a page fault or access fault in the hart.
 */
export function translate(h: Hart, lo: number, hi: number, access: Access, ctx: number): number {
  if (ctx === CTX_BARE) {
    lastPageShift = 12;
    if (hi < 0 || hi >= 0x200000) return accessFault(h, access, lo, hi);
    return hi * TWO32 + (lo >>> 0);
  }
  // Bits 63..39 must all equal bit 38, i.e. hi in [-64, 63].
  if ((hi + 64) >>> 7 !== 0) return raise(h, PAGE_FAULT[access], lo, hi);
  const vpn = [(lo >>> 12) & 0x1ff, (lo >>> 21) & 0x1ff, (((hi & 0x7f) << 2) | (lo >>> 30)) & 0x1ff];
  // Step 1: a = satp.ppn * PAGESIZE, i = LEVELS - 1.
  let a = h.satpRoot;
  let level = 2;
  let pteLo = 0;
  let pteHi = 0;
  let pteAddr = 0;
  for (;;) {
    // Step 2: pte = the PTE at a + va.vpn[i] * PTESIZE; a failed physical access is an access fault.
    pteAddr = a + vpn[level] * 8;
    h.bus.fault = false;
    pteLo = readPte(h, pteAddr, 0);
    pteHi = readPte(h, pteAddr, 1);
    if (h.bus.fault) {
      h.bus.fault = false;
      return accessFault(h, access, lo, hi);
    }
    // Step 3: invalid, W without R, or reserved bits 63..54 set (no Svnapot/Svpbmt) => page fault.
    if ((pteLo & PTE_V) === 0 || (pteLo & (PTE_R | PTE_W)) === PTE_W || pteHi >>> 22 !== 0) {
      return raise(h, PAGE_FAULT[access], lo, hi);
    }
    // Step 4: R or X set => leaf; otherwise descend.
    if ((pteLo & (PTE_R | PTE_X)) !== 0) break;
    level--;
    if (level < 0) return raise(h, PAGE_FAULT[access], lo, hi);
    a = ((pteLo >>> 10) + (pteHi & 0x3fffff) * 4194304) * 4096;
  }
  // Step 5: permission check against r/w/x/u, the effective privilege, SUM and MXR.
  const user = (ctx & 3) === CTX_U;
  if ((pteLo & PTE_U) !== 0) {
    if (!user && (access === ACCESS_FETCH || (ctx & CTX_SUM) === 0)) return raise(h, PAGE_FAULT[access], lo, hi);
  } else if (user) {
    return raise(h, PAGE_FAULT[access], lo, hi);
  }
  let allowed: boolean;
  if (access === ACCESS_FETCH) allowed = (pteLo & PTE_X) !== 0;
  else if (access === ACCESS_LOAD) allowed = (pteLo & PTE_R) !== 0 || ((ctx & CTX_MXR) !== 0 && (pteLo & PTE_X) !== 0);
  else allowed = (pteLo & PTE_W) !== 0;
  if (!allowed) return raise(h, PAGE_FAULT[access], lo, hi);
  // Step 6: a superpage's low PPN fields must be zero.
  const ppnLowBits = level === 2 ? 0x3ffff : level === 1 ? 0x1ff : 0;
  if (((pteLo >>> 10) & ppnLowBits) !== 0) return raise(h, PAGE_FAULT[access], lo, hi);
  // Step 7: set A (and D on a store) in the PTE in memory.
  const want = PTE_A | (access === ACCESS_STORE ? PTE_D : 0);
  if ((pteLo & want) !== want) {
    pteLo |= want;
    const ram = h.ram;
    if (pteAddr >= ram.base && pteAddr + 4 <= ram.end) {
      ram.view.setInt32(pteAddr - ram.base, pteLo, true);
      // A store, bypassing the store path: code translated from this page must go (domain.ts).
      h.domain.noteHostRamWrite(pteAddr, 4);
    } else {
      h.bus.fault = false;
      h.bus.write(pteAddr, 4, pteLo);
      if (h.bus.fault) {
        h.bus.fault = false;
        return accessFault(h, access, lo, hi);
      }
    }
  }
  // Step 8: pa = pte.ppn (upper levels) with the low VPN fields of a superpage and the page offset.
  const base = ((pteLo >>> 10) + (pteHi & 0x3fffff) * 4194304) * 4096;
  const shift = level === 0 ? 12 : level === 1 ? 21 : 30;
  lastPageShift = shift;
  const pa = base + (shift === 30 ? lo & 0x3fffffff : lo & ((1 << shift) - 1));
  if (pa >= MAX_PHYS) return accessFault(h, access, lo, hi);
  return pa;
}
