// DHCP messages (RFC 2131 §2 BOOTP layout, RFC 2132 options): bounds-checked parsing of client
// messages and building of server replies.

import { ETH_ADDR_SIZE } from './ethernet.js';
import { readIpv4, writeIpv4 } from './ip-address.js';
import { parseFailed, parsedOk, type Parsed } from './net-stats.js';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
const HTYPE_ETHERNET = 1;

// Offsets of the fixed BOOTP fields (RFC 2131 figure 1).
const OP = 0;
const HTYPE = 1;
const HLEN = 2;
const XID = 4;
const SECS = 8;
const FLAGS = 10;
const CIADDR = 12;
const YIADDR = 16;
const SIADDR = 20;
const GIADDR = 24;
const CHADDR = 28;
const CHADDR_SIZE = 16;
const SNAME_SIZE = 64;
const FILE_SIZE = 128;
const COOKIE = CHADDR + CHADDR_SIZE + SNAME_SIZE + FILE_SIZE;
const MAGIC_COOKIE = 0x63825363; // 99.130.83.99
export const DHCP_OPTIONS_OFFSET = COOKIE + 4;
/** RFC 2131 §2 (via RFC 951): BOOTP messages are at least 300 bytes; some clients insist. */
const BOOTP_MIN_SIZE = 300;
export const DHCP_FLAG_BROADCAST = 0x8000;

export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPDECLINE = 4;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;
export const DHCPINFORM = 8;

export const OPT_PAD = 0;
export const OPT_SUBNET_MASK = 1;
export const OPT_ROUTER = 3;
export const OPT_DNS_SERVERS = 6;
export const OPT_HOSTNAME = 12;
export const OPT_DOMAIN_NAME = 15;
export const OPT_BROADCAST = 28;
export const OPT_REQUESTED_IP = 50;
export const OPT_LEASE_TIME = 51;
export const OPT_MESSAGE_TYPE = 53;
export const OPT_SERVER_ID = 54;
export const OPT_PARAMETER_LIST = 55;
export const OPT_MESSAGE = 56;
export const OPT_RENEWAL_TIME = 58;
export const OPT_REBINDING_TIME = 59;
export const OPT_CLIENT_ID = 61;
export const OPT_END = 255;

export interface DhcpMessage {
  op: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  /** The client's hardware address (6 bytes for Ethernet). */
  chaddr: Uint8Array;
  /** Option code -> value; repeated options are concatenated (RFC 3396). */
  options: Map<number, Uint8Array>;
}

export function parseDhcp(buf: Uint8Array): Parsed<DhcpMessage> {
  if (buf.length < DHCP_OPTIONS_OFFSET) return parseFailed('dhcp-malformed');
  if (buf[HTYPE] !== HTYPE_ETHERNET || buf[HLEN] !== ETH_ADDR_SIZE) return parseFailed('dhcp-malformed');
  if (readIpv4(buf, COOKIE) !== MAGIC_COOKIE) return parseFailed('dhcp-malformed');
  const options = new Map<number, Uint8Array>();
  let i = DHCP_OPTIONS_OFFSET;
  while (i < buf.length) {
    const code = buf[i]!;
    if (code === OPT_END) break;
    if (code === OPT_PAD) {
      i++;
      continue;
    }
    if (i + 1 >= buf.length) return parseFailed('dhcp-malformed');
    const len = buf[i + 1]!;
    if (i + 2 + len > buf.length) return parseFailed('dhcp-malformed');
    const value = buf.subarray(i + 2, i + 2 + len);
    const prev = options.get(code);
    if (prev === undefined) options.set(code, value.slice());
    else {
      const joined = new Uint8Array(prev.length + value.length);
      joined.set(prev);
      joined.set(value, prev.length);
      options.set(code, joined);
    }
    i += 2 + len;
  }
  return parsedOk({
    op: buf[OP]!,
    xid: readIpv4(buf, XID),
    secs: (buf[SECS]! << 8) | buf[SECS + 1]!,
    flags: (buf[FLAGS]! << 8) | buf[FLAGS + 1]!,
    ciaddr: readIpv4(buf, CIADDR),
    yiaddr: readIpv4(buf, YIADDR),
    siaddr: readIpv4(buf, SIADDR),
    giaddr: readIpv4(buf, GIADDR),
    chaddr: buf.slice(CHADDR, CHADDR + ETH_ADDR_SIZE),
    options,
  });
}

/** The DHCP message type (option 53), if present and well formed. */
export function messageType(m: DhcpMessage): number | undefined {
  const v = m.options.get(OPT_MESSAGE_TYPE);
  return v !== undefined && v.length === 1 ? v[0] : undefined;
}

/** An option holding one IPv4 address, if present and 4 bytes long. */
export function addressOption(m: DhcpMessage, code: number): number | undefined {
  const v = m.options.get(code);
  return v !== undefined && v.length === 4 ? readIpv4(v, 0) : undefined;
}

export type DhcpOption = [code: number, value: Uint8Array];

export function buildDhcp(
  fields: Pick<DhcpMessage, 'op' | 'xid' | 'flags' | 'ciaddr' | 'yiaddr' | 'siaddr' | 'giaddr' | 'chaddr'>,
  options: DhcpOption[],
): Uint8Array {
  let size = DHCP_OPTIONS_OFFSET + 1; // + END
  for (const [, value] of options) {
    if (value.length > 255) throw new RangeError('DHCP option longer than 255 bytes');
    size += 2 + value.length;
  }
  const buf = new Uint8Array(Math.max(size, BOOTP_MIN_SIZE));
  buf[OP] = fields.op;
  buf[HTYPE] = HTYPE_ETHERNET;
  buf[HLEN] = ETH_ADDR_SIZE;
  writeIpv4(buf, XID, fields.xid);
  buf[FLAGS] = fields.flags >>> 8;
  buf[FLAGS + 1] = fields.flags & 0xff;
  writeIpv4(buf, CIADDR, fields.ciaddr);
  writeIpv4(buf, YIADDR, fields.yiaddr);
  writeIpv4(buf, SIADDR, fields.siaddr);
  writeIpv4(buf, GIADDR, fields.giaddr);
  buf.set(fields.chaddr.subarray(0, CHADDR_SIZE), CHADDR);
  writeIpv4(buf, COOKIE, MAGIC_COOKIE);
  let i = DHCP_OPTIONS_OFFSET;
  for (const [code, value] of options) {
    buf[i] = code;
    buf[i + 1] = value.length;
    buf.set(value, i + 2);
    i += 2 + value.length;
  }
  buf[i] = OPT_END;
  return buf;
}

export function ipOption(code: number, ...ips: number[]): DhcpOption {
  const value = new Uint8Array(4 * ips.length);
  ips.forEach((ip, k) => writeIpv4(value, 4 * k, ip));
  return [code, value];
}

export function u32Option(code: number, n: number): DhcpOption {
  const value = new Uint8Array(4);
  writeIpv4(value, 0, n >>> 0);
  return [code, value];
}

export function textOption(code: number, text: string): DhcpOption {
  return [code, new TextEncoder().encode(text.slice(0, 255))];
}
