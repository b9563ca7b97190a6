// Rate-limited reports of guest misbehaviour (unmapped accesses, ROM writes, console floods):
// a hostile guest can trigger millions per second, so each kind is reported a few times, then
// summarized at most once per interval with a count of what was suppressed.

export interface GuestLogOptions {
  sink: (message: string) => void;
  nowMs: () => number;
  /** Messages of one kind reported in full before suppression starts. */
  burst?: number;
  /** Minimum milliseconds between summaries of one kind. */
  intervalMs?: number;
}

interface KindState {
  count: number;
  suppressed: number;
  lastSummaryMs: number;
}

export class GuestLog {
  private readonly kinds = new Map<string, KindState>();
  private readonly burst: number;
  private readonly intervalMs: number;

  constructor(private readonly o: GuestLogOptions) {
    this.burst = o.burst ?? 5;
    this.intervalMs = o.intervalMs ?? 5000;
  }

  /** Report `message`, grouped under `kind` for rate limiting. */
  report(kind: string, message: string | (() => string)): void {
    let k = this.kinds.get(kind);
    if (!k) {
      if (this.kinds.size > 256) this.kinds.clear(); // bound memory if a guest invents kinds
      k = { count: 0, suppressed: 0, lastSummaryMs: this.o.nowMs() };
      this.kinds.set(kind, k);
    }
    k.count++;
    if (k.count <= this.burst) {
      this.o.sink(typeof message === 'string' ? message : message());
      if (k.count === this.burst) this.o.sink(`${kind}: further reports are rate-limited`);
      return;
    }
    k.suppressed++;
    this.flushKind(kind, k, false);
  }

  /** Emit pending summaries (called periodically and at exit). */
  flush(force = false): void {
    for (const [kind, k] of this.kinds) this.flushKind(kind, k, force);
  }

  private flushKind(kind: string, k: KindState, force: boolean): void {
    if (k.suppressed === 0) return;
    const now = this.o.nowMs();
    if (!force && now - k.lastSummaryMs < this.intervalMs) return;
    this.o.sink(`${kind}: ${k.suppressed} more (${k.count} in total)`);
    k.suppressed = 0;
    k.lastSummaryMs = now;
  }
}
