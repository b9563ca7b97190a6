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

/** `prepare` runs before the session opens (the client's handshake when it has none yet). */
export function startExec(channel: AgentChannel, options: ExecOptions, prepare: () => Promise<void> = async () => {}): ExecHandle {
  const window = Math.max(4096, Math.min(options.outputWindow ?? DEFAULT_WINDOW, 16 * 1024 * 1024));
  const request = encodeExecRequest(options, window); // throws here, before anything is sent
  let session = 0;
  let finished = false;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;

  const grantFor = (stream: number) => (n: number) => {
    if (session && !finished) channel.send(T.WINDOW, 0, session, new PayloadWriter().u8(stream).raw(Buffer.alloc(3)).u32(n).done());
  };
  const stdout = new OutputStream(window, grantFor(STREAM.STDOUT));
  const stderr = new OutputStream(window, grantFor(STREAM.STDERR));
  const credit = new Credit(0); // the agent's stdin window, once the session is open

  let resolvePid!: (pid: number | undefined) => void;
  const pid = new Promise<number | undefined>((r) => (resolvePid = r));
  let resolveExit!: (s: ExitStatus) => void;
  let rejectExit!: (e: AgentError) => void;
  const exit = new Promise<ExitStatus>((res, rej) => {
    resolveExit = res;
    rejectExit = rej;
  });
  // a caller that never looks at `exit` must not crash the host with an unhandled rejection
  exit.catch(() => {});

  const end = (err: AgentError | null, status?: ExitStatus): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    if (session) channel.closeSession(session);
    credit.fail(err ?? new AgentError('the command has exited', 'channel'));
    resolvePid(undefined);
    if (err) {
      stdout.abort();
      stderr.abort();
      rejectExit(err);
    } else {
      stdout.finish();
      stderr.finish();
      resolveExit(status!);
    }
  };

  const sink: SessionSink = {
    onFrame(f: Frame) {
      try {
        onFrame(f);
      } catch (err) {
        channel.send(T.CANCEL, 0, session);
        end(new AgentError(`the agent sent a malformed ${f.type.toString(16)} frame: ${(err as Error).message}`, 'channel'));
      }
    },
    onClose: (err) => end(err),
  };

  const onFrame = (f: Frame): void => {
    const r = new PayloadReader(f.payload);
    switch (f.type) {
      case T.EXEC_STARTED: {
        const p = r.u32('pid');
        resolvePid(p === 0 ? undefined : p);
        return;
      }
      case T.STDOUT:
      case T.STDERR: {
        const out = f.type === T.STDOUT ? stdout : stderr;
        if (f.payload.length) out.deliver(Buffer.from(f.payload));
        if (f.flags & FLAG_EOF) out.finish();
        return;
      }
      case T.CREDIT:
        if (r.u8('stream') === STREAM.STDIN) {
          r.raw(3);
          credit.add(r.u32('credit'));
        }
        return;
      case T.EXIT: {
        const kind = r.u8('kind');
        const core = r.u8('core');
        r.raw(2);
        const value = r.u32('value');
        const status: ExitStatus =
          kind === EXIT_KIND.SIGNAL ? { signal: signalName(value), signalNumber: value, coreDumped: core === 1 } : { code: value };
        if (timedOut) end(new AgentError(`the command timed out after ${options.timeoutMs} ms and was killed`, 'timeout'));
        else end(null, status);
        return;
      }
      case T.ERROR: {
        const e = parseError(f.payload);
        end(new AgentError(`could not run ${describe(options.argv)} in the guest: ${e.message}`, 'guest', e.errno));
        return;
      }
    }
  };

  const sendStdin = async (data: Uint8Array): Promise<void> => {
    let at = 0;
    while (at < data.length) {
      const n = await credit.take(Math.min(channel.info?.maxPayload ?? 65536, data.length - at));
      if (!channel.send(T.STDIN, 0, session, data.subarray(at, at + n))) await channel.drained();
      at += n;
    }
  };
  const endStdin = (): void => {
    if (!finished) channel.send(T.STDIN, FLAG_EOF, session);
  };

  let stdinPipe: Writable | null = null;
  let ready: Promise<void>;
  if (options.stdin === 'pipe') {
    stdinPipe = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _enc, cb) {
        // once the command is over its stdin is gone: what is left is dropped, like a closed pipe
        ready.then(() => sendStdin(chunk)).then(() => cb(), () => cb());
      },
      final(cb) {
        ready.then(endStdin, () => {}).finally(() => cb());
      },
    });
  }

  ready = (async () => {
    await prepare();
    session = await channel.openSession(sink);
    channel.send(T.EXEC, 0, session, request);
    credit.add(channel.info?.stdinWindow ?? 0);
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        channel.send(T.CANCEL, 0, session);
        // a guest too busy to even report the kill: give up after the request timeout
        timer = setTimeout(
          () => end(new AgentError(`the command timed out after ${options.timeoutMs} ms and did not stop`, 'timeout')),
          channel.requestTimeoutMs,
        );
      }, options.timeoutMs);
    }
  })();
  ready.catch((err: AgentError) => end(err));

  const stdin = options.stdin;
  if (stdin !== 'pipe') {
    ready
      .then(async () => {
        if (stdin === undefined) return;
        if (typeof stdin === 'string' || stdin instanceof Uint8Array) {
          await sendStdin(typeof stdin === 'string' ? Buffer.from(stdin) : stdin);
        } else {
          for await (const chunk of stdin) {
            if (finished) break;
            await sendStdin(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
          }
        }
      })
      .then(endStdin, endStdin);
  }

  return {
    stdout,
    stderr,
    stdin: stdinPipe,
    pid,
    exit,
    kill(signal: string | number = 'SIGTERM') {
      const n = signalNumber(signal);
      if (n === undefined) throw new AgentError(`unknown signal ${String(signal)}`, 'request');
      void ready.then(() => {
        if (!finished) channel.send(T.SIGNAL, 0, session, new PayloadWriter().u32(n).done());
      }, () => {});
    },
  };
}

function describe(argv: Bytes[]): string {
  const first = argv[0];
  const text = typeof first === 'string' ? first : Buffer.from(first ?? []).toString('utf8');
  return `'${text.slice(0, 80)}'`;
}
