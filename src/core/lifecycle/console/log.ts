// A machine's console.log: its tail (for error messages), new bytes as they arrive (for the ready
// wait), and `vm logs`, which prints it and with follow what it prints from then on (across reboots
// and rotations) until the caller aborts. Works the same for every engine: each writes console.log.
import { constants as C, existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { cleanConsoleText, GuestConsoleParser } from '../../../engines/guest-console.js';
import type { MachineConfig } from '../../../model/machine-config.js';
import { EXIT, UserError } from '../../errors.js';
import { runtimePathsFor } from '../engine/runtime-dir.js';

/** The last `lines` lines of the console log (cleaned), '' when there is none. */
export async function consoleTail(path: string, lines = 20, maxBytes = 16 * 1024): Promise<string> {
  try {
    const fh = await open(path, C.O_RDONLY | C.O_NOFOLLOW);
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - maxBytes);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const text = cleanConsoleText(buf.toString('utf8')).replace(/\n+$/, '');
      return text.split('\n').slice(-lines).join('\n');
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/** What the console log's tail says of the current boot (readiness, the addresses the box reported). */
export async function consoleState(path: string): Promise<GuestConsoleParser> {
  return GuestConsoleParser.of(await consoleTail(path, Number.MAX_SAFE_INTEGER, 256 * 1024));
}

/** Follows a file that may be truncated, replaced or rotated: read() returns the bytes added since last time. */
export class FileFollower {
  private offset: number;
  private ino = -1;

  constructor(
    private readonly path: string,
    from = 0,
  ) {
    this.offset = from;
  }

  /** New bytes (possibly none). A file that shrank or was replaced is read again from its start. */
  async read(maxBytes = 1024 * 1024): Promise<Buffer> {
    let st;
    try {
      st = await stat(this.path);
    } catch {
      return Buffer.alloc(0);
    }
    if ((this.ino !== -1 && st.ino !== this.ino) || st.size < this.offset) this.offset = 0;
    this.ino = st.ino;
    if (st.size === this.offset) return Buffer.alloc(0);
    const fh = await open(this.path, C.O_RDONLY | C.O_NOFOLLOW).catch(() => undefined);
    if (!fh) return Buffer.alloc(0);
    try {
      const n = Math.min(maxBytes, st.size - this.offset);
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, this.offset);
      this.offset += bytesRead;
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }
}

export interface LogsOptions {
  follow?: boolean;
  signal?: AbortSignal;
  write: (chunk: Buffer) => void | Promise<void>;
}

/** `vm logs`: writes the console log, and with `follow` what is added to it until `signal` aborts. */
export async function showLogs(config: MachineConfig, o: LogsOptions): Promise<void> {
  const log = runtimePathsFor(config.project.stateDir).consoleLog;
  if (!existsSync(log) && !o.follow) {
    throw new UserError(`machine '${config.name}' has no console log yet`, { exitCode: EXIT.wrongState, hint: `\`vm up ${config.name}\` boots it` });
  }
  const follower = new FileFollower(log);
  for (;;) {
    const chunk = await follower.read();
    if (chunk.length > 0) {
      await o.write(chunk);
      continue;
    }
    if (!o.follow || o.signal?.aborted) return;
    await sleep(200, undefined, { signal: o.signal }).catch(() => undefined);
  }
}
