// Counters for the user-mode NAT: what came in, what went out, and every frame dropped and why.
// A hostile or broken guest shows up here instead of as an exception in the host process.

export const DROP_REASONS = [
  'eth-truncated',
  'eth-unsupported-type',
  'eth-not-for-us',
  'arp-malformed',
  'arp-queue-full',
  'ipv4-malformed',
  'ipv4-bad-checksum',
  'ipv4-fragment',
  'ipv4-bad-source',
  'ipv4-unroutable',
  'ipv4-unsupported-protocol',
  'icmp-malformed',
  'icmp-bad-checksum',
  'icmp-unsupported',
  'udp-malformed',
  'udp-bad-checksum',
  'udp-flow-limit',
  'udp-unroutable',
  'udp-send-failed',
  'tcp-malformed',
  'tcp-bad-checksum',
  'tcp-connection-limit',
  'tcp-no-connection',
  'tcp-unroutable',
  'dhcp-malformed',
  'dhcp-ignored',
  'dns-malformed',
  'dns-overload',
  'internal-error',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

/** A parser's answer: the parsed value, or why the bytes were dropped. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: DropReason };

export function parsedOk<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function parseFailed<T>(reason: DropReason): Parsed<T> {
  return { ok: false, reason };
}

export class NetStats {
  framesFromGuest = 0;
  bytesFromGuest = 0;
  framesToGuest = 0;
  bytesToGuest = 0;
  tcpConnectionsOpened = 0;
  tcpConnectionsActive = 0;
  tcpRetransmits = 0;
  udpFlowsOpened = 0;
  dnsQueries = 0;
  dhcpLeases = 0;
  readonly dropped: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<
    DropReason,
    number
  >;

  drop(reason: DropReason): void {
    this.dropped[reason]++;
  }

  get totalDropped(): number {
    let n = 0;
    for (const r of DROP_REASONS) n += this.dropped[r];
    return n;
  }
}
