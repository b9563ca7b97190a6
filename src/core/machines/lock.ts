// Inter-process locks from atomic file creation (Node has no flock): the owner record is written to a
// temp file and hard-linked into place, so a lock file always appears complete. Liveness via ProcessIdentity.
import { constants as C, readFileSync, unlinkSync } from 'node:fs';
import { link, lstat, mkdir, open, rmdir, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, UserError } from '../errors.js';
import { identify, isAlive, type ProcessIdentity } from './process-identity.js';
import { PRIVATE_FILE_MODE, fsUserError, isErrno } from './safe-fs.js';
import { tempNameFor } from '../../engines/shared/atomic-file.js';

/** How long a second command waits for a busy lock before giving up. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;
/** Env var overriding that wait, in seconds (e.g. VM_LOCK_TIMEOUT=30). */
export const LOCK_TIMEOUT_ENV = 'VM_LOCK_TIMEOUT';
const POLL_MS = 50;
/** A stale-lock breaker holds `<lock>.break` for milliseconds; one older than this crashed mid-break. */
const BREAK_STALE_MS = 10_000;
/** An unreadable lock file younger than this may be mid-write by hand; older ones are stale. */
const GARBAGE_GRACE_MS = 2_000;

export interface LockOwner extends ProcessIdentity {
  /** What holds it, as the user typed it: "vm up". */
  command: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  nonce: string;
}

export interface LockOptions {
  /** What the lock protects, for messages: "machine 'default'". */
  what: string;
  timeoutMs?: number;
  /** Exit code when the wait times out (machine locks: EXIT.locked). */
  exitCode?: number;
}

export interface Lock {
  path: string;
  owner: LockOwner;
  release(): Promise<void>;
}

/** Lock files this process holds, removed on a normal exit even if a finally never ran. */
const held = new Map<string, string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [path, content] of held) {
      try {
        if (readFileSync(path, 'utf8') === content) unlinkSync(path);
      } catch {
        // already gone
      }
    }
  });
}

export function lockTimeoutFromEnv(): number {
  const raw = process.env[LOCK_TIMEOUT_ENV];
  if (raw === undefined || raw === '') return DEFAULT_LOCK_TIMEOUT_MS;
  const secs = Number(raw);
  if (!Number.isFinite(secs) || secs < 0) {
    throw new UserError(`${LOCK_TIMEOUT_ENV}=${raw} is not a number of seconds`);
  }
  return Math.round(secs * 1000);
}

const pad = (n: number): string => String(n).padStart(2, '0');
function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "by `vm up` (pid 1234) since 2025-01-02 10:11:12" */
export function describeOwner(owner: LockOwner): string {
  return `by \`${owner.command}\` (pid ${owner.pid}) since ${localTime(owner.startedAt)}`;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid !== 'number' || typeof o.command !== 'string' || typeof o.startedAt !== 'string') return undefined;
    return { pid: o.pid, bootId: typeof o.bootId === 'string' ? o.bootId : '', startTime: o.startTime, command: o.command, startedAt: o.startedAt, nonce: String(o.nonce ?? '') };
  } catch {
    return undefined;
  }
}

/** The lock file's text, undefined when absent. A link or non-file at the lock path is refused. */
async function readRaw(path: string): Promise<string | undefined> {
  try {
    const fh = await open(path, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
    try {
      if (!(await fh.stat()).isFile()) throw new UserError(`refusing to use lock ${path}: it is not a regular file`);
      return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    if (err instanceof UserError) throw err;
    if (isErrno(err, 'ELOOP')) throw new UserError(`refusing to use lock ${path}: it is a symlink`);
    fsUserError(err, path, 'reading the lock');
  }
}

/**
 * Removes a lock judged stale, provided it still holds exactly `staleContent`. Breakers serialize on
 * `<lock>.break` (mkdir is atomic), so two breakers can never remove a lock a live process just took.
 */
async function breakStale(path: string, staleContent: string): Promise<void> {
  const breaker = `${path}.break`;
  try {
    await mkdir(breaker, { mode: 0o700 });
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) fsUserError(err, breaker, 'creating');
    const st = await lstat(breaker).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > BREAK_STALE_MS) await rmdir(breaker).catch(() => undefined);
    return;
  }
  try {
    if ((await readRaw(path)) === staleContent) await unlink(path).catch(() => undefined);
  } finally {
    await rmdir(breaker).catch(() => undefined);
  }
}

/**
 * Takes the lock at `path` (its folder must exist) for `command`. Busy: waits up to the timeout, then
 * fails with a UserError saying who holds it. A lock whose owner is dead, zombie, from another boot,
 * or a reused pid is cleared. No process is ever signalled.
 */
export async function acquireLock(path: string, command: string, opts: LockOptions): Promise<Lock> {
  const timeoutMs = opts.timeoutMs ?? lockTimeoutFromEnv();
  const owner: LockOwner = { ...identify(), command, startedAt: new Date().toISOString(), nonce: randomBytes(8).toString('hex') };
  const content = `${JSON.stringify(owner)}\n`;
  const tmp = tempNameFor(path);
  try {
    const fh = await open(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, PRIVATE_FILE_MODE);
    try {
      await fh.writeFile(content);
      await fh.chmod(PRIVATE_FILE_MODE);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    fsUserError(err, path, 'preparing the lock');
  }

  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await link(tmp, path);
        held.set(path, content);
        installExitHook();
        return { path, owner, release: () => releaseLock(path, content) };
      } catch (err) {
        if (!isErrno(err, 'EEXIST')) fsUserError(err, path, 'creating the lock');
      }
      const raw = await readRaw(path);
      if (raw === undefined) continue; // released between our link and read: try again at once
      const other = parseOwner(raw);
      if (other === undefined) {
        const st = await lstat(path).catch(() => undefined);
        if (st && Date.now() - st.mtimeMs > GARBAGE_GRACE_MS) {
          await breakStale(path, raw);
          continue;
        }
      } else if (!isAlive(other)) {
        await breakStale(path, raw);
        continue;
      } else if (other.pid === process.pid && other.bootId === owner.bootId) {
        throw new Error(`${opts.what} is already locked by this process (${path}): a lock taken twice`);
      }
      if (Date.now() >= deadline) {
        const by = other ? describeOwner(other) : `(unreadable lock file ${path})`;
        throw new UserError(`${opts.what} is locked ${by}`, {
          exitCode: opts.exitCode ?? EXIT.locked,
          hint: `wait for that command to finish and try again (or set ${LOCK_TIMEOUT_ENV}=SECONDS to wait longer)`,
        });
      }
      await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function releaseLock(path: string, content: string): Promise<void> {
  held.delete(path);
  // Only ever remove our own lock: it cannot have been replaced while we held it, but check anyway.
  if ((await readRaw(path)) === content) await unlink(path).catch(() => undefined);
}

/** Runs `fn` holding the lock at `path`, releasing it however `fn` ends. */
export async function withLock<T>(path: string, command: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(path, command, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/** Reads who holds the lock at `path`, if anyone live does (for status displays). */
export async function lockHolder(path: string): Promise<LockOwner | undefined> {
  const raw = await readRaw(path);
  if (raw === undefined) return undefined;
  const owner = parseOwner(raw);
  return owner && isAlive(owner) ? owner : undefined;
}
