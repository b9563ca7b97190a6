// One TCP endpoint inside the NAT (RFC 9293 §3.10 event processing), terminating a guest's
// connection: handshakes both ways, MSS and window scale (RFC 7323), receive window tied to what
// the host side has not yet consumed, retransmission on RTO (RFC 6298) with fast retransmit and
// NewReno-style congestion control (RFC 5681, RFC 6582), zero-window probes, out-of-order queueing,
// FIN in both directions with half-close, RST handling with RFC 5961 challenge ACKs, short TIME_WAIT
// that ignores RST (RFC 1337).
// "local" is the NAT's side (the address the guest talks to); "remote" is the guest.
// The transitions stay in this one file so the state machine reads in one place; its parts live
// beside it: tcp-reassembly, tcp-congestion, tcp-rtt (RTO), tcp-receive-window, tcp-types.

import { ByteQueue } from './byte-queue.js';
import type { NetClock } from './net-host.js';
import { OneShotTimer } from './one-shot-timer.js';
import { Congestion } from './tcp-congestion.js';
import { ReassemblyQueue } from './tcp-reassembly.js';
import { ReceiveWindow } from './tcp-receive-window.js';
import { RetransmitTimer } from './tcp-rtt.js';
import {
  buildTcp,
  seqAdd,
  seqDiff,
  seqGe,
  seqGt,
  seqLe,
  seqLt,
  segmentLength,
  TCP_ACK,
  TCP_DEFAULT_MSS,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  windowScaleFor,
  type TcpSegment,
} from './tcp-segment.js';
import { NO_EVENTS, type TcpCloseReason, type TcpConnectionEvents, type TcpState, type TcpTuning } from './tcp-types.js';

export { DEFAULT_TCP_TUNING, type TcpCloseReason, type TcpConnectionEvents, type TcpState, type TcpTuning } from './tcp-types.js';

export interface TcpConnectionInit {
  localIp: number;
  localPort: number;
  remoteIp: number;
  remotePort: number;
  clock: NetClock;
  tuning: TcpTuning;
  /** Hands a finished TCP segment (header + data, checksummed) to the IP layer. */
  transmit(segment: Uint8Array): void;
  /** Our initial sequence number. */
  iss: number;
  /** Most payload bytes per data segment when above the MSS (the guest's NIC takes TSO frames); 0: the MSS. */
  segmentLimit?(): number;
  onRetransmit?(): void;
}

export class TcpConnection {
  state: TcpState = 'CLOSED';
  events: TcpConnectionEvents = NO_EVENTS;
  /** True once the guest's FIN has been received in order. */
  remoteFinReceived = false;
  /** True once `shutdownWrite` was called. */
  finQueued = false;

  readonly localIp: number;
  readonly localPort: number;
  readonly remoteIp: number;
  readonly remotePort: number;
  private readonly tuning: TcpTuning;
  private readonly transmitSegment: (segment: Uint8Array) => void;
  private readonly rto: RetransmitTimer;
  private readonly onRetransmit: (() => void) | undefined;
  private readonly segmentLimit: (() => number) | undefined;

  // Send side (RFC 9293 §3.3.1 names).
  private readonly iss: number;
  private sndUna: number;
  private sndNxt: number;
  /** Highest sequence number sent so far: sndNxt moves back on retransmission, this does not. */
  private sndMax: number;
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private sndMss = TCP_DEFAULT_MSS;
  private sndWscale = 0;
  /** Both SYNs carried the window scale option (RFC 7323 §2.2); otherwise neither side scales. */
  private wscaleOk = false;
  private readonly sndBuf = new ByteQueue();
  /** Sequence number of sndBuf's first byte. */
  private sndBufSeq: number;
  private sendBlocked = false;
  private readonly congestion: Congestion;
  private retries = 0;
  private synAckSent = false;

  // Receive side.
  private irs = 0;
  private rcvNxt = 0;
  private readonly rcvWindow: ReceiveWindow;
  private lastAckSent = 0;
  private readonly ooo: ReassemblyQueue;

  // Timers.
  private readonly persistTimer: OneShotTimer;
  private persistMs = 0;
  private readonly ackTimer: OneShotTimer;
  private readonly timeWaitTimer: OneShotTimer;

  constructor(init: TcpConnectionInit) {
    this.localIp = init.localIp;
    this.localPort = init.localPort;
    this.remoteIp = init.remoteIp;
    this.remotePort = init.remotePort;
    this.tuning = init.tuning;
    this.transmitSegment = init.transmit;
    this.onRetransmit = init.onRetransmit;
    this.segmentLimit = init.segmentLimit;
    this.rto = new RetransmitTimer(init.clock, init.tuning, () => this.onRetransmitTimeout());
    this.iss = init.iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.sndBufSeq = seqAdd(this.iss, 1);
    this.rcvWindow = new ReceiveWindow(init.tuning.rcvBufSize, init.tuning.mss, windowScaleFor(init.tuning.rcvBufSize));
    this.persistTimer = new OneShotTimer(init.clock);
    this.ackTimer = new OneShotTimer(init.clock);
    this.timeWaitTimer = new OneShotTimer(init.clock);
    this.congestion = new Congestion(init.tuning.mss);
    // A window's worth of minimum-size segments, and never more bytes than the window.
    this.ooo = new ReassemblyQueue(Math.ceil(init.tuning.rcvBufSize / TCP_DEFAULT_MSS) + 1, init.tuning.rcvBufSize);
  }

  /** Bytes queued for the guest and not yet acknowledged. */
  get sendQueued(): number {
    return this.sndBuf.length;
  }

  /** The guest opened the connection: remember its SYN; answer with `accept()` or `refuse()`. */
  receiveSyn(syn: TcpSegment): void {
    this.irs = syn.seq;
    this.rcvNxt = seqAdd(syn.seq, 1);
    this.rcvWindow.startAt(this.rcvNxt);
    this.sndMss = Math.max(1, Math.min(syn.mss ?? TCP_DEFAULT_MSS, this.tuning.mss));
    this.negotiateScale(syn.wscale);
    // RFC 7323 §2.2: the window in a SYN is never scaled.
    this.sndWnd = syn.window;
    this.state = 'SYN_RECEIVED';
  }

  /** The host side is ready: send SYN-ACK. */
  accept(): void {
    if (this.state !== 'SYN_RECEIVED' || this.synAckSent) return;
    this.synAckSent = true;
    this.sendSyn(true);
  }

  /** The host side refused: reset the guest's connection attempt. */
  refuse(): void {
    if (this.state === 'CLOSED') return;
    this.emitRaw(0, this.rcvNxt, TCP_RST | TCP_ACK, 0);
    this.close('refused');
  }

  /** Open a connection to the guest (active open): send SYN. */
  connect(): void {
    if (this.state !== 'CLOSED') return;
    this.state = 'SYN_SENT';
    this.sendSyn(false);
  }

  /** Queue data for the guest. False when the send buffer is above its high-water mark (pause the source). */
  send(data: Uint8Array): boolean {
    if (this.state === 'CLOSED' || this.finQueued) return false;
    this.sndBuf.push(data);
    this.pump();
    if (this.sndBuf.length >= this.tuning.sndBufSize) {
      this.sendBlocked = true;
      return false;
    }
    return true;
  }

  /** No more data for the guest: FIN once everything queued has been sent. */
  shutdownWrite(): void {
    if (this.finQueued || this.state === 'CLOSED') return;
    this.finQueued = true;
    if (this.state === 'ESTABLISHED') this.state = 'FIN_WAIT_1';
    else if (this.state === 'CLOSE_WAIT') this.state = 'LAST_ACK';
    // In SYN_SENT / SYN_RECEIVED the FIN waits for the handshake (RFC 9293 §3.10.4).
    this.pump();
  }

  /** Reset the connection (host side failed). */
  abort(): void {
    if (this.state === 'CLOSED') return;
    if (this.state === 'SYN_RECEIVED' && !this.synAckSent) {
      this.refuse();
      return;
    }
    if (this.state === 'SYN_SENT') this.emitRaw(this.sndNxt, 0, TCP_RST, 0);
    else if (this.state !== 'TIME_WAIT') this.emitRaw(this.sndNxt, this.rcvNxt, TCP_RST | TCP_ACK, 0);
    this.close('aborted');
  }

  /** The consumer freed buffer space: tell the guest if the window grew enough to matter. */
  windowMayHaveOpened(): void {
    if (!this.isSynchronized() || this.remoteFinReceived) return;
    if (this.rcvWindow.worthUpdating(this.rcvNxt, this.receiveSpace())) this.sendAck();
  }

  /** Process one segment from the guest addressed to this connection. */
  segmentArrives(seg: TcpSegment): void {
    switch (this.state) {
      case 'CLOSED':
        return;
      case 'SYN_SENT':
        this.synSentArrives(seg);
        return;
      case 'SYN_RECEIVED':
        if (seg.flags & TCP_RST && seg.seq === this.rcvNxt) {
          this.close('reset');
          return;
        }
        if (seg.flags & TCP_SYN && !(seg.flags & TCP_ACK) && seg.seq === this.irs) {
          // The guest's SYN again: while the host side is still connecting it waits; after that it
          // means our SYN-ACK was lost.
          if (this.synAckSent) this.sendSyn(true);
          return;
        }
        if (!this.synAckSent) return;
        break;
      default:
        break;
    }
    this.synchronizedArrives(seg);
  }

  /** A method, not an inline comparison: event callbacks can close the connection under our feet. */
  isClosed(): boolean {
    return this.state === 'CLOSED';
  }

  private isSynchronized(): boolean {
    return this.state !== 'CLOSED' && this.state !== 'SYN_SENT' && this.state !== 'SYN_RECEIVED';
  }

  private synSentArrives(seg: TcpSegment): void {
    const hasAck = (seg.flags & TCP_ACK) !== 0;
    if (hasAck && seg.ack !== seqAdd(this.iss, 1)) {
      if (!(seg.flags & TCP_RST)) this.emitRaw(seg.ack, 0, TCP_RST, 0);
      return;
    }
    if (seg.flags & TCP_RST) {
      if (hasAck) this.close('refused');
      return;
    }
    if (!(seg.flags & TCP_SYN) || !hasAck) return; // simultaneous open is not supported
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.rcvWindow.startAt(this.rcvNxt);
    this.sndMss = Math.max(1, Math.min(seg.mss ?? TCP_DEFAULT_MSS, this.tuning.mss));
    this.negotiateScale(seg.wscale);
    this.sndUna = seg.ack;
    this.sndWnd = seg.window;
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    this.rto.stop();
    this.retries = 0;
    this.rto.acknowledged(seg.ack);
    this.becomeEstablished();
    this.sendAck();
    this.pump();
  }

  private negotiateScale(peerScale: number | undefined): void {
    this.wscaleOk = peerScale !== undefined;
    this.sndWscale = peerScale ?? 0;
    if (!this.wscaleOk) this.rcvWindow.scale = 0;
  }

  private becomeEstablished(): void {
    this.state = this.finQueued ? 'FIN_WAIT_1' : 'ESTABLISHED';
    this.events.onEstablished();
  }

  private synchronizedArrives(seg: TcpSegment): void {
    const segLen = segmentLength(seg);
    const wnd = this.rcvWindow.promised(this.rcvNxt);
    if (!this.acceptable(seg.seq, segLen, wnd)) {
      // A zero window still takes the ACK of a segment that starts at rcvNxt (RFC 9293 §3.10.7.4).
      const ackOnly = wnd === 0 && seg.seq === this.rcvNxt && (seg.flags & TCP_ACK) !== 0 && !(seg.flags & TCP_RST);
      if (ackOnly && !(seg.flags & TCP_SYN)) this.processAck(seg);
      if (!(seg.flags & TCP_RST) && this.state !== 'CLOSED') this.sendAck();
      return;
    }
    if (seg.flags & TCP_RST) {
      // RFC 1337: TIME_WAIT ignores RST. Both FINs are already acknowledged, so a peer that closed
      // from LAST_ACK rightly answers our ACK of its retransmitted tail with RST; believing it would
      // report a completed connection as reset (and, with a challenge ACK, ping-pong with it).
      if (this.state === 'TIME_WAIT') return;
      // RFC 5961 §3.2: only an exact RST is believed; one merely in the window gets a challenge ACK.
      if (seg.seq === this.rcvNxt) this.close('reset');
      else this.sendAck();
      return;
    }
    if (seg.flags & TCP_SYN) {
      // RFC 5961 §4.2: a SYN on a synchronized connection gets a challenge ACK.
      this.sendAck();
      return;
    }
    if (!(seg.flags & TCP_ACK)) return;
    if (this.state === 'SYN_RECEIVED') {
      if (!(seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndMax))) {
        this.emitRaw(seg.ack, 0, TCP_RST, 0);
        return;
      }
      this.sndWnd = seg.window << this.sndWscale;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.becomeEstablished();
      if (this.isClosed()) return;
    }
    if (!this.processAck(seg)) return;
    if (this.isClosed()) return;
    if (this.finAcked()) {
      if (this.state === 'FIN_WAIT_1') this.state = 'FIN_WAIT_2';
      else if (this.state === 'CLOSING') this.enterTimeWait();
      else if (this.state === 'LAST_ACK') {
        this.close('normal');
        return;
      }
    }
    if (this.state === 'TIME_WAIT') {
      if (seg.flags & TCP_FIN) {
        this.sendAck();
        this.enterTimeWait();
      }
      return;
    }
    const canReceive = this.state === 'ESTABLISHED' || this.state === 'FIN_WAIT_1' || this.state === 'FIN_WAIT_2';
    if (canReceive) this.processData(seg);
    if (this.isClosed()) return;
    this.pump();
    if (this.lastAckSent !== this.rcvNxt) this.scheduleAck(seg);
  }

  private acceptable(seq: number, segLen: number, wnd: number): boolean {
    const inWindow = (s: number) => seqGe(s, this.rcvNxt) && seqLt(s, seqAdd(this.rcvNxt, wnd));
    if (segLen === 0) return wnd === 0 ? seq === this.rcvNxt : inWindow(seq);
    if (wnd === 0) return false;
    return inWindow(seq) || inWindow(seqAdd(seq, segLen - 1));
  }

  /** Returns false when the segment must be dropped. */
  private processAck(seg: TcpSegment): boolean {
    if (seqGt(seg.ack, this.sndMax)) {
      this.sendAck();
      return false;
    }
    const flight = seqDiff(this.sndNxt, this.sndUna);
    const newWindow = seg.window << this.sndWscale;
    if (seqGt(seg.ack, this.sndUna)) {
      const acked = seqDiff(seg.ack, this.sndUna);
      this.sndUna = seg.ack;
      if (seqLt(this.sndNxt, this.sndUna)) this.sndNxt = this.sndUna;
      const dataEnd = seqAdd(this.sndBufSeq, this.sndBuf.length);
      const dataAcked = seqDiff(seqLt(seg.ack, dataEnd) ? seg.ack : dataEnd, this.sndBufSeq);
      if (dataAcked > 0) {
        this.sndBuf.drop(dataAcked);
        this.sndBufSeq = seqAdd(this.sndBufSeq, dataAcked);
      }
      this.retries = 0;
      this.rto.acknowledged(seg.ack);
      // RFC 6582 partial ACK: the next hole was lost too.
      if (this.congestion.onNewAck(acked, seg.ack, this.sndMss, this.segmentMax())) this.retransmitHead();
      if (this.sndUna === this.sndMax) this.rto.stop();
      else this.rto.restart();
      if (this.sendBlocked && this.sndBuf.length <= this.tuning.sndBufSize / 2) {
        this.sendBlocked = false;
        this.events.onSendSpace();
        if (this.isClosed()) return false;
      }
    } else if (
      seg.ack === this.sndUna &&
      seg.payload.length === 0 &&
      !(seg.flags & (TCP_SYN | TCP_FIN)) &&
      newWindow === this.sndWnd &&
      this.sndWnd > 0 &&
      flight > 0
    ) {
      if (this.congestion.onDuplicateAck(flight, this.sndMss, this.sndMax)) this.retransmitHead();
    }
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, seg.ack))) {
      const opened = this.sndWnd === 0 && newWindow > 0;
      this.sndWnd = newWindow;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      if (opened) this.stopPersist();
    }
    return true;
  }

  private processData(seg: TcpSegment): void {
    let seq = seg.seq;
    let data = seg.payload;
    let fin = (seg.flags & TCP_FIN) !== 0;
    if (seqLt(seq, this.rcvNxt)) {
      const cut = seqDiff(this.rcvNxt, seq);
      if (cut > data.length) fin = false; // the FIN itself is a duplicate too
      data = data.subarray(Math.min(cut, data.length));
      seq = this.rcvNxt;
    }
    const room = seqDiff(this.rcvWindow.rightEdge, seq);
    if (data.length > room) {
      data = data.subarray(0, Math.max(0, room));
      fin = false; // a FIN beyond the window is not accepted; the guest will send it again
    }
    if (seq !== this.rcvNxt) {
      this.ooo.insert(seq, data, fin);
      this.sendAck(); // duplicate ACK: lets the guest fast-retransmit the hole
      return;
    }
    const hadHoles = !this.ooo.isEmpty;
    if (data.length > 0) this.deliver(data.slice());
    if (!fin && hadHoles) {
      const next = this.ooo.takeFrom(this.rcvNxt);
      for (const piece of next.data) {
        if (this.isClosed()) return;
        this.deliver(piece);
      }
      fin = next.fin;
    }
    if (fin && !this.isClosed()) this.acceptFin();
    if (hadHoles && !this.isClosed()) this.sendAck();
  }

  private deliver(data: Uint8Array): void {
    this.rcvNxt = seqAdd(this.rcvNxt, data.length);
    this.events.onData(data);
  }

  private acceptFin(): void {
    if (this.remoteFinReceived) return;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.remoteFinReceived = true;
    this.ooo.clear();
    if (this.state === 'ESTABLISHED') this.state = 'CLOSE_WAIT';
    else if (this.state === 'FIN_WAIT_1') {
      if (this.finAcked()) this.enterTimeWait();
      else this.state = 'CLOSING';
    } else if (this.state === 'FIN_WAIT_2') this.enterTimeWait();
    this.sendAck();
    this.events.onRemoteFin();
  }

  private finAcked(): boolean {
    return this.finQueued && this.sndBuf.length === 0 && seqDiff(this.sndUna, this.sndBufSeq) === 1;
  }

  /** Sends whatever data (and FIN) the windows allow. */
  private pump(): void {
    const s = this.state;
    if (s !== 'ESTABLISHED' && s !== 'CLOSE_WAIT' && s !== 'FIN_WAIT_1' && s !== 'CLOSING' && s !== 'LAST_ACK') return;
    const segMax = this.segmentMax();
    for (;;) {
      const offset = seqDiff(this.sndNxt, this.sndBufSeq);
      const unsent = this.sndBuf.length - offset;
      const flight = seqDiff(this.sndNxt, this.sndUna);
      if (unsent > 0) {
        const room = Math.min(this.sndWnd, this.congestion.cwnd) - flight;
        if (room <= 0) break;
        let len = Math.min(unsent, segMax, room);
        // A large segment cut short by the window still ends on an MSS boundary, as TSO senders do.
        if (len > this.sndMss && len < unsent) len -= len % this.sndMss;
        // Sender-side silly window avoidance (RFC 9293 §3.8.6.2.1): no small segment while data is in flight.
        if (len < this.sndMss && len < unsent && flight > 0) break;
        const last = len === unsent;
        const withFin = last && this.finQueued;
        this.sendData(this.sndNxt, offset, len, withFin);
        this.rto.startTiming(seqAdd(this.sndNxt, len));
        this.advanceSndNxt(len + (withFin ? 1 : 0));
        if (withFin) break;
      } else if (unsent === 0 && this.finQueued) {
        this.emitRaw(this.sndNxt, this.rcvNxt, TCP_FIN | TCP_ACK, this.advertise());
        this.advanceSndNxt(1);
        break;
      } else break;
    }
    const offset = seqDiff(this.sndNxt, this.sndBufSeq);
    if (this.sndWnd === 0 && this.sndBuf.length > offset && this.sndNxt === this.sndUna) this.armPersist();
  }

  /** Most payload per data segment: the MSS, or a whole number of MSS when the guest's NIC takes TSO frames (GSO). */
  private segmentMax(): number {
    const limit = this.segmentLimit?.() ?? 0;
    return limit > this.sndMss ? Math.floor(limit / this.sndMss) * this.sndMss : this.sndMss;
  }

  private advanceSndNxt(n: number): void {
    this.sndNxt = seqAdd(this.sndNxt, n);
    if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
    this.rto.armIfStopped();
  }

  private sendData(seq: number, offset: number, len: number, fin: boolean): void {
    const payload = this.sndBuf.peek(offset, len);
    const flags = TCP_ACK | (offset + len === this.sndBuf.length ? TCP_PSH : 0) | (fin ? TCP_FIN : 0);
    this.emitRaw(seq, this.rcvNxt, flags, this.advertise(), payload);
  }

  /** Resends the first unacknowledged segment (fast retransmit, partial ACK). */
  private retransmitHead(): void {
    const offset = seqDiff(this.sndUna, this.sndBufSeq);
    const len = Math.min(this.sndMss, this.sndBuf.length - offset);
    this.rto.cancelTiming();
    this.onRetransmit?.();
    if (len > 0) {
      const finWasSent = this.finQueued && seqGt(this.sndMax, seqAdd(this.sndBufSeq, this.sndBuf.length));
      this.sendData(this.sndUna, offset, len, finWasSent && offset + len === this.sndBuf.length);
    } else if (this.finQueued && seqGt(this.sndMax, this.sndUna)) {
      this.emitRaw(this.sndUna, this.rcvNxt, TCP_FIN | TCP_ACK, this.advertise());
    }
  }

  private sendSyn(withAck: boolean): void {
    const segment = buildTcp(this.localIp, this.remoteIp, {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq: this.iss,
      ack: withAck ? this.rcvNxt : 0,
      flags: TCP_SYN | (withAck ? TCP_ACK : 0),
      window: this.rcvWindow.advertiseSyn(this.rcvNxt, this.receiveSpace()),
      mss: this.tuning.mss,
      // We offer scaling on our SYN; on a SYN-ACK only when the guest offered it (RFC 7323 §2.2).
      wscale: withAck && !this.wscaleOk ? undefined : this.rcvWindow.scale,
    });
    if (withAck) this.lastAckSent = this.rcvNxt;
    this.sndNxt = seqAdd(this.iss, 1);
    if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
    this.rto.restart();
    this.transmitSegment(segment);
  }

  private sendAck(): void {
    if (this.state === 'CLOSED' || this.state === 'SYN_SENT') return;
    this.emitRaw(this.sndNxt, this.rcvNxt, TCP_ACK, this.advertise());
  }

  /** ACK now after a push, a FIN or two full segments; otherwise after the delayed-ACK time. */
  private scheduleAck(seg: TcpSegment): void {
    const pending = seqDiff(this.rcvNxt, this.lastAckSent);
    if (pending >= 2 * this.tuning.mss || seg.flags & (TCP_PSH | TCP_FIN) || seg.payload.length < this.sndMss) {
      this.sendAck();
      return;
    }
    if (!this.ackTimer.active) {
      this.ackTimer.start(this.tuning.delayedAckMs, () => {
        if (this.lastAckSent !== this.rcvNxt) this.sendAck();
      });
    }
  }

  private receiveSpace(): number {
    return Math.max(0, this.tuning.rcvBufSize - this.events.unconsumed() - this.ooo.bytes);
  }

  /** The window field for an outgoing segment. */
  private advertise(): number {
    return this.rcvWindow.advertise(this.rcvNxt, this.receiveSpace());
  }

  private emitRaw(seq: number, ack: number, flags: number, window: number, payload?: Uint8Array): void {
    if (flags & TCP_ACK) {
      this.lastAckSent = ack;
      this.ackTimer.stop();
    }
    this.transmitSegment(
      buildTcp(this.localIp, this.remoteIp, {
        srcPort: this.localPort,
        dstPort: this.remotePort,
        seq,
        ack: flags & TCP_ACK ? ack : 0,
        flags,
        window,
        payload,
      }),
    );
  }

  private onRetransmitTimeout(): void {
    if (this.isClosed()) return;
    if (this.state === 'SYN_SENT' || this.state === 'SYN_RECEIVED') {
      if (++this.retries > this.tuning.maxSynRetries) {
        if (this.state === 'SYN_RECEIVED') this.emitRaw(this.sndNxt, this.rcvNxt, TCP_RST | TCP_ACK, 0);
        this.close('timeout');
        return;
      }
      this.rto.rtt.backoff();
      this.onRetransmit?.();
      this.sendSyn(this.state === 'SYN_RECEIVED');
      return;
    }
    if (this.sndUna === this.sndMax) return;
    this.sndNxt = this.sndUna;
    this.rto.cancelTiming();
    if (this.sndWnd === 0) {
      // Zero window: probing is the persist timer's job, and a closed window is not a failure.
      this.armPersist();
      return;
    }
    if (++this.retries > this.tuning.maxRetries) {
      this.emitRaw(this.sndMax, this.rcvNxt, TCP_RST | TCP_ACK, 0);
      this.close('timeout');
      return;
    }
    this.congestion.onTimeout(seqDiff(this.sndMax, this.sndUna), this.sndMss);
    this.rto.rtt.backoff();
    this.onRetransmit?.();
    this.pump();
    if (this.sndUna !== this.sndMax) this.rto.armIfStopped();
  }

  private armPersist(): void {
    if (this.persistTimer.active) return;
    this.persistMs = this.persistMs === 0 ? this.rto.rtt.rto : Math.min(this.persistMs * 2, this.tuning.maxRtoMs);
    this.persistTimer.start(this.persistMs, () => {
      if (this.state === 'CLOSED' || this.sndWnd > 0) {
        this.pump();
        return;
      }
      const offset = seqDiff(this.sndNxt, this.sndBufSeq);
      if (this.sndBuf.length <= offset) return;
      // A one-byte probe beyond the closed window (RFC 9293 §3.8.6.1): its ACK carries the new window.
      this.sendData(this.sndNxt, offset, 1, false);
      this.advanceSndNxt(1);
    });
  }

  private stopPersist(): void {
    this.persistMs = 0;
    this.persistTimer.stop();
  }

  private enterTimeWait(): void {
    this.state = 'TIME_WAIT';
    this.rto.stop();
    this.stopPersist();
    this.timeWaitTimer.start(this.tuning.timeWaitMs, () => this.close('normal'));
  }

  /** Ends the connection without sending anything; fires onClosed once. */
  close(reason: TcpCloseReason): void {
    if (this.state === 'CLOSED' && this.events === NO_EVENTS) return;
    const events = this.events;
    this.state = 'CLOSED';
    this.events = NO_EVENTS;
    this.rto.stop();
    this.stopPersist();
    this.ackTimer.stop();
    this.timeWaitTimer.stop();
    this.sndBuf.clear();
    this.ooo.clear();
    events.onClosed(reason);
  }

  /** True in TIME_WAIT when a new SYN from the guest may reuse the 4-tuple (RFC 9293 §3.6.1). */
  acceptsNewSyn(seg: TcpSegment): boolean {
    return this.state === 'TIME_WAIT' && seqGt(seg.seq, this.rcvNxt);
  }
}
