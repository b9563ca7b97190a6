// Ethernet II framing (IEEE 802.3 §3.1.1, type field >= 0x0600) and MAC address helpers.
// Frames here carry no preamble and no FCS, as a NIC's host side sees them.

import { parseFailed, parsedOk, type Parsed } from './net-stats.js';

export const ETH_ADDR_SIZE = 6;
export const ETH_TYPE_SIZE = 2;
export const ETH_DST_OFFSET = 0;
export const ETH_SRC_OFFSET = ETH_DST_OFFSET + ETH_ADDR_SIZE;
export const ETH_TYPE_OFFSET = ETH_SRC_OFFSET + ETH_ADDR_SIZE;
export const ETH_HEADER_SIZE = ETH_TYPE_OFFSET + ETH_TYPE_SIZE;
export const ETH_PAYLOAD_OFFSET = ETH_HEADER_SIZE;
/** The standard payload limit; the guest link's MTU. */
export const ETH_MTU = 1500;
export const ETH_MAX_FRAME_SIZE = ETH_HEADER_SIZE + ETH_MTU;
/** Frames shorter than this (without FCS) are padded by the sender. */
export const ETH_MIN_FRAME_SIZE = 60;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Values below this are 802.3 lengths, not types. */
const ETHERTYPE_MIN = 0x0600;

export type MacAddress = Uint8Array;

export const BROADCAST_MAC: MacAddress = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export interface EthernetFrame {
  dst: MacAddress;
  src: MacAddress;
  etherType: number;
  payload: Uint8Array;
}

export function parseEthernet(frame: Uint8Array): Parsed<EthernetFrame> {
  if (frame.length < ETH_HEADER_SIZE) return parseFailed('eth-truncated');
  const etherType = (frame[ETH_TYPE_OFFSET]! << 8) | frame[ETH_TYPE_OFFSET + 1]!;
  if (etherType < ETHERTYPE_MIN) return parseFailed('eth-unsupported-type');
  return parsedOk({
    dst: frame.subarray(ETH_DST_OFFSET, ETH_DST_OFFSET + ETH_ADDR_SIZE),
    src: frame.subarray(ETH_SRC_OFFSET, ETH_SRC_OFFSET + ETH_ADDR_SIZE),
    etherType,
    payload: frame.subarray(ETH_PAYLOAD_OFFSET),
  });
}

/** A frame with `payload` copied after a header; padded to the minimum frame size. */
export function buildEthernet(dst: MacAddress, src: MacAddress, etherType: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(Math.max(ETH_MIN_FRAME_SIZE, ETH_HEADER_SIZE + payload.length));
  frame.set(dst, ETH_DST_OFFSET);
  frame.set(src, ETH_SRC_OFFSET);
  frame[ETH_TYPE_OFFSET] = etherType >>> 8;
  frame[ETH_TYPE_OFFSET + 1] = etherType & 0xff;
  frame.set(payload, ETH_PAYLOAD_OFFSET);
  return frame;
}

export function parseMac(text: string): MacAddress | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(
    text,
  );
  if (m === null) return undefined;
  return new Uint8Array(m.slice(1).map((h) => parseInt(h, 16)));
}

export function formatMac(mac: MacAddress): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

export function macEquals(a: MacAddress, b: MacAddress): boolean {
  for (let i = 0; i < ETH_ADDR_SIZE; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Group (multicast or broadcast) addresses have the I/G bit, the low bit of the first octet, set. */
export function isGroupMac(mac: MacAddress): boolean {
  return (mac[0]! & 1) === 1;
}

/** The locally administered MAC QEMU's slirp gives its virtual hosts: 52:55 followed by the IPv4 address. */
export function virtualHostMac(ip: number): MacAddress {
  return new Uint8Array([0x52, 0x55, ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff]);
}
