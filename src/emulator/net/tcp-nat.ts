// The NAT's TCP table (RFC 9293 endpoints, one per guest 4-tuple): a guest SYN makes the host
// connect and answers only once that worked (RST if it did not); accepted host connections for
// port forwards become connections the NAT opens to the guest. Segments for nothing get RST
// (§3.10.7.1). Table size and pending connects are capped against floods.

import { formatIpv4 } from './ip-address.js';
import { IPPROTO_TCP, type Ipv4Packet } from './ipv4.js';
import type { NatContext } from './nat-context.js';
import type { HostTcpSocket } from './net-host.js';
import { bridgeTcp } from './tcp-bridge.js';
import { TcpConnection, type TcpTuning } from './tcp-connection.js';
import { buildTcp, seqAdd, segmentLength, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from './tcp-segment.js';

/** IANA's dynamic port range (RFC 6335 §6), for connections the NAT opens from the gateway. */
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_LAST = 65535;

function key(guestIp: number, guestPort: number, localIp: number, localPort: number): string {
  return `${guestIp}:${guestPort}>${localIp}:${localPort}`;
}

function randomIsn(): number {
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
}

export class TcpNat {
  private readonly conns = new Map<string, TcpConnection>();
  private pendingConnects = 0;
  private nextEphemeral = EPHEMERAL_FIRST;

  constructor(
    private readonly ctx: NatContext,
    private readonly tuning: TcpTuning,
  ) {}

  get size(): number {
    return this.conns.size;
  }

  /** All connections, for diagnostics and tests. */
  connections(): IterableIterator<TcpConnection> {
    return this.conns.values();
  }

  handle(ip: Ipv4Packet, seg: TcpSegment): void {
    const k = key(ip.src, seg.srcPort, ip.dst, seg.dstPort);
    let conn = this.conns.get(k);
    const isSyn = (seg.flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) === TCP_SYN;
    if (conn !== undefined && isSyn && conn.acceptsNewSyn(seg)) {
      conn.close('normal');
      conn = undefined;
    }
    if (conn !== undefined) {
      conn.segmentArrives(seg);
      return;
    }
    if (seg.flags & TCP_RST) return;
    if (!isSyn) {
      this.ctx.stats.drop('tcp-no-connection');
      this.sendReset(ip, seg);
      return;
    }
    const hostIp = this.ctx.hostAddressFor(ip.dst);
    if (hostIp === undefined) {
      this.ctx.stats.drop('tcp-unroutable');
      this.sendReset(ip, seg);
      return;
    }
    if (this.conns.size >= this.ctx.limits.maxTcpConnections || this.pendingConnects >= this.ctx.limits.maxPendingConnects) {
      this.ctx.stats.drop('tcp-connection-limit');
      this.sendReset(ip, seg);
      return;
    }
    this.openOutbound(k, ip, seg, hostIp);
  }

  private openOutbound(k: string, ip: Ipv4Packet, syn: TcpSegment, hostIp: string): void {
    const conn = this.newConnection(ip.dst, syn.dstPort, ip.src, syn.srcPort);
    conn.receiveSyn(syn);
    this.conns.set(k, conn);
    this.pendingConnects++;
    this.ctx.stats.tcpConnectionsOpened++;
    this.ctx.stats.tcpConnectionsActive = this.conns.size;
    const socket = this.ctx.host.connectTcp(hostIp, syn.dstPort);
    const target = `${hostIp}:${syn.dstPort}`;
    bridgeTcp(conn, socket, {
      outbound: true,
      clock: this.ctx.clock,
      connectTimeoutMs: this.ctx.limits.connectTimeoutMs,
      onConnectSettled: () => this.pendingConnects--,
      onDone: (reason, hostError) => {
        if (hostError !== undefined && reason !== 'normal') this.ctx.log(`tcp ${target}: ${hostError}`);
        this.forget(k, conn);
      },
    });
  }

  /**
   * A host connection accepted for a port forward: open a TCP connection from the gateway to
   * guestIp:guestPort and bridge the two. When the table is full the host socket is reset.
   */
  acceptForward(socket: HostTcpSocket, guestPort: number, guestIp = this.ctx.config.guestIp): void {
    const localIp = this.ctx.config.gateway;
    const localPort = this.allocateEphemeral(guestIp, guestPort, localIp);
    if (localPort === undefined || this.conns.size >= this.ctx.limits.maxTcpConnections) {
      this.ctx.stats.drop('tcp-connection-limit');
      socket.attach({ onConnect() {}, onData() {}, onDrain() {}, onEnd() {}, onClose() {} });
      socket.reset();
      return;
    }
    const k = key(guestIp, guestPort, localIp, localPort);
    const conn = this.newConnection(localIp, localPort, guestIp, guestPort);
    this.conns.set(k, conn);
    this.ctx.stats.tcpConnectionsOpened++;
    this.ctx.stats.tcpConnectionsActive = this.conns.size;
    bridgeTcp(conn, socket, {
      outbound: false,
      clock: this.ctx.clock,
      connectTimeoutMs: this.ctx.limits.connectTimeoutMs,
      onDone: (reason) => {
        if (reason === 'refused' || reason === 'timeout') {
          this.ctx.log(`forward to guest port ${guestPort}: connection ${reason === 'refused' ? 'refused' : 'timed out'}`);
        }
        this.forget(k, conn);
      },
    });
  }

  private newConnection(localIp: number, localPort: number, remoteIp: number, remotePort: number): TcpConnection {
    const stats = this.ctx.stats;
    return new TcpConnection({
      localIp,
      localPort,
      remoteIp,
      remotePort,
      clock: this.ctx.clock,
      tuning: this.tuning,
      iss: randomIsn(),
      transmit: (segment) => this.ctx.sendIpv4(localIp, remoteIp, IPPROTO_TCP, segment),
      segmentLimit: () => this.ctx.tcpSegmentLimit(),
      onRetransmit: () => stats.tcpRetransmits++,
    });
  }

  private allocateEphemeral(guestIp: number, guestPort: number, localIp: number): number | undefined {
    const span = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
    for (let tries = 0; tries < span; tries++) {
      const port = this.nextEphemeral;
      this.nextEphemeral = port === EPHEMERAL_LAST ? EPHEMERAL_FIRST : port + 1;
      if (!this.conns.has(key(guestIp, guestPort, localIp, port))) return port;
    }
    return undefined;
  }

  private forget(k: string, conn: TcpConnection): void {
    if (this.conns.get(k) === conn) this.conns.delete(k);
    this.ctx.stats.tcpConnectionsActive = this.conns.size;
  }

  /** RFC 9293 §3.10.7.1: the reset for a segment that belongs to no connection. */
  private sendReset(ip: Ipv4Packet, seg: TcpSegment): void {
    const hasAck = (seg.flags & TCP_ACK) !== 0;
    const reset = buildTcp(ip.dst, ip.src, {
      srcPort: seg.dstPort,
      dstPort: seg.srcPort,
      seq: hasAck ? seg.ack : 0,
      ack: hasAck ? 0 : seqAdd(seg.seq, segmentLength(seg)),
      flags: hasAck ? TCP_RST : TCP_RST | TCP_ACK,
      window: 0,
    });
    this.ctx.sendIpv4(ip.dst, ip.src, IPPROTO_TCP, reset);
  }

  /** Resets every connection (machine shutdown). */
  close(): void {
    for (const conn of [...this.conns.values()]) conn.abort();
    this.conns.clear();
    this.ctx.stats.tcpConnectionsActive = 0;
  }

  describe(): string[] {
    return [...this.conns.values()].map(
      (c) => `${formatIpv4(c.remoteIp)}:${c.remotePort} <-> ${formatIpv4(c.localIp)}:${c.localPort} ${c.state}`,
    );
  }
}
