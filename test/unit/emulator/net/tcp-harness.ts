// Drives one TcpConnection with segments a test writes as the guest would send them, and collects
// what the NAT sends back (parsed), what it hands to the host side, and its events.

import { parseIpv4 } from '../../../../src/emulator/net/ip-address.js';
import { DEFAULT_TCP_TUNING, TcpConnection, type TcpCloseReason, type TcpTuning } from '../../../../src/emulator/net/tcp-connection.js';
import { buildTcp, parseTcp, TCP_ACK, TCP_SYN, type TcpSegment } from '../../../../src/emulator/net/tcp-segment.js';
import { ManualClock } from './manual-clock.js';

export const GUEST_IP = parseIpv4('10.0.2.15')!;
export const NAT_IP = parseIpv4('10.0.2.2')!;
export const GUEST_PORT = 40000;
export const NAT_PORT = 8080;
export const GUEST_ISN = 1000;
export const NAT_ISS = 5000;

export interface GuestSegment {
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  data?: Uint8Array | string;
  mss?: number;
  wscale?: number;
}

export class TcpHarness {
  readonly clock = new ManualClock();
  readonly conn: TcpConnection;
  /** Segments the NAT sent to the guest, oldest first; `take` removes them. */
  out: TcpSegment[] = [];
  received: number[] = [];
  remoteFin = false;
  established = 0;
  closed: TcpCloseReason | undefined;
  sendSpace = 0;
  /** What the host side still holds: the test sets it to model a slow consumer. */
  unconsumed = 0;
  /** Model a host socket that takes nothing: every delivered byte stays unconsumed. */
  holdReceived = false;
  retransmits = 0;

  /** What the connection's segmentLimit() answers: 0 is one MSS; a test raises it to model a TSO-capable guest NIC. */
  segmentLimit = 0;

  constructor(tuning: Partial<TcpTuning> = {}) {
    this.conn = new TcpConnection({
      localIp: NAT_IP,
      localPort: NAT_PORT,
      remoteIp: GUEST_IP,
      remotePort: GUEST_PORT,
      clock: this.clock,
      tuning: { ...DEFAULT_TCP_TUNING, ...tuning },
      iss: NAT_ISS,
      transmit: (bytes) => {
        const seg = parseTcp(bytes, NAT_IP, GUEST_IP);
        if (!seg.ok) throw new Error(`the NAT sent a bad segment: ${seg.reason}`);
        this.out.push(seg.value);
      },
      onRetransmit: () => this.retransmits++,
      segmentLimit: () => this.segmentLimit,
    });
    this.conn.events = {
      onEstablished: () => this.established++,
      onData: (d) => {
        this.received.push(...d);
        if (this.holdReceived) this.unconsumed += d.length;
      },
      onRemoteFin: () => (this.remoteFin = true),
      onSendSpace: () => this.sendSpace++,
      onClosed: (r) => (this.closed = r),
      unconsumed: () => this.unconsumed,
    };
  }

  /** A segment from the guest, built to wire format and parsed back as the NAT would see it. */
  guest(s: GuestSegment): void {
    const payload = typeof s.data === 'string' ? new TextEncoder().encode(s.data) : s.data;
    const bytes = buildTcp(GUEST_IP, NAT_IP, {
      srcPort: GUEST_PORT,
      dstPort: NAT_PORT,
      seq: s.seq >>> 0,
      ack: (s.ack ?? 0) >>> 0,
      flags: s.flags,
      window: s.window ?? 65535,
      mss: s.mss,
      wscale: s.wscale,
      payload,
    });
    const seg = parseTcp(bytes, GUEST_IP, NAT_IP);
    if (!seg.ok) throw new Error(seg.reason);
    this.conn.segmentArrives(seg.value);
  }

  take(): TcpSegment[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  /** The one segment sent since the last take. */
  takeOne(): TcpSegment {
    const out = this.take();
    if (out.length !== 1) throw new Error(`expected one segment, got ${out.length}`);
    return out[0]!;
  }

  get receivedText(): string {
    return new TextDecoder().decode(Uint8Array.from(this.received));
  }
}

/** A connection the guest opened and the NAT accepted, handshake done. Guest's next seq is GUEST_ISN + 1. */
export function establishedPassive(
  opts: { mss?: number; wscale?: number; window?: number; tuning?: Partial<TcpTuning> } = {},
): TcpHarness {
  const h = new TcpHarness(opts.tuning);
  const syn = buildTcp(GUEST_IP, NAT_IP, {
    srcPort: GUEST_PORT,
    dstPort: NAT_PORT,
    seq: GUEST_ISN,
    ack: 0,
    flags: TCP_SYN,
    window: opts.window ?? 65535,
    mss: opts.mss ?? 1460,
    wscale: opts.wscale,
  });
  const parsed = parseTcp(syn, GUEST_IP, NAT_IP);
  if (!parsed.ok) throw new Error(parsed.reason);
  h.conn.receiveSyn(parsed.value);
  h.conn.accept();
  h.take();
  h.guest({ seq: GUEST_ISN + 1, ack: NAT_ISS + 1, flags: TCP_ACK, window: opts.window ?? 65535 });
  return h;
}
