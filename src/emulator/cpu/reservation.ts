// LR/SC reservations across the harts sharing one bus (unprivileged spec 20191213, 8.2: an SC fails
// if another hart stored to the reservation set since the LR; traps and xRET drop it too).
//
// Stores normally run through the TLB fast path, which cannot see reservations. When a hart reserves
// a granule, every other hart's store-TLB entries for that RAM page are evicted and the page is
// "watched": it is not re-entered while watched, so other harts' stores to it take the slow path and
// call noteStore(). A single-hart domain pays nothing.

import type { Hart } from './hart.js';
import type { Bus } from '../machine/bus.js';

/** Reservation granule: the aligned 8 bytes holding the LR's address (pa may exceed 2^32). */
function granule(pa: number): number {
  return pa - (pa & 7);
}

export class Domain {
  readonly harts: Hart[] = [];
  multi = false;
  /** RAM page offset -> number of harts holding a reservation in it. */
  private readonly watched = new Map<number, number>();

  isWatched(pageOff: number): boolean {
    return this.watched.size !== 0 && this.watched.has(pageOff);
  }

  watch(pageOff: number, except: Hart): void {
    this.watched.set(pageOff, (this.watched.get(pageOff) ?? 0) + 1);
    for (const other of this.harts) if (other !== except) other.tlb.evictStoresTo(pageOff);
  }

  unwatch(pageOff: number): void {
    const n = (this.watched.get(pageOff) ?? 0) - 1;
    if (n <= 0) this.watched.delete(pageOff);
    else this.watched.set(pageOff, n);
  }
}

const domains = new WeakMap<Bus, Domain>();

export function joinDomain(h: Hart): Domain {
  let d = domains.get(h.bus);
  if (d === undefined) {
    d = new Domain();
    domains.set(h.bus, d);
  }
  d.harts.push(h);
  d.multi = d.harts.length > 1;
  return d;
}

/** Make (pa) the hart's reservation; `pageOff` is its RAM page offset. */
export function reserve(h: Hart, pa: number, pageOff: number): void {
  releaseReservation(h);
  h.resValid = true;
  h.resAddr = granule(pa);
  h.resPage = pageOff;
  if (h.domain.multi) h.domain.watch(pageOff, h);
}

export function releaseReservation(h: Hart): void {
  if (!h.resValid) return;
  h.resValid = false;
  if (h.domain.multi) h.domain.unwatch(h.resPage);
}

/** A store of `size` bytes at physical `pa` by `h`: drop other harts' reservations it touches. */
export function noteStore(h: Hart, pa: number, size: number): void {
  const first = granule(pa);
  const last = granule(pa + size - 1);
  for (const other of h.domain.harts) {
    if (other !== h && other.resValid && other.resAddr >= first && other.resAddr <= last) {
      releaseReservation(other);
    }
  }
}
