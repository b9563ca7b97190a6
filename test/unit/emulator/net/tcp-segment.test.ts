import { describe, expect, it } from 'vitest';
import { ETH_HEADER_SIZE } from '../../../../src/emulator/net/ethernet.js';
import { parseIpv4 } from '../../../../src/emulator/net/ip-address.js';
import { parseIpv4Packet } from '../../../../src/emulator/net/ipv4.js';
import {
  buildTcp,
  parseTcp,
  segmentLength,
  seqAdd,
  seqDiff,
  seqGt,
  seqLt,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_SYN,
  windowScaleFor,
} from '../../../../src/emulator/net/tcp-segment.js';
import { TCP_DATA, TCP_SYN as SYN_FRAME } from './fixtures/guest-frames.js';

const GUEST = parseIpv4('10.0.2.15')!;
const GATEWAY = parseIpv4('10.0.2.2')!;

function tcpOf(frame: Uint8Array) {
  const ip = parseIpv4Packet(frame.subarray(ETH_HEADER_SIZE));
  if (!ip.ok) throw new Error(ip.reason);
  return { ip: ip.value, seg: parseTcp(ip.value.payload, ip.value.src, ip.value.dst) };
}

describe('tcp segments', () => {
  it('parses a captured SYN with its MSS and window scale options', () => {
    const { seg } = tcpOf(SYN_FRAME);
    if (!seg.ok) throw new Error(seg.reason);
    expect(seg.value.flags).toBe(TCP_SYN);
    expect(seg.value.mss).toBe(1460);
    expect(seg.value.wscale).toBeGreaterThanOrEqual(0);
    expect(seg.value.payload.length).toBe(0);
    expect(segmentLength(seg.value)).toBe(1);
  });

  it('parses a captured data segment', () => {
    const { seg } = tcpOf(TCP_DATA);
    if (!seg.ok) throw new Error(seg.reason);
    expect(seg.value.flags).toBe(TCP_ACK | TCP_PSH);
    expect(new TextDecoder().decode(seg.value.payload)).toMatch(/^GET \/x HTTP\/1\.1\r\n/);
  });

  it('rejects bad checksums, short headers, data offsets past the end and broken options', () => {
    const { ip } = tcpOf(SYN_FRAME);
    const mutate = (f: (b: Uint8Array) => void, verify = false) => {
      const b = ip.payload.slice();
      f(b);
      return parseTcp(b, ip.src, ip.dst, verify);
    };
    expect(mutate((b) => (b[20] ^= 1), true)).toEqual({ ok: false, reason: 'tcp-bad-checksum' });
    expect(parseTcp(ip.payload.subarray(0, 19), ip.src, ip.dst)).toEqual({ ok: false, reason: 'tcp-malformed' });
    expect(mutate((b) => (b[12] = 0x40))).toEqual({ ok: false, reason: 'tcp-malformed' }); // offset 16 bytes
    expect(mutate((b) => (b[12] = 0xf0))).toEqual({ ok: false, reason: 'tcp-malformed' }); // 60 > segment
    expect(mutate((b) => (b[21] = 0))).toEqual({ ok: false, reason: 'tcp-malformed' }); // option length 0
    expect(mutate((b) => (b[21] = 40))).toEqual({ ok: false, reason: 'tcp-malformed' }); // option runs past header
  });

  it('builds segments with options that parse back with a valid checksum', () => {
    const payload = new TextEncoder().encode('hello');
    const bytes = buildTcp(GATEWAY, GUEST, {
      srcPort: 80,
      dstPort: 40000,
      seq: 0xfffffff0,
      ack: 12345,
      flags: TCP_SYN | TCP_ACK,
      window: 65535,
      mss: 1460,
      wscale: 7,
      payload,
    });
    const seg = parseTcp(bytes, GATEWAY, GUEST);
    if (!seg.ok) throw new Error(seg.reason);
    expect(seg.value).toMatchObject({ srcPort: 80, dstPort: 40000, seq: 0xfffffff0, ack: 12345, window: 65535, mss: 1460, wscale: 7 });
    expect(seg.value.payload).toEqual(payload);
    expect(parseTcp(bytes, GATEWAY, GATEWAY).ok).toBe(false); // pseudo-header covers the addresses
  });

  it('clamps window scale shifts above 14 (RFC 7323 §2.3)', () => {
    const bytes = buildTcp(GATEWAY, GUEST, { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: TCP_SYN, window: 0, wscale: 30 });
    const seg = parseTcp(bytes, GATEWAY, GUEST);
    expect(seg.ok && seg.value.wscale).toBe(14);
  });

  it('picks the smallest window scale that expresses a buffer size', () => {
    expect([65535, 65536, 131070, 131072, 1 << 20, 2 ** 31].map(windowScaleFor)).toEqual([0, 1, 1, 2, 5, 14]);
  });

  it('compares sequence numbers modulo 2^32', () => {
    expect(seqLt(0xfffffff0, 0x10)).toBe(true);
    expect(seqGt(0x10, 0xfffffff0)).toBe(true);
    expect(seqDiff(0x10, 0xfffffff0)).toBe(0x20);
    expect(seqAdd(0xffffffff, 2)).toBe(1);
    expect(segmentLength({ flags: TCP_SYN | TCP_FIN, payload: new Uint8Array(3) })).toBe(5);
  });
});
