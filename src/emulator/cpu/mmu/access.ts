// Slow paths of guest memory access: TLB misses (walk + refill), MMIO, and misaligned accesses that
// cross a page (privileged spec v1.12, 3.6 PMAs and 4.3; misaligned loads/stores succeed in every mode,
// as Linux 6.1 in S-mode relies on). Results and traps go through fields of the hart: never throws.

import type { Hart } from '../hart.js';
import { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, accessFault, lastPageShift, translate, type Access } from './sv39.js';
import { TLB_MASK } from './tlb.js';
import type { Domain } from '../domain.js';

/** Translate: a hit in the TLB of that access kind, else through the page tables, refilling that
 *  TLB for a RAM page. (The hot paths test the TLB inline; callers such as the AMOs and the slow
 *  paths translated code calls come here first.) */
export function xlate(h: Hart, lo: number, hi: number, access: Access): number {
  const ctx = access === ACCESS_FETCH ? h.fetchCtx : h.dataCtx;
  const ti = (lo >>> 12) & TLB_MASK;
  const tlb = h.tlb;
  const tags = access === ACCESS_LOAD ? tlb.loadTag : access === ACCESS_STORE ? tlb.storeTag : tlb.fetchTag;
  if (tags[2 * ti] === ((lo & ~0xfff) | ctx) && tags[2 * ti + 1] === hi) {
    const offs = access === ACCESS_LOAD ? tlb.loadOff : access === ACCESS_STORE ? tlb.storeOff : tlb.fetchOff;
    return h.ram.base + offs[ti]! + (lo & 0xfff);
  }
  const pa = translate(h, lo, hi, access, ctx);
  if (pa < 0) return -1;
  const page = pa - (lo & 0xfff);
  const ram = h.ram;
  if (page >= ram.base && page + 4096 <= ram.end) {
    const off = page - ram.base;
    const i = ti;
    const tag = (lo & ~0xfff) | ctx;
    if (lastPageShift > 12) tlb.noteSuperpage(lo, hi, lastPageShift);
    if (access === ACCESS_LOAD) {
      tlb.loadTag[2 * i] = tag;
      tlb.loadTag[2 * i + 1] = hi;
      tlb.loadOff[i] = off;
    } else if (access === ACCESS_STORE) {
      // Pages holding reservations or translated code stay out, so stores there reach afterStore().
      if (h.domain.storeCacheable(off)) {
        tlb.storeTag[2 * i] = tag;
        tlb.storeTag[2 * i + 1] = hi;
        tlb.storeOff[i] = off;
      }
    } else {
      tlb.fetchTag[2 * i] = tag;
      tlb.fetchTag[2 * i + 1] = hi;
      tlb.fetchOff[i] = off;
    }
  }
  return pa;
}

/** Physical read of `size` (1, 2, 4) bytes; little-endian raw bits. Sets bus.fault on a hole. */
function physRead(h: Hart, pa: number, size: 1 | 2 | 4): number {
  const ram = h.ram;
  if (pa >= ram.base && pa + size <= ram.end) {
    const o = pa - ram.base;
    const v = ram.view;
    return size === 4 ? v.getInt32(o, true) : size === 2 ? v.getUint16(o, true) : v.getUint8(o);
  }
  if ((pa & (size - 1)) !== 0) {
    // Devices see only naturally aligned accesses: split a misaligned MMIO access into bytes.
    let r = 0;
    for (let i = 0; i < size; i++) r |= (h.bus.read(pa + i, 1) & 0xff) << (8 * i);
    return r;
  }
  return h.bus.read(pa, size) | 0;
}

function physWrite(h: Hart, pa: number, size: 1 | 2 | 4, v: number): void {
  const ram = h.ram;
  if (pa >= ram.base && pa + size <= ram.end) {
    const o = pa - ram.base;
    const view = ram.view;
    if (size === 4) view.setInt32(o, v, true);
    else if (size === 2) view.setUint16(o, v & 0xffff, true);
    else view.setUint8(o, v & 0xff);
    return;
  }
  if ((pa & (size - 1)) !== 0) {
    for (let i = 0; i < size; i++) h.bus.write(pa + i, 1, (v >>> (8 * i)) & 0xff);
    return;
  }
  // Devices get only the bytes being written, as a plain unsigned value.
  h.bus.write(pa, size, size === 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff));
}

/** Read `size` bytes at physical `pa` (no page crossing) into h.tmpLo/h.tmpHi. False on access fault. */
function readAt(h: Hart, pa: number, size: number, lo: number, hi: number, access: Access): boolean {
  const bus = h.bus;
  bus.fault = false;
  if (size === 8) {
    h.tmpLo = physRead(h, pa, 4);
    h.tmpHi = physRead(h, pa + 4, 4);
  } else {
    h.tmpLo = physRead(h, pa, size as 1 | 2 | 4);
    h.tmpHi = 0;
  }
  if (bus.fault) {
    bus.fault = false;
    accessFault(h, access, lo, hi);
    return false;
  }
  return true;
}

/** Address (lo, hi) + k as a pair, written to the two module slots below. */
let nLo = 0;
let nHi = 0;
function offsetBy(lo: number, hi: number, k: number): void {
  const u = (lo >>> 0) + k;
  nLo = u | 0;
  nHi = (hi + (u > 0xffffffff ? 1 : 0)) | 0;
}

/**
 * Load `size` (1, 2, 4, 8) bytes at virtual (lo, hi): raw little-endian bits in h.tmpLo (and h.tmpHi
 * for 8). Returns false with the trap recorded.
 */
export function loadSlow(h: Hart, lo: number, hi: number, size: number): boolean {
  return loadAs(h, lo, hi, size, ACCESS_LOAD);
}

function loadAs(h: Hart, lo: number, hi: number, size: number, access: Access): boolean {
  const off = lo & 0xfff;
  if (off + size <= 4096) {
    const pa = xlate(h, lo, hi, access);
    if (pa < 0) return false;
    return readAt(h, pa, size, lo, hi, access);
  }
  // Crosses a page: translate both pages before touching anything, then assemble byte by byte.
  const first = 4096 - off;
  const pa1 = xlate(h, lo, hi, access);
  if (pa1 < 0) return false;
  offsetBy(lo, hi, first);
  const lo2 = nLo;
  const hi2 = nHi;
  const pa2 = xlate(h, lo2, hi2, access);
  if (pa2 < 0) return false;
  let rLo = 0;
  let rHi = 0;
  h.bus.fault = false;
  for (let i = 0; i < size; i++) {
    const b = i < first ? physRead(h, pa1 + i, 1) : physRead(h, pa2 + (i - first), 1);
    if (i < 4) rLo |= (b & 0xff) << (8 * i);
    else rHi |= (b & 0xff) << (8 * (i - 4));
  }
  if (h.bus.fault) {
    h.bus.fault = false;
    accessFault(h, access, lo, hi);
    return false;
  }
  h.tmpLo = rLo;
  h.tmpHi = rHi;
  return true;
}

/** Store the low `size` bytes of (vlo, vhi) at virtual (lo, hi). Returns false with the trap recorded. */
export function storeSlow(h: Hart, lo: number, hi: number, size: number, vlo: number, vhi: number): boolean {
  const off = lo & 0xfff;
  const bus = h.bus;
  if (off + size <= 4096) {
    const pa = xlate(h, lo, hi, ACCESS_STORE);
    if (pa < 0) return false;
    bus.fault = false;
    if (size === 8) {
      physWrite(h, pa, 4, vlo);
      physWrite(h, pa + 4, 4, vhi);
    } else {
      physWrite(h, pa, size as 1 | 2 | 4, vlo);
    }
    if (bus.fault) {
      bus.fault = false;
      accessFault(h, ACCESS_STORE, lo, hi);
      return false;
    }
    afterStore(h, pa, size);
    return true;
  }
  const first = 4096 - off;
  const pa1 = xlate(h, lo, hi, ACCESS_STORE);
  if (pa1 < 0) return false;
  offsetBy(lo, hi, first);
  const lo2 = nLo;
  const hi2 = nHi;
  const pa2 = xlate(h, lo2, hi2, ACCESS_STORE);
  if (pa2 < 0) return false;
  bus.fault = false;
  for (let i = 0; i < size; i++) {
    const b = i < 4 ? vlo >>> (8 * i) : vhi >>> (8 * (i - 4));
    if (i < first) physWrite(h, pa1 + i, 1, b);
    else physWrite(h, pa2 + (i - first), 1, b);
  }
  if (bus.fault) {
    bus.fault = false;
    accessFault(h, ACCESS_STORE, lo, hi);
    return false;
  }
  afterStore(h, pa1, first);
  afterStore(h, pa2, size - first);
  return true;
}

/** A slow-path store of `size` bytes reached physical `pa`: other harts' reservations and any
 *  translated code made from that page are dropped (domain.ts). */
export function afterStore(h: Hart, pa: number, size: number): void {
  const d: Domain = h.domain;
  if (d.multi) d.noteStore(h, pa, size);
  const ram = h.ram;
  if (pa >= ram.base && pa < ram.end) {
    const off = pa - ram.base;
    const pageOff = off - (off & 0xfff);
    if (d.codePages[pageOff >>> 12] !== 0) d.noteCodeWrite(pageOff, pa);
  }
}

/**
 * Fetch the instruction at virtual (lo, hi): raw bits in h.tmpLo (16 bits for a compressed one).
 * A 32-bit instruction may straddle two pages; the fault then names the address of the missing half.
 */
export function fetchSlow(h: Hart, lo: number, hi: number): boolean {
  const pa = xlate(h, lo, hi, ACCESS_FETCH);
  if (pa < 0) return false;
  if (!readAt(h, pa, 2, lo, hi, ACCESS_FETCH)) return false;
  const low = h.tmpLo & 0xffff;
  if ((low & 3) !== 3) {
    h.tmpLo = low;
    return true;
  }
  offsetBy(lo, hi, 2);
  const lo2 = nLo;
  const hi2 = nHi;
  const pa2 = (lo & 0xfff) === 0xffe ? xlate(h, lo2, hi2, ACCESS_FETCH) : pa + 2;
  if (pa2 < 0) return false;
  if (!readAt(h, pa2, 2, lo2, hi2, ACCESS_FETCH)) return false;
  h.tmpLo = low | (h.tmpLo << 16);
  return true;
}

export { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE };
