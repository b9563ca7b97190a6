// UDP datagrams (RFC 768): bounds-checked parsing with optional checksum (0 = none sent),
// and building with the IPv4 pseudo-header checksum.

import { finishChecksum, pseudoHeaderSum, sumWords } from './checksum.js';
import { IPPROTO_UDP } from './ipv4.js';
import { parseFailed, parsedOk, type Parsed } from './net-stats.js';

export const UDP_HEADER_SIZE = 8;
const UDP_LENGTH_OFFSET = 4;
const UDP_CHECKSUM_OFFSET = 6;
export const UDP_MAX_PAYLOAD = 0xffff - UDP_HEADER_SIZE;

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export function parseUdp(buf: Uint8Array, src: number, dst: number, verifyChecksum = true): Parsed<UdpDatagram> {
  if (buf.length < UDP_HEADER_SIZE) return parseFailed('udp-malformed');
  const length = (buf[UDP_LENGTH_OFFSET]! << 8) | buf[UDP_LENGTH_OFFSET + 1]!;
  if (length < UDP_HEADER_SIZE || length > buf.length) return parseFailed('udp-malformed');
  const checksum = (buf[UDP_CHECKSUM_OFFSET]! << 8) | buf[UDP_CHECKSUM_OFFSET + 1]!;
  if (verifyChecksum && checksum !== 0) {
    const sum = sumWords(buf, 0, length, pseudoHeaderSum(src, dst, IPPROTO_UDP, length));
    if (finishChecksum(sum) !== 0) return parseFailed('udp-bad-checksum');
  }
  return parsedOk({
    srcPort: (buf[0]! << 8) | buf[1]!,
    dstPort: (buf[2]! << 8) | buf[3]!,
    payload: buf.subarray(UDP_HEADER_SIZE, length),
  });
}

export function buildUdp(src: number, dst: number, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const length = UDP_HEADER_SIZE + payload.length;
  if (length > 0xffff) throw new RangeError(`UDP payload of ${payload.length} bytes is too large`);
  const buf = new Uint8Array(length);
  buf[0] = srcPort >>> 8;
  buf[1] = srcPort & 0xff;
  buf[2] = dstPort >>> 8;
  buf[3] = dstPort & 0xff;
  buf[UDP_LENGTH_OFFSET] = length >>> 8;
  buf[UDP_LENGTH_OFFSET + 1] = length & 0xff;
  buf.set(payload, UDP_HEADER_SIZE);
  // A computed checksum of 0 is sent as all ones: 0 means "no checksum" (RFC 768).
  const sum = finishChecksum(sumWords(buf, 0, length, pseudoHeaderSum(src, dst, IPPROTO_UDP, length))) || 0xffff;
  buf[UDP_CHECKSUM_OFFSET] = sum >>> 8;
  buf[UDP_CHECKSUM_OFFSET + 1] = sum & 0xff;
  return buf;
}
