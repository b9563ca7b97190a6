// ARP for IPv4 over Ethernet (RFC 826): parse requests and replies, build replies and requests.

import { ETH_ADDR_SIZE, type MacAddress } from './ethernet.js';
import { readIpv4, writeIpv4 } from './ip-address.js';
import { parseFailed, parsedOk, type Parsed } from './net-stats.js';

export const ARP_HTYPE_ETHERNET = 1;
export const ARP_PTYPE_IPV4 = 0x0800;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;
const IPV4_ADDR_SIZE = 4;
const ARP_FIXED_SIZE = 8; // htype, ptype, hlen, plen, op
const ARP_SHA_OFFSET = ARP_FIXED_SIZE;
const ARP_SPA_OFFSET = ARP_SHA_OFFSET + ETH_ADDR_SIZE;
const ARP_THA_OFFSET = ARP_SPA_OFFSET + IPV4_ADDR_SIZE;
const ARP_TPA_OFFSET = ARP_THA_OFFSET + ETH_ADDR_SIZE;
export const ARP_PACKET_SIZE = ARP_TPA_OFFSET + IPV4_ADDR_SIZE;

export interface ArpPacket {
  op: number;
  senderMac: MacAddress;
  senderIp: number;
  targetMac: MacAddress;
  targetIp: number;
}

export function parseArp(buf: Uint8Array): Parsed<ArpPacket> {
  if (buf.length < ARP_PACKET_SIZE) return parseFailed('arp-malformed');
  const htype = (buf[0]! << 8) | buf[1]!;
  const ptype = (buf[2]! << 8) | buf[3]!;
  if (htype !== ARP_HTYPE_ETHERNET || ptype !== ARP_PTYPE_IPV4) return parseFailed('arp-malformed');
  if (buf[4] !== ETH_ADDR_SIZE || buf[5] !== IPV4_ADDR_SIZE) return parseFailed('arp-malformed');
  const op = (buf[6]! << 8) | buf[7]!;
  if (op !== ARP_OP_REQUEST && op !== ARP_OP_REPLY) return parseFailed('arp-malformed');
  return parsedOk({
    op,
    senderMac: buf.slice(ARP_SHA_OFFSET, ARP_SHA_OFFSET + ETH_ADDR_SIZE),
    senderIp: readIpv4(buf, ARP_SPA_OFFSET),
    targetMac: buf.slice(ARP_THA_OFFSET, ARP_THA_OFFSET + ETH_ADDR_SIZE),
    targetIp: readIpv4(buf, ARP_TPA_OFFSET),
  });
}

export function buildArp(p: ArpPacket): Uint8Array {
  const buf = new Uint8Array(ARP_PACKET_SIZE);
  buf[1] = ARP_HTYPE_ETHERNET;
  buf[2] = ARP_PTYPE_IPV4 >>> 8;
  buf[3] = ARP_PTYPE_IPV4 & 0xff;
  buf[4] = ETH_ADDR_SIZE;
  buf[5] = IPV4_ADDR_SIZE;
  buf[6] = p.op >>> 8;
  buf[7] = p.op & 0xff;
  buf.set(p.senderMac, ARP_SHA_OFFSET);
  writeIpv4(buf, ARP_SPA_OFFSET, p.senderIp);
  buf.set(p.targetMac, ARP_THA_OFFSET);
  writeIpv4(buf, ARP_TPA_OFFSET, p.targetIp);
  return buf;
}
