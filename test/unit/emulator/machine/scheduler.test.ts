// The scheduler's idle task (Scheduler.whenIdle): host work that waits for the guest to have nothing
// to do, run once, never while a hart is runnable.
import { describe, expect, it } from 'vitest';
import { Scheduler, type HostTimers } from '../../../../src/emulator/machine/scheduler.js';
import { GuestClock } from '../../../../src/emulator/machine/clock.js';
import type { HartControl } from '../../../../src/emulator/cpu/hart-api.js';

/** Host timers driven by hand: immediates and timeouts queue until the test runs them. */
function manualTimers(): HostTimers & { now: number; step(): boolean } {
  const queue: { fn: () => void; at: number; id: number }[] = [];
  let id = 0;
  const t = {
    now: 0,
    nowMs: () => t.now,
    immediate: (fn: () => void) => void queue.push({ fn, at: t.now, id: ++id }),
    timeout: (fn: () => void, ms: number) => {
      queue.push({ fn, at: t.now + ms, id: ++id });
      return id;
    },
    clear: (h: unknown) => {
      const i = queue.findIndex((q) => q.id === h);
      if (i >= 0) queue.splice(i, 1);
    },
    /** Run the earliest queued callback (moving the host clock to it); false when none is left. */
    step: () => {
      if (queue.length === 0) return false;
      queue.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = queue.shift()!;
      t.now = Math.max(t.now, next.at);
      next.fn();
      return true;
    },
  };
  return t;
}

/** A hart that runs `busy` rounds of work, then waits (WFI) for good. */
function fakeHart(busy: number, log: string[]): HartControl {
  let left = busy;
  return {
    get waiting() {
      return left <= 0;
    },
    stopped: false,
    run(n: number) {
      if (left <= 0) return 0;
      left--;
      log.push('run');
      return n;
    },
    requestExit() {},
  } as unknown as HartControl;
}

describe('Scheduler.whenIdle', () => {
  it('runs the task once, only when every hart waits and the scheduler would sleep', () => {
    const timers = manualTimers();
    const clock = new GuestClock(() => timers.now);
    const log: string[] = [];
    const s = new Scheduler({
      harts: [fakeHart(3, log)],
      clock,
      timers,
      warp: 'never',
      burstMs: 0,
      tick: () => {},
      // a timer 5 ms of guest time ahead, always: the scheduler sleeps when idle
      nextDeadline: () => clock.now() + 50_000,
      onCrash: (err) => {
        throw err;
      },
    });
    s.whenIdle(() => log.push('task'));
    s.start();
    for (let i = 0; i < 20 && timers.step(); i++) {
      // run the queued bursts
    }
    expect(log.filter((l) => l === 'run')).toHaveLength(3);
    expect(log.indexOf('task')).toBe(3);
    expect(log.filter((l) => l === 'task')).toHaveLength(1);
    expect(s.sleeps).toBeGreaterThan(0);
    s.stop();
  });
});
