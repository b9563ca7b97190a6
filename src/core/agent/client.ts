// The host's client for the guest agent: connect to a machine's agent.sock, shake hands, run
// commands, move files, power off. Protocol: agent/PROTOCOL.md.
import { createConnection, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AgentChannel, type ChannelOptions } from './channel.js';
import { AgentError } from './errors.js';
import { startExec, type ExecHandle, type ExecOptions } from './exec.js';
import { readFile, streamFile, writeFile, type FileInfo, type FileSink, type ReadFileOptions, type WriteFileOptions } from './file-transfer.js';
import { PayloadWriter, type ExitStatus, type HelloAck } from './payloads.js';
import { MAX_PING, POWER, T } from './protocol.js';

export interface ConnectOptions extends ChannelOptions {
  /** How long to wait for the socket to accept (default 10 s). */
  connectTimeoutMs?: number;
  /** How to open the connection (default: the socket itself); `viaMux` shares a machine's agent. */
  connect?: (timeoutMs: number) => Promise<Socket>;
}

export type AgentInfo = Omit<HelloAck, 'nonce'>;

export interface RunResult {
  status: ExitStatus;
  stdout: Buffer;
  stderr: Buffer;
}

export interface RunOptions extends ExecOptions {
  /** Kill the command and fail when stdout or stderr exceeds this (default 64 MiB each). */
  maxBuffer?: number;
}

/** Opens a Unix socket, failing with an AgentError that names the path. */
export function connectSocket(socketPath: string, timeoutMs = 10_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: socketPath });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new AgentError(`the agent socket ${socketPath} did not accept a connection within ${timeoutMs} ms`, 'timeout'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why =
        err.code === 'ENOENT' ? 'does not exist (is the machine running?)'
        : err.code === 'ECONNREFUSED' ? 'refused the connection (is the machine running?)'
        : err.code === 'EACCES' ? 'is not accessible to this user'
        : `failed: ${err.message}`;
      reject(new AgentError(`the agent socket ${socketPath} ${why}`, 'channel'));
    });
  });
}

export class AgentClient {
  private readonly channel: AgentChannel;
  /** The handshake in flight: concurrent callers share it (a second HELLO would reset the first's work). */
  private handshake: Promise<AgentInfo> | null = null;

  constructor(stream: Duplex, options: ChannelOptions = {}) {
    this.channel = new AgentChannel(stream, options);
  }

  /** Connects to `socketPath` (no handshake yet: call hello()). */
  static async connect(socketPath: string, options: ConnectOptions = {}): Promise<AgentClient> {
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    return new AgentClient(await (options.connect ? options.connect(timeoutMs) : connectSocket(socketPath, timeoutMs)), options);
  }

  /** What the agent said in the last handshake. */
  get info(): AgentInfo | undefined {
    return this.channel.info;
  }

  get closed(): boolean {
    return this.channel.closed;
  }

  /**
   * Handshake: resolves once the agent answers (the guest is ready). Resets the connection: straight
   * on agent.sock the whole agent (what any earlier client started is stopped); through the mux
   * (viaMux) only what this client started.
   */
  hello(timeoutMs = 30_000): Promise<AgentInfo> {
    this.handshake ??= this.channel.hello(timeoutMs).then(
      ({ nonce: _nonce, ...info }) => {
        this.handshake = null;
        return info;
      },
      (err: unknown) => {
        this.handshake = null;
        throw err;
      },
    );
    return this.handshake;
  }

  /** Round trip through the agent without resetting it; resolves with the time taken in ms. */
  async ping(timeoutMs = this.channel.requestTimeoutMs): Promise<number> {
    await this.ready();
    const started = performance.now();
    const token = Buffer.from(`ping ${started}`.slice(0, MAX_PING));
    await new Promise<void>((resolve, reject) => {
      let id = 0;
      const timer = setTimeout(() => {
        this.channel.closeSession(id);
        reject(new AgentError(`the guest agent did not answer a ping within ${timeoutMs} ms`, 'timeout'));
      }, timeoutMs);
      this.channel
        .openSession({
          onFrame: (f) => {
            if (f.type !== T.PONG || !f.payload.equals(token)) return;
            clearTimeout(timer);
            this.channel.closeSession(id);
            resolve();
          },
          onClose: (err) => {
            clearTimeout(timer);
            reject(err);
          },
        })
        .then((sid) => {
          id = sid;
          this.channel.send(T.PING, 0, id, token);
        }, reject);
    });
    return performance.now() - started;
  }

  /**
   * Starts a command; see ExecHandle. Throws at once on a request the guest could not carry out;
   * shakes hands first when the channel is not synchronised (after an agent restart).
   */
  exec(options: ExecOptions): ExecHandle {
    if (this.channel.closed) throw new AgentError('the agent client is closed', 'channel');
    return startExec(this.channel, options, () => this.ready());
  }

  /** Runs a command to the end and collects its output. */
  async run(options: RunOptions): Promise<RunResult> {
    const max = options.maxBuffer ?? 64 * 1024 * 1024;
    const handle = this.exec(options);
    const collect = (stream: NodeJS.ReadableStream, name: string): Promise<Buffer> =>
      new Promise((resolve) => {
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (c: Buffer) => {
          size += c.length;
          if (size > max) {
            handle.kill('SIGKILL');
            overflow ??= new AgentError(`the command's ${name} exceeded ${max} bytes; it was killed`, 'request');
            return;
          }
          chunks.push(c);
        });
        stream.on('close', () => resolve(Buffer.concat(chunks)));
        stream.on('end', () => resolve(Buffer.concat(chunks)));
      });
    let overflow: AgentError | undefined;
    const [stdout, stderr, status] = await Promise.all([
      collect(handle.stdout, 'stdout'),
      collect(handle.stderr, 'stderr'),
      handle.exit,
    ]);
    if (overflow) throw overflow;
    return { status, stdout, stderr };
  }

  async writeFile(path: string, data: string | Uint8Array | AsyncIterable<Uint8Array | string>, options?: WriteFileOptions): Promise<void> {
    await this.ready();
    return writeFile(this.channel, path, data, options);
  }

  async readFile(path: string, options?: ReadFileOptions): Promise<Buffer> {
    await this.ready();
    return readFile(this.channel, path, options);
  }

  /** Streams a guest file into `sink` (any size; credit follows the sink's pace); resolves with its info. */
  async streamFile(path: string, sink: FileSink): Promise<FileInfo> {
    await this.ready();
    return streamFile(this.channel, path, sink);
  }

  /** Asks the guest to sync and power off; resolves when the agent acknowledged (or the channel closed). */
  poweroff(timeoutMs?: number): Promise<void> {
    return this.power(POWER.OFF, timeoutMs);
  }

  reboot(timeoutMs?: number): Promise<void> {
    return this.power(POWER.REBOOT, timeoutMs);
  }

  close(): void {
    this.channel.close();
  }

  private async ready(): Promise<void> {
    if (!this.channel.synced) await this.hello(this.channel.requestTimeoutMs);
  }

  private async power(action: number, timeoutMs = this.channel.requestTimeoutMs): Promise<void> {
    await this.ready();
    await new Promise<void>((resolve, reject) => {
      let id = 0;
      const timer = setTimeout(() => {
        this.channel.closeSession(id);
        reject(new AgentError(`the guest agent did not acknowledge the power request within ${timeoutMs} ms`, 'timeout'));
      }, timeoutMs);
      this.channel
        .openSession({
          onFrame: (f) => {
            if (f.type !== T.POWER_ACK && f.type !== T.ERROR) return;
            clearTimeout(timer);
            this.channel.closeSession(id);
            if (f.type === T.POWER_ACK) return resolve();
            const msg = f.payload.length > 8 ? f.payload.subarray(8).toString('utf8') : 'refused';
            reject(new AgentError(`the guest refused the power request: ${msg}`, 'guest', f.payload.readUInt32LE(0)));
          },
          onClose: (err) => {
            clearTimeout(timer);
            // the machine going away is what was asked for
            if (this.channel.closed) resolve();
            else reject(err);
          },
        })
        .then((sid) => {
          id = sid;
          this.channel.send(T.POWER, 0, id, new PayloadWriter().u32(action).done());
        }, reject);
    });
  }
}

/** Connects to a machine's agent socket and shakes hands. */
export async function connectAgent(socketPath: string, options: ConnectOptions & { helloTimeoutMs?: number } = {}): Promise<AgentClient> {
  const client = await AgentClient.connect(socketPath, options);
  try {
    await client.hello(options.helloTimeoutMs);
    return client;
  } catch (err) {
    client.close();
    throw err;
  }
}

/**
 * Readiness: keeps connecting to the socket (it may not exist yet) and shaking hands until the
 * agent answers or `timeoutMs` passes. Returns the connected client.
 */
export async function waitForAgent(socketPath: string, options: ConnectOptions & { timeoutMs: number }): Promise<AgentClient> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    let client: AgentClient | undefined;
    try {
      client = await AgentClient.connect(socketPath, { ...options, connectTimeoutMs: Math.max(1, deadline - Date.now()) });
      await client.hello(Math.max(1, deadline - Date.now()));
      return client;
    } catch (err) {
      client?.close();
      last = err;
      if (err instanceof AgentError && err.kind === 'timeout') break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const why = last instanceof Error ? ` (${last.message})` : '';
  throw new AgentError(`the guest agent did not become ready within ${options.timeoutMs} ms${why}`, 'timeout');
}
