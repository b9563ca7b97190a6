// A NetHost that never touches the network: it records what the NAT asked for, and lets a test
// play the host side (connect results, data, datagrams). Unit tests use it where real host sockets
// would reach addresses off this machine (fuzzed and flooding guests pick arbitrary destinations).

import type {
  DnsRecordType,
  DnsResolver,
  DnsResult,
  HostTcpHandlers,
  HostTcpSocket,
  HostUdpHandlers,
  HostUdpSocket,
  NetHost,
} from '../../../../src/emulator/net/net-host.js';

export class RecordedTcpSocket implements HostTcpSocket {
  handlers: HostTcpHandlers | undefined;
  written: number[] = [];
  ended = false;
  wasReset = false;
  paused = false;
  bufferedBytes = 0;
  constructor(
    readonly ip: string,
    readonly port: number,
  ) {}
  attach(h: HostTcpHandlers): void {
    this.handlers = h;
  }
  write(data: Uint8Array): boolean {
    this.written.push(...data);
    return true;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {
    this.ended = true;
  }
  reset(): void {
    this.wasReset = true;
  }
}

export class RecordedUdpSocket implements HostUdpSocket {
  handlers: HostUdpHandlers | undefined;
  sent: Array<{ data: Uint8Array; ip: string; port: number }> = [];
  closed = false;
  attach(h: HostUdpHandlers): void {
    this.handlers = h;
  }
  send(data: Uint8Array, ip: string, port: number): void {
    this.sent.push({ data, ip, port });
  }
  close(): void {
    this.closed = true;
  }
}

export class RecordingHost implements NetHost {
  tcp: RecordedTcpSocket[] = [];
  udp: RecordedUdpSocket[] = [];
  readonly resolver: DnsResolver;
  constructor(resolve: (name: string, type: DnsRecordType) => Promise<DnsResult> = async () => ({ status: 'nxdomain', answers: [] })) {
    this.resolver = { resolve };
  }
  connectTcp(ip: string, port: number): HostTcpSocket {
    const s = new RecordedTcpSocket(ip, port);
    this.tcp.push(s);
    return s;
  }
  openUdp(): HostUdpSocket {
    const s = new RecordedUdpSocket();
    this.udp.push(s);
    return s;
  }
}
