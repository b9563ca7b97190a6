// The NAT's DHCP server (RFC 2131 §4.3, options from RFC 2132): leases addresses from a small pool
// per client MAC, answers DISCOVER with OFFER, REQUEST with ACK or NAK, INFORM with ACK.

import { BROADCAST_MAC, formatMac, type MacAddress } from './ethernet.js';
import {
  addressOption,
  BOOTREPLY,
  BOOTREQUEST,
  buildDhcp,
  DHCP_FLAG_BROADCAST,
  DHCPACK,
  DHCPDECLINE,
  DHCPDISCOVER,
  DHCPINFORM,
  DHCPNAK,
  DHCPOFFER,
  DHCPRELEASE,
  DHCPREQUEST,
  ipOption,
  messageType,
  OPT_BROADCAST,
  OPT_DNS_SERVERS,
  OPT_HOSTNAME,
  OPT_LEASE_TIME,
  OPT_MESSAGE,
  OPT_MESSAGE_TYPE,
  OPT_REBINDING_TIME,
  OPT_RENEWAL_TIME,
  OPT_REQUESTED_IP,
  OPT_ROUTER,
  OPT_SERVER_ID,
  OPT_SUBNET_MASK,
  textOption,
  u32Option,
  type DhcpMessage,
  type DhcpOption,
} from './dhcp-message.js';

export interface DhcpServerConfig {
  serverIp: number;
  netmask: number;
  router: number;
  dns: number;
  /** First address handed out; the pool runs upward from it. */
  poolStart: number;
  poolSize: number;
  leaseSeconds: number;
  hostname?: string;
}

export interface DhcpReply {
  message: Uint8Array;
  dstIp: number;
  dstMac: MacAddress;
}

const BROADCAST_IP = 0xffffffff;

export class DhcpServer {
  /** MAC text -> leased address. Leases stay with a MAC: a restarted guest gets its address back. */
  private readonly leases = new Map<string, number>();
  /** How many times an address was acknowledged: the NAT's counters read it. */
  acks = 0;

  constructor(private readonly cfg: DhcpServerConfig) {}

  /** The reply to send, or undefined when the message needs none (or is not for us). */
  handle(m: DhcpMessage): DhcpReply | undefined {
    if (m.op !== BOOTREQUEST || m.giaddr !== 0) return undefined; // relays are not supported
    switch (messageType(m)) {
      case DHCPDISCOVER: {
        const ip = this.leaseFor(m.chaddr);
        return ip === undefined ? undefined : this.reply(m, DHCPOFFER, ip);
      }
      case DHCPREQUEST: {
        const serverId = addressOption(m, OPT_SERVER_ID);
        if (serverId !== undefined && serverId !== this.cfg.serverIp) return undefined; // it chose another server
        const requested = addressOption(m, OPT_REQUESTED_IP) ?? m.ciaddr;
        const ip = this.leaseFor(m.chaddr);
        if (ip === undefined || requested !== ip) return this.nak(m, 'requested address is not leased to this client');
        this.acks++;
        return this.reply(m, DHCPACK, ip);
      }
      case DHCPINFORM:
        return this.reply(m, DHCPACK, 0);
      case DHCPDECLINE:
      case DHCPRELEASE:
        // The pool belongs to this one virtual link: keeping the lease lets the client get it back.
        return undefined;
      default:
        return undefined;
    }
  }

  /** The address leased to `mac`, allocating the first free one in the pool. */
  leaseFor(mac: MacAddress): number | undefined {
    const key = formatMac(mac);
    const known = this.leases.get(key);
    if (known !== undefined) return known;
    const used = new Set(this.leases.values());
    for (let k = 0; k < this.cfg.poolSize; k++) {
      const ip = (this.cfg.poolStart + k) >>> 0;
      if (!used.has(ip)) {
        this.leases.set(key, ip);
        return ip;
      }
    }
    return undefined;
  }

  private reply(m: DhcpMessage, type: number, yiaddr: number): DhcpReply {
    const c = this.cfg;
    const options: DhcpOption[] = [[OPT_MESSAGE_TYPE, new Uint8Array([type])], ipOption(OPT_SERVER_ID, c.serverIp)];
    if (type !== DHCPACK || yiaddr !== 0) {
      options.push(
        u32Option(OPT_LEASE_TIME, c.leaseSeconds),
        u32Option(OPT_RENEWAL_TIME, Math.floor(c.leaseSeconds / 2)),
        u32Option(OPT_REBINDING_TIME, Math.floor((c.leaseSeconds * 7) / 8)),
      );
    }
    options.push(
      ipOption(OPT_SUBNET_MASK, c.netmask),
      ipOption(OPT_ROUTER, c.router),
      ipOption(OPT_DNS_SERVERS, c.dns),
      ipOption(OPT_BROADCAST, ((c.router & c.netmask) | ~c.netmask) >>> 0),
    );
    if (c.hostname) options.push(textOption(OPT_HOSTNAME, c.hostname));
    const message = buildDhcp(
      { op: BOOTREPLY, xid: m.xid, flags: m.flags, ciaddr: m.ciaddr, yiaddr, siaddr: 0, giaddr: 0, chaddr: m.chaddr },
      options,
    );
    // RFC 2131 §4.1: unicast to a configured client, broadcast when asked, else to the offered address.
    if (m.ciaddr !== 0) return { message, dstIp: m.ciaddr, dstMac: m.chaddr };
    if (m.flags & DHCP_FLAG_BROADCAST || yiaddr === 0) return { message, dstIp: BROADCAST_IP, dstMac: BROADCAST_MAC };
    return { message, dstIp: yiaddr, dstMac: m.chaddr };
  }

  private nak(m: DhcpMessage, why: string): DhcpReply {
    const message = buildDhcp(
      { op: BOOTREPLY, xid: m.xid, flags: m.flags, ciaddr: 0, yiaddr: 0, siaddr: 0, giaddr: 0, chaddr: m.chaddr },
      [[OPT_MESSAGE_TYPE, new Uint8Array([DHCPNAK])], ipOption(OPT_SERVER_ID, this.cfg.serverIp), textOption(OPT_MESSAGE, why)],
    );
    return { message, dstIp: BROADCAST_IP, dstMac: BROADCAST_MAC };
  }
}
