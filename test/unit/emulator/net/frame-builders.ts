// Builds Ethernet frames as the guest (10.0.2.15, MAC 02:00:00:00:00:15) would send them.

import { buildEthernet, ETHERTYPE_IPV4, virtualHostMac } from '../../../../src/emulator/net/ethernet.js';
import { parseIpv4 } from '../../../../src/emulator/net/ip-address.js';
import { buildIpv4, IPPROTO_TCP, IPPROTO_UDP } from '../../../../src/emulator/net/ipv4.js';
import { buildTcp, type TcpSegmentOut } from '../../../../src/emulator/net/tcp-segment.js';
import { buildUdp } from '../../../../src/emulator/net/udp.js';

export const GUEST_MAC = Uint8Array.from([2, 0, 0, 0, 0, 0x15]);
export const GUEST = parseIpv4('10.0.2.15')!;
export const GATEWAY = parseIpv4('10.0.2.2')!;
export const DNS_IP = parseIpv4('10.0.2.3')!;
export const GATEWAY_MAC = virtualHostMac(GATEWAY);

let ipId = 1;

export function ipFrame(src: number, dst: number, protocol: number, payload: Uint8Array, dstMac = GATEWAY_MAC): Uint8Array {
  return buildEthernet(dstMac, GUEST_MAC, ETHERTYPE_IPV4, buildIpv4({ src, dst, protocol, id: ipId++ }, payload));
}

export function tcpFrame(dst: number, s: TcpSegmentOut, src = GUEST): Uint8Array {
  return ipFrame(src, dst, IPPROTO_TCP, buildTcp(src, dst, s));
}

export function udpFrame(dst: number, srcPort: number, dstPort: number, data: Uint8Array, src = GUEST): Uint8Array {
  return ipFrame(src, dst, IPPROTO_UDP, buildUdp(src, dst, srcPort, dstPort, data));
}
