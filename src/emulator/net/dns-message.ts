// DNS messages (RFC 1035 §4.1, AAAA from RFC 3596): parse a guest's query (one question, names
// bounds-checked, compression pointers followed with a hop limit) and build the response.

import { parseIpv4, parseIpv6 } from './ip-address.js';

export const DNS_PORT = 53;
export const DNS_HEADER_SIZE = 12;
/** RFC 1035 §4.2.1: UDP messages without EDNS are at most 512 bytes; longer answers set TC. */
export const DNS_UDP_MAX_SIZE = 512;
const MAX_LABEL = 63;
const MAX_NAME = 255;
const POINTER_MASK = 0xc0;
const MAX_POINTER_HOPS = 16;

const QR = 0x8000;
const OPCODE_SHIFT = 11;
const OPCODE_MASK = 0xf;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;

export const DNS_TYPE_A = 1;
export const DNS_TYPE_CNAME = 5;
export const DNS_TYPE_AAAA = 28;
export const DNS_CLASS_IN = 1;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;

export interface DnsQuestion {
  /** Dotted name without the trailing dot, as the guest spelled it. */
  name: string;
  type: number;
  qclass: number;
  /** The question's bytes (name, type, class), echoed in the response. */
  raw: Uint8Array;
}

export type DnsQueryParse =
  | { kind: 'query'; id: number; opcode: number; recursionDesired: boolean; question: DnsQuestion }
  /** Enough of a header to answer with an error code. */
  | { kind: 'error'; id: number; opcode: number; recursionDesired: boolean; rcode: number }
  /** Not something to answer at all (too short, or a response). */
  | { kind: 'ignore' };

export function parseDnsQuery(buf: Uint8Array): DnsQueryParse {
  if (buf.length < DNS_HEADER_SIZE) return { kind: 'ignore' };
  const id = (buf[0]! << 8) | buf[1]!;
  const flags = (buf[2]! << 8) | buf[3]!;
  if (flags & QR) return { kind: 'ignore' };
  const opcode = (flags >>> OPCODE_SHIFT) & OPCODE_MASK;
  const recursionDesired = (flags & RD) !== 0;
  const fail = (rcode: number): DnsQueryParse => ({ kind: 'error', id, opcode, recursionDesired, rcode });
  if (opcode !== 0) return fail(RCODE_NOTIMP);
  const qdcount = (buf[4]! << 8) | buf[5]!;
  if (qdcount !== 1) return fail(RCODE_FORMERR);
  const name = readName(buf, DNS_HEADER_SIZE);
  if (name === undefined) return fail(RCODE_FORMERR);
  const end = name.next + 4;
  if (end > buf.length) return fail(RCODE_FORMERR);
  const type = (buf[name.next]! << 8) | buf[name.next + 1]!;
  const qclass = (buf[name.next + 2]! << 8) | buf[name.next + 3]!;
  return {
    kind: 'query',
    id,
    opcode,
    recursionDesired,
    question: { name: name.text, type, qclass, raw: buf.slice(DNS_HEADER_SIZE, end) },
  };
}

/** Reads a possibly compressed name; `next` is the offset just after it in the original position. */
function readName(buf: Uint8Array, offset: number): { text: string; next: number } | undefined {
  const labels: string[] = [];
  let length = 0;
  let pos = offset;
  let next: number | undefined;
  let hops = 0;
  for (;;) {
    if (pos >= buf.length) return undefined;
    const len = buf[pos]!;
    if ((len & POINTER_MASK) === POINTER_MASK) {
      if (pos + 1 >= buf.length || ++hops > MAX_POINTER_HOPS) return undefined;
      next ??= pos + 2;
      pos = ((len & ~POINTER_MASK) << 8) | buf[pos + 1]!;
      continue;
    }
    if (len & POINTER_MASK) return undefined; // the reserved 01/10 label types
    if (len === 0) {
      next ??= pos + 1;
      break;
    }
    if (pos + 1 + len > buf.length) return undefined;
    length += len + 1;
    if (length > MAX_NAME) return undefined;
    const bytes = buf.subarray(pos + 1, pos + 1 + len);
    // Only printable ASCII without dots survives as text the host resolver can be given.
    for (const b of bytes) if (b < 0x21 || b > 0x7e || b === 0x2e) return undefined;
    labels.push(String.fromCharCode(...bytes));
    pos += 1 + len;
  }
  return { text: labels.join('.'), next };
}

/** A name in wire format; undefined when a label or the whole name is too long or empty labels appear. */
export function encodeName(name: string): Uint8Array | undefined {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = trimmed === '' ? [] : trimmed.split('.');
  const parts: number[] = [];
  for (const label of labels) {
    const bytes = new TextEncoder().encode(label);
    if (bytes.length === 0 || bytes.length > MAX_LABEL) return undefined;
    parts.push(bytes.length, ...bytes);
  }
  parts.push(0);
  return parts.length > MAX_NAME ? undefined : new Uint8Array(parts);
}

export interface DnsRecord {
  name: string;
  type: number;
  ttl: number;
  /** Address text for A/AAAA, the target name for CNAME. */
  value: string;
}

export interface DnsResponse {
  id: number;
  opcode: number;
  recursionDesired: boolean;
  rcode: number;
  question?: DnsQuestion;
  answers?: DnsRecord[];
}

/** Wire bytes of a record's data; undefined when the value does not fit its type. */
function encodeRdata(r: DnsRecord): Uint8Array | undefined {
  if (r.type === DNS_TYPE_A) {
    const ip = parseIpv4(r.value);
    if (ip === undefined) return undefined;
    return new Uint8Array([ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff]);
  }
  if (r.type === DNS_TYPE_AAAA) return parseIpv6(r.value);
  if (r.type === DNS_TYPE_CNAME) return encodeName(r.value);
  return undefined;
}

/** The response; records that cannot be encoded are skipped; past 512 bytes answers are cut and TC set. */
export function buildDnsResponse(r: DnsResponse): Uint8Array {
  const out: number[] = [];
  const question = r.question?.raw;
  const qname = r.question?.name.toLowerCase();
  const records: number[][] = [];
  let truncated = false;
  let size = DNS_HEADER_SIZE + (question?.length ?? 0);
  for (const a of r.answers ?? []) {
    const rdata = encodeRdata(a);
    // An owner equal to the question's name points at it (offset 12, RFC 1035 §4.1.4).
    const owner = a.name.toLowerCase() === qname ? new Uint8Array([POINTER_MASK, DNS_HEADER_SIZE]) : encodeName(a.name);
    if (rdata === undefined || owner === undefined) continue;
    const ttl = Math.max(0, Math.min(0x7fffffff, Math.floor(a.ttl)));
    const rec = [
      ...owner,
      a.type >>> 8,
      a.type & 0xff,
      0,
      DNS_CLASS_IN,
      ttl >>> 24,
      (ttl >>> 16) & 0xff,
      (ttl >>> 8) & 0xff,
      ttl & 0xff,
      rdata.length >>> 8,
      rdata.length & 0xff,
      ...rdata,
    ];
    if (size + rec.length > DNS_UDP_MAX_SIZE) {
      truncated = true;
      break;
    }
    size += rec.length;
    records.push(rec);
  }
  // AA stays clear: the answers come from the host's resolver, not from authority.
  const flags =
    QR | (r.opcode << OPCODE_SHIFT) | (r.recursionDesired ? RD : 0) | RA | (truncated ? TC : 0) | (r.rcode & 0xf);
  out.push(r.id >>> 8, r.id & 0xff, flags >>> 8, flags & 0xff);
  out.push(0, question ? 1 : 0, records.length >>> 8, records.length & 0xff, 0, 0, 0, 0);
  if (question) out.push(...question);
  for (const rec of records) out.push(...rec);
  return new Uint8Array(out);
}
