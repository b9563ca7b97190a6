// The agent multiplexer: one connection to a machine's agent.sock, shared by any number of clients.
// The engines serve agent.sock to one client at a time (QEMU's socket chardev does, and the builtin
// engine does the same), and a client's HELLO resets the agent, so without this a long `vm ssh -c`
// would lock every other command (provision, halt, the console's window size) out of the guest.
//
// Clients speak the agent protocol to the mux exactly as to the agent (agent/PROTOCOL.md). The mux:
// - renumbers sessions: each client operation gets its own session upstream, so clients may pick
//   the same ids;
// - answers a client's HELLO itself (with the agent's own HELLO_ACK, carrying the client's nonce),
//   after cancelling that client's operations only: a new client never resets another's work;
// - shakes hands with the agent when the channel is not synchronised (first use, agent restart,
//   corrupt frame), and tells the clients that lost operations with an AGENT_RESET of their own;
// - cancels a client's commands and transfers when it disconnects, as the agent does on a reset.
// Flow control is per session and passes through unchanged: credit is between client and agent.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AgentChannel } from './channel.js';
import { AgentError } from './errors.js';
import { encodeFrame, FrameDecoder } from './frame-codec.js';
import { PayloadWriter } from './payloads.js';
import { FLAG_EOF, NONCE_SIZE, T, type Frame } from './protocol.js';

type OpKind = 'exec' | 'write' | 'read' | 'ping' | 'power';

/** Frame types that start an operation, and the operation they start. */
const OPENS = new Map<number, OpKind>([
  [T.EXEC, 'exec'],
  [T.FILE_WRITE, 'write'],
  [T.FILE_READ, 'read'],
  [T.PING, 'ping'],
  [T.POWER, 'power'],
]);

/** Errno values the mux answers with itself, as the agent would. */
const EINVAL = 22;
const EBUSY = 16;

/** The frame after which the agent forgets a session of this kind. */
function endsOp(kind: OpKind, f: Frame): boolean {
  if (f.type === T.ERROR) return true;
  switch (kind) {
    case 'exec':
      return f.type === T.EXIT;
    case 'write':
      return f.type === T.FILE_WRITTEN;
    case 'read':
      return f.type === T.FILE_CHUNK && (f.flags & FLAG_EOF) !== 0;
    case 'ping':
      return f.type === T.PONG;
    case 'power':
      return f.type === T.POWER_ACK;
  }
}

/** One client operation: its session upstream (0 until the channel gave one) and the frames that wait for it. */
interface Op {
  kind: OpKind;
  upstream: number;
  queued: Frame[];
}

/** Output queued to a client that does not read, before it is cut off (credit bounds what a reading client gets). */
const CLIENT_BUFFER_LIMIT = 16 * 1024 * 1024;
/** Frames a client may send for an operation before the agent has a session for it. */
const MAX_QUEUED_BYTES = 1024 * 1024;

export interface MuxOptions {
  /** How long one handshake with the agent may take before the clients that wait are left to time out. */
  helloTimeoutMs?: number;
  log?: (line: string) => void;
}

class MuxClient {
  readonly ops = new Map<number, Op>();
  resetQueued = false;
  constructor(readonly socket: Socket) {}

  send(type: number, flags: number, session: number, payload?: Uint8Array): void {
    if (this.socket.destroyed) return;
    if (this.socket.writableLength > CLIENT_BUFFER_LIMIT) {
      this.socket.destroy();
      return;
    }
    this.socket.write(encodeFrame(type, flags, session, payload));
  }
}

export class AgentMux {
  private readonly channel: AgentChannel;
  private readonly clients = new Set<MuxClient>();
  private syncing: Promise<void> | null = null;
  private readonly helloTimeoutMs: number;
  private readonly log: (line: string) => void;
  private paused = false;
  private ended = false;
  private changed: () => void = () => {};

  constructor(upstream: Duplex, options: MuxOptions = {}) {
    this.helloTimeoutMs = options.helloTimeoutMs ?? 30_000;
    this.log = options.log ?? (() => {});
    this.channel = new AgentChannel(upstream, { log: this.log });
    upstream.on('close', () => this.close());
  }

  /** Clients connected now. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Called whenever a client comes or goes (the mux process's idle timer). */
  onClientsChanged(fn: () => void): void {
    this.changed = fn;
  }

  attach(socket: Socket): void {
    const client = new MuxClient(socket);
    this.clients.add(client);
    const decoder = new FrameDecoder((f) => this.fromClient(client, f));
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.clients.delete(client);
      this.dropOps(client);
      this.changed();
    });
    if (this.paused) socket.pause();
    this.changed();
  }

  /** Disconnects every client and the agent. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    for (const c of this.clients) c.socket.destroy();
    this.clients.clear();
    if (!this.channel.closed) this.channel.close();
    this.changed();
  }

  private fromClient(client: MuxClient, f: Frame): void {
    if (f.type === T.HELLO) {
      void this.hello(client, f);
      return;
    }
    const op = client.ops.get(f.session);
    const opens = OPENS.get(f.type);
    if (opens && !(op && f.type === T.PING)) {
      if (f.session === 0 && opens !== 'ping') {
        client.send(T.ERROR, 0, 0, errorPayload(EINVAL, 'session 0 cannot run operations'));
        return;
      }
      if (op) {
        client.send(T.ERROR, 0, f.session, errorPayload(EBUSY, `session ${f.session} is already in use`));
        return;
      }
      const created: Op = { kind: opens, upstream: 0, queued: [f] };
      client.ops.set(f.session, created);
      void this.open(client, f.session, created);
      return;
    }
    if (!op) return; // a session that just ended: normal, as on the agent
    if (op.upstream === 0) {
      const queued = op.queued.reduce((n, q) => n + q.payload.length, 0);
      if (queued + f.payload.length <= MAX_QUEUED_BYTES) op.queued.push(f);
      return;
    }
    this.forward(f, op.upstream);
  }

  /** A client's handshake: its own operations end; the agent is only asked when the channel needs it. */
  private async hello(client: MuxClient, f: Frame): Promise<void> {
    if (f.payload.length < 4 + NONCE_SIZE) {
      client.send(T.ERROR, 0, 0, errorPayload(EINVAL, 'malformed hello'));
      return;
    }
    const nonce = f.payload.subarray(4, 4 + NONCE_SIZE);
    this.dropOps(client);
    try {
      await this.synced();
    } catch (err) {
      // the client's own timer reports it; its next HELLO tries again
      this.log(`no handshake with the agent: ${(err as Error).message}`);
      return;
    }
    const ack = this.channel.ackPayload!;
    client.resetQueued = false;
    client.socket.write(Buffer.from([0]));
    client.send(T.HELLO_ACK, 0, 0, Buffer.concat([nonce, ack.subarray(NONCE_SIZE)]));
  }

  private synced(): Promise<void> {
    if (this.channel.synced) return Promise.resolve();
    this.syncing ??= this.channel.hello(this.helloTimeoutMs).then(
      () => {
        this.syncing = null;
      },
      (err: unknown) => {
        this.syncing = null;
        throw err;
      },
    );
    return this.syncing;
  }

  private async open(client: MuxClient, sid: number, op: Op): Promise<void> {
    let id: number;
    try {
      await this.synced();
      id = await this.channel.openSession({
        onFrame: (frame) => {
          if (client.ops.get(sid) !== op) return;
          client.send(frame.type, frame.flags, sid, frame.payload);
          if (endsOp(op.kind, frame)) {
            client.ops.delete(sid);
            this.channel.closeSession(id);
          }
        },
        onClose: () => {
          if (client.ops.get(sid) === op) this.lost(client);
        },
      });
    } catch (err) {
      if (client.ops.get(sid) === op && err instanceof AgentError) this.lost(client);
      return;
    }
    if (client.ops.get(sid) !== op) {
      // the client went away or shook hands again while the session was being opened
      this.channel.closeSession(id);
      return;
    }
    op.upstream = id;
    for (const q of op.queued.splice(0)) this.forward(q, id);
  }

  private forward(f: Frame, upstream: number): void {
    if (this.channel.send(f.type, f.flags, upstream, f.payload) || this.paused) return;
    // the engine is not reading: stop reading clients until it catches up
    this.paused = true;
    for (const c of this.clients) c.socket.pause();
    void this.channel.drained().then(() => {
      this.paused = false;
      for (const c of this.clients) c.socket.resume();
    });
  }

  /**
   * The agent lost the client's operations (it restarted, the channel broke): tell the client as the
   * agent would, once, so it fails them and shakes hands again.
   */
  private lost(client: MuxClient): void {
    client.ops.clear();
    if (client.resetQueued) return;
    client.resetQueued = true;
    queueMicrotask(() => {
      client.send(T.AGENT_RESET, 0, 0, new PayloadWriter().u32(0).done());
      client.resetQueued = false;
    });
  }

  /** Ends a client's operations on the agent: commands are killed, transfers abandoned. */
  private dropOps(client: MuxClient): void {
    for (const op of client.ops.values()) {
      if (op.upstream === 0) continue; // open() sees the op is gone and closes its session
      if (op.kind === 'exec' || op.kind === 'write' || op.kind === 'read') this.channel.send(T.CANCEL, 0, op.upstream);
      this.channel.closeSession(op.upstream);
    }
    client.ops.clear();
  }
}

function errorPayload(errno: number, message: string): Buffer {
  return new PayloadWriter().u32(errno).bytes(Buffer.from(message)).done();
}
