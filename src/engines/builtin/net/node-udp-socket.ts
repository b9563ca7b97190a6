// HostUdpSocket over a Node dgram socket bound to an ephemeral port; send errors are reported,
// never thrown.

import dgram from 'node:dgram';
import type { HostUdpHandlers, HostUdpSocket } from '../../../emulator/net/net-host.js';
import { describeSocketError } from './node-tcp-socket.js';

export class NodeUdpSocket implements HostUdpSocket {
  private readonly socket: dgram.Socket;
  private handlers: HostUdpHandlers | undefined;
  private closed = false;

  constructor(type: 'udp4' | 'udp6' = 'udp4') {
    this.socket = dgram.createSocket({ type });
    this.socket.on('message', (msg, rinfo) => {
      if (!this.closed) this.handlers?.onMessage(msg, rinfo.address, rinfo.port);
    });
    this.socket.on('error', (err) => {
      if (!this.closed) this.handlers?.onError(describeSocketError(err));
    });
    this.socket.bind(0);
  }

  attach(handlers: HostUdpHandlers): void {
    this.handlers = handlers;
  }

  send(data: Uint8Array, ip: string, port: number): void {
    if (this.closed) return;
    this.socket.send(data, port, ip, (err) => {
      if (err && !this.closed) this.handlers?.onError(describeSocketError(err));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}
