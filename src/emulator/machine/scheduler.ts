// Runs N harts round-robin in one thread: slices of instructions per hart, device timers checked
// between rounds, the Node event loop given a turn every few milliseconds so host I/O flows.
// When every running hart waits in WFI, either guest time jumps to the next timer event ("idle warp")
// or the scheduler sleeps until that event or until `wake()` (new input). The warp policy is explicit
// because warping forever makes a guest's `sleep 5` instant.

import type { HartControl } from '../cpu/hart-api.js';
import type { GuestClock } from './clock.js';

/** When to jump guest time over idle periods: always, only until `markReady()`, or never. */
export type WarpPolicy = 'always' | 'until-ready' | 'never';

/** Host timing primitives (injected so the emulator stays free of `node:` imports and tests can drive it). */
export interface HostTimers {
  nowMs(): number;
  immediate(fn: () => void): void;
  timeout(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const defaultHostTimers: HostTimers = {
  nowMs: () => performance.now(),
  immediate: (fn) => (typeof setImmediate === 'function' ? setImmediate(fn) : setTimeout(fn, 0)),
  timeout: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface SchedulerOptions {
  harts: readonly HartControl[];
  clock: GuestClock;
  timers?: HostTimers;
  warp: WarpPolicy;
  /** Instructions per hart per round. */
  slice?: number;
  /** Host milliseconds to run before yielding to the event loop. */
  burstMs?: number;
  /** Raise whatever interrupts are due at guest time `now` (timers, device polls). */
  tick(now: number): void;
  /** Earliest guest tick at which a timer will fire (Infinity if none is armed). */
  nextDeadline(): number;
  /** Host milliseconds until some host-clock event (e.g. an RTC alarm); Infinity if none. */
  hostWakeMs?(): number;
  /** Called at the end of every burst (flush console output, check invariants). */
  afterBurst?(): void;
  /** A host exception escaped a hart or device: a bug in the emulator, reported, never rethrown. */
  onCrash(err: unknown): void;
}

/** The longest idle sleep; bounds how late a missed wake-up can be noticed. */
const MAX_SLEEP_MS = 1000;

export class Scheduler {
  private running = false;
  private sleeping: unknown = null;
  private scheduled = false;
  private ready = false;
  private readonly timers: HostTimers;
  private readonly slice: number;
  private readonly burstMs: number;
  /** Instructions retired by all harts. */
  instructions = 0;
  /** Idle periods skipped by warping, and slept through. */
  warps = 0;
  sleeps = 0;
  /** Host work a device started and the guest may be waiting for (disk I/O): no warping meanwhile. */
  private hostWork = 0;
  /** Run once, the next time every hart waits and the scheduler would sleep (whenIdle). */
  private idleTask: (() => void) | null = null;

  constructor(private readonly o: SchedulerOptions) {
    this.timers = o.timers ?? defaultHostTimers;
    this.slice = o.slice ?? (o.harts.length > 1 ? 20_000 : 100_000);
    this.burstMs = o.burstMs ?? 10;
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.o.clock.resume();
    this.schedule();
  }

  /** Stop after the current round; guest time freezes until `start` again. */
  stop(): void {
    this.running = false;
    this.o.clock.freeze();
    if (this.sleeping !== null) {
      this.timers.clear(this.sleeping);
      this.sleeping = null;
    }
    for (const h of this.o.harts) h.requestExit();
  }

  /** Something outside happened (console input, a packet): end an idle sleep now. */
  wake(): void {
    if (!this.running || this.sleeping === null) return;
    this.timers.clear(this.sleeping);
    this.sleeping = null;
    this.schedule();
  }

  /** A device started host work (e.g. disk I/O): until it ends, idle time is slept through, not warped. */
  beginHostWork(): void {
    this.hostWork++;
  }

  /** The host work ended: the guest may have something to do now. */
  endHostWork(): void {
    if (this.hostWork > 0) this.hostWork--;
    this.wake();
  }

  /**
   * Run `task` once, on this thread, the next time the guest is idle (every hart waits and nothing
   * is due for at least a millisecond): host work that must not delay the guest while it has
   * something to do. It replaces a task not yet run. The guest's time goes on meanwhile; what came
   * due is handled right after.
   */
  whenIdle(task: () => void): void {
    this.idleTask = task;
  }

  /** The guest reached the point where time must be real (policy 'until-ready'). */
  markReady(): void {
    this.ready = true;
  }

  private get warpAllowed(): boolean {
    return this.o.warp === 'always' || (this.o.warp === 'until-ready' && !this.ready);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.timers.immediate(() => {
      this.scheduled = false;
      this.burst();
    });
  }

  private burst(): void {
    if (!this.running) return;
    try {
      this.runBurst();
    } catch (err) {
      this.running = false;
      this.o.onCrash(err);
      return;
    }
    try {
      this.o.afterBurst?.();
    } catch (err) {
      this.running = false;
      this.o.onCrash(err);
    }
  }

  private anyRunnable(): boolean {
    for (const h of this.o.harts) if (!h.stopped && !h.waiting) return true;
    return false;
  }

  private runBurst(): void {
    const { harts, clock } = this.o;
    const until = this.timers.nowMs() + this.burstMs;
    for (;;) {
      this.o.tick(clock.now());
      let idle = true;
      for (let i = 0; i < harts.length; i++) {
        const h = harts[i]!;
        if (h.stopped) continue;
        this.instructions += h.run(this.slice);
        if (!h.waiting && !h.stopped) idle = false;
        if (!this.running) return;
      }
      if (idle) {
        const now = clock.now();
        this.o.tick(now);
        // A timer that came due during the round may have just woken a hart.
        if (this.anyRunnable()) continue;
        const next = this.o.nextDeadline();
        if (next <= now) continue;
        if (next !== Infinity && this.warpAllowed && this.hostWork === 0) {
          clock.warpTo(next);
          this.warps++;
          continue;
        }
        const ms = Math.min(clock.msUntil(next), this.o.hostWakeMs?.() ?? Infinity, MAX_SLEEP_MS);
        if (ms >= 1 && this.idleTask !== null) {
          const task = this.idleTask;
          this.idleTask = null;
          task();
          // It took host time: let the event loop in (input, I/O completions), then look again.
          this.schedule();
          return;
        }
        if (ms >= 1) {
          this.sleeps++;
          this.sleeping = this.timers.timeout(() => {
            this.sleeping = null;
            this.burst();
          }, ms);
          return;
        }
        // Less than a millisecond to wait: cheaper to keep polling than to sleep, unless the guest
        // waits on host work (disk I/O) whose completion can only arrive through the event loop.
        if (this.hostWork > 0) {
          this.schedule();
          return;
        }
      }
      if (this.timers.nowMs() >= until) {
        this.schedule();
        return;
      }
    }
  }
}
