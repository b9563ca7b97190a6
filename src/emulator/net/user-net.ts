// The user-mode NAT as one virtual router on an Ethernet link, in the manner of QEMU's slirp:
// takes the guest's frames (IEEE 802.3), answers ARP (RFC 826), DHCP (RFC 2131), DNS (RFC 1035)
// and ICMP echo (RFC 792) itself, and proxies TCP (RFC 9293) and UDP (RFC 768) through host
// sockets. Independent of any NIC: a device calls receiveFromGuest and sets onFrameToGuest, or uses
// it directly as its EthernetLink (transmit / connect), which also tells a virtio NIC that whole TSO
// frames are welcome and that every frame it sends the guest has correct checksums.
// Nothing a guest sends can make it throw: bad frames are dropped and counted in `stats`.

import { ARP_OP_REPLY, ARP_OP_REQUEST, buildArp, parseArp } from './arp.js';
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT, parseDhcp } from './dhcp-message.js';
import { DhcpServer } from './dhcp-server.js';
import { DNS_PORT } from './dns-message.js';
import { DnsServer } from './dns-server.js';
import {
  BROADCAST_MAC,
  buildEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  isGroupMac,
  macEquals,
  parseEthernet,
  virtualHostMac,
  type MacAddress,
} from './ethernet.js';
import { buildEchoReply, ICMP_ECHO_REQUEST, parseIcmp } from './icmp.js';
import { formatIpv4, inSubnet, isMulticastOrReserved, readIpv4 } from './ip-address.js';
import {
  buildIpv4Fragments,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPV4_SRC_OFFSET,
  IPPROTO_UDP,
  IPV4_MAX_PACKET_SIZE,
  parseIpv4Packet,
  type Ipv4Packet,
} from './ipv4.js';
import { DEFAULT_NAT_LIMITS, type NatContext, type NatLimits } from './nat-context.js';
import { resolveNetConfig, type ResolvedNetConfig, type UserNetConfig } from './net-config.js';
import type { HostTcpSocket, NetClock, NetHost, TimerHandle } from './net-host.js';
import { NetStats } from './net-stats.js';
import { DEFAULT_TCP_TUNING, type TcpTuning } from './tcp-connection.js';
import { TcpNat } from './tcp-nat.js';
import { parseTcp } from './tcp-segment.js';
import { buildUdp, parseUdp } from './udp.js';
import { UdpNat, type UdpForwardPort } from './udp-nat.js';

export interface UserNetOptions {
  host: NetHost;
  clock: NetClock;
  config?: Partial<UserNetConfig>;
  limits?: Partial<NatLimits>;
  tcp?: Partial<TcpTuning>;
  /** Verify IPv4, ICMP, UDP and TCP checksums of guest packets (on unless the NIC offloads them). */
  verifyChecksums?: boolean;
  log?: (message: string) => void;
}

const ARP_RETRY_MS = 1000;
const ARP_ATTEMPTS = 3;
const IPV4_BROADCAST = 0xffffffff;
/** TCP payload in one large segment: a 64 KiB IPv4 packet less headers, with room for options. */
const LARGE_SEGMENT_PAYLOAD = 65_000;

interface ArpWait {
  packets: Uint8Array[];
  attempts: number;
  timer: TimerHandle | undefined;
}

export class UserNet {
  /** Receives every frame for the guest. Set by the NIC (or a switch, or a test). */
  onFrameToGuest: (frame: Uint8Array) => void = () => {};
  /** EthernetLink: TCP segments of any size are terminated here, so TSO frames need no cutting. */
  readonly acceptsLargeSegments = true;
  /** EthernetLink: every frame for the guest is built here with its checksums computed. */
  readonly checksumsValid = true;
  /** The guest's NIC takes TCP segments up to 64 KiB: TCP to the guest skips MTU-sized segmenting. */
  private largeSegments = false;
  readonly stats = new NetStats();
  readonly config: ResolvedNetConfig;

  private readonly clock: NetClock;
  private readonly log: (message: string) => void;
  private readonly verify: boolean;
  private readonly limits: NatLimits;
  private readonly gatewayMac: MacAddress;
  private readonly dnsMac: MacAddress;
  private readonly subnetBroadcast: number;
  private readonly arpTable = new Map<number, MacAddress>();
  private readonly arpWaits = new Map<number, ArpWait>();
  private ipId = 0;
  private closed = false;
  private readonly tcp: TcpNat;
  private readonly udp: UdpNat;
  private readonly dhcp: DhcpServer;
  private readonly dns: DnsServer;

  constructor(opts: UserNetOptions) {
    this.config = resolveNetConfig(opts.config);
    this.clock = opts.clock;
    this.log = opts.log ?? (() => {});
    this.verify = opts.verifyChecksums ?? true;
    this.limits = { ...DEFAULT_NAT_LIMITS, ...opts.limits };
    const c = this.config;
    this.gatewayMac = virtualHostMac(c.gateway);
    this.dnsMac = virtualHostMac(c.dns);
    this.subnetBroadcast = (c.network | ~c.netmask) >>> 0;
    if (c.guestMac) this.arpTable.set(c.guestIp, c.guestMac);
    const tuning: TcpTuning = { ...DEFAULT_TCP_TUNING, mss: c.mtu - 40, ...opts.tcp };
    const ctx: NatContext = {
      config: c,
      host: opts.host,
      clock: opts.clock,
      stats: this.stats,
      limits: this.limits,
      log: this.log,
      sendIpv4: (src, dst, protocol, payload) => this.sendIpv4(src, dst, protocol, payload),
      tcpSegmentLimit: () => (this.largeSegments ? LARGE_SEGMENT_PAYLOAD : 0),
      hostAddressFor: (dst) => this.hostAddressFor(dst),
    };
    this.tcp = new TcpNat(ctx, tuning);
    this.udp = new UdpNat(ctx);
    this.dhcp = new DhcpServer({
      serverIp: c.gateway,
      netmask: c.netmask,
      router: c.gateway,
      dns: c.dns,
      poolStart: c.guestIp,
      poolSize: c.dhcpPoolSize,
      leaseSeconds: c.leaseSeconds,
      hostname: c.hostname,
    });
    this.dns = new DnsServer(opts.host.resolver, opts.clock, this.stats, {
      maxInFlight: this.limits.maxDnsInFlight,
      timeoutMs: this.limits.dnsTimeoutMs,
    });
  }

  /** One Ethernet frame from the guest (without FCS). Never throws. */
  receiveFromGuest(frame: Uint8Array): void {
    if (this.closed) return;
    this.stats.framesFromGuest++;
    this.stats.bytesFromGuest += frame.length;
    try {
      this.route(frame);
    } catch (err) {
      this.stats.drop('internal-error');
      this.log(`net: internal error on a guest frame: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** EthernetLink: a frame from the guest's NIC. */
  transmit(frame: Uint8Array): void {
    this.receiveFromGuest(frame);
  }

  /** EthernetLink: where frames for the guest go. */
  connect(receive: (frame: Uint8Array) => void): void {
    this.onFrameToGuest = receive;
  }

  /** EthernetLink: whether the guest's driver now takes TCP/IPv4 frames up to 64 KiB. */
  guestTakesLargeSegments(yes: boolean): void {
    this.largeSegments = yes;
  }

  /** A host connection accepted on a TCP forward: bridged to a new connection to the guest's port. */
  acceptTcpForward(socket: HostTcpSocket, guestPort: number): void {
    if (this.closed) {
      socket.reset();
      return;
    }
    this.tcp.acceptForward(socket, guestPort);
  }

  /** A UDP forward to the guest's port; the guest's answers leave through `sendToPeer`. */
  openUdpForward(guestPort: number, sendToPeer: (data: Uint8Array, peerIp: string, peerPort: number) => void): UdpForwardPort {
    return this.udp.openForward(guestPort, sendToPeer);
  }

  /**
   * Resets every TCP connection (RST to the guest, host sockets closed) and keeps serving: a machine
   * suspended now resumes with a NAT that knows none of them, so its guest learns they are gone.
   */
  resetConnections(): void {
    this.tcp.close();
  }

  /** Resets every connection, closes host sockets and stops all timers. */
  close(): void {
    if (this.closed) return;
    this.tcp.close();
    this.udp.close();
    this.dns.close();
    for (const w of this.arpWaits.values()) if (w.timer !== undefined) this.clock.clearTimer(w.timer);
    this.arpWaits.clear();
    this.closed = true;
  }

  /** Open connections and flows, one line each. */
  describe(): string[] {
    return [...this.tcp.describe().map((l) => `tcp ${l}`), ...this.udp.describe().map((l) => `udp ${l}`)];
  }

  get tcpConnectionCount(): number {
    return this.tcp.size;
  }

  private route(frame: Uint8Array): void {
    const eth = parseEthernet(frame);
    if (!eth.ok) return this.stats.drop(eth.reason);
    const { dst, etherType, payload } = eth.value;
    if (etherType !== ETHERTYPE_ARP && etherType !== ETHERTYPE_IPV4) return this.stats.drop('eth-unsupported-type');
    const forUs = isGroupMac(dst) ? macEquals(dst, BROADCAST_MAC) : macEquals(dst, this.gatewayMac) || macEquals(dst, this.dnsMac);
    if (!forUs) return this.stats.drop('eth-not-for-us');
    if (etherType === ETHERTYPE_ARP) this.handleArp(payload);
    else this.handleIpv4(eth.value.src, payload);
  }

  private handleArp(payload: Uint8Array): void {
    const parsed = parseArp(payload);
    if (!parsed.ok) return this.stats.drop(parsed.reason);
    const p = parsed.value;
    if (this.isGuestAddress(p.senderIp)) this.learn(p.senderIp, p.senderMac);
    if (p.op !== ARP_OP_REQUEST) return;
    if (p.targetIp !== this.config.gateway && p.targetIp !== this.config.dns) return;
    const mac = p.targetIp === this.config.gateway ? this.gatewayMac : this.dnsMac;
    const reply = buildArp({ op: ARP_OP_REPLY, senderMac: mac, senderIp: p.targetIp, targetMac: p.senderMac, targetIp: p.senderIp });
    this.emit(buildEthernet(p.senderMac, mac, ETHERTYPE_ARP, reply));
  }

  /** Addresses a guest may use as its own: inside the network, not ours, not network or broadcast. */
  private isGuestAddress(ip: number): boolean {
    const c = this.config;
    return (
      inSubnet(ip, c.network, c.netmask) &&
      ip !== c.network &&
      ip !== this.subnetBroadcast &&
      ip !== c.gateway &&
      ip !== c.dns
    );
  }

  private learn(ip: number, mac: MacAddress): void {
    if (isGroupMac(mac)) return;
    const known = this.arpTable.get(ip);
    if (known === undefined || !macEquals(known, mac)) this.arpTable.set(ip, mac.slice());
    const wait = this.arpWaits.get(ip);
    if (wait !== undefined) {
      this.arpWaits.delete(ip);
      if (wait.timer !== undefined) this.clock.clearTimer(wait.timer);
      for (const packet of wait.packets) this.emitIpv4(mac, packet);
    }
  }

  private handleIpv4(srcMac: MacAddress, payload: Uint8Array): void {
    const parsed = parseIpv4Packet(payload, this.verify);
    if (!parsed.ok) return this.stats.drop(parsed.reason);
    const ip = parsed.value;
    // Guests send unfragmented packets on a 1500-byte link; reassembly is not worth its attack surface.
    if (ip.moreFragments || ip.fragmentOffset !== 0) return this.stats.drop('ipv4-fragment');
    const dhcpCandidate = ip.src === 0 && ip.protocol === IPPROTO_UDP;
    if (!dhcpCandidate && !this.isGuestAddress(ip.src)) return this.stats.drop('ipv4-bad-source');
    if (ip.src !== 0) this.learn(ip.src, srcMac);
    switch (ip.protocol) {
      case IPPROTO_ICMP:
        return this.handleIcmp(ip);
      case IPPROTO_UDP:
        return this.handleUdp(ip, srcMac);
      case IPPROTO_TCP: {
        if (ip.dst === 0 || isMulticastOrReserved(ip.dst) || ip.dst === this.subnetBroadcast) {
          return this.stats.drop('ipv4-unroutable');
        }
        const seg = parseTcp(ip.payload, ip.src, ip.dst, this.verify);
        if (!seg.ok) return this.stats.drop(seg.reason);
        return this.tcp.handle(ip, seg.value);
      }
      default:
        return this.stats.drop('ipv4-unsupported-protocol');
    }
  }

  private handleIcmp(ip: Ipv4Packet): void {
    const parsed = parseIcmp(ip.payload, this.verify);
    if (!parsed.ok) return this.stats.drop(parsed.reason);
    const m = parsed.value;
    if (m.type !== ICMP_ECHO_REQUEST || m.code !== 0) return this.stats.drop('icmp-unsupported');
    // Only the router's own addresses answer: pinging the outside would need raw sockets on the host.
    if (ip.dst !== this.config.gateway && ip.dst !== this.config.dns) return this.stats.drop('icmp-unsupported');
    this.sendIpv4(ip.dst, ip.src, IPPROTO_ICMP, buildEchoReply(m));
  }

  private handleUdp(ip: Ipv4Packet, srcMac: MacAddress): void {
    const parsed = parseUdp(ip.payload, ip.src, ip.dst, this.verify);
    if (!parsed.ok) return this.stats.drop(parsed.reason);
    const d = parsed.value;
    const c = this.config;
    if (d.dstPort === DHCP_SERVER_PORT && (ip.dst === IPV4_BROADCAST || ip.dst === c.gateway)) {
      return this.handleDhcp(d.payload, srcMac);
    }
    if (ip.src === 0) return this.stats.drop('ipv4-bad-source');
    if (ip.dst === c.dns && d.dstPort === DNS_PORT) {
      this.dns.handle(d.payload, (response) => {
        if (!this.closed) this.udp.sendDatagram(c.dns, DNS_PORT, ip.src, d.srcPort, response);
      });
      return;
    }
    this.udp.handle(ip, d);
  }

  private handleDhcp(payload: Uint8Array, srcMac: MacAddress): void {
    const parsed = parseDhcp(payload);
    if (!parsed.ok) return this.stats.drop(parsed.reason);
    const msg = parsed.value;
    if (!macEquals(msg.chaddr, srcMac)) return this.stats.drop('dhcp-ignored');
    const acksBefore = this.dhcp.acks;
    const reply = this.dhcp.handle(msg);
    if (reply === undefined) return this.stats.drop('dhcp-ignored');
    if (this.dhcp.acks !== acksBefore) {
      this.stats.dhcpLeases++;
      const leased = this.dhcp.leaseFor(msg.chaddr);
      if (leased !== undefined) this.learn(leased, msg.chaddr);
    }
    const c = this.config;
    const udp = buildUdp(c.gateway, reply.dstIp, DHCP_SERVER_PORT, DHCP_CLIENT_PORT, reply.message);
    this.sendIpv4(c.gateway, reply.dstIp, IPPROTO_UDP, udp, reply.dstMac);
  }

  private hostAddressFor(dst: number): string | undefined {
    const c = this.config;
    if (dst === c.gateway) return c.hostLoopback;
    if (inSubnet(dst, c.network, c.netmask)) return undefined;
    if (dst === 0 || isMulticastOrReserved(dst) || dst >>> 24 === 127) return undefined;
    return formatIpv4(dst);
  }

  /** Sends an IP packet to the guest, fragmenting to the MTU and resolving the MAC (ARP) if needed. */
  private sendIpv4(src: number, dst: number, protocol: number, payload: Uint8Array, dstMac?: MacAddress): void {
    if (this.closed) return;
    this.ipId = (this.ipId + 1) & 0xffff;
    // A large TCP segment goes whole: the guest's NIC took TSO frames (its TCP sizes them to fit 64 KiB).
    const mtu = protocol === IPPROTO_TCP && this.largeSegments ? IPV4_MAX_PACKET_SIZE : this.config.mtu;
    const packets = buildIpv4Fragments({ src, dst, protocol, id: this.ipId }, payload, mtu);
    if (packets.length === 0) return this.stats.drop('ipv4-unroutable');
    const mac = dstMac ?? (dst === IPV4_BROADCAST || dst === this.subnetBroadcast ? BROADCAST_MAC : this.arpTable.get(dst));
    if (mac !== undefined) {
      for (const p of packets) this.emitIpv4(mac, p);
      return;
    }
    this.queueForArp(dst, packets);
  }

  private queueForArp(dst: number, packets: Uint8Array[]): void {
    let wait = this.arpWaits.get(dst);
    if (wait === undefined) {
      wait = { packets: [], attempts: 0, timer: undefined };
      this.arpWaits.set(dst, wait);
      this.sendArpRequest(dst, wait);
    }
    for (const p of packets) {
      if (wait.packets.length >= this.limits.arpQueueFrames) {
        this.stats.drop('arp-queue-full');
        continue;
      }
      wait.packets.push(p);
    }
  }

  private sendArpRequest(dst: number, wait: ArpWait): void {
    wait.attempts++;
    const request = buildArp({
      op: ARP_OP_REQUEST,
      senderMac: this.gatewayMac,
      senderIp: this.config.gateway,
      targetMac: new Uint8Array(6),
      targetIp: dst,
    });
    this.emit(buildEthernet(BROADCAST_MAC, this.gatewayMac, ETHERTYPE_ARP, request));
    wait.timer = this.clock.setTimer(() => {
      wait.timer = undefined;
      if (this.arpWaits.get(dst) !== wait) return;
      if (wait.attempts < ARP_ATTEMPTS) {
        this.sendArpRequest(dst, wait);
        return;
      }
      this.arpWaits.delete(dst);
      for (let i = 0; i < wait.packets.length; i++) this.stats.drop('ipv4-unroutable');
      this.log(`net: no ARP answer from ${formatIpv4(dst)}; dropped ${wait.packets.length} packets`);
    }, ARP_RETRY_MS);
  }

  private emitIpv4(dstMac: MacAddress, packet: Uint8Array): void {
    // Packets from the DNS address come from its own MAC; everything else is routed by the gateway.
    const srcMac = readIpv4(packet, IPV4_SRC_OFFSET) === this.config.dns ? this.dnsMac : this.gatewayMac;
    this.emit(buildEthernet(dstMac, srcMac, ETHERTYPE_IPV4, packet));
  }

  private emit(frame: Uint8Array): void {
    this.stats.framesToGuest++;
    this.stats.bytesToGuest += frame.length;
    try {
      this.onFrameToGuest(frame);
    } catch (err) {
      this.log(`net: the NIC failed to take a frame: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
