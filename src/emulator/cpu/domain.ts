// The coherence domain: the harts sharing one RAM, and what one hart's caches require of every
// store into that RAM (unprivileged spec 20191213: 8.2 LR/SC reservation sets; 2.1/Zifencei: stores
// to code must become visible to instruction fetch after fence.i, which translated code must not
// outlive).
//
// The invariant: a store into translated code or into a reserved LR/SC granule takes the slow path.
// Stores normally run through the TLB fast path, which sees neither reservations nor translated code.
// A RAM page that holds a reservation ("watched") or translated code ("code page") is therefore kept
// out of every hart's store TLB (mmu/access.ts xlate asks storeCacheable); stores to it take the slow
// path (mmu/access.ts afterStore), which drops the reservations and translated blocks they hit.
// Stores the host makes (device DMA) come in through noteHostRamWrite: every host write to RAM
// while harts run must, since fence.i re-checks nothing (cpu/jit/cache.ts recheckAll); a hart reset
// re-checks all translated code, for images loaded before it. A single-hart domain without
// translated code pays nothing.
//
// Who builds it: the board, next to the RAM (machine/virt.ts; the warm-up's scratch machine), and
// hands it to each hart in its HartHost. Each hart joins it when constructed (cpu/hart.ts).

import type { Ram } from '../memory/ram.js';
import type { Tlb } from './mmu/tlb.js';
import type { JitCache } from './jit/cache.js';

/** What the domain reads and drops in each hart it holds (cpu/hart.ts Hart), named here so that the
 *  domain, which the platform's HartHost carries, depends on no hart. */
export interface DomainMember {
  readonly tlb: Pick<Tlb, 'evictStoresTo'>;
  readonly jit: Pick<JitCache, 'invalidatePage'>;
  readonly host: { onCodeWrite?: (paddr: number) => void };
  /** LR/SC reservation: valid, the physical address of its 8-byte granule, its RAM page offset. */
  resValid: boolean;
  resAddr: number;
  resPage: number;
}

/** Reservation granule: the aligned 8 bytes holding an LR's address (pa may exceed 2^32). */
export function granule(pa: number): number {
  return pa - (pa & 7);
}

export class Domain {
  readonly harts: DomainMember[] = [];
  multi = false;
  /** RAM page offset -> number of harts holding a reservation in it. */
  private readonly watched = new Map<number, number>();
  /** One byte per RAM page: 1 while some hart holds translated code made from it. */
  readonly codePages: Uint8Array;

  constructor(readonly ram: Ram) {
    this.codePages = new Uint8Array(Math.ceil(ram.size / 4096));
  }

  /** A hart on this RAM: from now on its stores and caches take part in the invariant above. */
  join(h: DomainMember): void {
    this.harts.push(h);
    this.multi = this.harts.length > 1;
  }

  /** May a store-TLB entry point at RAM page offset `pageOff`? */
  storeCacheable(pageOff: number): boolean {
    if (this.codePages[pageOff >>> 12] !== 0) return false;
    return this.watched.size === 0 || !this.watched.has(pageOff);
  }

  /** Another hart reserved a granule in `pageOff`: route everyone else's stores there to the slow path. */
  watch(pageOff: number, except: DomainMember): void {
    this.watched.set(pageOff, (this.watched.get(pageOff) ?? 0) + 1);
    for (const other of this.harts) if (other !== except) other.tlb.evictStoresTo(pageOff);
  }

  unwatch(pageOff: number): void {
    const n = (this.watched.get(pageOff) ?? 0) - 1;
    if (n <= 0) this.watched.delete(pageOff);
    else this.watched.set(pageOff, n);
  }

  /** A store of `size` bytes at physical `pa` by `h`: drop other harts' reservations it touches. */
  noteStore(h: DomainMember, pa: number, size: number): void {
    const first = granule(pa);
    const last = granule(pa + size - 1);
    for (const other of this.harts) {
      if (other !== h && other.resValid && other.resAddr >= first && other.resAddr <= last) {
        this.release(other);
      }
    }
  }

  /** Drop `h`'s reservation, if it holds one (reservation.ts releaseReservation). */
  release(h: DomainMember): void {
    if (!h.resValid) return;
    h.resValid = false;
    if (this.multi) this.unwatch(h.resPage);
  }

  /** Code from `pageOff` was just translated: every hart's stores there must now take the slow path. */
  markCode(pageOff: number): void {
    const p = pageOff >>> 12;
    if (this.codePages[p] !== 0) return;
    this.codePages[p] = 1;
    for (const h of this.harts) h.tlb.evictStoresTo(pageOff);
  }

  /** A store reached RAM page `pageOff` (physical `pa`) through the slow path. */
  noteCodeWrite(pageOff: number, pa: number): void {
    const p = pageOff >>> 12;
    if (this.codePages[p] === 0) return;
    this.codePages[p] = 0;
    for (const h of this.harts) h.jit.invalidatePage(pageOff);
    this.harts[0]?.host.onCodeWrite?.(pa);
  }

  /**
   * For the platform and devices: `length` bytes of guest RAM at physical `addr` were written by the
   * host (loader, DMA), not by a hart. Translated code made from those pages is dropped.
   */
  noteHostRamWrite(addr: number, length: number): void {
    if (length <= 0) return;
    const ram = this.ram;
    const start = Math.max(addr, ram.base);
    const end = Math.min(addr + length, ram.end);
    for (let a = start - ((start - ram.base) & 0xfff); a < end; a += 4096) {
      const pageOff = a - ram.base;
      if (this.codePages[pageOff >>> 12] !== 0) this.noteCodeWrite(pageOff, a);
    }
  }
}
