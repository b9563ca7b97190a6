// A stand-in guest for NAT tests that need no root: our own TcpConnection as the guest's TCP,
// joined to a real UserNet (on Node's sockets) by a simulated link that delivers frames on later
// event-loop turns and can lose or reorder them.

import { formatIpv4 } from '../../../src/emulator/net/ip-address.js';
import { parseEthernet, ETHERTYPE_IPV4 } from '../../../src/emulator/net/ethernet.js';
import { IPPROTO_TCP, parseIpv4Packet } from '../../../src/emulator/net/ipv4.js';
import type { NetClock } from '../../../src/emulator/net/net-host.js';
import { DEFAULT_TCP_TUNING, TcpConnection, type TcpConnectionEvents } from '../../../src/emulator/net/tcp-connection.js';
import { parseTcp, TCP_ACK, TCP_SYN } from '../../../src/emulator/net/tcp-segment.js';
import type { UserNet } from '../../../src/emulator/net/user-net.js';
import { GUEST, GUEST_MAC, ipFrame } from '../../unit/emulator/net/frame-builders.js';

export { GUEST_MAC };

export interface LinkOptions {
  /** Probability that a frame is lost, each direction. */
  loss?: number;
  /** Probability that a frame is held back behind the next one. */
  reorder?: number;
  seed?: number;
}

export class GuestStack {
  private readonly conns = new Map<string, TcpConnection>();
  private readonly listeners = new Map<number, (conn: TcpConnection) => TcpConnectionEvents>();
  private nextPort = 40000;
  private toNat: Uint8Array[] = [];
  private toGuest: Uint8Array[] = [];
  private scheduled = false;
  private x: number;
  lost = 0;

  constructor(
    private readonly net: UserNet,
    private readonly clock: NetClock,
    private readonly link: LinkOptions = {},
  ) {
    this.x = link.seed ?? 0x12345678;
    net.onFrameToGuest = (frame) => this.enqueue(this.toGuest, frame);
  }

  private rand(): number {
    this.x ^= this.x << 13;
    this.x ^= this.x >>> 17;
    this.x ^= this.x << 5;
    return (this.x >>> 0) / 0x1_0000_0000;
  }

  private enqueue(queue: Uint8Array[], frame: Uint8Array): void {
    if (this.rand() < (this.link.loss ?? 0)) {
      this.lost++;
      return;
    }
    if (queue.length > 0 && this.rand() < (this.link.reorder ?? 0)) queue.splice(queue.length - 1, 0, frame);
    else queue.push(frame);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Delivers what is queued: never inside a sender's call, as a real NIC would not. */
  private flush(): void {
    this.scheduled = false;
    const toNat = this.toNat.splice(0);
    const toGuest = this.toGuest.splice(0);
    for (const f of toNat) this.net.receiveFromGuest(f);
    for (const f of toGuest) this.deliver(f);
  }

  private deliver(frame: Uint8Array): void {
    const eth = parseEthernet(frame);
    if (!eth.ok || eth.value.etherType !== ETHERTYPE_IPV4) return;
    const ip = parseIpv4Packet(eth.value.payload);
    if (!ip.ok || ip.value.protocol !== IPPROTO_TCP || ip.value.dst !== GUEST) return;
    const seg = parseTcp(ip.value.payload, ip.value.src, ip.value.dst);
    if (!seg.ok) throw new Error(`the NAT sent a bad TCP segment: ${seg.reason}`);
    const s = seg.value;
    const key = `${s.dstPort}>${ip.value.src}:${s.srcPort}`;
    const conn = this.conns.get(key);
    if (conn) {
      conn.segmentArrives(s);
      return;
    }
    const listener = this.listeners.get(s.dstPort);
    if (listener && (s.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      const c = this.newConn(s.dstPort, ip.value.src, s.srcPort, key);
      c.events = this.wrap(listener(c), key);
      c.receiveSyn(s);
      c.accept();
    }
  }

  private newConn(localPort: number, remoteIp: number, remotePort: number, key: string): TcpConnection {
    const c = new TcpConnection({
      localIp: GUEST,
      localPort,
      remoteIp,
      remotePort,
      clock: this.clock,
      tuning: DEFAULT_TCP_TUNING,
      iss: Math.floor(Math.random() * 2 ** 32),
      transmit: (segment) => this.enqueue(this.toNat, ipFrame(GUEST, remoteIp, IPPROTO_TCP, segment)),
    });
    this.conns.set(key, c);
    return c;
  }

  private wrap(events: TcpConnectionEvents, key: string): TcpConnectionEvents {
    return {
      ...events,
      onClosed: (reason) => {
        this.conns.delete(key);
        events.onClosed(reason);
      },
    };
  }

  /** Opens a connection from the guest to ip:port; `events` is its application. */
  connect(ip: number, port: number, events: (conn: TcpConnection) => TcpConnectionEvents): TcpConnection {
    const localPort = this.nextPort++;
    const key = `${localPort}>${ip}:${port}`;
    const c = this.newConn(localPort, ip, port, key);
    c.events = this.wrap(events(c), key);
    c.connect();
    return c;
  }

  /** Accepts connections to `port` on the guest. */
  listen(port: number, events: (conn: TcpConnection) => TcpConnectionEvents): void {
    this.listeners.set(port, events);
  }

  describe(): string[] {
    return [...this.conns.values()].map((c) => `${c.localPort} -> ${formatIpv4(c.remoteIp)}:${c.remotePort} ${c.state}`);
  }
}

/** Application events with defaults, for tests that care about a few. */
export function appEvents(e: Partial<TcpConnectionEvents>): TcpConnectionEvents {
  return {
    onEstablished() {},
    onData() {},
    onRemoteFin() {},
    onSendSpace() {},
    onClosed() {},
    unconsumed: () => 0,
    ...e,
  };
}
