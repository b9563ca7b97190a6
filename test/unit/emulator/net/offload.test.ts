// The NIC's software offloads: a finished partial checksum equals the full one, and a TSO frame cut
// into MSS frames carries the same bytes, in order, with valid headers and checksums on every piece.
import { describe, expect, it } from 'vitest';
import { pseudoHeaderSum } from '../../../../src/emulator/net/checksum.js';
import { parseEthernet } from '../../../../src/emulator/net/ethernet.js';
import { IPPROTO_TCP, parseIpv4Packet } from '../../../../src/emulator/net/ipv4.js';
import { completeChecksum, segmentTcpV4 } from '../../../../src/emulator/net/offload.js';
import { parseTcp, TCP_ACK, TCP_FIN, TCP_PSH } from '../../../../src/emulator/net/tcp-segment.js';
import { GATEWAY, GUEST, tcpFrame } from './frame-builders.js';

const ETH = 14;
const TCP_AT = ETH + 20;
const data = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

/** What a Linux guest hands a NEEDS_CSUM NIC: the pseudo-header sum, folded, not complemented. */
function partial(frame: Uint8Array): Uint8Array {
  const f = frame.slice();
  const tcpLen = ((f[ETH + 2]! << 8) | f[ETH + 3]!) - 20; // not f.length: short frames carry Ethernet padding
  let sum = pseudoHeaderSum(GUEST, GATEWAY, IPPROTO_TCP, tcpLen);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  f[TCP_AT + 16] = sum >>> 8;
  f[TCP_AT + 17] = sum & 0xff;
  return f;
}

function parse(frame: Uint8Array) {
  const eth = parseEthernet(frame);
  if (!eth.ok) throw new Error(eth.reason);
  const ip = parseIpv4Packet(eth.value.payload, true);
  if (!ip.ok) throw new Error(ip.reason);
  const tcp = parseTcp(ip.value.payload, ip.value.src, ip.value.dst, true);
  if (!tcp.ok) throw new Error(tcp.reason);
  return { ip: ip.value, tcp: tcp.value };
}

describe('completeChecksum', () => {
  it.each([0, 1, 2, 1459, 1460])('turns the pseudo-header sum into the full TCP checksum (%i data bytes)', (n) => {
    const full = tcpFrame(GATEWAY, { srcPort: 40000, dstPort: 80, seq: 7, ack: 9, flags: TCP_ACK | TCP_PSH, window: 500, payload: data(n, n) });
    const f = partial(full);
    expect(completeChecksum(f, TCP_AT, 16)).toBe(true);
    expect(f).toEqual(full);
  });

  it('refuses offsets outside the frame or misaligned', () => {
    const f = partial(tcpFrame(GATEWAY, { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: TCP_ACK, window: 1 }));
    expect(completeChecksum(f, f.length, 0)).toBe(false);
    expect(completeChecksum(f, TCP_AT, f.length)).toBe(false);
    expect(completeChecksum(f, f.length - 1, 0)).toBe(false);
    expect(completeChecksum(f, TCP_AT, 15)).toBe(false);
  });
});

describe('segmentTcpV4', () => {
  it('cuts 64000 bytes into MSS pieces: same bytes in order, seq and ids advancing, checksums valid, PSH|FIN only last', () => {
    const payload = data(64000, 3);
    const seq = 0xffff_f000; // wraps past 2^32 inside the frame
    const big = partial(tcpFrame(GATEWAY, { srcPort: 40000, dstPort: 80, seq, ack: 77, flags: TCP_ACK | TCP_PSH | TCP_FIN, window: 900, payload }));
    const pieces = segmentTcpV4(big, 1448, 1518)!;
    expect(pieces).toHaveLength(Math.ceil(64000 / 1448));
    const firstId = parse(pieces[0]!).ip.id;
    const got: number[] = [];
    pieces.forEach((p, i) => {
      const { ip, tcp } = parse(p);
      const last = i === pieces.length - 1;
      expect(p.length).toBeLessThanOrEqual(1518);
      expect(tcp.payload.length).toBe(last ? 64000 - 1448 * i : 1448);
      expect(tcp.seq).toBe((seq + 1448 * i) >>> 0);
      expect(tcp.ack).toBe(77);
      expect(tcp.window).toBe(900);
      expect(tcp.flags).toBe(last ? TCP_ACK | TCP_PSH | TCP_FIN : TCP_ACK);
      expect(ip.id).toBe((firstId + i) & 0xffff);
      got.push(...tcp.payload);
    });
    expect(Uint8Array.from(got)).toEqual(payload);
  });

  it('keeps TCP options in every piece and handles a payload of exactly one MSS', () => {
    const f = tcpFrame(GATEWAY, { srcPort: 5, dstPort: 6, seq: 100, ack: 1, flags: TCP_ACK, window: 2, mss: 1460, payload: data(1456, 1) });
    const pieces = segmentTcpV4(f, 1456, 1518)!;
    expect(pieces).toHaveLength(1);
    expect(parse(pieces[0]!).tcp.mss).toBe(1460);
    expect(pieces[0]).toEqual(f);
  });

  it('rejects frames that are not TCP/IPv4, truncated, or whose pieces would exceed the frame limit', () => {
    const f = tcpFrame(GATEWAY, { srcPort: 5, dstPort: 6, seq: 0, ack: 0, flags: TCP_ACK, window: 2, payload: data(4000, 1) });
    expect(segmentTcpV4(f.subarray(0, 1000), 1448, 1518)).toBeUndefined();
    expect(segmentTcpV4(f, 4000, 1518)).toBeUndefined();
    expect(segmentTcpV4(f, 0, 1518)).toBeUndefined();
    const udp = f.slice();
    udp[ETH + 9] = 17;
    expect(segmentTcpV4(udp, 1448, 1518)).toBeUndefined();
    const arp = f.slice();
    arp[12] = 0x08;
    arp[13] = 0x06;
    expect(segmentTcpV4(arp, 1448, 1518)).toBeUndefined();
  });
});
