// NetHost and NetClock for the builtin engine: outbound host sockets with node:net and node:dgram,
// names through the host's resolver, timers on the event loop.

import net from 'node:net';
import type { DnsResolver, HostTcpSocket, HostUdpSocket, NetClock, NetHost } from '../../../emulator/net/net-host.js';
import { NodeDnsResolver } from './node-dns-resolver.js';
import { NodeTcpSocket } from './node-tcp-socket.js';
import { NodeUdpSocket } from './node-udp-socket.js';

export class NodeNetHost implements NetHost {
  readonly resolver: DnsResolver;

  constructor(opts: { resolver?: DnsResolver } = {}) {
    this.resolver = opts.resolver ?? new NodeDnsResolver();
  }

  connectTcp(ip: string, port: number): HostTcpSocket {
    // allowHalfOpen: the guest's FIN and the host peer's FIN travel independently.
    return new NodeTcpSocket(net.connect({ host: ip, port, allowHalfOpen: true }));
  }

  openUdp(): HostUdpSocket {
    return new NodeUdpSocket('udp4');
  }
}

export const nodeNetClock: NetClock = {
  now: () => performance.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
