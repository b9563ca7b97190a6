// IPv4 headers (RFC 791 §3.1): bounds-checked parsing with header checksum verification, and
// building (with fragmentation, §3.2, for host datagrams larger than the guest link's MTU).

import { internetChecksum } from './checksum.js';
import { readIpv4, writeIpv4 } from './ip-address.js';
import { parseFailed, parsedOk, type Parsed } from './net-stats.js';

export const IPV4_VERSION = 4;
export const IPV4_HEADER_SIZE = 20; // without options
export const IPV4_MAX_HEADER_SIZE = 60;
export const IPV4_MAX_PACKET_SIZE = 0xffff;
const IPV4_TOTAL_LENGTH_OFFSET = 2;
const IPV4_ID_OFFSET = 4;
const IPV4_FLAGS_OFFSET = 6;
const IPV4_TTL_OFFSET = 8;
const IPV4_PROTOCOL_OFFSET = 9;
const IPV4_CHECKSUM_OFFSET = 10;
export const IPV4_SRC_OFFSET = 12;
const IPV4_DST_OFFSET = 16;
const IPV4_FLAG_DF = 0x4000;
const IPV4_FLAG_MF = 0x2000;
const IPV4_FRAGMENT_OFFSET_MASK = 0x1fff;
/** Fragment offsets count 8-byte units. */
const IPV4_FRAGMENT_UNIT = 8;
export const IPV4_DEFAULT_TTL = 64;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export interface Ipv4Packet {
  headerLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  src: number;
  dst: number;
  /** The header itself (with options), for ICMP errors that quote it. */
  header: Uint8Array;
  /** Exactly total-length minus header bytes: Ethernet padding is cut off. */
  payload: Uint8Array;
}

export function parseIpv4Packet(buf: Uint8Array, verifyChecksum = true): Parsed<Ipv4Packet> {
  if (buf.length < IPV4_HEADER_SIZE) return parseFailed('ipv4-malformed');
  const version = buf[0]! >>> 4;
  const headerLength = (buf[0]! & 0x0f) * 4;
  if (version !== IPV4_VERSION || headerLength < IPV4_HEADER_SIZE) return parseFailed('ipv4-malformed');
  const totalLength = (buf[IPV4_TOTAL_LENGTH_OFFSET]! << 8) | buf[IPV4_TOTAL_LENGTH_OFFSET + 1]!;
  if (totalLength < headerLength || totalLength > buf.length) return parseFailed('ipv4-malformed');
  if (verifyChecksum && internetChecksum(buf, 0, headerLength) !== 0) return parseFailed('ipv4-bad-checksum');
  const flags = (buf[IPV4_FLAGS_OFFSET]! << 8) | buf[IPV4_FLAGS_OFFSET + 1]!;
  return parsedOk({
    headerLength,
    id: (buf[IPV4_ID_OFFSET]! << 8) | buf[IPV4_ID_OFFSET + 1]!,
    dontFragment: (flags & IPV4_FLAG_DF) !== 0,
    moreFragments: (flags & IPV4_FLAG_MF) !== 0,
    fragmentOffset: (flags & IPV4_FRAGMENT_OFFSET_MASK) * IPV4_FRAGMENT_UNIT,
    ttl: buf[IPV4_TTL_OFFSET]!,
    protocol: buf[IPV4_PROTOCOL_OFFSET]!,
    src: readIpv4(buf, IPV4_SRC_OFFSET),
    dst: readIpv4(buf, IPV4_DST_OFFSET),
    header: buf.subarray(0, headerLength),
    payload: buf.subarray(headerLength, totalLength),
  });
}

export interface Ipv4Header {
  src: number;
  dst: number;
  protocol: number;
  id: number;
  ttl?: number;
  dontFragment?: boolean;
}

function writeHeader(
  buf: Uint8Array,
  h: Ipv4Header,
  payloadLength: number,
  fragmentOffset: number,
  moreFragments: boolean,
): void {
  const total = IPV4_HEADER_SIZE + payloadLength;
  buf[0] = (IPV4_VERSION << 4) | (IPV4_HEADER_SIZE / 4);
  buf[1] = 0;
  buf[IPV4_TOTAL_LENGTH_OFFSET] = total >>> 8;
  buf[IPV4_TOTAL_LENGTH_OFFSET + 1] = total & 0xff;
  buf[IPV4_ID_OFFSET] = (h.id >>> 8) & 0xff;
  buf[IPV4_ID_OFFSET + 1] = h.id & 0xff;
  const flags =
    (h.dontFragment ? IPV4_FLAG_DF : 0) | (moreFragments ? IPV4_FLAG_MF : 0) | (fragmentOffset / IPV4_FRAGMENT_UNIT);
  buf[IPV4_FLAGS_OFFSET] = flags >>> 8;
  buf[IPV4_FLAGS_OFFSET + 1] = flags & 0xff;
  buf[IPV4_TTL_OFFSET] = h.ttl ?? IPV4_DEFAULT_TTL;
  buf[IPV4_PROTOCOL_OFFSET] = h.protocol;
  buf[IPV4_CHECKSUM_OFFSET] = 0;
  buf[IPV4_CHECKSUM_OFFSET + 1] = 0;
  writeIpv4(buf, IPV4_SRC_OFFSET, h.src);
  writeIpv4(buf, IPV4_DST_OFFSET, h.dst);
  const sum = internetChecksum(buf, 0, IPV4_HEADER_SIZE);
  buf[IPV4_CHECKSUM_OFFSET] = sum >>> 8;
  buf[IPV4_CHECKSUM_OFFSET + 1] = sum & 0xff;
}

/** One unfragmented IPv4 packet carrying `payload`. */
export function buildIpv4(h: Ipv4Header, payload: Uint8Array): Uint8Array {
  const buf = new Uint8Array(IPV4_HEADER_SIZE + payload.length);
  writeHeader(buf, h, payload.length, 0, false);
  buf.set(payload, IPV4_HEADER_SIZE);
  return buf;
}

/**
 * `payload` as one packet when it fits in `mtu`, else as fragments (each payload but the last a
 * multiple of 8 bytes). Returns [] when DF is set and it does not fit: the caller counts the drop.
 */
export function buildIpv4Fragments(h: Ipv4Header, payload: Uint8Array, mtu: number): Uint8Array[] {
  if (IPV4_HEADER_SIZE + payload.length <= mtu) return [buildIpv4(h, payload)];
  if (h.dontFragment || IPV4_HEADER_SIZE + payload.length > IPV4_MAX_PACKET_SIZE) return [];
  const chunk = Math.floor((mtu - IPV4_HEADER_SIZE) / IPV4_FRAGMENT_UNIT) * IPV4_FRAGMENT_UNIT;
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += chunk) {
    const piece = payload.subarray(off, Math.min(payload.length, off + chunk));
    const buf = new Uint8Array(IPV4_HEADER_SIZE + piece.length);
    writeHeader(buf, h, piece.length, off, off + piece.length < payload.length);
    buf.set(piece, IPV4_HEADER_SIZE);
    out.push(buf);
  }
  return out;
}
