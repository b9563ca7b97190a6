// A NetClock for tests: time moves only when the test advances it, firing due timers in order.

import type { NetClock, TimerHandle } from '../../../../src/emulator/net/net-host.js';

interface Timer {
  id: number;
  at: number;
  callback: () => void;
}

export class ManualClock implements NetClock {
  private t = 0;
  private nextId = 1;
  private timers = new Map<number, Timer>();

  now(): number {
    return this.t;
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), callback });
    return id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.timers.values()) {
        if (timer.at <= end && (next === undefined || timer.at < next.at || (timer.at === next.at && timer.id < next.id))) next = timer;
      }
      if (next === undefined) break;
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.callback();
    }
    this.t = end;
  }
}
