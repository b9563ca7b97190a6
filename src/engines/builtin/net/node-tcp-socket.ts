// HostTcpSocket over a Node net.Socket: events held until the NAT attaches, writes guarded after
// close, reset() sends a real RST (socket.resetAndDestroy).

import type { Socket } from 'node:net';
import type { HostTcpHandlers, HostTcpSocket } from '../../../emulator/net/net-host.js';

export function describeSocketError(err: Error & { code?: string }): string {
  return err.code !== undefined && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message;
}

export class NodeTcpSocket implements HostTcpSocket {
  private handlers: HostTcpHandlers | undefined;
  private held: Array<(h: HostTcpHandlers) => void> = [];
  private error: string | undefined;
  private closed = false;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('connect', () => this.fire((h) => h.onConnect()));
    socket.on('data', (data: Buffer) => this.fire((h) => h.onData(data)));
    socket.on('drain', () => this.fire((h) => h.onDrain()));
    socket.on('end', () => this.fire((h) => h.onEnd()));
    socket.on('error', (err) => {
      this.error ??= describeSocketError(err);
    });
    socket.on('close', () => {
      this.closed = true;
      this.fire((h) => h.onClose(this.error));
    });
  }

  attach(handlers: HostTcpHandlers): void {
    this.handlers = handlers;
    const held = this.held;
    this.held = [];
    for (const event of held) event(handlers);
  }

  private fire(event: (h: HostTcpHandlers) => void): void {
    if (this.handlers !== undefined) event(this.handlers);
    else this.held.push(event);
  }

  write(data: Uint8Array): boolean {
    if (this.closed || this.socket.destroyed || !this.socket.writable) return false;
    return this.socket.write(data);
  }

  get bufferedBytes(): number {
    return this.closed ? 0 : this.socket.writableLength;
  }

  pause(): void {
    if (!this.closed) this.socket.pause();
  }

  resume(): void {
    if (!this.closed) this.socket.resume();
  }

  resumeNow(): void {
    if (this.closed) return;
    this.socket.resume();
    // read() emits 'data' for what it returns; stop as soon as a handler paused the socket again.
    while (!this.socket.isPaused() && this.socket.readableLength > 0 && this.socket.read() !== null);
  }

  end(): void {
    if (!this.closed && !this.socket.destroyed && this.socket.writable) this.socket.end();
  }

  reset(): void {
    if (this.closed || this.socket.destroyed) return;
    try {
      this.socket.resetAndDestroy();
    } catch {
      this.socket.destroy();
    }
  }
}
