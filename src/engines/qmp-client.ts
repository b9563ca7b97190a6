// A small QMP client shared by both engines and core: connect to a Unix socket, read the greeting, negotiate capabilities, run commands
// (each answer matched by its `id`), collect events, every step with a time limit.
// Reference: QEMU docs/interop/qmp-spec.txt (greeting, qmp_capabilities, execute/return/error, events).

import type { Socket } from 'node:net';
import { connectUnix } from './shared/unix-socket.js';

export interface QmpGreeting {
  QMP: { version: { qemu: { major: number; minor: number; micro: number }; package: string }; capabilities: string[] };
}

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

/** The server answered a command with an error (`class` is QMP's error class, e.g. CommandNotFound). */
export class QmpCommandError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command} failed: ${desc} (${errorClass})`);
    this.name = 'QmpCommandError';
  }
}

/** The connection failed, broke, or did not answer in time. */
export class QmpConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QmpConnectionError';
  }
}

const DEFAULT_TIMEOUT_MS = 5000;
/** A QMP message longer than this is not something we asked for: the connection is dropped. */
const MAX_LINE_BYTES = 4 * 1024 * 1024;
/** Events kept for waitForEvent before older ones are dropped. */
const MAX_EVENTS = 256;

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class QmpClient {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly events: QmpEvent[] = [];
  private readonly eventWaiters = new Set<(e: QmpEvent) => boolean>();
  private closedWith: Error | undefined;
  private greetingWaiter: ((g: QmpGreeting) => void) | undefined;
  greeting: QmpGreeting | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new QmpConnectionError(`QMP connection error: ${err.message}`)));
    socket.on('close', () => this.fail(new QmpConnectionError('QMP connection closed')));
  }

  /** Connects, reads the greeting and leaves capabilities negotiation mode; ready for commands. */
  static async connect(socketPath: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    const socket = await connectUnix(socketPath, timeoutMs, (why) =>
      new QmpConnectionError(why.timedOut ? `no QMP connection to ${socketPath} within ${timeoutMs} ms` : `cannot connect to QMP at ${socketPath}: ${why.message}`),
    );
    const client = new QmpClient(socket);
    try {
      await client.readGreeting(Math.max(1, deadline - Date.now()));
      await client.execute('qmp_capabilities', undefined, Math.max(1, deadline - Date.now()));
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  private readGreeting(timeoutMs: number): Promise<QmpGreeting> {
    if (this.greeting) return Promise.resolve(this.greeting);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new QmpConnectionError(`no QMP greeting within ${timeoutMs} ms`)), timeoutMs);
      this.greetingWaiter = (g) => {
        clearTimeout(timer);
        resolve(g);
      };
      this.socket.once('close', () => {
        clearTimeout(timer);
        reject(this.closedWith ?? new QmpConnectionError('QMP connection closed before the greeting'));
      });
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(line);
    }
    if (this.buffer.length > MAX_LINE_BYTES) {
      this.fail(new QmpConnectionError(`QMP message longer than ${MAX_LINE_BYTES} bytes`));
      this.socket.destroy();
    }
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not JSON: nothing we sent can be answered by it
    }
    if (typeof msg !== 'object' || msg === null) return;
    if ('QMP' in msg) {
      this.greeting = msg as unknown as QmpGreeting;
      this.greetingWaiter?.(this.greeting);
      return;
    }
    if (typeof msg.event === 'string') {
      const e = msg as unknown as QmpEvent;
      for (const w of this.eventWaiters) if (w(e)) this.eventWaiters.delete(w);
      this.events.push(e);
      if (this.events.length > MAX_EVENTS) this.events.shift();
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const p = id ? this.pending.get(id) : undefined;
    if (!p || !id) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ('error' in msg) {
      const e = (msg.error ?? {}) as { class?: unknown; desc?: unknown };
      p.reject(new QmpCommandError(p.command, String(e.class ?? 'GenericError'), String(e.desc ?? 'unknown error')));
    } else {
      p.resolve(msg.return);
    }
  }

  private fail(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  /** Runs `command`; resolves with its `return` value, rejects with QmpCommandError or QmpConnectionError. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = `vm-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpConnectionError(`QMP ${command} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });
  }

  /** Events received so far (the latest MAX_EVENTS). */
  receivedEvents(): readonly QmpEvent[] {
    return this.events;
  }

  /** Resolves with the first event named `name` (already received or coming); rejects on timeout or close. */
  waitForEvent(name: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<QmpEvent> {
    const seen = this.events.find((e) => e.event === name);
    if (seen) return Promise.resolve(seen);
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      const waiter = (e: QmpEvent): boolean => {
        if (e.event !== name) return false;
        cleanup();
        resolve(e);
        return true;
      };
      const onClose = (): void => {
        cleanup();
        reject(this.closedWith ?? new QmpConnectionError(`QMP connection closed before event ${name}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new QmpConnectionError(`no QMP event ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.eventWaiters.delete(waiter);
        this.socket.off('close', onClose);
      };
      this.eventWaiters.add(waiter);
      this.socket.once('close', onClose);
    });
  }

  /** `query-status`: e.g. { status: 'running', running: true }. */
  queryStatus(timeoutMs?: number): Promise<{ status: string; running: boolean; singlestep?: boolean }> {
    return this.execute('query-status', undefined, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}
