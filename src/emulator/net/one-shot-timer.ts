// A restartable one-shot timer on a NetClock: at most one host timer pending, cleared on stop.

import type { NetClock, TimerHandle } from './net-host.js';

export class OneShotTimer {
  private handle: TimerHandle | undefined;

  constructor(private readonly clock: NetClock) {}

  get active(): boolean {
    return this.handle !== undefined;
  }

  /** Runs `fn` after `ms`, replacing any pending run. */
  start(ms: number, fn: () => void): void {
    this.stop();
    this.handle = this.clock.setTimer(() => {
      this.handle = undefined;
      fn();
    }, ms);
  }

  stop(): void {
    if (this.handle !== undefined) {
      this.clock.clearTimer(this.handle);
      this.handle = undefined;
    }
  }
}
