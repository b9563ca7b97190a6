// The guest NIC's transmit offloads done in software on the host: finishing a partial checksum
// (NEEDS_CSUM: the guest left the pseudo-header sum in the field, Linux skb_checksum_help) and
// cutting a TCP/IPv4 segmentation-offload frame into MSS-sized frames (Linux tcp_gso_segment),
// so a guest can hand over 64 KiB at once instead of paying its own per-packet cost 44 times.
// Spec: Virtio 1.2 §5.1.6.2 "Packet Transmission"; RFC 791, RFC 9293 §3.1; RFC 1071.

import { finishChecksum, pseudoHeaderSum, sumWords } from './checksum.js';
import { ETH_HEADER_SIZE, ETH_TYPE_OFFSET, ETHERTYPE_IPV4 } from './ethernet.js';
import { IPPROTO_TCP } from './ipv4.js';
import { TCP_FIN, TCP_PSH } from './tcp-segment.js';

/** The one's complement zero a transmitted checksum uses when the sum folds to 0 (Linux CSUM_MANGLED_0). */
const CSUM_MANGLED_0 = 0xffff;
const TCP_CWR = 0x80;

/**
 * Finishes the checksum the guest left partial: the one's complement sum of [start, end of frame),
 * stored at start + offset (which holds the pseudo-header sum). False when the offsets do not fit
 * the frame (a broken or hostile guest: the caller drops the frame).
 */
export function completeChecksum(frame: Uint8Array, start: number, offset: number): boolean {
  const at = start + offset;
  if (start >= frame.length || at + 2 > frame.length || (offset & 1) !== 0) return false;
  let sum = finishChecksum(sumWords(frame, start, frame.length));
  if (sum === 0) sum = CSUM_MANGLED_0;
  frame[at] = sum >>> 8;
  frame[at + 1] = sum & 0xff;
  return true;
}

/**
 * Cuts one Ethernet + IPv4 + TCP frame carrying more than `mss` payload bytes into frames of at
 * most `mss`, each with its own IP length, id, header checksum, sequence number and full TCP
 * checksum; FIN and PSH only on the last, CWR only on the first. Returns undefined for anything
 * that is not a well-formed TCP/IPv4 frame, or whose pieces would exceed `maxFrame` (the caller drops it).
 */
export function segmentTcpV4(frame: Uint8Array, mss: number, maxFrame: number): Uint8Array[] | undefined {
  if (mss < 1 || frame.length < ETH_HEADER_SIZE + 40) return undefined;
  if (((frame[ETH_TYPE_OFFSET]! << 8) | frame[ETH_TYPE_OFFSET + 1]!) !== ETHERTYPE_IPV4) return undefined;
  const ip = ETH_HEADER_SIZE;
  const ipLen = (frame[ip]! & 0x0f) * 4;
  if (frame[ip]! >>> 4 !== 4 || ipLen < 20 || frame[ip + 9] !== IPPROTO_TCP) return undefined;
  const totalLength = (frame[ip + 2]! << 8) | frame[ip + 3]!;
  const tcp = ip + ipLen;
  if (tcp + 20 > frame.length || totalLength < ipLen + 20 || ip + totalLength > frame.length) return undefined;
  const tcpLen = (frame[tcp + 12]! >>> 4) * 4;
  const headers = tcp + tcpLen;
  const end = ip + totalLength;
  if (tcpLen < 20 || headers > end || headers + Math.min(mss, end - headers) > maxFrame) return undefined;
  const src = readU32(frame, ip + 12);
  const dst = readU32(frame, ip + 16);
  const id = (frame[ip + 4]! << 8) | frame[ip + 5]!;
  const seq = readU32(frame, tcp + 4);
  const flags = frame[tcp + 13]!;
  const out: Uint8Array[] = [];
  for (let at = headers, n = 0; at < end || n === 0; at += mss, n++) {
    const len = Math.min(mss, end - at);
    const last = at + len >= end;
    const f = new Uint8Array(headers + len);
    f.set(frame.subarray(0, headers), 0);
    f.set(frame.subarray(at, at + len), headers);
    const segTotal = ipLen + tcpLen + len;
    f[ip + 2] = segTotal >>> 8;
    f[ip + 3] = segTotal & 0xff;
    const segId = (id + n) & 0xffff;
    f[ip + 4] = segId >>> 8;
    f[ip + 5] = segId & 0xff;
    f[ip + 10] = 0;
    f[ip + 11] = 0;
    writeU16(f, ip + 10, finishChecksum(sumWords(f, ip, tcp)));
    writeU32(f, tcp + 4, (seq + (at - headers)) >>> 0);
    let segFlags = flags;
    if (!last) segFlags &= ~(TCP_FIN | TCP_PSH);
    if (n > 0) segFlags &= ~TCP_CWR;
    f[tcp + 13] = segFlags;
    f[tcp + 16] = 0;
    f[tcp + 17] = 0;
    const sum = sumWords(f, tcp, f.length, pseudoHeaderSum(src, dst, IPPROTO_TCP, tcpLen + len));
    writeU16(f, tcp + 16, finishChecksum(sum));
    out.push(f);
    if (last) break;
  }
  return out;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function writeU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 8;
  b[at + 1] = v & 0xff;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}
