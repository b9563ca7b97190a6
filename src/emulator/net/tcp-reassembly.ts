// Out-of-order TCP data held until the hole before it fills (RFC 9293 §3.10.7.4: segments beyond
// RCV.NXT "should be held for later processing"). Bounded in pieces and in bytes, so overlapping
// or tiny segments from a hostile guest cannot pile up.

import { seqDiff, seqGt, seqLt } from './tcp-segment.js';

interface Piece {
  seq: number;
  data: Uint8Array;
  fin: boolean;
}

export class ReassemblyQueue {
  private pieces: Piece[] = [];
  private held = 0;

  constructor(
    private readonly maxPieces: number,
    private readonly maxBytes: number,
  ) {}

  /** Bytes held: they count against the receive window. */
  get bytes(): number {
    return this.held;
  }

  get isEmpty(): boolean {
    return this.pieces.length === 0;
  }

  /** Keeps a copy of `data` at `seq` (with the FIN after it, if `fin`); silently refuses past the bounds. */
  insert(seq: number, data: Uint8Array, fin: boolean): void {
    if (data.length === 0 && !fin) return;
    if (this.pieces.length >= this.maxPieces || this.held + data.length > this.maxBytes) return;
    // Binary search keeps the pieces sorted without re-sorting on every segment.
    let lo = 0;
    let hi = this.pieces.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqLt(this.pieces[mid]!.seq, seq)) lo = mid + 1;
      else hi = mid;
    }
    const same = this.pieces[lo];
    if (same !== undefined && same.seq === seq && same.data.length >= data.length && (same.fin || !fin)) return;
    this.pieces.splice(lo, 0, { seq, data: data.slice(), fin });
    this.held += data.length;
  }

  /**
   * Takes what now continues at `rcvNxt`: the bytes in order (overlaps trimmed) and whether a FIN
   * follows them. Stops at the next hole.
   */
  takeFrom(rcvNxt: number): { data: Uint8Array[]; fin: boolean } {
    const data: Uint8Array[] = [];
    let next = rcvNxt;
    while (this.pieces.length > 0) {
      const head = this.pieces[0]!;
      if (seqGt(head.seq, next)) break;
      this.pieces.shift();
      this.held -= head.data.length;
      const skip = seqDiff(next, head.seq);
      if (skip < head.data.length) {
        const fresh = head.data.subarray(skip);
        data.push(fresh);
        next = (next + fresh.length) >>> 0;
      }
      if (head.fin && skip <= head.data.length) {
        this.clear();
        return { data, fin: true };
      }
    }
    return { data, fin: false };
  }

  clear(): void {
    this.pieces = [];
    this.held = 0;
  }
}
