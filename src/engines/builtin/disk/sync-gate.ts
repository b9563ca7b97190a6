// When a disk may move a small transfer synchronously, inside the guest's notify, instead of on
// libuv's thread pool: a thread-pool round trip costs the guest an idle sleep and an event-loop
// turn, while a pread/pwrite served by the host's page cache takes microseconds. The emulated CPU
// must not stall on a slow host disk (a cold cache, a throttled writer), so every synchronous call
// is timed. One call now and then is slow for reasons that have nothing to do with the disk (the
// process was preempted: on a busy host that happens every second), so the fast path turns off only
// when slow calls become frequent (a decaying average) or one is very slow; it stays off for a
// period that doubles each time (up to a minute), so a slow disk costs a few slow calls per period.

export interface SyncGateOptions {
  /** Largest transfer done synchronously (bytes). */
  maxBytes?: number;
  /** A call taking longer than this (ms) counts as slow. */
  slowMs?: number;
  /** A call taking longer than this (ms) turns the fast path off at once. */
  verySlowMs?: number;
  /** First period without the fast path (ms); doubles each time. */
  offMs?: number;
  now?: () => number;
}

const MAX_OFF_MS = 60_000;
/** Weight of the latest call in the slow-call average, and the average that turns the path off. */
const DECAY = 1 / 32;
const SLOW_SHARE = 0.1;

export class SyncGate {
  private readonly maxBytes: number;
  private readonly slowMs: number;
  private readonly verySlowMs: number;
  private readonly firstOffMs: number;
  private readonly now: () => number;
  private offUntil = 0;
  private offMs: number;
  /** Decaying share of recent calls that were slow. */
  private slowShare = 0;
  /** Synchronous calls made, those that were slow, and how many times the path was turned off. */
  calls = 0;
  slow = 0;
  offs = 0;

  constructor(o: SyncGateOptions = {}) {
    // Linux's largest request by default is 1280 KiB: about 0.2 ms of copying from the page cache.
    this.maxBytes = o.maxBytes ?? 2 * 1024 * 1024;
    this.slowMs = o.slowMs ?? 2;
    this.verySlowMs = o.verySlowMs ?? 20;
    this.firstOffMs = o.offMs ?? 1000;
    this.offMs = this.firstOffMs;
    this.now = o.now ?? (() => performance.now());
  }

  /** Whether a transfer of `bytes` may be done synchronously now. */
  allows(bytes: number): boolean {
    return bytes <= this.maxBytes && (this.offUntil === 0 || this.now() >= this.offUntil);
  }

  /** Run `fn` (synchronous file calls) and note how long it took. */
  timed<T>(fn: () => T): T {
    const t0 = this.now();
    try {
      return fn();
    } finally {
      this.calls++;
      const took = this.now() - t0;
      const slow = took > this.slowMs;
      if (slow) this.slow++;
      this.slowShare += ((slow ? 1 : 0) - this.slowShare) * DECAY;
      if (took > this.verySlowMs || this.slowShare > SLOW_SHARE) this.turnOff(t0 + took);
    }
  }

  private turnOff(now: number): void {
    // Slow again long after the last period ended: start the backoff over.
    if (this.offUntil !== 0 && now - this.offUntil > MAX_OFF_MS) this.offMs = this.firstOffMs;
    this.offUntil = now + this.offMs;
    this.offMs = Math.min(this.offMs * 2, MAX_OFF_MS);
    this.slowShare = 0;
    this.offs++;
  }
}
