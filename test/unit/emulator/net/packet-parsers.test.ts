import { describe, expect, it } from 'vitest';
import { ARP_OP_REQUEST, ARP_PACKET_SIZE, buildArp, parseArp } from '../../../../src/emulator/net/arp.js';
import {
  buildEthernet,
  ETH_HEADER_SIZE,
  ETH_MIN_FRAME_SIZE,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  formatMac,
  parseEthernet,
  parseMac,
  virtualHostMac,
} from '../../../../src/emulator/net/ethernet.js';
import { buildDestUnreachable, buildEchoReply, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, parseIcmp } from '../../../../src/emulator/net/icmp.js';
import { formatIpv4, parseIpv4, parseIpv6 } from '../../../../src/emulator/net/ip-address.js';
import { buildIpv4, buildIpv4Fragments, IPPROTO_ICMP, IPPROTO_UDP, IPV4_HEADER_SIZE, parseIpv4Packet } from '../../../../src/emulator/net/ipv4.js';
import { buildUdp, parseUdp } from '../../../../src/emulator/net/udp.js';
import { ARP_REQUEST, DNS_QUERY_A, ICMP_ECHO } from './fixtures/guest-frames.js';

const GUEST = parseIpv4('10.0.2.15')!;
const GATEWAY = parseIpv4('10.0.2.2')!;
const DNS = parseIpv4('10.0.2.3')!;

function ok<T>(r: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!r.ok) throw new Error(`parse failed: ${r.reason}`);
  return r.value;
}

describe('addresses', () => {
  it('parses and formats dotted quads, rejecting junk', () => {
    expect(parseIpv4('10.0.2.15')).toBe(0x0a00020f);
    expect(formatIpv4(0xc0a80001)).toBe('192.168.0.1');
    for (const bad of ['10.0.2', '10.0.2.256', '1.2.3.4.5', 'a.b.c.d', '1..2.3', ' 1.2.3.4']) expect(parseIpv4(bad)).toBeUndefined();
  });

  it('parses IPv6 text with :: and an embedded IPv4 address', () => {
    expect(Buffer.from(parseIpv6('::1')!).toString('hex')).toBe('00000000000000000000000000000001');
    expect(Buffer.from(parseIpv6('2001:db8::8:800:200c:417a')!).toString('hex')).toBe('20010db8000000000008080020 0c417a'.replace(' ', ''));
    expect(Buffer.from(parseIpv6('::ffff:192.0.2.128')!).toString('hex')).toBe('00000000000000000000ffffc0000280');
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7']) expect(parseIpv6(bad)).toBeUndefined();
  });

  it('parses MAC addresses and derives slirp-style virtual host MACs', () => {
    expect(formatMac(parseMac('52:54:00:12:34:56')!)).toBe('52:54:00:12:34:56');
    expect(parseMac('52:54:00:12:34')).toBeUndefined();
    expect(formatMac(virtualHostMac(GATEWAY))).toBe('52:55:0a:00:02:02');
  });
});

describe('ethernet', () => {
  it('parses a captured frame', () => {
    const eth = ok(parseEthernet(ARP_REQUEST));
    expect(formatMac(eth.dst)).toBe('ff:ff:ff:ff:ff:ff');
    expect(formatMac(eth.src)).toBe('ca:a2:ab:c1:4b:a5');
    expect(eth.etherType).toBe(ETHERTYPE_ARP);
    expect(eth.payload.length).toBe(ARP_REQUEST.length - ETH_HEADER_SIZE);
  });

  it('drops truncated frames and 802.3 length fields', () => {
    expect(parseEthernet(ARP_REQUEST.subarray(0, 13))).toEqual({ ok: false, reason: 'eth-truncated' });
    const lengthFrame = ARP_REQUEST.slice();
    lengthFrame[12] = 0x00;
    lengthFrame[13] = 0x40;
    expect(parseEthernet(lengthFrame)).toEqual({ ok: false, reason: 'eth-unsupported-type' });
  });

  it('pads short frames to the minimum size', () => {
    const f = buildEthernet(virtualHostMac(GATEWAY), virtualHostMac(DNS), ETHERTYPE_IPV4, new Uint8Array(10));
    expect(f.length).toBe(ETH_MIN_FRAME_SIZE);
  });
});

describe('arp', () => {
  it('parses a captured request and round-trips a built one', () => {
    const p = ok(parseArp(ARP_REQUEST.subarray(ETH_HEADER_SIZE)));
    expect(p.op).toBe(ARP_OP_REQUEST);
    expect(formatIpv4(p.senderIp)).toBe('10.0.2.15');
    expect(formatIpv4(p.targetIp)).toBe('10.0.2.2');
    expect(formatMac(p.senderMac)).toBe('ca:a2:ab:c1:4b:a5');
    expect(buildArp(p)).toEqual(ARP_REQUEST.slice(ETH_HEADER_SIZE, ETH_HEADER_SIZE + ARP_PACKET_SIZE));
  });

  it('drops truncated, non-IPv4 and unknown-op packets', () => {
    const body = ARP_REQUEST.slice(ETH_HEADER_SIZE);
    expect(parseArp(body.subarray(0, ARP_PACKET_SIZE - 1)).ok).toBe(false);
    const v6 = body.slice();
    v6[2] = 0x86;
    expect(parseArp(v6).ok).toBe(false);
    const op = body.slice();
    op[7] = 9;
    expect(parseArp(op).ok).toBe(false);
  });
});

describe('ipv4', () => {
  it('parses a captured packet and verifies its header checksum', () => {
    const ip = ok(parseIpv4Packet(ICMP_ECHO.subarray(ETH_HEADER_SIZE)));
    expect(ip.protocol).toBe(IPPROTO_ICMP);
    expect(formatIpv4(ip.src)).toBe('10.0.2.15');
    expect(formatIpv4(ip.dst)).toBe('10.0.2.2');
    expect(ip.dontFragment).toBe(true);
    expect(ip.payload.length).toBe(64);
  });

  it('cuts Ethernet padding off using the total length', () => {
    const padded = new Uint8Array(ICMP_ECHO.length - ETH_HEADER_SIZE + 20);
    padded.set(ICMP_ECHO.subarray(ETH_HEADER_SIZE));
    expect(ok(parseIpv4Packet(padded)).payload.length).toBe(64);
  });

  it('drops bad versions, header lengths, total lengths and checksums', () => {
    const base = ICMP_ECHO.slice(ETH_HEADER_SIZE);
    const mutate = (f: (b: Uint8Array) => void) => {
      const b = base.slice();
      f(b);
      return parseIpv4Packet(b);
    };
    expect(mutate((b) => (b[0] = 0x65))).toEqual({ ok: false, reason: 'ipv4-malformed' });
    expect(mutate((b) => (b[0] = 0x44))).toEqual({ ok: false, reason: 'ipv4-malformed' });
    // A header (60 bytes) longer than the whole packet's total length (40).
    expect(mutate((b) => ((b[0] = 0x4f), (b[2] = 0), (b[3] = 40)))).toEqual({ ok: false, reason: 'ipv4-malformed' });
    expect(mutate((b) => (b[2] = 0xff))).toEqual({ ok: false, reason: 'ipv4-malformed' });
    expect(mutate((b) => (b[3] = 0x05))).toEqual({ ok: false, reason: 'ipv4-malformed' });
    expect(mutate((b) => (b[8] = 1))).toEqual({ ok: false, reason: 'ipv4-bad-checksum' });
    expect(parseIpv4Packet(base.subarray(0, 19))).toEqual({ ok: false, reason: 'ipv4-malformed' });
  });

  it('builds packets that parse back, and fragments on 8-byte boundaries', () => {
    const payload = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
    const one = ok(parseIpv4Packet(buildIpv4({ src: GATEWAY, dst: GUEST, protocol: IPPROTO_UDP, id: 7 }, payload)));
    expect(one.payload).toEqual(payload);
    const frags = buildIpv4Fragments({ src: GATEWAY, dst: GUEST, protocol: IPPROTO_UDP, id: 9 }, payload, 1500);
    expect(frags.length).toBe(3);
    const parsed = frags.map((f) => ok(parseIpv4Packet(f)));
    expect(parsed.map((p) => p.fragmentOffset)).toEqual([0, 1480, 2960]);
    expect(parsed.map((p) => p.moreFragments)).toEqual([true, true, false]);
    expect(parsed.every((p) => p.id === 9 && p.headerLength + p.payload.length <= 1500)).toBe(true);
    const joined = Buffer.concat(parsed.map((p) => p.payload));
    expect(new Uint8Array(joined)).toEqual(payload);
    expect(buildIpv4Fragments({ src: GATEWAY, dst: GUEST, protocol: IPPROTO_UDP, id: 1, dontFragment: true }, payload, 1500)).toEqual([]);
    expect(IPV4_HEADER_SIZE).toBe(20);
  });
});

describe('icmp', () => {
  it('answers a captured echo request with a matching reply', () => {
    const ip = ok(parseIpv4Packet(ICMP_ECHO.subarray(ETH_HEADER_SIZE)));
    const req = ok(parseIcmp(ip.payload));
    expect(req.type).toBe(ICMP_ECHO_REQUEST);
    const reply = ok(parseIcmp(buildEchoReply(req)));
    expect(reply.type).toBe(ICMP_ECHO_REPLY);
    expect(reply.rest).toEqual(req.rest);
    expect(reply.data).toEqual(req.data);
  });

  it('drops short messages and bad checksums; quotes header + 8 bytes in unreachables', () => {
    const ip = ok(parseIpv4Packet(ICMP_ECHO.subarray(ETH_HEADER_SIZE)));
    expect(parseIcmp(ip.payload.subarray(0, 7))).toEqual({ ok: false, reason: 'icmp-malformed' });
    const bad = ip.payload.slice();
    bad[10] ^= 1;
    expect(parseIcmp(bad)).toEqual({ ok: false, reason: 'icmp-bad-checksum' });
    const unreach = ok(parseIcmp(buildDestUnreachable(3, ip.header, ip.payload)));
    expect(unreach.data.length).toBe(ip.header.length + 8);
  });
});

describe('udp', () => {
  it('parses a captured DNS query and verifies its checksum', () => {
    const ip = ok(parseIpv4Packet(DNS_QUERY_A.subarray(ETH_HEADER_SIZE)));
    const d = ok(parseUdp(ip.payload, ip.src, ip.dst));
    expect(d.dstPort).toBe(53);
    expect(d.payload.length).toBe(ip.payload.length - 8);
    const bad = ip.payload.slice();
    bad[bad.length - 1] ^= 0x40;
    expect(parseUdp(bad, ip.src, ip.dst)).toEqual({ ok: false, reason: 'udp-bad-checksum' });
  });

  it('accepts checksum 0 (none) and rejects impossible lengths', () => {
    const built = buildUdp(GUEST, GATEWAY, 1000, 2000, new Uint8Array([1, 2, 3]));
    expect(ok(parseUdp(built, GUEST, GATEWAY)).payload).toEqual(new Uint8Array([1, 2, 3]));
    const none = built.slice();
    none[6] = 0;
    none[7] = 0;
    none[8] = 99; // corrupt the data: no checksum means no complaint
    expect(ok(parseUdp(none, GUEST, GATEWAY)).payload[0]).toBe(99);
    const long = built.slice();
    long[5] = 200;
    expect(parseUdp(long, GUEST, GATEWAY)).toEqual({ ok: false, reason: 'udp-malformed' });
    const short = built.slice();
    short[5] = 4;
    expect(parseUdp(short, GUEST, GATEWAY)).toEqual({ ok: false, reason: 'udp-malformed' });
  });
});
