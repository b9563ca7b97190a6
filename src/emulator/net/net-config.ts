// The virtual network the NAT presents, QEMU slirp's defaults (10.0.2.0/24, gateway .2, DNS .3,
// first guest address .15), validated and turned into numbers once.

import { parseMac, type MacAddress } from './ethernet.js';
import { formatIpv4, inSubnet, parseIpv4, prefixToMask } from './ip-address.js';

export interface UserNetConfig {
  /** Network address and prefix, e.g. "10.0.2.0/24". */
  network: string;
  /** The router; also the host's loopback as the guest sees it. */
  gateway: string;
  dns: string;
  /** The first address DHCP hands out (and where inbound forwards go by default). */
  guestIp: string;
  /** The guest's MAC when known up front (from the Vmfile), so inbound traffic needs no ARP first. */
  guestMac?: string;
  /** Where connections to the gateway address go on the host. */
  hostLoopback: string;
  /** Given to the guest as DHCP option 12. */
  hostname?: string;
  leaseSeconds: number;
  /** Addresses in the DHCP pool, from guestIp upward. */
  dhcpPoolSize: number;
  mtu: number;
}

export const DEFAULT_NET_CONFIG: UserNetConfig = {
  network: '10.0.2.0/24',
  gateway: '10.0.2.2',
  dns: '10.0.2.3',
  guestIp: '10.0.2.15',
  hostLoopback: '127.0.0.1',
  leaseSeconds: 86_400,
  dhcpPoolSize: 16,
  mtu: 1500,
};

export interface ResolvedNetConfig {
  network: number;
  netmask: number;
  gateway: number;
  dns: number;
  guestIp: number;
  guestMac: MacAddress | undefined;
  hostLoopback: string;
  hostname: string | undefined;
  leaseSeconds: number;
  dhcpPoolSize: number;
  mtu: number;
}

/** Smallest MTU an IPv4 link may have (RFC 791: every host accepts 576-byte datagrams; 68 is the floor). */
const MIN_MTU = 576;
const MAX_MTU = 9000;

/** Validates and converts; throws an Error naming the bad field. */
export function resolveNetConfig(partial: Partial<UserNetConfig> = {}): ResolvedNetConfig {
  const c = { ...DEFAULT_NET_CONFIG, ...partial };
  const [netText, prefixText] = c.network.split('/');
  const network = parseIpv4(netText ?? '');
  const prefix = Number(prefixText);
  if (network === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
    throw new Error(`network "${c.network}" must be an IPv4 network with a prefix from /8 to /30`);
  }
  const netmask = prefixToMask(prefix);
  const addr = (field: 'gateway' | 'dns' | 'guestIp'): number => {
    const ip = parseIpv4(c[field]);
    if (ip === undefined || !inSubnet(ip, network, netmask)) {
      throw new Error(`${field} "${c[field]}" must be an IPv4 address inside ${c.network}`);
    }
    return ip;
  };
  const gateway = addr('gateway');
  const dns = addr('dns');
  const guestIp = addr('guestIp');
  if (new Set([gateway, dns, guestIp]).size !== 3) throw new Error('gateway, dns and guestIp must all differ');
  const lastHost = ((network & netmask) | ~netmask) >>> 0;
  if (!Number.isInteger(c.dhcpPoolSize) || c.dhcpPoolSize < 1 || guestIp + c.dhcpPoolSize > lastHost) {
    throw new Error(`dhcpPoolSize ${c.dhcpPoolSize} does not fit between ${formatIpv4(guestIp)} and the end of ${c.network}`);
  }
  for (const ip of [gateway, dns]) {
    if (ip >= guestIp && ip < guestIp + c.dhcpPoolSize) {
      throw new Error(`the DHCP pool starting at ${formatIpv4(guestIp)} overlaps ${formatIpv4(ip)}`);
    }
  }
  let guestMac: MacAddress | undefined;
  if (c.guestMac !== undefined) {
    guestMac = parseMac(c.guestMac);
    if (guestMac === undefined) throw new Error(`guestMac "${c.guestMac}" is not a MAC address like 52:54:00:12:34:56`);
  }
  if (parseIpv4(c.hostLoopback) === undefined) throw new Error(`hostLoopback "${c.hostLoopback}" must be an IPv4 address`);
  if (!Number.isInteger(c.mtu) || c.mtu < MIN_MTU || c.mtu > MAX_MTU) {
    throw new Error(`mtu ${c.mtu} must be an integer from ${MIN_MTU} to ${MAX_MTU}`);
  }
  if (!Number.isInteger(c.leaseSeconds) || c.leaseSeconds < 60) throw new Error('leaseSeconds must be at least 60');
  return {
    network: (network & netmask) >>> 0,
    netmask,
    gateway,
    dns,
    guestIp,
    guestMac,
    hostLoopback: c.hostLoopback,
    hostname: c.hostname,
    leaseSeconds: c.leaseSeconds,
    dhcpPoolSize: c.dhcpPoolSize,
    mtu: c.mtu,
  };
}
