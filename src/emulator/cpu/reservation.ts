// LR/SC reservations across the harts sharing one RAM (unprivileged spec 20191213, 8.2: an SC fails
// if another hart stored to the reservation set since the LR; traps and xRET drop it too). Other
// harts' stores reach the reservation through the coherence domain (domain.ts noteStore).

import { granule } from './domain.js';
import type { Hart } from './hart.js';

/** Make (pa) the hart's reservation; `pageOff` is its RAM page offset. */
export function reserve(h: Hart, pa: number, pageOff: number): void {
  releaseReservation(h);
  h.resValid = true;
  h.resAddr = granule(pa);
  h.resPage = pageOff;
  if (h.domain.multi) h.domain.watch(pageOff, h);
}

export function releaseReservation(h: Hart): void {
  h.domain.release(h);
}
