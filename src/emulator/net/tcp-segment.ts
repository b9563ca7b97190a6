// TCP segments (RFC 9293 §3.1): bounds-checked header and option parsing (MSS; window scale from
// RFC 7323 §2), checksum verification and building; 32-bit sequence-number arithmetic (§3.4).

import { finishChecksum, pseudoHeaderSum, sumWords } from './checksum.js';
import { IPPROTO_TCP } from './ipv4.js';
import { parseFailed, parsedOk, type Parsed } from './net-stats.js';

export const TCP_HEADER_SIZE = 20; // without options
export const TCP_MAX_HEADER_SIZE = 60;
const TCP_SEQ_OFFSET = 4;
const TCP_ACK_OFFSET = 8;
const TCP_DATA_OFFSET_OFFSET = 12;
const TCP_FLAGS_OFFSET = 13;
const TCP_WINDOW_OFFSET = 14;
const TCP_CHECKSUM_OFFSET = 16;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

const TCPOPT_EOL = 0;
const TCPOPT_NOP = 1;
const TCPOPT_MSS = 2;
const TCPOPT_MSS_LENGTH = 4;
const TCPOPT_WSCALE = 3;
const TCPOPT_WSCALE_LENGTH = 3;
/** RFC 7323 §2.3: shift counts above 14 are treated as 14. */
export const TCP_MAX_WSCALE = 14;
/** RFC 9293 §3.7.1: the MSS to assume when the peer sends none. */
export const TCP_DEFAULT_MSS = 536;
export const TCP_MAX_WINDOW = 0xffff;

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** The raw 16-bit window field (unscaled). */
  window: number;
  mss: number | undefined;
  wscale: number | undefined;
  payload: Uint8Array;
}

export function parseTcp(buf: Uint8Array, src: number, dst: number, verifyChecksum = true): Parsed<TcpSegment> {
  if (buf.length < TCP_HEADER_SIZE) return parseFailed('tcp-malformed');
  const headerLength = (buf[TCP_DATA_OFFSET_OFFSET]! >>> 4) * 4;
  if (headerLength < TCP_HEADER_SIZE || headerLength > buf.length) return parseFailed('tcp-malformed');
  if (verifyChecksum) {
    const sum = sumWords(buf, 0, buf.length, pseudoHeaderSum(src, dst, IPPROTO_TCP, buf.length));
    if (finishChecksum(sum) !== 0) return parseFailed('tcp-bad-checksum');
  }
  let mss: number | undefined;
  let wscale: number | undefined;
  let i = TCP_HEADER_SIZE;
  while (i < headerLength) {
    const kind = buf[i]!;
    if (kind === TCPOPT_EOL) break;
    if (kind === TCPOPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= headerLength) return parseFailed('tcp-malformed');
    const len = buf[i + 1]!;
    if (len < 2 || i + len > headerLength) return parseFailed('tcp-malformed');
    if (kind === TCPOPT_MSS && len === TCPOPT_MSS_LENGTH) mss = (buf[i + 2]! << 8) | buf[i + 3]!;
    else if (kind === TCPOPT_WSCALE && len === TCPOPT_WSCALE_LENGTH) wscale = Math.min(buf[i + 2]!, TCP_MAX_WSCALE);
    i += len;
  }
  return parsedOk({
    srcPort: (buf[0]! << 8) | buf[1]!,
    dstPort: (buf[2]! << 8) | buf[3]!,
    seq: readU32(buf, TCP_SEQ_OFFSET),
    ack: readU32(buf, TCP_ACK_OFFSET),
    flags: buf[TCP_FLAGS_OFFSET]! & 0x3f,
    window: (buf[TCP_WINDOW_OFFSET]! << 8) | buf[TCP_WINDOW_OFFSET + 1]!,
    mss,
    wscale,
    payload: buf.subarray(headerLength),
  });
}

export interface TcpSegmentOut {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  mss?: number;
  wscale?: number;
  payload?: Uint8Array;
}

export function buildTcp(src: number, dst: number, s: TcpSegmentOut): Uint8Array {
  const optionsLength = (s.mss !== undefined ? TCPOPT_MSS_LENGTH : 0) + (s.wscale !== undefined ? 4 : 0);
  const headerLength = TCP_HEADER_SIZE + optionsLength;
  const payloadLength = s.payload?.length ?? 0;
  const buf = new Uint8Array(headerLength + payloadLength);
  buf[0] = s.srcPort >>> 8;
  buf[1] = s.srcPort & 0xff;
  buf[2] = s.dstPort >>> 8;
  buf[3] = s.dstPort & 0xff;
  writeU32(buf, TCP_SEQ_OFFSET, s.seq);
  writeU32(buf, TCP_ACK_OFFSET, s.ack);
  buf[TCP_DATA_OFFSET_OFFSET] = (headerLength / 4) << 4;
  buf[TCP_FLAGS_OFFSET] = s.flags;
  buf[TCP_WINDOW_OFFSET] = (s.window >>> 8) & 0xff;
  buf[TCP_WINDOW_OFFSET + 1] = s.window & 0xff;
  let o = TCP_HEADER_SIZE;
  if (s.mss !== undefined) {
    buf[o] = TCPOPT_MSS;
    buf[o + 1] = TCPOPT_MSS_LENGTH;
    buf[o + 2] = s.mss >>> 8;
    buf[o + 3] = s.mss & 0xff;
    o += TCPOPT_MSS_LENGTH;
  }
  if (s.wscale !== undefined) {
    buf[o] = TCPOPT_NOP;
    buf[o + 1] = TCPOPT_WSCALE;
    buf[o + 2] = TCPOPT_WSCALE_LENGTH;
    buf[o + 3] = s.wscale;
    o += 4;
  }
  if (s.payload) buf.set(s.payload, headerLength);
  const sum = finishChecksum(sumWords(buf, 0, buf.length, pseudoHeaderSum(src, dst, IPPROTO_TCP, buf.length)));
  buf[TCP_CHECKSUM_OFFSET] = sum >>> 8;
  buf[TCP_CHECKSUM_OFFSET + 1] = sum & 0xff;
  return buf;
}

function readU32(buf: Uint8Array, o: number): number {
  return ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
}

function writeU32(buf: Uint8Array, o: number, v: number): void {
  buf[o] = v >>> 24;
  buf[o + 1] = (v >>> 16) & 0xff;
  buf[o + 2] = (v >>> 8) & 0xff;
  buf[o + 3] = v & 0xff;
}

/** The smallest window scale (RFC 7323 §2.3) that lets a 16-bit window field express `bytes`. */
export function windowScaleFor(bytes: number): number {
  let s = 0;
  while (s < TCP_MAX_WSCALE && TCP_MAX_WINDOW * 2 ** s < bytes) s++;
  return s;
}

// Sequence numbers live modulo 2^32; comparisons look at the signed 32-bit difference (RFC 9293 §3.4).

/** a - b as a signed 32-bit distance. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}
export function seqLe(a: number, b: number): boolean {
  return seqDiff(a, b) <= 0;
}
export function seqGt(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}
export function seqGe(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0;
}

/** Sequence space a segment occupies: its data plus one for SYN and one for FIN. */
export function segmentLength(s: { flags: number; payload: Uint8Array }): number {
  return s.payload.length + (s.flags & TCP_SYN ? 1 : 0) + (s.flags & TCP_FIN ? 1 : 0);
}
