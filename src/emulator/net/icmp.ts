// ICMP for IPv4 (RFC 792): echo request/reply, and destination-unreachable messages that quote
// the offending datagram's header plus its first 8 payload bytes.

import { internetChecksum } from './checksum.js';
import { parseFailed, parsedOk, type Parsed } from './net-stats.js';

export const ICMP_HEADER_SIZE = 8; // type, code, checksum, then 4 bytes whose meaning depends on type
export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_CODE_HOST_UNREACHABLE = 1;
export const ICMP_CODE_PORT_UNREACHABLE = 3;
/** RFC 792: the quoted datagram is its header plus 64 bits of its data. */
const ICMP_QUOTED_PAYLOAD = 8;

export interface IcmpMessage {
  type: number;
  code: number;
  /** Bytes 4..7: identifier and sequence number for echo messages. */
  rest: Uint8Array;
  data: Uint8Array;
}

export function parseIcmp(buf: Uint8Array, verifyChecksum = true): Parsed<IcmpMessage> {
  if (buf.length < ICMP_HEADER_SIZE) return parseFailed('icmp-malformed');
  if (verifyChecksum && internetChecksum(buf) !== 0) return parseFailed('icmp-bad-checksum');
  return parsedOk({
    type: buf[0]!,
    code: buf[1]!,
    rest: buf.subarray(4, ICMP_HEADER_SIZE),
    data: buf.subarray(ICMP_HEADER_SIZE),
  });
}

export function buildIcmp(type: number, code: number, rest: Uint8Array, data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(ICMP_HEADER_SIZE + data.length);
  buf[0] = type;
  buf[1] = code;
  buf.set(rest.subarray(0, 4), 4);
  buf.set(data, ICMP_HEADER_SIZE);
  const sum = internetChecksum(buf);
  buf[2] = sum >>> 8;
  buf[3] = sum & 0xff;
  return buf;
}

/** The echo reply for an echo request: same identifier, sequence number and data. */
export function buildEchoReply(request: IcmpMessage): Uint8Array {
  return buildIcmp(ICMP_ECHO_REPLY, 0, request.rest, request.data);
}

/** Destination unreachable quoting `ipHeader` and the first 8 bytes of `ipPayload`. */
export function buildDestUnreachable(code: number, ipHeader: Uint8Array, ipPayload: Uint8Array): Uint8Array {
  const quoted = new Uint8Array(ipHeader.length + Math.min(ICMP_QUOTED_PAYLOAD, ipPayload.length));
  quoted.set(ipHeader);
  quoted.set(ipPayload.subarray(0, ICMP_QUOTED_PAYLOAD), ipHeader.length);
  return buildIcmp(ICMP_DEST_UNREACHABLE, code, new Uint8Array(4), quoted);
}
