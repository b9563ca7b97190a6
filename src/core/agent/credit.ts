// Flow-control credit for one stream the host sends on (stdin, file data): bytes the agent said
// it can take. Senders wait for credit instead of buffering without bound.
import type { AgentError } from './errors.js';

export class Credit {
  private waiters: Array<{ max: number; resolve: (n: number) => void; reject: (e: AgentError) => void }> = [];
  private failed: AgentError | null = null;

  constructor(private available: number) {}

  /** Resolves with 1..max bytes of credit once there is some; rejects once the stream is over. */
  take(max: number): Promise<number> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.available > 0 && this.waiters.length === 0) {
      const n = Math.min(max, this.available);
      this.available -= n;
      return Promise.resolve(n);
    }
    return new Promise((resolve, reject) => this.waiters.push({ max, resolve, reject }));
  }

  add(n: number): void {
    this.available += n;
    while (this.available > 0 && this.waiters.length > 0) {
      const w = this.waiters.shift()!;
      const got = Math.min(w.max, this.available);
      this.available -= got;
      w.resolve(got);
    }
  }

  /** Whether a sender is waiting: the guest owes us credit. */
  get starved(): boolean {
    return this.waiters.length > 0;
  }

  fail(err: AgentError): void {
    this.failed ??= err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
