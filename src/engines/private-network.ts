// Private networks between machines: where their Ethernet frames meet on this host, and how a guest
// learns its static address. Both engines use these, so a builtin machine and a qemu machine on the
// same network name hear each other.
//
// Wire format (QEMU's `-netdev socket,mcast=GROUP:PORT,localaddr=127.0.0.1`, net/socket.c): every UDP
// datagram sent to GROUP:PORT carries exactly one Ethernet frame (destination MAC first, no FCS, no
// length prefix). Senders use 127.0.0.1 as the multicast interface so frames never leave the host;
// multicast loopback is on, so a sender also receives its own frames and must ignore them (QEMU's
// guests see them and drop them: the source MAC is their own).

import { createHash } from 'node:crypto';

/** Interface the frames are sent on and the group is joined on: loopback only. */
export const PRIVATE_NETWORK_LOCAL_ADDRESS = '127.0.0.1';
/** Groups are taken from 239.255.0.0/16, the IPv4 local scope (RFC 2365). */
const GROUP_PREFIX = '239.255';
/** UDP ports 20000..29999: below Linux's ephemeral range (32768..60999) and above most services. */
const PORT_BASE = 20_000;
const PORT_SPAN = 10_000;
/** Prefix length given to a static `ip:` on a private network (the Vmfile names no netmask). */
export const PRIVATE_NETWORK_PREFIX = 24;

export interface PrivateNetworkEndpoint {
  /** IPv4 multicast group, in 239.255.0.0/16. */
  group: string;
  port: number;
  /** Always 127.0.0.1. */
  localAddr: string;
}

/**
 * The multicast group and port of private network `network`. The scope is the host, as with
 * Vagrant's host-only networks: every running machine (of any project) naming the same network is on
 * it. Different names get different groups (a hash collision would join two networks: 2^16 groups
 * x 10^4 ports make that unlikely).
 */
export function privateNetworkEndpoint(network: string): PrivateNetworkEndpoint {
  const h = createHash('sha256').update(`vm private network\u0000${network}`).digest();
  // third octet 0..254 and fourth 1..254 keep clear of 239.255.255.250/253 (SSDP, SLP) and .0/.255
  const group = `${GROUP_PREFIX}.${h[0]! % 255}.${1 + (h[1]! % 254)}`;
  const port = PORT_BASE + (h.readUInt32BE(2) % PORT_SPAN);
  return { group, port, localAddr: PRIVATE_NETWORK_LOCAL_ADDRESS };
}

/**
 * The kernel command-line parameter that tells the box's init a card's static address:
 * `vm.net=eth<index>:<ip>/<prefix>`, where index is the card's position among the machine's cards
 * (both engines attach cards in config order, so the guest names them eth0, eth1, ... in that order).
 */
export function privateNetworkGuestParam(nicIndex: number, ip: string): string {
  return `vm.net=eth${nicIndex}:${ip}/${PRIVATE_NETWORK_PREFIX}`;
}
