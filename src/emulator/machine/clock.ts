// Guest time: the `time` CSR and CLINT mtime, in ticks of the platform timebase (10 MHz on `virt`).
// It follows the host's monotonic clock while the machine runs, can be frozen while it is paused,
// and can jump forward ("idle warp") when every hart waits for a timer. Never goes backwards except
// when the guest itself writes mtime.

import type { Clock } from '../cpu/hart-api.js';

export class GuestClock implements Clock {
  private baseHostMs: number;
  private baseTicks = 0;
  private frozen = false;
  private readonly ticksPerMs: number;
  /** Total ticks skipped by warps, for reports. */
  warpedTicks = 0;

  constructor(
    /** Host monotonic time in milliseconds (performance.now). */
    private readonly hostNowMs: () => number,
    readonly frequency = 10_000_000,
  ) {
    this.ticksPerMs = frequency / 1000;
    this.baseHostMs = hostNowMs();
  }

  now(): number {
    if (this.frozen) return this.baseTicks;
    return this.baseTicks + Math.floor((this.hostNowMs() - this.baseHostMs) * this.ticksPerMs);
  }

  /** Host milliseconds until guest time reaches `ticks` (0 if it already has). */
  msUntil(ticks: number): number {
    return Math.max(0, (ticks - this.now()) / this.ticksPerMs);
  }

  /** Jump forward to `ticks` if that is in the future. */
  warpTo(ticks: number): void {
    const now = this.now();
    if (ticks <= now) return;
    this.warpedTicks += ticks - now;
    this.rebase(ticks);
  }

  /** Set the time (a guest write to mtime). */
  set(ticks: number): void {
    this.rebase(ticks);
  }

  /** Stop time (machine paused); `resume` continues from the same tick. */
  freeze(): void {
    if (!this.frozen) {
      this.baseTicks = this.now();
      this.frozen = true;
    }
  }

  resume(): void {
    if (this.frozen) {
      this.frozen = false;
      this.baseHostMs = this.hostNowMs();
    }
  }

  private rebase(ticks: number): void {
    this.baseTicks = ticks;
    this.baseHostMs = this.hostNowMs();
  }
}
