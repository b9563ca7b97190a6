// The window the NAT advertises to the guest (RFC 9293 §3.8.6.2.2, scaled per RFC 7323 §2):
// derived from free buffer space, moved right only by a useful amount (receiver silly window
// avoidance), and never shrunk: bytes once promised stay acceptable.

import { seqAdd, seqDiff, seqGt, TCP_MAX_WINDOW } from './tcp-segment.js';

export class ReceiveWindow {
  /** The right edge last advertised. */
  private edge = 0;

  constructor(
    private readonly bufSize: number,
    private readonly mss: number,
    /** Our window scale shift; zeroed when the guest does not scale. */
    public scale: number,
  ) {}

  get rightEdge(): number {
    return this.edge;
  }

  /** Bytes past `rcvNxt` the guest may send. */
  promised(rcvNxt: number): number {
    return Math.max(0, seqDiff(this.edge, rcvNxt));
  }

  /** The peer's first sequence number is known: nothing promised yet. */
  startAt(rcvNxt: number): void {
    this.edge = rcvNxt;
  }

  /** The window field of a SYN or SYN-ACK, which is never scaled. */
  advertiseSyn(rcvNxt: number, space: number): number {
    const window = Math.min(space, TCP_MAX_WINDOW);
    this.edge = seqAdd(rcvNxt, window);
    return window;
  }

  /** The window field for any other segment; moves the edge. */
  advertise(rcvNxt: number, space: number): number {
    const promised = this.promised(rcvNxt);
    const unit = 2 ** this.scale;
    let wnd = Math.min(space, TCP_MAX_WINDOW * unit);
    if (wnd < promised || wnd - promised < this.threshold()) wnd = promised;
    let field = Math.floor(wnd / unit);
    if (field * unit < promised) field++;
    field = Math.min(field, TCP_MAX_WINDOW);
    const edge = seqAdd(rcvNxt, field * unit);
    if (seqGt(edge, this.edge)) this.edge = edge;
    return field;
  }

  /** True when advertising now would open the window enough to be worth a window update. */
  worthUpdating(rcvNxt: number, space: number): boolean {
    const wnd = Math.min(space, TCP_MAX_WINDOW * 2 ** this.scale);
    return wnd - this.promised(rcvNxt) >= this.threshold();
  }

  /** Move the edge only by min(half the buffer, one MSS) or more. */
  private threshold(): number {
    return Math.min(this.bufSize / 2, this.mss);
  }
}
