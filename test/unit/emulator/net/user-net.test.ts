import { describe, expect, it } from 'vitest';
import { ARP_OP_REPLY, ARP_OP_REQUEST, buildArp, parseArp } from '../../../../src/emulator/net/arp.js';
import { messageType, parseDhcp, DHCPOFFER } from '../../../../src/emulator/net/dhcp-message.js';
import { BROADCAST_MAC, buildEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, formatMac, parseEthernet } from '../../../../src/emulator/net/ethernet.js';
import { ICMP_ECHO_REPLY, parseIcmp } from '../../../../src/emulator/net/icmp.js';
import { formatIpv4, parseIpv4 } from '../../../../src/emulator/net/ip-address.js';
import { buildIpv4, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, parseIpv4Packet } from '../../../../src/emulator/net/ipv4.js';
import type { EthernetLink } from '../../../../src/emulator/devices/virtio/net.js';
import { parseTcp, TCP_ACK, TCP_PSH, TCP_RST, TCP_SYN } from '../../../../src/emulator/net/tcp-segment.js';
import { parseUdp } from '../../../../src/emulator/net/udp.js';
import { UserNet, type UserNetOptions } from '../../../../src/emulator/net/user-net.js';
import { ARP_REQUEST, DHCP_DISCOVER, DNS_QUERY_A, ICMP_ECHO, TCP_DATA, TCP_SYN as SYN_FRAME } from './fixtures/guest-frames.js';
import { DNS_IP, GATEWAY, GATEWAY_MAC, GUEST, GUEST_MAC, ipFrame, tcpFrame, udpFrame } from './frame-builders.js';
import { ManualClock } from './manual-clock.js';
import { RecordedTcpSocket, RecordingHost } from './recording-host.js';

function setup(opts: Partial<UserNetOptions> = {}) {
  const host = (opts.host as RecordingHost | undefined) ?? new RecordingHost();
  const clock = new ManualClock();
  const logs: string[] = [];
  const net = new UserNet({ host, clock, log: (m) => logs.push(m), ...opts });
  const out: Uint8Array[] = [];
  net.onFrameToGuest = (f) => out.push(f);
  const take = () => out.splice(0);
  return { net, host, clock, out, take, logs };
}

function decode(frame: Uint8Array) {
  const eth = parseEthernet(frame);
  if (!eth.ok) throw new Error(eth.reason);
  const e = eth.value;
  if (e.etherType === ETHERTYPE_ARP) {
    const a = parseArp(e.payload);
    if (!a.ok) throw new Error(a.reason);
    return { eth: e, arp: a.value };
  }
  const ip = parseIpv4Packet(e.payload);
  if (!ip.ok) throw new Error(ip.reason);
  const p = ip.value;
  if (p.moreFragments || p.fragmentOffset > 0) return { eth: e, ip: p };
  const tcp = p.protocol === IPPROTO_TCP ? parseTcp(p.payload, p.src, p.dst) : undefined;
  const udp = p.protocol === IPPROTO_UDP ? parseUdp(p.payload, p.src, p.dst) : undefined;
  const icmp = p.protocol === IPPROTO_ICMP ? parseIcmp(p.payload) : undefined;
  if (tcp && !tcp.ok) throw new Error(tcp.reason);
  if (udp && !udp.ok) throw new Error(udp.reason);
  if (icmp && !icmp.ok) throw new Error(icmp.reason);
  return { eth: e, ip: p, tcp: tcp?.ok ? tcp.value : undefined, udp: udp?.ok ? udp.value : undefined, icmp: icmp?.ok ? icmp.value : undefined };
}

describe('UserNet: the router\'s own services', () => {
  it('answers ARP for the gateway and the DNS address', () => {
    const t = setup();
    t.net.receiveFromGuest(ARP_REQUEST);
    const [reply] = t.take().map(decode);
    expect(reply!.arp).toMatchObject({ op: ARP_OP_REPLY, senderIp: GATEWAY, targetIp: GUEST });
    expect(formatMac(reply!.arp!.senderMac)).toBe('52:55:0a:00:02:02');
    expect(formatMac(reply!.eth.dst)).toBe('ca:a2:ab:c1:4b:a5');
    const forDns = buildArp({ op: ARP_OP_REQUEST, senderMac: GUEST_MAC, senderIp: GUEST, targetMac: new Uint8Array(6), targetIp: DNS_IP });
    t.net.receiveFromGuest(buildEthernet(BROADCAST_MAC, GUEST_MAC, ETHERTYPE_ARP, forDns));
    expect(formatMac(decode(t.take()[0]!).arp!.senderMac)).toBe('52:55:0a:00:02:03');
    // Nobody else's address is answered.
    const other = buildArp({ op: ARP_OP_REQUEST, senderMac: GUEST_MAC, senderIp: GUEST, targetMac: new Uint8Array(6), targetIp: parseIpv4('10.0.2.9')! });
    t.net.receiveFromGuest(buildEthernet(BROADCAST_MAC, GUEST_MAC, ETHERTYPE_ARP, other));
    expect(t.take()).toEqual([]);
  });

  it('answers a captured ping to the gateway', () => {
    const t = setup();
    t.net.receiveFromGuest(ICMP_ECHO);
    const [r] = t.take().map(decode);
    expect(r!.icmp!.type).toBe(ICMP_ECHO_REPLY);
    expect(r!.ip).toMatchObject({ src: GATEWAY, dst: GUEST });
    expect(formatMac(r!.eth.dst)).toBe('ca:a2:ab:c1:4b:a5'); // learned from the request
  });

  it('offers a lease to a captured DISCOVER', () => {
    const t = setup({ config: { hostname: 'box' } });
    t.net.receiveFromGuest(DHCP_DISCOVER);
    const [r] = t.take().map(decode);
    expect(r!.udp).toMatchObject({ srcPort: 67, dstPort: 68 });
    const m = parseDhcp(r!.udp!.payload);
    expect(m.ok && messageType(m.value)).toBe(DHCPOFFER);
    expect(m.ok && formatIpv4(m.value.yiaddr)).toBe('10.0.2.15');
  });

  it('answers a captured DNS query from 10.0.2.3 through the injected resolver', async () => {
    const host = new RecordingHost(async (name) => ({ status: 'ok', answers: [{ type: 'A', name, value: '127.0.0.1', ttl: 5 }] }));
    const t = setup({ host });
    t.net.receiveFromGuest(DNS_QUERY_A);
    await new Promise((r) => setTimeout(r, 0));
    const [r] = t.take().map(decode);
    expect(r!.ip).toMatchObject({ src: DNS_IP, dst: GUEST });
    expect(formatMac(r!.eth.src)).toBe('52:55:0a:00:02:03');
    expect(r!.udp!.srcPort).toBe(53);
    expect(Buffer.from(r!.udp!.payload).subarray(-4).toString('hex')).toBe('7f000001');
  });
});

describe('UserNet: NAT', () => {
  it('connects to the host loopback for the gateway and answers SYN-ACK only once connected', () => {
    const t = setup();
    t.net.receiveFromGuest(SYN_FRAME);
    expect(t.host.tcp.map((s) => `${s.ip}:${s.port}`)).toEqual([`127.0.0.1:${decode(SYN_FRAME).tcp!.dstPort}`]);
    expect(t.take()).toEqual([]);
    t.host.tcp[0]!.handlers!.onConnect();
    const [synAck] = t.take().map(decode);
    expect(synAck!.tcp!.flags).toBe(TCP_SYN | TCP_ACK);
    expect(synAck!.tcp!.ack).toBe((decode(SYN_FRAME).tcp!.seq + 1) >>> 0);
    expect(t.net.stats.tcpConnectionsOpened).toBe(1);
  });

  it('takes a 60000-byte TSO segment in one frame through its EthernetLink face and passes it on byte-exact', () => {
    const t = setup();
    const link: EthernetLink = t.net;
    expect(link.acceptsLargeSegments).toBe(true);
    link.connect((f) => t.out.push(f));
    link.transmit(tcpFrame(GATEWAY, { srcPort: 40001, dstPort: 8000, seq: 100, ack: 0, flags: TCP_SYN, window: 65535, mss: 1460 }));
    t.host.tcp[0]!.handlers!.onConnect();
    const synAck = decode(t.take()[0]!).tcp!;
    const ack = (synAck.seq + 1) >>> 0;
    link.transmit(tcpFrame(GATEWAY, { srcPort: 40001, dstPort: 8000, seq: 101, ack, flags: TCP_ACK, window: 65535 }));
    const data = Uint8Array.from({ length: 60_000 }, (_, i) => (i * 31) & 0xff);
    link.transmit(tcpFrame(GATEWAY, { srcPort: 40001, dstPort: 8000, seq: 101, ack, flags: TCP_ACK | TCP_PSH, window: 65535, payload: data }));
    expect(Uint8Array.from(t.host.tcp[0]!.written)).toEqual(data);
    const acks = t.take().map((f) => decode(f).tcp!);
    expect(acks.at(-1)!.ack).toBe(101 + 60_000);
    expect(t.net.stats.totalDropped).toBe(0);
  });

  it('sends the guest large TCP segments, unfragmented, only while its NIC says it takes them', () => {
    const t = setup();
    t.net.guestTakesLargeSegments(true);
    t.net.receiveFromGuest(tcpFrame(GATEWAY, { srcPort: 40002, dstPort: 8000, seq: 100, ack: 0, flags: TCP_SYN, window: 65535, mss: 1460 }));
    const sock = t.host.tcp[0]!;
    sock.handlers!.onConnect();
    const ack = (decode(t.take()[0]!).tcp!.seq + 1) >>> 0;
    t.net.receiveFromGuest(tcpFrame(GATEWAY, { srcPort: 40002, dstPort: 8000, seq: 101, ack, flags: TCP_ACK, window: 65535 }));
    const data = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 13) & 0xff);
    sock.handlers!.onData(data);
    const big = t.take().map(decode);
    expect(big.length).toBeGreaterThan(0);
    expect(big.every((f) => !f.ip!.moreFragments && f.ip!.fragmentOffset === 0)).toBe(true);
    expect(big[0]!.tcp!.payload.length).toBeGreaterThan(1460);
    expect(big[0]!.tcp!.payload.length % 1460).toBe(0);
    let got = big.flatMap((f) => [...f.tcp!.payload]);
    t.net.guestTakesLargeSegments(false);
    t.net.receiveFromGuest(tcpFrame(GATEWAY, { srcPort: 40002, dstPort: 8000, seq: 101, ack: (ack + got.length) >>> 0, flags: TCP_ACK, window: 65535 }));
    const small = t.take().map(decode);
    expect(small.length).toBeGreaterThan(0);
    expect(small.every((f) => f.tcp!.payload.length <= 1460 && f.eth.payload.length <= 1500)).toBe(true);
    got = [...got, ...small.flatMap((f) => [...f.tcp!.payload])];
    expect(Uint8Array.from(got)).toEqual(data.subarray(0, got.length));
  });

  it('sends a forwarded connection\'s waiting request with the handshake\'s ACK when the socket can hand it over at once', () => {
    const t = setup({ config: { guestMac: '02:00:00:00:00:15' } });
    const request = new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n');
    const socket = new (class extends RecordedTcpSocket {
      resumeNow(): void {
        this.paused = false;
        this.handlers!.onData(request);
      }
    })('127.0.0.1', 5555);
    t.net.acceptTcpForward(socket, 80);
    const syn = decode(t.take()[0]!);
    expect(syn.tcp!.flags).toBe(TCP_SYN);
    const s = syn.tcp!;
    t.net.receiveFromGuest(
      tcpFrame(GATEWAY, { srcPort: 80, dstPort: s.srcPort, seq: 9000, ack: (s.seq + 1) >>> 0, flags: TCP_SYN | TCP_ACK, window: 65535, mss: 1460 }, GUEST),
    );
    const segs = t.take().map((f) => decode(f).tcp!);
    const data = segs.find((x) => x.payload.length > 0);
    expect(data).toBeDefined();
    expect(data!.ack).toBe(9001);
    expect(new TextDecoder().decode(data!.payload)).toBe('GET / HTTP/1.0\r\n\r\n');
    expect(socket.paused).toBe(false);
  });

  it('resets the guest when the host refuses', () => {
    const t = setup();
    t.net.receiveFromGuest(SYN_FRAME);
    t.host.tcp[0]!.handlers!.onClose('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1');
    const [rst] = t.take().map(decode);
    expect(rst!.tcp!.flags).toBe(TCP_RST | TCP_ACK);
    expect(t.net.tcpConnectionCount).toBe(0);
  });

  it('resets segments that belong to no connection and SYNs to unroutable addresses', () => {
    const t = setup();
    t.net.receiveFromGuest(TCP_DATA);
    const [rst] = t.take().map(decode);
    const data = decode(TCP_DATA).tcp!;
    expect(rst!.tcp).toMatchObject({ flags: TCP_RST, seq: data.ack });
    t.net.receiveFromGuest(tcpFrame(parseIpv4('10.0.2.9')!, { srcPort: 1234, dstPort: 80, seq: 1, ack: 0, flags: TCP_SYN, window: 1000 }));
    expect(decode(t.take()[0]!).tcp!.flags).toBe(TCP_RST | TCP_ACK);
    expect(t.net.stats.dropped['tcp-unroutable']).toBe(1);
    expect(t.host.tcp).toEqual([]);
  });

  it('caps a SYN flood at the pending-connect limit', () => {
    const t = setup({ limits: { maxPendingConnects: 16 } });
    for (let port = 1; port <= 40; port++) {
      t.net.receiveFromGuest(tcpFrame(GATEWAY, { srcPort: 30000 + port, dstPort: port, seq: port, ack: 0, flags: TCP_SYN, window: 1000 }));
    }
    expect(t.host.tcp.length).toBe(16);
    expect(t.net.stats.dropped['tcp-connection-limit']).toBe(24);
    expect(t.take().map(decode).every((f) => f.tcp!.flags === (TCP_RST | TCP_ACK))).toBe(true);
    // Connect timeouts free the slots.
    t.clock.advance(30_000);
    expect(t.net.tcpConnectionCount).toBe(0);
    expect(t.host.tcp.every((s) => s.wasReset)).toBe(true);
  });

  it('proxies UDP to outside addresses and relays only the destination\'s replies', () => {
    const t = setup();
    const dst = parseIpv4('198.51.100.7')!;
    t.net.receiveFromGuest(udpFrame(dst, 5555, 9999, new TextEncoder().encode('ping')));
    t.net.receiveFromGuest(udpFrame(dst, 5555, 9999, new TextEncoder().encode('again')));
    expect(t.host.udp.length).toBe(1);
    const sock = t.host.udp[0]!;
    expect(sock.sent.map((s) => `${s.ip}:${s.port} ${new TextDecoder().decode(s.data)}`)).toEqual([
      '198.51.100.7:9999 ping',
      '198.51.100.7:9999 again',
    ]);
    sock.handlers!.onMessage(new TextEncoder().encode('pong'), '198.51.100.7', 9999);
    sock.handlers!.onMessage(new TextEncoder().encode('spoof'), '203.0.113.1', 9999);
    const frames = t.take().map(decode);
    expect(frames.length).toBe(1);
    expect(frames[0]!.ip).toMatchObject({ src: dst, dst: GUEST });
    expect(frames[0]!.udp).toMatchObject({ srcPort: 9999, dstPort: 5555 });
    // Idle flows close.
    t.clock.advance(60_000);
    expect(sock.closed).toBe(true);
  });

  it('fragments a large host datagram to the guest MTU', () => {
    const t = setup();
    t.net.receiveFromGuest(udpFrame(GATEWAY, 5555, 7000, new Uint8Array(4)));
    t.host.udp[0]!.handlers!.onMessage(new Uint8Array(4000).fill(7), '127.0.0.1', 7000);
    const frames = t.take().map(decode);
    expect(frames.length).toBe(3);
    expect(frames.every((f) => f.eth.payload.length <= 1500)).toBe(true);
    expect(frames.map((f) => f.ip!.fragmentOffset)).toEqual([0, 1480, 2960]);
    const whole = Uint8Array.from(Buffer.concat(frames.map((f) => f.ip!.payload)));
    const udp = parseUdp(whole, GATEWAY, GUEST);
    expect(udp.ok && udp.value.payload).toEqual(new Uint8Array(4000).fill(7));
  });

  it('relays a UDP forward per peer, resolving the guest MAC by ARP first', () => {
    const t = setup();
    const replies: string[] = [];
    const fwd = t.net.openUdpForward(53, (d, ip, port) => replies.push(`${ip}:${port} ${new TextDecoder().decode(d)}`));
    fwd.deliver(new TextEncoder().encode('q1'), '127.0.0.1', 40001);
    const [arp] = t.take().map(decode);
    expect(arp!.arp).toMatchObject({ op: ARP_OP_REQUEST, targetIp: GUEST });
    const answer = buildArp({ op: ARP_OP_REPLY, senderMac: GUEST_MAC, senderIp: GUEST, targetMac: GATEWAY_MAC, targetIp: GATEWAY });
    t.net.receiveFromGuest(buildEthernet(GATEWAY_MAC, GUEST_MAC, ETHERTYPE_ARP, answer));
    const [q] = t.take().map(decode);
    expect(q!.udp).toMatchObject({ dstPort: 53 });
    expect(formatMac(q!.eth.dst)).toBe('02:00:00:00:00:15');
    t.net.receiveFromGuest(udpFrame(GATEWAY, 53, q!.udp!.srcPort, new TextEncoder().encode('a1')));
    expect(replies).toEqual(['127.0.0.1:40001 a1']);
    expect(t.host.udp).toEqual([]); // the answer went to the peer, not out as a new flow
  });
});

describe('UserNet: hostile frames', () => {
  it('drops and counts what it cannot route', () => {
    const t = setup();
    const spoofed = ipFrame(parseIpv4('192.168.1.1')!, GATEWAY, IPPROTO_UDP, new Uint8Array(8));
    t.net.receiveFromGuest(spoofed);
    expect(t.net.stats.dropped['ipv4-bad-source']).toBe(1);
    const frag = buildIpv4({ src: GUEST, dst: GATEWAY, protocol: IPPROTO_UDP, id: 1 }, new Uint8Array(16));
    frag[6] = 0x20; // more fragments
    frag[10] = 0;
    frag[11] = 0;
    t.net.receiveFromGuest(buildEthernet(GATEWAY_MAC, GUEST_MAC, ETHERTYPE_IPV4, frag));
    expect(t.net.stats.dropped['ipv4-bad-checksum']).toBe(1);
    const fragOk = buildIpv4({ src: GUEST, dst: GATEWAY, protocol: IPPROTO_UDP, id: 1 }, new Uint8Array(16));
    fragOk[6] = 0x20;
    const sum = ((): number => {
      fragOk[10] = 0;
      fragOk[11] = 0;
      let s = 0;
      for (let i = 0; i < 20; i += 2) s += (fragOk[i]! << 8) | fragOk[i + 1]!;
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      return ~s & 0xffff;
    })();
    fragOk[10] = sum >> 8;
    fragOk[11] = sum & 0xff;
    t.net.receiveFromGuest(buildEthernet(GATEWAY_MAC, GUEST_MAC, ETHERTYPE_IPV4, fragOk));
    expect(t.net.stats.dropped['ipv4-fragment']).toBe(1);
    t.net.receiveFromGuest(buildEthernet(GATEWAY_MAC, GUEST_MAC, ETHERTYPE_IPV6, new Uint8Array(40)));
    expect(t.net.stats.dropped['eth-unsupported-type']).toBe(1);
    t.net.receiveFromGuest(buildEthernet(Uint8Array.from([2, 9, 9, 9, 9, 9]), GUEST_MAC, ETHERTYPE_IPV4, new Uint8Array(40)));
    expect(t.net.stats.dropped['eth-not-for-us']).toBe(1);
    t.net.receiveFromGuest(ipFrame(GUEST, parseIpv4('8.8.8.8')!, IPPROTO_ICMP, ICMP_ECHO.subarray(34)));
    expect(t.net.stats.dropped['icmp-unsupported']).toBe(1);
    expect(t.take()).toEqual([]);
  });

  it('survives random and mutated frames without an exception and without touching real sockets', () => {
    const t = setup();
    // xorshift32: a fixed seed makes a failure reproducible.
    let x = 0x9e3779b9;
    const rand = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 0x1_0000_0000;
    };
    const seeds = [ARP_REQUEST, DHCP_DISCOVER, DNS_QUERY_A, ICMP_ECHO, SYN_FRAME, TCP_DATA];
    const verifyOff = setup({ verifyChecksums: false });
    for (let i = 0; i < 20_000; i++) {
      let frame: Uint8Array;
      if (i % 4 === 0) {
        frame = Uint8Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256));
      } else {
        const base = seeds[i % seeds.length]!;
        frame = base.slice(0, Math.max(0, base.length - (rand() < 0.3 ? Math.floor(rand() * base.length) : 0)));
        const flips = 1 + Math.floor(rand() * 4);
        for (let k = 0; k < flips && frame.length > 0; k++) frame[Math.floor(rand() * frame.length)] = Math.floor(rand() * 256);
      }
      t.net.receiveFromGuest(frame);
      verifyOff.net.receiveFromGuest(frame);
      if (i % 1000 === 0) {
        t.clock.advance(5000);
        verifyOff.clock.advance(5000);
      }
    }
    expect(t.net.stats.dropped['internal-error']).toBe(0);
    expect(verifyOff.net.stats.dropped['internal-error']).toBe(0);
    expect(t.net.stats.totalDropped).toBeGreaterThan(10_000);
    expect(verifyOff.logs.filter((l) => l.includes('internal error'))).toEqual([]);
    t.net.close();
    verifyOff.net.close();
    expect(t.clock.pendingTimers).toBe(0);
    expect(verifyOff.clock.pendingTimers).toBe(0);
  });
});
