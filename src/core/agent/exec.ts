// A command running in the guest through the agent: stdout and stderr as Node streams whose
// consumption grants the agent credit, stdin streamed within the agent's credit, and the exit
// status (code or signal).
import { Readable, Writable } from 'node:stream';
import type { AgentChannel, SessionSink } from './channel.js';
import { Credit } from './credit.js';
import { AgentError } from './errors.js';
import { encodeExecRequest, type Bytes, type ExecRequest } from './exec-request.js';
import { parseError, PayloadReader, PayloadWriter, type ExitStatus } from './payloads.js';
import { EXIT_KIND, FLAG_EOF, STREAM, T, type Frame } from './protocol.js';
import { signalName, signalNumber } from './signals.js';

export interface ExecOptions extends ExecRequest {
  /**
   * What the command reads: bytes or text (sent, then end of file), an async iterable such as a
   * Readable (streamed with backpressure), 'pipe' (write to `handle.stdin` yourself), or nothing
   * (end of file at once).
   */
  stdin?: Bytes | AsyncIterable<Uint8Array | string> | 'pipe';
  /** Kill the command (SIGKILL to its process group) after this long; `exit` then rejects. */
  timeoutMs?: number;
  /** Bytes of stdout (and of stderr) the agent may send ahead of the reader (default 256 KiB). */
  outputWindow?: number;
}

export interface ExecHandle {
  /** Read both (or resume() them): a full window stalls the command, as with any pipe. */
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Only with `stdin: 'pipe'`. */
  readonly stdin: Writable | null;
  /** The command's pid in the guest; undefined when it could not be started. */
  readonly pid: Promise<number | undefined>;
  /** Resolves with the exit code or the terminating signal. */
  readonly exit: Promise<ExitStatus>;
  /** Sends a signal to the command's process group (default SIGTERM). */
  kill(signal?: string | number): void;
}

const DEFAULT_WINDOW = 256 * 1024;

/** A Readable fed by the agent that hands out credit as its reader consumes. */
class OutputStream extends Readable {
  private inFlight: number;
  ended = false;

  constructor(
    private readonly window: number,
    private readonly grant: (n: number) => void,
  ) {
    super({ highWaterMark: window });
    this.inFlight = window;
  }

  override _read(): void {
    // Readable calls _read before it hands out what is buffered, and not again until the next
    // push: grant once the reader took its data, and any room at all, or the stream stalls.
    setImmediate(() => this.topUp(1));
  }

  deliver(data: Buffer): void {
    if (this.ended) return;
    this.inFlight -= data.length;
    this.push(data);
    this.topUp();
  }

  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
  }

  abort(): void {
    if (this.ended) return;
    this.ended = true;
    this.destroy(); // no error: `exit` carries it, and an unhandled 'error' would crash the host
  }

  /** Grants what the window has room for, when that is at least `min` bytes. */
  private topUp(min = Math.min(64 * 1024, this.window / 2)): void {
    if (this.ended) return;
    const room = this.window - this.inFlight - this.readableLength;
    if (room >= min) {
      this.inFlight += room;
      this.grant(room);
    }
  }
}

/**
 * Where one command's session is. Transitions, each a method of ExecRun:
 *
 *   opening --opened--> running --timedOut--> killing
 *      |                  |                     |
 *      +------------------+---------------------+--finish--> done
 *
 * opening: `prepare` and the session id are awaited; nothing has been sent. running: EXEC was sent,
 * frames flow both ways. killing: `timeoutMs` passed and CANCEL was sent; the EXIT that follows
 * ends the command as timed out, and a guest too busy to send it is given up on after the
 * channel's request timeout. done: `exit` is settled, the output streams are ended, stdin credit
 * has failed (a stdin writer gets the error) and no credit or signal is sent any more.
 */
type ExecState =
  | { kind: 'opening' }
  | { kind: 'running'; session: number }
  | { kind: 'killing'; session: number }
  | { kind: 'done'; session: number };

/** One command in the guest: its session state, its streams and the promises the handle exposes. */
class ExecRun {
  private state: ExecState = { kind: 'opening' };
  private timer: NodeJS.Timeout | undefined;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** The agent's stdin window, once the session is open. */
  private readonly credit = new Credit(0);
  readonly pid: Promise<number | undefined>;
  readonly exit: Promise<ExitStatus>;
  private resolvePid!: (pid: number | undefined) => void;
  private resolveExit!: (s: ExitStatus) => void;
  private rejectExit!: (e: AgentError) => void;
  /** Settles once the session is open and EXEC sent (rejects when it could not be). */
  opened!: Promise<void>;

  constructor(
    private readonly channel: AgentChannel,
    private readonly options: ExecOptions,
    window: number,
  ) {
    this.stdout = new OutputStream(window, (n) => this.grant(STREAM.STDOUT, n));
    this.stderr = new OutputStream(window, (n) => this.grant(STREAM.STDERR, n));
    this.pid = new Promise<number | undefined>((r) => (this.resolvePid = r));
    this.exit = new Promise<ExitStatus>((res, rej) => {
      this.resolveExit = res;
      this.rejectExit = rej;
    });
    // a caller that never looks at `exit` must not crash the host with an unhandled rejection
    this.exit.catch(() => {});
  }

  /** The session id while frames may still be sent on it (running or killing), else undefined. */
  private get live(): number | undefined {
    return this.state.kind === 'running' || this.state.kind === 'killing' ? this.state.session : undefined;
  }

  /** The session id once one was opened (0 before), kept after the command is done. */
  private get session(): number {
    return this.state.kind === 'opening' ? 0 : this.state.session;
  }

  get finished(): boolean {
    return this.state.kind === 'done';
  }

  /** opening: prepares, opens the session and sends the request; opening -> running. */
  open(prepare: () => Promise<void>, request: Uint8Array): Promise<void> {
    this.opened = (async () => {
      await prepare();
      const session = await this.channel.openSession(this.sink);
      this.state = { kind: 'running', session };
      this.channel.send(T.EXEC, 0, session, request);
      this.credit.add(this.channel.info?.stdinWindow ?? 0);
      if (this.options.timeoutMs !== undefined) this.timer = setTimeout(() => this.timedOut(), this.options.timeoutMs);
    })();
    this.opened.catch((err: AgentError) => this.finish(err));
    return this.opened;
  }

  /** running -> killing: the command ran out of time; the guest is told to kill it. */
  private timedOut(): void {
    if (this.state.kind !== 'running') return;
    this.state = { kind: 'killing', session: this.state.session };
    this.channel.send(T.CANCEL, 0, this.state.session);
    // a guest too busy to even report the kill: give up after the request timeout
    this.timer = setTimeout(
      () => this.finish(new AgentError(`the command timed out after ${this.options.timeoutMs} ms and did not stop`, 'timeout')),
      this.channel.requestTimeoutMs,
    );
  }

  /** any state -> done: with the command's exit status, or the error that ended it. */
  private finish(err: AgentError | null, status?: ExitStatus): void {
    if (this.state.kind === 'done') return;
    const session = this.session;
    this.state = { kind: 'done', session };
    clearTimeout(this.timer);
    if (session) this.channel.closeSession(session);
    this.credit.fail(err ?? new AgentError('the command has exited', 'channel'));
    this.resolvePid(undefined);
    if (err) {
      this.stdout.abort();
      this.stderr.abort();
      this.rejectExit(err);
    } else {
      this.stdout.finish();
      this.stderr.finish();
      this.resolveExit(status!);
    }
  }

  private readonly sink: SessionSink = {
    onFrame: (f: Frame) => {
      try {
        this.onFrame(f);
      } catch (err) {
        this.channel.send(T.CANCEL, 0, this.session);
        this.finish(new AgentError(`the agent sent a malformed ${f.type.toString(16)} frame: ${(err as Error).message}`, 'channel'));
      }
    },
    onClose: (err) => this.finish(err),
  };

  private onFrame(f: Frame): void {
    const r = new PayloadReader(f.payload);
    switch (f.type) {
      case T.EXEC_STARTED: {
        const p = r.u32('pid');
        this.resolvePid(p === 0 ? undefined : p);
        return;
      }
      case T.STDOUT:
      case T.STDERR: {
        const out = f.type === T.STDOUT ? this.stdout : this.stderr;
        if (f.payload.length) out.deliver(Buffer.from(f.payload));
        if (f.flags & FLAG_EOF) out.finish();
        return;
      }
      case T.CREDIT:
        if (r.u8('stream') === STREAM.STDIN) {
          r.raw(3);
          this.credit.add(r.u32('credit'));
        }
        return;
      case T.EXIT: {
        const kind = r.u8('kind');
        const core = r.u8('core');
        r.raw(2);
        const value = r.u32('value');
        const status: ExitStatus =
          kind === EXIT_KIND.SIGNAL ? { signal: signalName(value), signalNumber: value, coreDumped: core === 1 } : { code: value };
        if (this.state.kind === 'killing') this.finish(new AgentError(`the command timed out after ${this.options.timeoutMs} ms and was killed`, 'timeout'));
        else this.finish(null, status);
        return;
      }
      case T.ERROR: {
        const e = parseError(f.payload);
        this.finish(new AgentError(`could not run ${describe(this.options.argv)} in the guest: ${e.message}`, 'guest', e.errno));
        return;
      }
    }
  }

  /** Output credit for the agent, while the session is live. */
  private grant(stream: number, n: number): void {
    const session = this.live;
    if (session !== undefined) this.channel.send(T.WINDOW, 0, session, new PayloadWriter().u8(stream).raw(Buffer.alloc(3)).u32(n).done());
  }

  /** Sends stdin bytes within the agent's credit (rejects once the command is over). */
  async sendStdin(data: Uint8Array): Promise<void> {
    let at = 0;
    while (at < data.length) {
      const n = await this.credit.take(Math.min(this.channel.info?.maxPayload ?? 65536, data.length - at));
      if (!this.channel.send(T.STDIN, 0, this.session, data.subarray(at, at + n))) await this.channel.drained();
      at += n;
    }
  }

  endStdin(): void {
    const session = this.live;
    if (session !== undefined) this.channel.send(T.STDIN, FLAG_EOF, session);
  }

  signal(n: number): void {
    const session = this.live;
    if (session !== undefined) this.channel.send(T.SIGNAL, 0, session, new PayloadWriter().u32(n).done());
  }
}

/** `prepare` runs before the session opens (the client's handshake when it has none yet). */
export function startExec(channel: AgentChannel, options: ExecOptions, prepare: () => Promise<void> = async () => {}): ExecHandle {
  const window = Math.max(4096, Math.min(options.outputWindow ?? DEFAULT_WINDOW, 16 * 1024 * 1024));
  const request = encodeExecRequest(options, window); // throws here, before anything is sent
  const run = new ExecRun(channel, options, window);

  let stdinPipe: Writable | null = null;
  if (options.stdin === 'pipe') {
    stdinPipe = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _enc, cb) {
        // once the command is over its stdin is gone: what is left is dropped, like a closed pipe
        run.opened.then(() => run.sendStdin(chunk)).then(() => cb(), () => cb());
      },
      final(cb) {
        run.opened.then(() => run.endStdin(), () => {}).finally(() => cb());
      },
    });
  }

  const opened = run.open(prepare, request);

  const stdin = options.stdin;
  if (stdin !== 'pipe') {
    opened
      .then(async () => {
        if (stdin === undefined) return;
        if (typeof stdin === 'string' || stdin instanceof Uint8Array) {
          await run.sendStdin(typeof stdin === 'string' ? Buffer.from(stdin) : stdin);
        } else {
          await feedStdin(run, stdin);
        }
      })
      .then(
        () => run.endStdin(),
        () => run.endStdin(),
      );
  }

  return {
    stdout: run.stdout,
    stderr: run.stderr,
    stdin: stdinPipe,
    pid: run.pid,
    exit: run.exit,
    kill(signal: string | number = 'SIGTERM') {
      const n = signalNumber(signal);
      if (n === undefined) throw new AgentError(`unknown signal ${String(signal)}`, 'request');
      void opened.then(() => run.signal(n), () => {});
    },
  };
}

/**
 * Streams `source` into the command's stdin until the source ends or the command is over. A source
 * that never ends (a pipe whose writer keeps it open, such as the stdin a script or CI job hands
 * `vm ssh -c`) must not outlive the command: waiting for its next chunk would keep the host process
 * alive after the command's output and exit status were all delivered. So the wait for the next
 * chunk races the command's end, and then the source is closed as leaving a `for await` loop closes
 * it: a stream is destroyed (its file descriptor released), any other iterator is asked to return.
 */
async function feedStdin(run: ExecRun, source: AsyncIterable<Uint8Array | string>): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  const over = run.exit.then(
    () => null,
    () => null,
  );
  let ended = false;
  try {
    while (!run.finished) {
      const next = await Promise.race([it.next(), over]);
      if (next === null || next.done) {
        ended = next !== null;
        break;
      }
      await run.sendStdin(typeof next.value === 'string' ? Buffer.from(next.value) : next.value);
    }
  } finally {
    if (!ended) {
      // A pending next() of an async generator would hold a return() back until the source yields:
      // a stream is destroyed directly, which also settles that pending next().
      const stream = source as Partial<Readable>;
      if (typeof stream.destroy === 'function') stream.destroy();
      else void it.return?.().catch(() => {});
    }
  }
}

function describe(argv: Bytes[]): string {
  const first = argv[0];
  const text = typeof first === 'string' ? first : Buffer.from(first ?? []).toString('utf8');
  return `'${text.slice(0, 80)}'`;
}
