// The shared host folder and the only way the 9p server reaches it: every path is a list of name
// components below the share root, resolved without ever following a host symlink.
//
// Node has no openat(), so on Linux we get its effect through /proc/self/fd: a directory is opened
// with O_PATH|O_NOFOLLOW, its real path is read back from /proc/self/fd/N and must equal the path we
// meant; then every call names its target as /proc/self/fd/N/<name>, which the kernel resolves in
// that very directory, so a symlink swapped in on the host after the check is never followed.
// Without /proc (macOS) each component is lstat'ed before acting, which leaves a host-side race open.
// Names are raw bytes (Buffers) end to end, as Linux file names are.
// Background: QEMU CVE-2016-9602 (9p escaping the share through symlinks; fixed with openat + O_NOFOLLOW).

import { constants, type BigIntStats, type BigIntStatsFs } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { EINVAL, ELOOP, ENAMETOOLONG, ENOTDIR, EPERM, P9Error } from './errno.js';
import { NAME_MAX } from './protocol.js';

/** Linux O_PATH (same value on x86, arm and riscv); Node does not export it. */
const O_PATH = 0o10000000;
const { O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_RDONLY } = constants;
const SLASH = Buffer.from('/');
const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

export type Name = Buffer;
export type RelPath = readonly Name[];

/** A share that cannot be served: the message names the folder and what is wrong. */
export class ShareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShareError';
  }
}

export function isDot(name: Uint8Array): boolean {
  return DOT.equals(name);
}

export function isDotDot(name: Uint8Array): boolean {
  return DOTDOT.equals(name);
}

/**
 * A name the guest may create or look up in a directory: one component, no `/` or NUL, not `.` or
 * `..` (walks handle those themselves), at most NAME_MAX bytes. Returns a private copy.
 */
export function checkName(name: Uint8Array): Name {
  if (name.length === 0) throw new P9Error(EINVAL, 'empty name');
  if (name.length > NAME_MAX) throw new P9Error(ENAMETOOLONG, 'name longer than 255 bytes');
  if (name.includes(0x2f) || name.includes(0)) throw new P9Error(EINVAL, 'name contains "/" or NUL');
  if (isDot(name) || isDotDot(name)) throw new P9Error(EINVAL, 'name is "." or ".."');
  return Buffer.from(name);
}

export function childPath(dir: Buffer, name: Name): Buffer {
  return Buffer.concat([dir, SLASH, name]);
}

const procPath = (fh: FileHandle): Buffer => Buffer.from(`/proc/self/fd/${fh.fd}`);

export interface ShareOptions {
  /** Use /proc/self/fd (Linux). Default: whenever it works. `false` forces the lstat fallback. */
  procFd?: boolean;
}

export class Share {
  private readonly base: Buffer;

  private constructor(
    /** The share root's real path (symlinks in the configured path resolved once, at start). */
    readonly root: Buffer,
    /** st_dev of the root, to tell files on other filesystems apart in qids. */
    readonly rootDev: bigint,
    /** True when /proc/self/fd is used: no host-side race between check and use. */
    readonly procFd: boolean,
  ) {
    this.base = root.equals(SLASH) ? Buffer.alloc(0) : root;
  }

  /** Open the folder at `hostPath` for serving; ShareError when it is missing or not a folder. */
  static async open(hostPath: string, o: ShareOptions = {}): Promise<Share> {
    let real: Buffer;
    let st: BigIntStats;
    try {
      real = await fsp.realpath(hostPath, { encoding: 'buffer' });
      st = await fsp.stat(real, { bigint: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new ShareError(`synced folder ${hostPath} does not exist`);
      if (code === 'EACCES') throw new ShareError(`synced folder ${hostPath} is not accessible (permission denied)`);
      throw new ShareError(`cannot open synced folder ${hostPath}: ${(err as Error).message}`);
    }
    if (!st.isDirectory()) throw new ShareError(`synced folder ${hostPath} is not a folder`);
    const procFd = o.procFd ?? (await procFdWorks(real));
    if (o.procFd && !(await procFdWorks(real))) throw new ShareError('/proc/self/fd is not usable on this host');
    return new Share(real, st.dev, procFd);
  }

  /** The host path of `rel` (for messages and for the lstat fallback; never acted on in /proc mode). */
  hostPath(rel: RelPath): Buffer {
    if (rel.length === 0) return this.root;
    const parts: Buffer[] = [this.base];
    for (const n of rel) parts.push(SLASH, n);
    return Buffer.concat(parts);
  }

  /**
   * Run `fn` with a path that names directory `rel` itself. In /proc mode the path stays bound to
   * the directory verified here even if the host renames things meanwhile.
   */
  async withDir<T>(rel: RelPath, fn: (dir: Buffer) => Promise<T>): Promise<T> {
    if (!this.procFd) {
      await this.checkChain(rel, rel.length);
      return fn(this.hostPath(rel));
    }
    const fh = await this.openDirPath(rel);
    try {
      return await fn(procPath(fh));
    } finally {
      await fh.close();
    }
  }

  /** lstat of `rel` (the entry itself, never what a symlink points to). */
  async lstat(rel: RelPath): Promise<BigIntStats> {
    if (rel.length === 0) return this.withDir(rel, (d) => fsp.stat(d, { bigint: true }));
    return this.withDir(rel.slice(0, -1), (d) => fsp.lstat(childPath(d, rel[rel.length - 1]!), { bigint: true }));
  }

  /**
   * Run `fn` with a path that reaches the entry `rel` itself, for calls that follow their last
   * component (chmod, truncate, utimes, open). `st` is the entry's lstat; when it is a symlink the
   * caller must not use `path` with a following call.
   */
  async withEntry<T>(rel: RelPath, fn: (path: Buffer, st: BigIntStats) => Promise<T>): Promise<T> {
    if (rel.length === 0) return this.withDir(rel, async (d) => fn(d, await fsp.stat(d, { bigint: true })));
    const name = rel[rel.length - 1]!;
    return this.withDir(rel.slice(0, -1), async (d) => {
      const p = childPath(d, name);
      if (!this.procFd) return fn(p, await fsp.lstat(p, { bigint: true }));
      const fh = await fsp.open(p, O_PATH | O_NOFOLLOW);
      try {
        return await fn(procPath(fh), await fh.stat({ bigint: true }));
      } finally {
        await fh.close();
      }
    });
  }

  /**
   * Open the regular file or directory `rel` for I/O with host `flags`. Anything else (symlink,
   * fifo, socket, device) is refused before it is opened, so a guest can never make the host block
   * in open() on a fifo or touch a device.
   */
  async openEntry(rel: RelPath, flags: number): Promise<{ fh: FileHandle; st: BigIntStats }> {
    return this.withEntry(rel, async (p, st) => {
      if (!st.isFile() && !st.isDirectory()) throw new P9Error(st.isSymbolicLink() ? ELOOP : EPERM, 'not a regular file or directory');
      const dirFlags = st.isDirectory() ? O_DIRECTORY : 0;
      // /proc/self/fd/N is itself a (magic) link, so O_NOFOLLOW only applies in the fallback.
      const fh = await fsp.open(p, flags | dirFlags | O_NONBLOCK | (this.procFd ? 0 : O_NOFOLLOW));
      try {
        const now = await fh.stat({ bigint: true });
        if (now.ino !== st.ino || now.dev !== st.dev) throw new P9Error(ELOOP, 'entry changed while opening');
        return { fh, st: now };
      } catch (err) {
        await fh.close();
        throw err;
      }
    });
  }

  /** statfs of the share's filesystem. */
  statfs(): Promise<BigIntStatsFs> {
    return this.withDir([], (d) => fsp.statfs(d, { bigint: true }));
  }

  /** Fast path: open the whole path at once and check where it landed; else go step by step. */
  private async openDirPath(rel: RelPath): Promise<FileHandle> {
    const expected = this.hostPath(rel);
    let fh: FileHandle | undefined;
    try {
      fh = await fsp.open(expected, O_PATH | O_DIRECTORY | O_NOFOLLOW);
      const actual = await fsp.readlink(procPath(fh), { encoding: 'buffer' });
      if (actual.equals(expected)) return fh;
    } catch {
      // fall through: the stepwise walk gives the error as seen from inside the share
    }
    await fh?.close();
    return this.openDirStepwise(rel);
  }

  /**
   * One component at a time, each opened inside the previous directory with O_NOFOLLOW, so the
   * error is the share's own (ELOOP/ENOTDIR at a symlink, ENOENT for a missing name) and nothing
   * outside the share is ever looked up.
   */
  private async openDirStepwise(rel: RelPath): Promise<FileHandle> {
    let cur = await fsp.open(this.root, O_PATH | O_DIRECTORY | O_NOFOLLOW);
    try {
      for (const name of rel) {
        const st = await fsp.lstat(childPath(procPath(cur), name), { bigint: true });
        if (st.isSymbolicLink()) throw new P9Error(ELOOP, 'path goes through a symlink');
        if (!st.isDirectory()) throw new P9Error(ENOTDIR, 'path goes through a non-directory');
        const next = await fsp.open(childPath(procPath(cur), name), O_PATH | O_DIRECTORY | O_NOFOLLOW);
        await cur.close();
        cur = next;
      }
      return cur;
    } catch (err) {
      await cur.close();
      throw err;
    }
  }

  /** Fallback check: the first `n` components exist and are real directories right now. */
  private async checkChain(rel: RelPath, n: number): Promise<void> {
    let p = this.base;
    for (let i = 0; i < n; i++) {
      p = childPath(p, rel[i]!);
      const st = await fsp.lstat(p, { bigint: true });
      if (st.isSymbolicLink()) throw new P9Error(ELOOP, 'path goes through a symlink');
      if (!st.isDirectory()) throw new P9Error(ENOTDIR, 'path goes through a non-directory');
    }
  }
}

/** /proc/self/fd gives back the real path of an O_PATH descriptor (Linux with /proc mounted). */
async function procFdWorks(real: Buffer): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  let fh: FileHandle | undefined;
  try {
    fh = await fsp.open(real, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_RDONLY);
    const back = await fsp.readlink(procPath(fh), { encoding: 'buffer' });
    if (!back.equals(real)) return false;
    // The form every call uses: a name looked up through the descriptor's magic link.
    await fsp.lstat(childPath(procPath(fh), DOT));
    return true;
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}
