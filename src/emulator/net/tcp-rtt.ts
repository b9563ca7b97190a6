// Retransmission timeout from round-trip samples (RFC 6298 §2), with exponential backoff (§5.5),
// and the per-connection timer that uses it.

import type { NetClock, TimerHandle } from './net-host.js';
import { seqGe } from './tcp-segment.js';

export interface RtoLimits {
  initialRtoMs: number;
  minRtoMs: number;
  maxRtoMs: number;
}

/** RFC 6298's alpha = 1/8, beta = 1/4, K = 4, and a clock granularity G of 1 ms. */
const ALPHA = 1 / 8;
const BETA = 1 / 4;
const K = 4;
const GRANULARITY_MS = 1;

export class RttEstimator {
  private srtt: number | undefined;
  private rttvar = 0;
  private backedOff: number;
  private base: number;

  constructor(private readonly limits: RtoLimits) {
    this.base = limits.initialRtoMs;
    this.backedOff = this.base;
  }

  /** The timeout to arm now (backoff included). */
  get rto(): number {
    return this.backedOff;
  }

  get smoothedRtt(): number | undefined {
    return this.srtt;
  }

  /** A measurement from a segment that was not retransmitted (Karn's rule is the caller's job). */
  sample(rttMs: number): void {
    if (this.srtt === undefined) {
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
    } else {
      this.rttvar = (1 - BETA) * this.rttvar + BETA * Math.abs(this.srtt - rttMs);
      this.srtt = (1 - ALPHA) * this.srtt + ALPHA * rttMs;
    }
    this.base = this.clamp(this.srtt + Math.max(GRANULARITY_MS, K * this.rttvar));
    this.backedOff = this.base;
  }

  /** Doubles the timeout after it expired. */
  backoff(): void {
    this.backedOff = this.clamp(this.backedOff * 2);
  }

  /** New data was acknowledged: drop the backoff. */
  resetBackoff(): void {
    this.backedOff = this.base;
  }

  private clamp(ms: number): number {
    return Math.min(this.limits.maxRtoMs, Math.max(this.limits.minRtoMs, ms));
  }
}

/**
 * The retransmission timer of one connection: a deadline re-armed on every ACK, backed by at most
 * one host timer (re-armed lazily when it fires early), plus Karn-safe RTT sampling (RFC 6298 §3).
 */
export class RetransmitTimer {
  readonly rtt: RttEstimator;
  private timer: TimerHandle | undefined;
  private deadline = 0;
  private timing = false;
  private timedSeqEnd = 0;
  private timedAt = 0;

  constructor(
    private readonly clock: NetClock,
    limits: RtoLimits,
    private readonly onExpire: () => void,
  ) {
    this.rtt = new RttEstimator(limits);
  }

  get armed(): boolean {
    return this.deadline !== 0;
  }

  /** Expire one RTO from now. */
  restart(): void {
    this.deadline = this.clock.now() + this.rtt.rto;
    if (this.timer === undefined) this.timer = this.clock.setTimer(() => this.fired(), this.rtt.rto);
  }

  armIfStopped(): void {
    if (!this.armed) this.restart();
  }

  stop(): void {
    this.deadline = 0;
    if (this.timer !== undefined) {
      this.clock.clearTimer(this.timer);
      this.timer = undefined;
    }
  }

  private fired(): void {
    this.timer = undefined;
    if (this.deadline === 0) return;
    const left = this.deadline - this.clock.now();
    if (left > 1) {
      this.timer = this.clock.setTimer(() => this.fired(), left);
      return;
    }
    this.deadline = 0;
    this.onExpire();
  }

  /** Times the segment ending at `seqEnd` unless one is already being timed. */
  startTiming(seqEnd: number): void {
    if (this.timing) return;
    this.timing = true;
    this.timedSeqEnd = seqEnd;
    this.timedAt = this.clock.now();
  }

  /** Karn's rule: a retransmission makes the sample in progress ambiguous. */
  cancelTiming(): void {
    this.timing = false;
  }

  /** New data was acknowledged up to `ack`: take the sample if it covers the timed segment, drop the backoff. */
  acknowledged(ack: number): void {
    if (this.timing && seqGe(ack, this.timedSeqEnd)) {
      this.timing = false;
      this.rtt.sample(this.clock.now() - this.timedAt);
    }
    this.rtt.resetBackoff();
  }
}
