// Bridges a guest byte port (the agent's virtio-console port) to clients of a Unix socket, one client
// at a time as QEMU's socket chardev does: later clients wait their turn, so two conversations never
// interleave on the one channel. Bytes the guest sends while nobody is connected are dropped. Bytes
// a client sends before the guest side exists (the engine is still loading a saved state, or booting
// again) wait for it, the client paused meanwhile: a handshake sent early is answered, not lost.
import type { Socket } from 'node:net';
import { startTrace } from '../shared/start-trace.js';

/** The guest side of the port, as the machine exposes it. */
export interface GuestPort {
  /** Sends bytes to the guest; returns false when they had to be dropped (guest not reading). */
  send(bytes: Uint8Array): boolean;
}

/** Clients waiting for the port, at most; more are refused at once. */
const MAX_WAITING = 16;
/** Output queued to a client that does not read, before the client is cut off. */
const CLIENT_BUFFER_LIMIT = 4 * 1024 * 1024;

export class PortBridge {
  private current: Socket | null = null;
  private readonly waiting: Socket[] = [];
  private port: GuestPort | null = null;
  /** What the current client sent while there was no guest side. */
  private held: Uint8Array[] = [];
  private answered = false;

  /** The guest side appears (boot) or goes (reboot, exit). */
  setPort(port: GuestPort | null): void {
    this.port = port;
    if (!port || !this.current) return;
    for (const b of this.held) port.send(b);
    this.held = [];
    this.current.resume();
  }

  attach(socket: Socket): void {
    startTrace('engine', 'agent client connected');
    socket.on('error', () => undefined);
    if (this.current === null) {
      this.activate(socket);
      return;
    }
    if (this.waiting.length >= MAX_WAITING) {
      socket.destroy();
      return;
    }
    socket.pause();
    this.waiting.push(socket);
    socket.once('close', () => {
      const i = this.waiting.indexOf(socket);
      if (i >= 0) this.waiting.splice(i, 1);
    });
  }

  /** Bytes from the guest, for the client holding the port. */
  fromGuest(bytes: Uint8Array): void {
    if (!this.answered) {
      this.answered = true;
      startTrace('engine', 'first agent bytes from the guest');
    }
    const c = this.current;
    if (!c || c.destroyed) return;
    if (c.writableLength > CLIENT_BUFFER_LIMIT) {
      c.destroy();
      return;
    }
    c.write(bytes);
  }

  close(): void {
    this.current?.end();
    for (const s of this.waiting) s.destroy();
    this.waiting.length = 0;
    this.current = null;
  }

  private activate(socket: Socket): void {
    this.current = socket;
    this.held = [];
    socket.on('data', (data: Buffer) => {
      if (this.current !== socket) return;
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
      if (this.port) {
        this.port.send(bytes);
        return;
      }
      this.held.push(bytes);
      socket.pause();
    });
    socket.once('close', () => {
      if (this.current !== socket) return;
      this.current = null;
      this.held = [];
      const next = this.waiting.shift();
      if (next) {
        this.activate(next);
        next.resume();
      }
    });
    socket.resume();
  }
}
