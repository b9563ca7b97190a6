// Files to and from the guest through the agent: writes land atomically (temp file, fsync,
// rename in the guest), reads stream in chunks within the credit the host grants.
import type { AgentChannel, SessionSink } from './channel.js';
import { Credit } from './credit.js';
import { AgentError } from './errors.js';
import { parseError, PayloadReader, PayloadWriter } from './payloads.js';
import { FILE_MKDIRS, FLAG_EOF, STREAM, T, type Frame } from './protocol.js';

export interface WriteFileOptions {
  /** Permission bits of the file (default 0o644), applied exactly (no umask). */
  mode?: number;
  /** Create missing parent directories (0755). */
  mkdirs?: boolean;
}

export interface ReadFileOptions {
  /** Refuse files larger than this (default 256 MiB): the whole file is held in memory. */
  maxBytes?: number;
}

const READ_WINDOW = 1024 * 1024;

function checkPath(path: string): Buffer {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new AgentError(`the guest path ${JSON.stringify(path)} must be absolute`, 'request');
  }
  if (path.includes('\0')) throw new AgentError('the guest path contains a NUL byte', 'request');
  const bytes = Buffer.from(path, 'utf8');
  if (bytes.length >= 4000) throw new AgentError('the guest path is too long', 'request');
  return bytes;
}

/**
 * A session whose waits on the agent time out: `watch` arms a timer that fails the session when
 * nothing arrives from the agent for `timeoutMs`; every frame re-arms it.
 */
class WatchedSession {
  id = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiting = false;
  private failed: AgentError | null = null;
  done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (e: AgentError) => void;

  constructor(
    private readonly channel: AgentChannel,
    private readonly what: string,
    private readonly handle: (f: Frame, s: WatchedSession) => void,
    private readonly onFail: (e: AgentError) => void = () => {},
  ) {
    this.done = new Promise((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    this.done.catch(() => {}); // observed by the caller's await; never an unhandled rejection
  }

  async open(type: number, payload: Buffer): Promise<void> {
    const sink: SessionSink = {
      onFrame: (f) => {
        this.arm();
        try {
          if (f.type === T.ERROR) {
            const e = parseError(f.payload);
            this.fail(new AgentError(`${this.what} in the guest failed: ${e.message}`, 'guest', e.errno));
          } else {
            this.handle(f, this);
          }
        } catch (err) {
          this.channel.send(T.CANCEL, 0, this.id);
          this.fail(new AgentError(`the agent sent a malformed frame during ${this.what}: ${(err as Error).message}`, 'channel'));
        }
      },
      onClose: (err) => this.fail(err),
    };
    this.id = await this.channel.openSession(sink);
    this.channel.send(type, 0, this.id, payload);
  }

  /** Waiting on the agent from now on (until `idle`). */
  watch(): void {
    this.waiting = true;
    this.arm();
  }

  idle(): void {
    this.waiting = false;
    clearTimeout(this.timer);
  }

  get error(): AgentError | null {
    return this.failed;
  }

  succeed(): void {
    this.finish();
    this.resolveDone();
  }

  fail(err: AgentError): void {
    if (this.failed) return;
    this.failed = err;
    this.finish();
    this.onFail(err);
    this.rejectDone(err);
  }

  private finish(): void {
    clearTimeout(this.timer);
    this.waiting = false;
    if (this.id) this.channel.closeSession(this.id);
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (!this.waiting) return;
    const ms = this.channel.requestTimeoutMs;
    this.timer = setTimeout(() => {
      this.channel.send(T.CANCEL, 0, this.id);
      this.fail(new AgentError(`${this.what}: the guest agent did not answer for ${ms} ms`, 'timeout'));
    }, ms);
  }
}

export async function writeFile(
  channel: AgentChannel,
  path: string,
  data: string | Uint8Array | AsyncIterable<Uint8Array | string>,
  options: WriteFileOptions = {},
): Promise<void> {
  const pathBytes = checkPath(path);
  const mode = options.mode ?? 0o644;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new AgentError(`file mode ${String(mode)} is not a permission mode (0 to 0o7777)`, 'request');
  }
  const credit = new Credit(channel.info?.fileWindow ?? 0);
  const maxChunk = channel.info?.maxPayload ?? 65536;
  const s = new WatchedSession(
    channel,
    `writing ${path}`,
    (f, self) => {
      if (f.type === T.CREDIT) {
        const r = new PayloadReader(f.payload);
        if (r.u8() === STREAM.FILE) {
          r.raw(3);
          credit.add(r.u32());
        }
      } else if (f.type === T.FILE_WRITTEN) {
        self.succeed();
      }
    },
    (e) => credit.fail(e),
  );
  await s.open(T.FILE_WRITE, new PayloadWriter().u32(mode).u32(options.mkdirs ? FILE_MKDIRS : 0).bytes(pathBytes).done());

  const send = async (bytes: Uint8Array): Promise<void> => {
    for (let at = 0; at < bytes.length; ) {
      s.watch();
      const n = await credit.take(Math.min(maxChunk, bytes.length - at));
      s.idle();
      if (!channel.send(T.FILE_DATA, 0, s.id, bytes.subarray(at, at + n))) await channel.drained();
      at += n;
    }
  };
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) {
      await send(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    } else {
      for await (const chunk of data) {
        if (s.error) break;
        await send(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
      }
    }
  } catch (err) {
    if (s.error) throw s.error;
    // the host's data source failed: abandon the file in the guest (its temp file is removed)
    channel.send(T.CANCEL, 0, s.id);
    s.fail(new AgentError(`writing ${path}: reading the data failed: ${(err as Error).message}`, 'request'));
    throw s.error;
  }
  if (s.error) throw s.error;
  channel.send(T.FILE_DATA, FLAG_EOF, s.id);
  s.watch(); // fsync and rename in the guest
  await s.done;
}

/** What FILE_INFO says about a file being read. */
export interface FileInfo {
  size: number;
  /** Permission bits. */
  mode: number;
  /** Modification time, Unix seconds. */
  mtime: number;
}

export interface FileSink {
  /** Throwing an AgentError ends the read with that error (a limit, say). */
  info?(info: FileInfo): void;
  /** Each chunk in order; the agent gets more credit once the returned promise settles (backpressure).
   *  Throwing (or rejecting) ends the read: an AgentError as itself, anything else as a host failure. */
  chunk(bytes: Buffer): void | Promise<void>;
}

/**
 * Streams a guest file into `sink`, granting the agent credit only as the sink takes the chunks,
 * so a slow host disk holds at most READ_WINDOW bytes in memory. Resolves with the file's info.
 */
export async function streamFile(channel: AgentChannel, path: string, sink: FileSink): Promise<FileInfo> {
  const pathBytes = checkPath(path);
  let info: FileInfo | undefined;
  let writing: Promise<void> = Promise.resolve();
  const s = new WatchedSession(channel, `reading ${path}`, (f, self) => {
    if (f.type === T.FILE_INFO) {
      const r = new PayloadReader(f.payload);
      const size = Number(r.u64('size'));
      const mode = r.u32() & 0o7777;
      r.u32();
      info = { size, mode, mtime: Number(BigInt.asIntN(64, r.u64('mtime'))) };
      try {
        sink.info?.(info);
      } catch (err) {
        if (!(err instanceof AgentError)) throw err;
        channel.send(T.CANCEL, 0, self.id);
        self.fail(err);
      }
    } else if (f.type === T.FILE_CHUNK) {
      if (f.payload.length) {
        const bytes = Buffer.from(f.payload);
        writing = writing
          .then(() => sink.chunk(bytes))
          .then(
            () => {
              if (!self.error) channel.send(T.WINDOW, 0, self.id, new PayloadWriter().u8(STREAM.FILE).raw(Buffer.alloc(3)).u32(bytes.length).done());
            },
            (err: unknown) => {
              channel.send(T.CANCEL, 0, self.id);
              self.fail(err instanceof AgentError ? err : new AgentError(`reading ${path}: the host could not take the data: ${(err as Error).message}`, 'request'));
            },
          );
      }
      if (f.flags & FLAG_EOF) void writing.then(() => (self.error ? undefined : self.succeed()));
    }
  });
  await s.open(T.FILE_READ, new PayloadWriter().u32(READ_WINDOW).bytes(pathBytes).done());
  s.watch();
  await s.done;
  await writing;
  if (!info) throw new AgentError(`reading ${path}: the agent sent no file information`, 'channel');
  return info;
}

export async function readFile(channel: AgentChannel, path: string, options: ReadFileOptions = {}): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const chunks: Buffer[] = [];
  let received = 0;
  const tooBig = (size: number): AgentError =>
    new AgentError(`${path} in the guest is ${size} bytes, more than the ${maxBytes} bytes allowed`, 'request');
  await streamFile(channel, path, {
    info: ({ size }) => {
      if (size > maxBytes) throw tooBig(size);
    },
    chunk: (bytes) => {
      received += bytes.length;
      if (received > maxBytes) throw tooBig(received);
      chunks.push(bytes);
    },
  });
  return Buffer.concat(chunks, received);
}
