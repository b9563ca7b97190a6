// What the NAT's protocol handlers share: configuration, host services, counters, the way back to
// the guest, and the rule that maps a guest-visible destination to a host address.

import type { ResolvedNetConfig } from './net-config.js';
import type { NetClock, NetHost } from './net-host.js';
import type { NetStats } from './net-stats.js';

export interface NatLimits {
  /** Guest and forwarded TCP connections at once, TIME_WAIT included. */
  maxTcpConnections: number;
  /** Outbound connections still waiting for the host's connect: caps a SYN flood. */
  maxPendingConnects: number;
  /** Give up on a host connect after this long (the guest sees RST). */
  connectTimeoutMs: number;
  maxUdpFlows: number;
  udpIdleMs: number;
  maxDnsInFlight: number;
  dnsTimeoutMs: number;
  /** Frames held per address while its MAC is being resolved. */
  arpQueueFrames: number;
}

export const DEFAULT_NAT_LIMITS: NatLimits = {
  maxTcpConnections: 1024,
  maxPendingConnects: 128,
  connectTimeoutMs: 30_000,
  maxUdpFlows: 256,
  udpIdleMs: 60_000,
  maxDnsInFlight: 64,
  dnsTimeoutMs: 5_000,
  arpQueueFrames: 32,
};

export interface NatContext {
  readonly config: ResolvedNetConfig;
  readonly host: NetHost;
  readonly clock: NetClock;
  readonly stats: NetStats;
  readonly limits: NatLimits;
  log(message: string): void;
  /**
   * The most TCP payload one segment to the guest may carry: 0 means one MSS (the link's MTU rules);
   * more when the guest's NIC takes large (TSO) segments. Read per segment: it changes when the guest's driver resets.
   */
  tcpSegmentLimit(): number;
  /** Sends an IPv4 packet to the guest (fragmented if needed), resolving the guest's MAC. */
  sendIpv4(src: number, dst: number, protocol: number, payload: Uint8Array): void;
  /**
   * The host address a guest packet to `dst` goes to: the gateway means the host's loopback,
   * addresses outside the virtual network mean themselves, anything else is undefined (unroutable).
   */
  hostAddressFor(dst: number): string | undefined;
}
