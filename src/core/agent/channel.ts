// One connection to a guest agent over a byte stream (the engine's agent.sock): framing, the
// HELLO handshake that (re)synchronises the stream, session ids and dispatch of frames to them.
// Operations live in exec.ts and file-transfer.ts; client.ts is the public face.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { AgentError } from './errors.js';
import { encodeFrame, FrameDecoder, type BadFrameReason } from './frame-codec.js';
import { parseFacts, parseHelloAck, PayloadReader, PayloadWriter, type HelloAck } from './payloads.js';
import { NONCE_SIZE, PROTO_VERSION, T, type Frame } from './protocol.js';

export interface SessionSink {
  onFrame(frame: Frame): void;
  /** The session is over without its final frame: the channel closed, broke or was reset. */
  onClose(err: AgentError): void;
}

export interface ChannelOptions {
  /** How long an operation may wait on the agent without any answer (default 30 s). */
  requestTimeoutMs?: number;
  /** Diagnostics (bad frames, resets); silent by default. */
  log?: (line: string) => void;
}

type State = 'hunting' | 'synced' | 'closed';

const HELLO_RESEND_MS = [500, 1000, 2000, 3000];

export class AgentChannel {
  readonly requestTimeoutMs: number;
  /** What the agent said in the last successful handshake. */
  info: HelloAck | undefined;
  /** That answer's payload as sent (the multiplexer repeats it to its clients with their nonces). */
  ackPayload: Buffer | undefined;
  private state: State = 'hunting';
  private readonly decoder: FrameDecoder;
  private readonly sessions = new Map<number, SessionSink>();
  private slotWaiters: Array<() => void> = [];
  private nextId = 1;
  private hellos: Array<{ nonces: Set<string>; resolve: (ack: HelloAck) => void; reject: (err: AgentError) => void }> = [];
  private closeReason: AgentError | null = null;
  private readonly log: (line: string) => void;

  constructor(
    private readonly stream: Duplex,
    options: ChannelOptions = {},
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.log = options.log ?? (() => {});
    this.decoder = new FrameDecoder(
      (f) => this.onFrame(f),
      (why) => this.onBad(why),
    );
    stream.on('data', (chunk: Buffer) => this.decoder.push(chunk));
    stream.on('error', (err) => this.shutdown(new AgentError(`the agent connection failed: ${err.message}`, 'channel')));
    stream.on('close', () => this.shutdown(new AgentError('the connection to the guest agent closed', 'channel')));
    stream.on('end', () => this.shutdown(new AgentError('the guest agent channel was closed by the engine', 'channel')));
  }

  get synced(): boolean {
    return this.state === 'synced';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Sends HELLO (re-sent with a fresh nonce while unanswered) and resolves with the agent's
   * answer. The agent drops everything a previous host started; so do we.
   */
  async hello(timeoutMs: number): Promise<HelloAck> {
    this.assertOpen();
    this.failSessions(new AgentError('the operation was cancelled by a new handshake with the agent', 'channel'));
    this.state = 'hunting';
    const nonces = new Set<string>();
    let timer: NodeJS.Timeout | undefined;
    let resends = 0;
    const sendHello = (): void => {
      const nonce = randomBytes(NONCE_SIZE);
      nonces.add(nonce.toString('hex'));
      // the leading delimiter ends whatever partial frame a previous host left in the agent
      this.write(Buffer.from([0]));
      this.send(T.HELLO, 0, 0, new PayloadWriter().u32(PROTO_VERSION).raw(nonce).done());
      timer = setTimeout(sendHello, HELLO_RESEND_MS[Math.min(resends++, HELLO_RESEND_MS.length - 1)]);
    };
    try {
      return await new Promise<HelloAck>((resolve, reject) => {
        const deadline = setTimeout(() => {
          this.hellos = this.hellos.filter((h) => h !== entry);
          reject(new AgentError(`the guest agent did not answer within ${timeoutMs} ms`, 'timeout'));
        }, timeoutMs);
        const entry = {
          nonces,
          resolve: (ack: HelloAck) => {
            clearTimeout(deadline);
            resolve(ack);
          },
          reject: (err: AgentError) => {
            clearTimeout(deadline);
            reject(err);
          },
        };
        this.hellos.push(entry);
        sendHello();
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends one frame; returns the stream's write() result (false: its buffer is full). */
  send(type: number, flags: number, session: number, payload?: Uint8Array): boolean {
    return this.write(encodeFrame(type, flags, session, payload));
  }

  /** Waits until the socket's buffer drained (bulk senders call it when send() said false). */
  drained(): Promise<void> {
    if (!this.stream.writableNeedDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
    });
  }

  /** Reserves a session id for `sink`, waiting while the agent's session limit is reached. */
  async openSession(sink: SessionSink): Promise<number> {
    if (!this.synced) throw new AgentError('the agent channel is not ready: call hello() first', 'channel');
    const limit = this.info?.maxSessions ?? 1;
    while (this.sessions.size >= limit) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
      this.assertOpen();
      if (!this.synced) throw new AgentError('the agent channel was reset', 'channel');
    }
    let id = this.nextId;
    while (id === 0 || this.sessions.has(id)) id = (id + 1) >>> 0;
    this.nextId = (id + 1) >>> 0;
    this.sessions.set(id, sink);
    return id;
  }

  closeSession(id: number): void {
    if (this.sessions.delete(id)) this.slotWaiters.shift()?.();
  }

  /** Ends the connection; pending operations fail. */
  close(): void {
    this.stream.destroy();
    this.shutdown(new AgentError('the agent client was closed', 'channel'));
  }

  private write(bytes: Buffer): boolean {
    if (this.closed) return false;
    return this.stream.write(bytes);
  }

  private assertOpen(): void {
    if (this.closed) throw this.closeReason!;
  }

  private onFrame(f: Frame): void {
    if (f.type === T.HELLO_ACK) {
      let ack: HelloAck;
      try {
        ack = parseHelloAck(f.payload);
      } catch {
        return this.onBad('header');
      }
      const key = ack.nonce.toString('hex');
      const waiter = this.hellos.find((h) => h.nonces.has(key));
      if (!waiter) return; // an answer to a HELLO we already stopped waiting for
      this.hellos = this.hellos.filter((h) => h !== waiter);
      this.info = ack;
      this.ackPayload = Buffer.from(f.payload);
      this.state = 'synced';
      waiter.resolve(ack);
      return;
    }
    if (this.state !== 'synced') return; // before the handshake: leftovers of an earlier host
    if (f.type === T.AGENT_RESET) {
      let version = '';
      try {
        version = parseFacts(new PayloadReader(f.payload)).version;
      } catch {
        /* the reset itself is what matters */
      }
      this.log(`the guest agent restarted (version ${version || 'unknown'})`);
      this.state = 'hunting';
      this.failSessions(new AgentError('the guest agent restarted while the operation ran', 'channel'));
      return;
    }
    this.sessions.get(f.session)?.onFrame(f);
  }

  private onBad(why: BadFrameReason): void {
    if (this.state !== 'synced') return; // expected while resynchronising
    // A reliable stream produced a broken frame: trust nothing in flight; the next operation
    // shakes hands again.
    this.log(`bad frame from the guest agent (${why}); resynchronising`);
    this.state = 'hunting';
    this.failSessions(new AgentError(`the agent channel delivered a corrupt frame (${why})`, 'channel'));
  }

  private failSessions(err: AgentError): void {
    const sinks = [...this.sessions.values()];
    this.sessions.clear();
    for (const sink of sinks) sink.onClose(err);
    for (const wake of this.slotWaiters.splice(0)) wake();
  }

  private shutdown(err: AgentError): void {
    if (this.closed) return;
    this.state = 'closed';
    this.closeReason = err;
    for (const h of this.hellos.splice(0)) h.reject(err);
    this.failSessions(err);
  }
}
