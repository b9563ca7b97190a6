import { describe, expect, it } from 'vitest';
import {
  addressOption,
  BOOTREQUEST,
  buildDhcp,
  DHCP_FLAG_BROADCAST,
  DHCPACK,
  DHCPDISCOVER,
  DHCPINFORM,
  DHCPNAK,
  DHCPOFFER,
  DHCPREQUEST,
  ipOption,
  messageType,
  OPT_DNS_SERVERS,
  OPT_HOSTNAME,
  OPT_LEASE_TIME,
  OPT_MESSAGE_TYPE,
  OPT_REQUESTED_IP,
  OPT_ROUTER,
  OPT_SERVER_ID,
  OPT_SUBNET_MASK,
  parseDhcp,
  type DhcpMessage,
} from '../../../../src/emulator/net/dhcp-message.js';
import { DhcpServer } from '../../../../src/emulator/net/dhcp-server.js';
import { ETH_HEADER_SIZE, formatMac } from '../../../../src/emulator/net/ethernet.js';
import { formatIpv4, parseIpv4 } from '../../../../src/emulator/net/ip-address.js';
import { parseIpv4Packet } from '../../../../src/emulator/net/ipv4.js';
import { parseUdp } from '../../../../src/emulator/net/udp.js';
import { DHCP_DISCOVER, DHCP_REQUEST } from './fixtures/guest-frames.js';

const ip = (s: string) => parseIpv4(s)!;

function dhcpOf(frame: Uint8Array): DhcpMessage {
  const p = parseIpv4Packet(frame.subarray(ETH_HEADER_SIZE));
  if (!p.ok) throw new Error(p.reason);
  const u = parseUdp(p.value.payload, p.value.src, p.value.dst);
  if (!u.ok) throw new Error(u.reason);
  const m = parseDhcp(u.value.payload);
  if (!m.ok) throw new Error(m.reason);
  return m.value;
}

function server(hostname?: string) {
  return new DhcpServer({
    serverIp: ip('10.0.2.2'),
    netmask: ip('255.255.255.0'),
    router: ip('10.0.2.2'),
    dns: ip('10.0.2.3'),
    poolStart: ip('10.0.2.15'),
    poolSize: 2,
    leaseSeconds: 86400,
    hostname,
  });
}

function reparse(bytes: Uint8Array): DhcpMessage {
  const m = parseDhcp(bytes);
  if (!m.ok) throw new Error(m.reason);
  return m.value;
}

describe('dhcp messages', () => {
  it('parses a captured DISCOVER and REQUEST', () => {
    const d = dhcpOf(DHCP_DISCOVER);
    expect(d.op).toBe(BOOTREQUEST);
    expect(messageType(d)).toBe(DHCPDISCOVER);
    expect(formatMac(d.chaddr)).toBe('ca:a2:ab:c1:4b:a5');
    const r = dhcpOf(DHCP_REQUEST);
    expect(messageType(r)).toBe(DHCPREQUEST);
    expect(formatIpv4(addressOption(r, OPT_REQUESTED_IP)!)).toBe('10.0.2.15');
    expect(formatIpv4(addressOption(r, OPT_SERVER_ID)!)).toBe('10.0.2.2');
  });

  it('rejects truncated messages, wrong cookies and options running off the end', () => {
    const p = parseIpv4Packet(DHCP_DISCOVER.subarray(ETH_HEADER_SIZE));
    if (!p.ok) throw new Error();
    const body = p.value.payload.slice(8);
    expect(parseDhcp(body.subarray(0, 239))).toEqual({ ok: false, reason: 'dhcp-malformed' });
    const cookie = body.slice();
    cookie[236] = 0;
    expect(parseDhcp(cookie)).toEqual({ ok: false, reason: 'dhcp-malformed' });
    // Cut in the middle of the options, without END: the last option's length points past the end.
    expect(parseDhcp(body.subarray(0, 246))).toEqual({ ok: false, reason: 'dhcp-malformed' });
  });

  it('builds replies of at least 300 bytes that parse back', () => {
    const bytes = buildDhcp(
      { op: 2, xid: 0x12345678, flags: 0, ciaddr: 0, yiaddr: ip('10.0.2.15'), siaddr: 0, giaddr: 0, chaddr: new Uint8Array(6).fill(1) },
      [[OPT_MESSAGE_TYPE, new Uint8Array([DHCPOFFER])], ipOption(OPT_ROUTER, ip('10.0.2.2'))],
    );
    expect(bytes.length).toBeGreaterThanOrEqual(300);
    const m = reparse(bytes);
    expect(m.xid).toBe(0x12345678);
    expect(messageType(m)).toBe(DHCPOFFER);
  });
});

describe('dhcp server', () => {
  it('offers and acknowledges 10.0.2.15 with mask, router, DNS, lease and hostname', () => {
    const s = server('web1');
    const offer = s.handle(dhcpOf(DHCP_DISCOVER))!;
    const o = reparse(offer.message);
    expect(messageType(o)).toBe(DHCPOFFER);
    expect(formatIpv4(o.yiaddr)).toBe('10.0.2.15');
    expect(formatIpv4(offer.dstIp)).toBe('10.0.2.15'); // unicast: no broadcast flag, no ciaddr
    expect(formatMac(offer.dstMac)).toBe('ca:a2:ab:c1:4b:a5');
    expect(formatIpv4(addressOption(o, OPT_SUBNET_MASK)!)).toBe('255.255.255.0');
    expect(formatIpv4(addressOption(o, OPT_ROUTER)!)).toBe('10.0.2.2');
    expect(formatIpv4(addressOption(o, OPT_DNS_SERVERS)!)).toBe('10.0.2.3');
    expect(Buffer.from(o.options.get(OPT_LEASE_TIME)!).readUInt32BE(0)).toBe(86400);
    expect(new TextDecoder().decode(o.options.get(OPT_HOSTNAME))).toBe('web1');
    const ack = reparse(s.handle(dhcpOf(DHCP_REQUEST))!.message);
    expect(messageType(ack)).toBe(DHCPACK);
    expect(formatIpv4(ack.yiaddr)).toBe('10.0.2.15');
    expect(s.acks).toBe(1);
  });

  it('NAKs a request for an address that is not the client\'s, and ignores requests to other servers', () => {
    const s = server();
    const req = dhcpOf(DHCP_REQUEST);
    req.options.set(OPT_REQUESTED_IP, Uint8Array.from([10, 0, 2, 99]));
    const nak = s.handle(req)!;
    expect(messageType(reparse(nak.message))).toBe(DHCPNAK);
    expect(formatIpv4(nak.dstIp)).toBe('255.255.255.255');
    const other = dhcpOf(DHCP_REQUEST);
    other.options.set(OPT_SERVER_ID, Uint8Array.from([10, 0, 2, 4]));
    expect(s.handle(other)).toBeUndefined();
  });

  it('broadcasts when the client asks, answers INFORM without a lease, and runs out of addresses', () => {
    const s = server();
    const d = dhcpOf(DHCP_DISCOVER);
    d.flags = DHCP_FLAG_BROADCAST;
    expect(formatIpv4(s.handle(d)!.dstIp)).toBe('255.255.255.255');
    const inform = dhcpOf(DHCP_REQUEST);
    inform.options.set(OPT_MESSAGE_TYPE, new Uint8Array([DHCPINFORM]));
    inform.ciaddr = ip('10.0.2.15');
    const reply = s.handle(inform)!;
    const m = reparse(reply.message);
    expect(messageType(m)).toBe(DHCPACK);
    expect(m.yiaddr).toBe(0);
    expect(m.options.has(OPT_LEASE_TIME)).toBe(false);
    expect(formatIpv4(reply.dstIp)).toBe('10.0.2.15');
    // Pool of 2: the captured client has .15, a second MAC gets .16, a third gets nothing.
    const second = dhcpOf(DHCP_DISCOVER);
    second.chaddr = Uint8Array.from([2, 0, 0, 0, 0, 1]);
    expect(formatIpv4(reparse(s.handle(second)!.message).yiaddr)).toBe('10.0.2.16');
    const third = dhcpOf(DHCP_DISCOVER);
    third.chaddr = Uint8Array.from([2, 0, 0, 0, 0, 2]);
    expect(s.handle(third)).toBeUndefined();
  });
});
