// Fans the guest's serial console out to every connected client and takes input from one of them.
// Every buffer is bounded: a client that does not read loses output (it is told how much), it never
// holds the vCPU back, and memory never grows with a flood (cf. Firecracker CVE-2020-27174).
import type { Socket } from 'node:net';

/** Unsent output held per client before its output is dropped. */
export const CLIENT_BUFFER_LIMIT = 256 * 1024;
/** How often input the guest's UART could not take yet is offered again. */
const INPUT_RETRY_MS = 5;

export interface ConsoleHubOptions {
  /** Offers bytes to the guest; returns how many it took (its receive FIFO may be full). */
  input: (bytes: Uint8Array) => number;
  /** The writer has changed hands, for the engine log. */
  onLog?: (message: string) => void;
}

interface Client {
  socket: Socket;
  id: number;
  dropped: number;
  toldReadOnly: boolean;
}

/**
 * Several clients may watch; one types. The first client to send input becomes the writer until it
 * disconnects; the others' input is discarded, and each is told so once, on its own stream.
 */
export class ConsoleHub {
  private readonly clients = new Set<Client>();
  private writer: Client | null = null;
  private pending: Uint8Array | null = null;
  private retry: NodeJS.Timeout | null = null;
  private nextId = 1;

  constructor(private readonly o: ConsoleHubOptions) {}

  get clientCount(): number {
    return this.clients.size;
  }

  attach(socket: Socket): void {
    const client: Client = { socket, id: this.nextId++, dropped: 0, toldReadOnly: false };
    this.clients.add(client);
    socket.on('data', (data: Buffer) => this.onInput(client, data));
    socket.on('drain', () => this.reportDropped(client));
    socket.on('error', () => undefined);
    socket.on('close', () => this.detach(client));
  }

  /** Guest output: to every client that keeps up. */
  publish(chunk: Uint8Array): void {
    for (const c of this.clients) {
      if (c.socket.destroyed) continue;
      if (c.socket.writableLength > CLIENT_BUFFER_LIMIT) {
        c.dropped += chunk.length;
        continue;
      }
      c.socket.write(chunk);
    }
  }

  /** The machine is gone: end every client's stream after what was already queued. */
  close(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    for (const c of this.clients) c.socket.end();
    this.clients.clear();
    this.writer = null;
  }

  private reportDropped(c: Client): void {
    if (c.dropped === 0 || c.socket.destroyed) return;
    c.socket.write(`\r\n[vm: ${c.dropped} bytes of console output were dropped: this client did not keep up]\r\n`);
    c.dropped = 0;
  }

  private onInput(c: Client, data: Buffer): void {
    if (this.writer === null) {
      this.writer = c;
      this.o.onLog?.(`console client ${c.id} is now the one typing`);
    }
    if (this.writer !== c) {
      if (!c.toldReadOnly) {
        c.toldReadOnly = true;
        c.socket.write('\r\n[vm: another session is typing on this console; your input is ignored until it detaches]\r\n');
      }
      return;
    }
    this.feed(new Uint8Array(data.buffer, data.byteOffset, data.length));
  }

  /** Hands bytes to the guest; what does not fit waits, with the writer paused, so nothing is lost. */
  private feed(bytes: Uint8Array): void {
    const taken = this.o.input(bytes);
    if (taken >= bytes.length) return;
    this.pending = bytes.subarray(taken);
    this.writer?.socket.pause();
    if (!this.retry) this.retry = setTimeout(() => this.flushPending(), INPUT_RETRY_MS);
  }

  private flushPending(): void {
    this.retry = null;
    const bytes = this.pending;
    this.pending = null;
    if (!bytes) return;
    const taken = this.o.input(bytes);
    if (taken < bytes.length) {
      this.pending = bytes.subarray(taken);
      this.retry = setTimeout(() => this.flushPending(), INPUT_RETRY_MS);
      return;
    }
    this.writer?.socket.resume();
  }

  private detach(c: Client): void {
    this.clients.delete(c);
    if (this.writer === c) {
      this.writer = null;
      this.pending = null;
      this.o.onLog?.(`console client ${c.id} stopped typing`);
    }
  }
}
