// UDP through the NAT (RFC 768; NAT behaviour after RFC 4787): each guest flow (source port,
// destination) gets its own host socket, replies from that destination go back to the guest, idle
// flows close. Inbound UDP forwards relay host peers' datagrams to a guest port from a gateway port
// per peer, and the guest's answers back.

import { formatIpv4 } from './ip-address.js';
import { IPPROTO_UDP, type Ipv4Packet } from './ipv4.js';
import type { NatContext } from './nat-context.js';
import type { HostUdpSocket, TimerHandle } from './net-host.js';
import { buildUdp, type UdpDatagram } from './udp.js';

/** The gateway ports forward sessions use toward the guest (RFC 6335 dynamic range). */
const FORWARD_PORT_FIRST = 49152;
const FORWARD_PORT_LAST = 65535;

interface Flow {
  key: string;
  guestIp: number;
  guestPort: number;
  /** The destination as the guest addressed it: replies come from here. */
  dstIp: number;
  dstPort: number;
  hostIp: string;
  socket: HostUdpSocket;
  lastUsed: number;
  timer: TimerHandle | undefined;
}

interface ForwardSession {
  gatewayPort: number;
  peerIp: string;
  peerPort: number;
  forward: ForwardPort;
  lastUsed: number;
}

/** One inbound UDP forward (host ip:port -> guest port). */
export interface UdpForwardPort {
  /** A datagram a host peer sent to the forwarded port. */
  deliver(data: Uint8Array, peerIp: string, peerPort: number): void;
  close(): void;
}

class ForwardPort implements UdpForwardPort {
  readonly byPeer = new Map<string, ForwardSession>();
  private closed = false;

  constructor(
    private readonly nat: UdpNat,
    readonly guestIp: number,
    readonly guestPort: number,
    private readonly toPeer: (data: Uint8Array, peerIp: string, peerPort: number) => void,
  ) {}

  sendToPeer(data: Uint8Array, peerIp: string, peerPort: number): void {
    if (!this.closed) this.toPeer(data, peerIp, peerPort);
  }

  deliver(data: Uint8Array, peerIp: string, peerPort: number): void {
    if (!this.closed) this.nat.deliverForward(this, data, peerIp, peerPort);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.nat.closeForward(this);
  }
}

export class UdpNat {
  private readonly flows = new Map<string, Flow>();
  /** Gateway port -> forward session. */
  private readonly sessions = new Map<number, ForwardSession>();
  private nextForwardPort = FORWARD_PORT_FIRST;
  private sweepTimer: TimerHandle | undefined;

  constructor(private readonly ctx: NatContext) {}

  get flowCount(): number {
    return this.flows.size;
  }

  handle(ip: Ipv4Packet, d: UdpDatagram): void {
    if (ip.dst === this.ctx.config.gateway) {
      const session = this.sessions.get(d.dstPort);
      if (session !== undefined && d.srcPort !== 0) {
        session.lastUsed = this.ctx.clock.now();
        session.forward.sendToPeer(d.payload.slice(), session.peerIp, session.peerPort);
        return;
      }
    }
    const hostIp = this.ctx.hostAddressFor(ip.dst);
    if (hostIp === undefined || d.dstPort === 0) {
      this.ctx.stats.drop('udp-unroutable');
      return;
    }
    const k = `${ip.src}:${d.srcPort}>${ip.dst}:${d.dstPort}`;
    let flow = this.flows.get(k);
    if (flow === undefined) {
      if (this.flows.size >= this.ctx.limits.maxUdpFlows && !this.evictOldest()) {
        this.ctx.stats.drop('udp-flow-limit');
        return;
      }
      flow = this.openFlow(k, ip, d, hostIp);
    }
    flow.lastUsed = this.ctx.clock.now();
    flow.socket.send(d.payload.slice(), flow.hostIp, flow.dstPort);
  }

  private openFlow(k: string, ip: Ipv4Packet, d: UdpDatagram, hostIp: string): Flow {
    const socket = this.ctx.host.openUdp();
    const flow: Flow = {
      key: k,
      guestIp: ip.src,
      guestPort: d.srcPort,
      dstIp: ip.dst,
      dstPort: d.dstPort,
      hostIp,
      socket,
      lastUsed: this.ctx.clock.now(),
      timer: undefined,
    };
    socket.attach({
      onMessage: (data, fromIp, fromPort) => {
        // Only the flow's own destination may answer (address- and port-dependent filtering).
        if (fromIp !== flow.hostIp || fromPort !== flow.dstPort || !this.flows.has(flow.key)) {
          this.ctx.stats.drop('udp-unroutable');
          return;
        }
        flow.lastUsed = this.ctx.clock.now();
        this.sendToGuest(flow.dstIp, flow.dstPort, flow.guestIp, flow.guestPort, data);
      },
      onError: (error) => {
        this.ctx.stats.drop('udp-send-failed');
        this.ctx.log(`udp ${hostIp}:${d.dstPort}: ${error}`);
      },
    });
    this.flows.set(k, flow);
    this.ctx.stats.udpFlowsOpened++;
    this.armIdleTimer(flow);
    return flow;
  }

  /** Closes the flow once it has seen no datagram either way for udpIdleMs. */
  private armIdleTimer(flow: Flow, ms = this.ctx.limits.udpIdleMs): void {
    flow.timer = this.ctx.clock.setTimer(() => {
      flow.timer = undefined;
      if (this.flows.get(flow.key) !== flow) return;
      const left = flow.lastUsed + this.ctx.limits.udpIdleMs - this.ctx.clock.now();
      if (left > 0) this.armIdleTimer(flow, left);
      else this.closeFlow(flow);
    }, ms);
  }

  private closeFlow(flow: Flow): void {
    if (flow.timer !== undefined) this.ctx.clock.clearTimer(flow.timer);
    flow.timer = undefined;
    if (this.flows.get(flow.key) === flow) this.flows.delete(flow.key);
    flow.socket.close();
  }

  /** Makes room by closing the least recently used flow; false if there is none. */
  private evictOldest(): boolean {
    let oldest: Flow | undefined;
    for (const f of this.flows.values()) if (oldest === undefined || f.lastUsed < oldest.lastUsed) oldest = f;
    if (oldest === undefined) return false;
    this.closeFlow(oldest);
    return true;
  }

  private sendToGuest(srcIp: number, srcPort: number, dstIp: number, dstPort: number, data: Uint8Array): void {
    if (data.length > 0xffff - 8) {
      this.ctx.stats.drop('udp-malformed');
      return;
    }
    this.ctx.sendIpv4(srcIp, dstIp, IPPROTO_UDP, buildUdp(srcIp, dstIp, srcPort, dstPort, data));
  }

  /** Sends one datagram to the guest from ip:port of the virtual network (DNS, DHCP use it too). */
  sendDatagram(srcIp: number, srcPort: number, dstIp: number, dstPort: number, data: Uint8Array): void {
    this.sendToGuest(srcIp, srcPort, dstIp, dstPort, data);
  }

  /**
   * An inbound UDP forward to `guestPort`. `sendToPeer` carries the guest's answers back out of
   * the host socket the forward listens on.
   */
  openForward(
    guestPort: number,
    sendToPeer: (data: Uint8Array, peerIp: string, peerPort: number) => void,
    guestIp = this.ctx.config.guestIp,
  ): UdpForwardPort {
    const forward = new ForwardPort(this, guestIp, guestPort, sendToPeer);
    this.forwards.add(forward);
    return forward;
  }

  private readonly forwards = new Set<ForwardPort>();

  /** @internal ForwardPort.deliver */
  deliverForward(forward: ForwardPort, data: Uint8Array, peerIp: string, peerPort: number): void {
    const peerKey = `${peerIp}:${peerPort}`;
    let session = forward.byPeer.get(peerKey);
    if (session === undefined) {
      if (this.sessions.size >= this.ctx.limits.maxUdpFlows) this.expireSessions(true);
      const gatewayPort = this.allocateForwardPort();
      if (gatewayPort === undefined) {
        this.ctx.stats.drop('udp-flow-limit');
        return;
      }
      session = { gatewayPort, peerIp, peerPort, forward, lastUsed: 0 };
      forward.byPeer.set(peerKey, session);
      this.sessions.set(gatewayPort, session);
      this.ensureSweep();
    }
    session.lastUsed = this.ctx.clock.now();
    this.sendToGuest(this.ctx.config.gateway, session.gatewayPort, forward.guestIp, forward.guestPort, data);
  }

  /** @internal ForwardPort.close */
  closeForward(forward: ForwardPort): void {
    for (const s of forward.byPeer.values()) this.sessions.delete(s.gatewayPort);
    forward.byPeer.clear();
    this.forwards.delete(forward);
  }

  private allocateForwardPort(): number | undefined {
    const span = FORWARD_PORT_LAST - FORWARD_PORT_FIRST + 1;
    for (let tries = 0; tries < span; tries++) {
      const port = this.nextForwardPort;
      this.nextForwardPort = port === FORWARD_PORT_LAST ? FORWARD_PORT_FIRST : port + 1;
      if (!this.sessions.has(port)) return port;
    }
    return undefined;
  }

  /** Drops idle forward sessions; with `force`, at least the least recently used one. */
  private expireSessions(force: boolean): void {
    const now = this.ctx.clock.now();
    let oldest: ForwardSession | undefined;
    for (const s of [...this.sessions.values()]) {
      if (now - s.lastUsed >= this.ctx.limits.udpIdleMs) this.dropSession(s);
      else if (oldest === undefined || s.lastUsed < oldest.lastUsed) oldest = s;
    }
    if (force && oldest !== undefined && this.sessions.size >= this.ctx.limits.maxUdpFlows) this.dropSession(oldest);
  }

  private dropSession(s: ForwardSession): void {
    this.sessions.delete(s.gatewayPort);
    s.forward.byPeer.delete(`${s.peerIp}:${s.peerPort}`);
  }

  private ensureSweep(): void {
    if (this.sweepTimer !== undefined) return;
    this.sweepTimer = this.ctx.clock.setTimer(() => {
      this.sweepTimer = undefined;
      this.expireSessions(false);
      if (this.sessions.size > 0) this.ensureSweep();
    }, this.ctx.limits.udpIdleMs);
  }

  close(): void {
    for (const f of [...this.flows.values()]) this.closeFlow(f);
    for (const forward of [...this.forwards]) forward.close();
    this.sessions.clear();
    if (this.sweepTimer !== undefined) this.ctx.clock.clearTimer(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  describe(): string[] {
    return [...this.flows.values()].map(
      (f) => `${formatIpv4(f.guestIp)}:${f.guestPort} -> ${formatIpv4(f.dstIp)}:${f.dstPort} (host ${f.hostIp})`,
    );
  }
}
