// A small QMP client (docs/interop/qmp-spec.rst) for a machine's qmp.sock: connect, negotiate
// capabilities, run commands one at a time, watch events. Works against qemu and the builtin engine.
import net from 'node:net';

const MAX_LINE_BYTES = 1024 * 1024;

export class QmpError extends Error {
  constructor(
    message: string,
    readonly errorClass?: string,
  ) {
    super(message);
    this.name = 'QmpError';
  }
}

interface Waiter {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class QmpClient {
  private buf = '';
  private readonly waiters: Waiter[] = [];
  private readonly eventHandlers: ((name: string, data: unknown) => void)[] = [];
  private closedError: Error | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (t: string) => this.onData(t));
    socket.on('error', (err) => this.fail(new QmpError(`QMP connection failed: ${err.message}`)));
    socket.on('close', () => this.fail(new QmpError('QMP connection closed')));
  }

  /** Connects to `path`, reads the greeting and negotiates capabilities. */
  static async connect(path: string, timeoutMs = 5000): Promise<QmpClient> {
    const socket = net.connect(path);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new QmpError(`no QMP answer on ${path} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new QmpError(`cannot connect to ${path}: ${err.message}`));
      });
    });
    const client = new QmpClient(socket);
    const greeting = (await client.next(timeoutMs)) as { QMP?: unknown };
    if (!greeting || typeof greeting !== 'object' || !('QMP' in greeting)) throw new QmpError(`${path} did not greet with QMP`);
    await client.execute('qmp_capabilities', undefined, timeoutMs);
    return client;
  }

  onEvent(fn: (name: string, data: unknown) => void): void {
    this.eventHandlers.push(fn);
  }

  /** Runs a command; resolves with its `return`, rejects with its `error`. Commands are serialized. */
  execute(command: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
    const run = async (): Promise<unknown> => {
      this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
      const reply = (await this.next(timeoutMs)) as { return?: unknown; error?: { class?: string; desc?: string } };
      if (reply.error) throw new QmpError(reply.error.desc ?? 'QMP error', reply.error.class);
      return reply.return;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Resolves when the engine closes the connection (it ends with the machine). */
  closed(): Promise<void> {
    if (this.socket.destroyed || this.closedError) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }

  private next(timeoutMs: number): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new QmpError(`no QMP reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const w: Waiter = {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(w);
    });
  }

  private onData(text: string): void {
    this.buf += text;
    if (this.buf.length > MAX_LINE_BYTES) {
      this.fail(new QmpError('QMP reply too long'));
      this.socket.destroy();
      return;
    }
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (typeof msg.event === 'string') {
        for (const h of this.eventHandlers) h(msg.event, msg.data);
        continue;
      }
      this.waiters.shift()?.resolve(msg);
    }
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
