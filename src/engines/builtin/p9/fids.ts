// The fid table: what each guest fid names (a path below the share root) and, once opened, its
// host file handle. Bounded, so a guest cannot exhaust the host's memory or file descriptors.
// Reference: 9P2000 intro(5) on fids; Linux net/9p/client.c for how a client uses them.

import type { FileHandle } from 'node:fs/promises';
import { EBADF, EMFILE, ENFILE, P9Error } from './errno.js';
import type { Name, RelPath } from './share.js';

export interface OpenFile {
  fh: FileHandle;
  /** The host open(2) flags it was opened with (a resumed session opens it again with them, minus O_TRUNC). */
  flags: number;
  readable: boolean;
  writable: boolean;
  isDir: boolean;
  /** Entry names taken at the readdir with offset 0; later offsets index into it. */
  listing?: Name[];
}

export class Fid {
  open: OpenFile | null = null;
  /** An open is under way: a second Tlopen/Tlcreate on this fid must not race it. */
  opening = false;

  constructor(
    /** Path components below the share root ([] is the root). */
    public rel: Name[],
    /** qid type when the fid was made (QTDIR, QTSYMLINK, QTFILE). */
    public qidType: number,
  ) {}
}

export interface FidLimits {
  /** Fids alive at once. */
  maxFids: number;
  /** Fids with an open host file at once. */
  maxOpen: number;
}

export class FidTable {
  private readonly fids = new Map<number, Fid>();
  private opened = 0;

  constructor(private readonly limits: FidLimits) {}

  get size(): number {
    return this.fids.size;
  }

  get openCount(): number {
    return this.opened;
  }

  get(n: number): Fid {
    const fid = this.fids.get(n);
    if (!fid) throw new P9Error(EBADF, `unknown fid ${n}`);
    return fid;
  }

  has(n: number): boolean {
    return this.fids.has(n);
  }

  /** Whether fid number `n` still names `fid` (it may have been clunked while a request ran). */
  holds(n: number, fid: Fid): boolean {
    return this.fids.get(n) === fid;
  }

  /** Check that fid `n` could be bound now (free, and the table not full). */
  checkFree(n: number): void {
    if (this.fids.has(n)) throw new P9Error(EBADF, `fid ${n} is already in use`);
    if (this.fids.size >= this.limits.maxFids) throw new P9Error(ENFILE, 'too many fids');
  }

  /** Bind the free fid number `n` to `fid`. */
  set(n: number, fid: Fid): void {
    this.checkFree(n);
    this.fids.set(n, fid);
  }

  /** Reserve an open-file slot for `fid` before opening; EMFILE past the limit. */
  reserveOpen(): void {
    if (this.opened >= this.limits.maxOpen) throw new P9Error(EMFILE, 'too many open files on this share');
    this.opened++;
  }

  unreserveOpen(): void {
    this.opened--;
  }

  /** Remove fid `n` and close its host file. Returns the fid, or throws EBADF. */
  async clunk(n: number): Promise<Fid> {
    const fid = this.get(n);
    this.fids.delete(n);
    await this.release(fid);
    return fid;
  }

  /** Drop every fid (Tversion starts a new session; the server is closing). */
  async clear(): Promise<void> {
    const all = [...this.fids.values()];
    this.fids.clear();
    await Promise.all(all.map((f) => this.release(f)));
  }

  /** Every fid, for saving a session. */
  entries(): [number, Fid][] {
    return [...this.fids];
  }

  /** After a rename: every fid at or below `from` now lives at `to`. */
  renamed(from: RelPath, to: RelPath): void {
    for (const fid of this.fids.values()) {
      if (isPrefix(from, fid.rel)) fid.rel = [...to, ...fid.rel.slice(from.length)];
    }
  }

  private async release(fid: Fid): Promise<void> {
    const o = fid.open;
    if (!o) return;
    fid.open = null;
    this.opened--;
    // FileHandle.close waits for reads/writes still running on it, so a racing request never
    // lands on a reused descriptor number.
    await o.fh.close().catch(() => {});
  }
}

export function isPrefix(prefix: RelPath, rel: RelPath): boolean {
  if (prefix.length > rel.length) return false;
  for (let i = 0; i < prefix.length; i++) if (!prefix[i]!.equals(rel[i]!)) return false;
  return true;
}
