// Congestion control for the NAT's sending side: slow start and congestion avoidance (RFC 5681
// §3.1), fast retransmit / fast recovery on three duplicate ACKs with NewReno partial ACKs
// (RFC 6582), and the collapse to one segment after a retransmission timeout.

import { seqGe } from './tcp-segment.js';

/** RFC 6928's initial window of 10 segments. */
const INITIAL_WINDOW_SEGMENTS = 10;
const DUPACK_THRESHOLD = 3;

export class Congestion {
  /** Bytes the sender may have in flight, besides the peer's window. */
  cwnd: number;
  private ssthresh = Number.MAX_SAFE_INTEGER;
  private dupAcks = 0;
  private inRecovery = false;
  private recoverSeq = 0;

  constructor(mss: number) {
    this.cwnd = INITIAL_WINDOW_SEGMENTS * mss;
  }

  /**
   * New data was acknowledged (`acked` bytes, up to `ack`). Returns true when a NewReno partial
   * ACK means the next hole must be retransmitted now. Slow start grows by at most `segment`
   * (RFC 3465 byte counting): one MSS, or one large segment when those are sent (each gets one ACK).
   */
  onNewAck(acked: number, ack: number, mss: number, segment = mss): boolean {
    this.dupAcks = 0;
    if (this.inRecovery) {
      if (seqGe(ack, this.recoverSeq)) {
        this.inRecovery = false;
        this.cwnd = this.ssthresh;
        return false;
      }
      this.cwnd = Math.max(this.cwnd - acked + mss, mss);
      return true;
    }
    if (this.cwnd < this.ssthresh) this.cwnd += Math.min(acked, segment);
    else this.cwnd += Math.max(1, Math.floor((mss * mss) / this.cwnd));
    return false;
  }

  /** A duplicate ACK. Returns true when it is the third: retransmit the first unacknowledged segment. */
  onDuplicateAck(flight: number, mss: number, highestSent: number): boolean {
    this.dupAcks++;
    if (this.dupAcks === DUPACK_THRESHOLD && !this.inRecovery) {
      this.ssthresh = Math.max(flight / 2, 2 * mss);
      this.cwnd = this.ssthresh + DUPACK_THRESHOLD * mss;
      this.inRecovery = true;
      this.recoverSeq = highestSent;
      return true;
    }
    if (this.inRecovery) this.cwnd += mss;
    return false;
  }

  /** The retransmission timer expired with `flight` bytes outstanding. */
  onTimeout(flight: number, mss: number): void {
    this.ssthresh = Math.max(flight / 2, 2 * mss);
    this.cwnd = mss;
    this.inRecovery = false;
    this.dupAcks = 0;
  }
}
