// Core-Local Interruptor (SiFive CLINT / ACLINT MTIMER + MSWI layout): per-hart msip, mtimecmp,
// and the shared mtime. Spec: RISC-V ACLINT v1.0 ("MSWI", "MTIMER") and the SiFive CLINT memory map
// (msip at 0x0, mtimecmp at 0x4000, mtime at 0xbff8) used by QEMU `virt`.
// 64-bit registers are accessed as two 32-bit halves, low word first.

import type { MmioDevice } from '../memory/bus.js';
import { bytesOf, type StateObject, type StateReader } from '../snapshot/state-value.js';

const CLINT_MSIP = 0x0;
const CLINT_MTIMECMP = 0x4000;
const CLINT_MTIME = 0xbff8;
export const CLINT_SIZE = 0x10000;

export interface ClintTime {
  now(): number;
  set(ticks: number): void;
}

export interface ClintOptions {
  harts: number;
  time: ClintTime;
  /** Drive hart `hart`'s MSIP line. */
  msip: (hart: number, level: boolean) => void;
  /** Drive hart `hart`'s MTIP line. */
  mtip: (hart: number, level: boolean) => void;
}

const TWO32 = 2 ** 32;

export class Clint implements MmioDevice {
  private readonly msipBits: Uint8Array;
  private readonly cmpLo: Uint32Array;
  private readonly cmpHi: Uint32Array;
  private readonly mtipLevel: Uint8Array;
  private latchedHi = -1; // mtime high word captured by the last low-word read

  constructor(private readonly opts: ClintOptions) {
    this.msipBits = new Uint8Array(opts.harts);
    // mtimecmp resets to all ones so no timer fires before software programs it.
    this.cmpLo = new Uint32Array(opts.harts).fill(0xffffffff);
    this.cmpHi = new Uint32Array(opts.harts).fill(0xffffffff);
    this.mtipLevel = new Uint8Array(opts.harts);
  }

  /** Registers and line levels (mtime is the machine clock's, saved with it). */
  saveState(): StateObject {
    return { msip: bytesOf(this.msipBits), cmpLo: bytesOf(this.cmpLo), cmpHi: bytesOf(this.cmpHi), mtip: bytesOf(this.mtipLevel), latchedHi: this.latchedHi };
  }

  /** Sets registers and levels without driving the lines: the harts' mip is restored with them. */
  restoreState(r: StateReader): void {
    r.fill('msip', this.msipBits);
    r.fill('cmpLo', this.cmpLo);
    r.fill('cmpHi', this.cmpHi);
    r.fill('mtip', this.mtipLevel);
    this.latchedHi = r.int('latchedHi', -1, 0xffff_ffff);
  }

  /** mtimecmp of `hart` as a Number (values past 2^53 only ever mean "far future"). */
  timecmp(hart: number): number {
    return this.cmpHi[hart]! * TWO32 + this.cmpLo[hart]!;
  }

  /**
   * Earliest mtimecmp over all harts whose MTIP is not already raised (Infinity if none). Values
   * past 2^53 ticks (about 28 years at 10 MHz) count as "never": software writes ~0 to disarm.
   */
  nextDeadline(): number {
    let t = Infinity;
    for (let h = 0; h < this.opts.harts; h++) {
      const cmp = this.timecmp(h);
      if (!this.mtipLevel[h] && cmp <= Number.MAX_SAFE_INTEGER) t = Math.min(t, cmp);
    }
    return t;
  }

  /** Re-evaluate MTIP for every hart against the current time. */
  update(now = this.opts.time.now()): void {
    for (let h = 0; h < this.opts.harts; h++) this.updateHart(h, now);
  }

  private updateHart(h: number, now: number): void {
    const level = now >= this.timecmp(h) ? 1 : 0;
    if (level !== this.mtipLevel[h]) {
      this.mtipLevel[h] = level;
      this.opts.mtip(h, level === 1);
    }
  }

  read(offset: number, size: 1 | 2 | 4): number {
    if (size !== 4 || offset & 3) return 0;
    if (offset < CLINT_MSIP + 4 * this.opts.harts) return this.msipBits[offset >>> 2]!;
    if (offset >= CLINT_MTIMECMP && offset < CLINT_MTIMECMP + 8 * this.opts.harts) {
      const h = (offset - CLINT_MTIMECMP) >>> 3;
      return offset & 4 ? this.cmpHi[h]! : this.cmpLo[h]!;
    }
    if (offset === CLINT_MTIME) {
      const now = this.opts.time.now();
      this.latchedHi = Math.floor(now / TWO32) >>> 0;
      return now >>> 0;
    }
    if (offset === CLINT_MTIME + 4) {
      const hi = this.latchedHi >= 0 ? this.latchedHi : Math.floor(this.opts.time.now() / TWO32) >>> 0;
      this.latchedHi = -1;
      return hi;
    }
    return 0;
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size !== 4 || offset & 3) return;
    if (offset < CLINT_MSIP + 4 * this.opts.harts) {
      const h = offset >>> 2;
      const bit = value & 1;
      if (bit !== this.msipBits[h]) {
        this.msipBits[h] = bit;
        this.opts.msip(h, bit === 1);
      }
      return;
    }
    if (offset >= CLINT_MTIMECMP && offset < CLINT_MTIMECMP + 8 * this.opts.harts) {
      const h = (offset - CLINT_MTIMECMP) >>> 3;
      if (offset & 4) this.cmpHi[h] = value;
      else this.cmpLo[h] = value;
      this.updateHart(h, this.opts.time.now());
      return;
    }
    if (offset === CLINT_MTIME || offset === CLINT_MTIME + 4) {
      const now = this.opts.time.now();
      const lo = offset === CLINT_MTIME ? value >>> 0 : now >>> 0;
      const hi = offset === CLINT_MTIME ? Math.floor(now / TWO32) : value >>> 0;
      this.opts.time.set(hi * TWO32 + lo);
      this.update();
    }
  }
}
