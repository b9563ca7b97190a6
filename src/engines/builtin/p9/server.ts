// A 9P2000.L file server for one shared host folder. `handle` takes one request's bytes and
// resolves to its reply; it never rejects and never throws, whatever the guest sends. Requests run
// concurrently and may finish out of order; Tflush answers after the request it names.
// Reference: Linux net/9p (the client), QEMU hw/9pfs/9p.c (the server it mimics), 9P2000 intro(5).

import type { P9Backend } from '../../../emulator/devices/virtio/9p.js';
import { QidMapper } from './attr.js';
import { Reader, Writer, emptyReply } from './codec.js';
import type { Handler, P9Context } from './context.js';
import { EINVAL, EOPNOTSUPP, EPROTO, P9Error, errnoOf, isHostError } from './errno.js';
import { Fid, FidTable } from './fids.js';
import { constants as FS } from 'node:fs';
import * as attr from './ops-attr.js';
import * as io from './ops-io.js';
import * as ns from './ops-namespace.js';
import * as session from './ops-session.js';
import { HEADER_SIZE, Msg, NOTAG, S_ISGID, S_ISUID, VERSION_9P2000_L } from './protocol.js';
import { Share, type ShareOptions } from './share.js';

export type { P9Backend };

/** The smallest msize we agree to (Linux's own floor: it refuses to mount with less). */
export const MIN_MSIZE = 4096;
/** Default ceiling; the device lowers it to what its queue can carry. */
export const DEFAULT_MAX_MSIZE = 512 * 1024;

export interface P9ServerOptions extends ShareOptions {
  hostPath: string;
  readOnly: boolean;
  /** Largest msize offered (the device's limit). Default 512 KiB. */
  maxMsize?: number;
  /** Owner every file appears to have in the guest. Default root (0/0). */
  uid?: number;
  gid?: number;
  /** Strip setuid/setgid from modes the guest sets. Default: when this process runs as root. */
  stripSetid?: boolean;
  maxFids?: number;
  maxOpenFiles?: number;
  /** Reports of server bugs (never of guest errors, which go back to the guest as errno). */
  onLog?: (message: string) => void;
}

const HANDLERS = new Map<number, Handler>([
  [Msg.Tauth, session.auth],
  [Msg.Tattach, session.attach],
  [Msg.Twalk, session.walk],
  [Msg.Tclunk, session.clunk],
  [Msg.Tlopen, io.lopen],
  [Msg.Tlcreate, io.lcreate],
  [Msg.Tread, io.read],
  [Msg.Twrite, io.write],
  [Msg.Treaddir, io.readdir],
  [Msg.Tfsync, io.fsync],
  [Msg.Tmkdir, ns.mkdir],
  [Msg.Tmknod, ns.mknod],
  [Msg.Tsymlink, ns.symlink],
  [Msg.Treadlink, ns.readlink],
  [Msg.Tlink, ns.link],
  [Msg.Trename, ns.rename],
  [Msg.Trenameat, ns.renameat],
  [Msg.Tunlinkat, ns.unlinkat],
  [Msg.Tremove, ns.remove],
  [Msg.Tgetattr, attr.getattr],
  [Msg.Tsetattr, attr.setattr],
  [Msg.Tstatfs, attr.statfs],
  [Msg.Txattrwalk, attr.xattrwalk],
  [Msg.Txattrcreate, attr.xattrcreate],
  [Msg.Tlock, attr.lock],
  [Msg.Tgetlock, attr.getlock],
]);

interface Pending {
  done: Promise<unknown>;
  isFlush: boolean;
}

/** A 9P session saved with a suspended machine (see P9Server.saveSession). */
export interface P9Session {
  negotiated: boolean;
  msize: number;
  fids: { n: number; rel: string[]; qidType: number; open: { flags: number; readable: boolean; writable: boolean; isDir: boolean } | null }[];
}

export class P9Server implements P9Backend {
  private readonly ctx: P9Context;
  private readonly pending = new Map<number, Pending>();
  private negotiated = false;
  private closed = false;

  private constructor(
    readonly share: Share,
    private readonly o: P9ServerOptions,
    readonly maxMsize: number,
  ) {
    const stripSetid = o.stripSetid ?? process.geteuid?.() === 0;
    this.ctx = {
      share,
      fids: new FidTable({ maxFids: o.maxFids ?? 1 << 18, maxOpen: o.maxOpenFiles ?? 1024 }),
      qids: new QidMapper(share.rootDev),
      owner: { uid: o.uid ?? 0, gid: o.gid ?? 0 },
      readOnly: o.readOnly,
      msize: maxMsize,
      modeMask: stripSetid ? 0o7777 & ~(S_ISUID | S_ISGID) : 0o7777,
    };
  }

  /** Serve `hostPath`. Throws ShareError when the folder cannot be served. */
  static async create(o: P9ServerOptions): Promise<P9Server> {
    const maxMsize = Math.max(MIN_MSIZE, Math.min(o.maxMsize ?? DEFAULT_MAX_MSIZE, 16 * 1024 * 1024));
    return new P9Server(await Share.open(o.hostPath, o), o, maxMsize);
  }

  /** The msize agreed with the guest (the maximum until Tversion). */
  get msize(): number {
    return this.ctx.msize;
  }

  get stats(): { fids: number; openFiles: number; pending: number } {
    return { fids: this.ctx.fids.size, openFiles: this.ctx.fids.openCount, pending: this.pending.size };
  }

  handle(req: Uint8Array): Promise<Uint8Array> {
    const tag = req.length >= HEADER_SIZE ? req[5]! | (req[6]! << 8) : NOTAG;
    const type = req.length >= HEADER_SIZE ? req[4]! : 0;
    const done = this.dispatch(req, type, tag).catch((err: unknown) => this.errorReply(err, type, tag));
    const entry: Pending = { done, isFlush: type === Msg.Tflush };
    this.pending.set(tag, entry);
    void done.then(() => {
      if (this.pending.get(tag) === entry) this.pending.delete(tag);
    });
    return done;
  }

  /**
   * The session as a suspended machine's guest left it: msize and every fid with its path and open
   * flags (plain JSON; names as base64). Taken with no request running.
   */
  saveSession(): P9Session {
    return {
      negotiated: this.negotiated,
      msize: this.ctx.msize,
      fids: this.ctx.fids.entries().map(([n, f]) => ({
        n,
        rel: f.rel.map((b) => b.toString('base64')),
        qidType: f.qidType,
        open: f.open ? { flags: f.open.flags, readable: f.open.readable, writable: f.open.writable, isDir: f.open.isDir } : null,
      })),
    };
  }

  /**
   * Take over a saved session (on resume): the same fids name the same paths, and open ones are opened
   * again by path (never truncated or created again). A file gone meanwhile leaves its fid unopened,
   * so the guest's next I/O on it fails as for a file deleted under it; reasons are returned.
   */
  async restoreSession(s: P9Session): Promise<string[]> {
    const problems: string[] = [];
    await this.ctx.fids.clear();
    this.negotiated = s.negotiated === true;
    if (!Number.isInteger(s.msize) || s.msize < MIN_MSIZE || s.msize > this.maxMsize) throw new Error(`saved 9p msize ${s.msize} is not one this server takes`);
    this.ctx.msize = s.msize;
    for (const f of s.fids) {
      const rel = f.rel.map((b) => Buffer.from(b, 'base64'));
      const fid = new Fid(rel, f.qidType);
      this.ctx.fids.set(f.n, fid);
      if (!f.open) continue;
      const flags = f.open.flags & ~(FS.O_TRUNC | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW);
      this.ctx.fids.reserveOpen();
      try {
        const { fh } = await this.ctx.share.openEntry(rel, flags);
        fid.open = { fh, flags, readable: f.open.readable, writable: f.open.writable, isDir: f.open.isDir };
      } catch (err) {
        this.ctx.fids.unreserveOpen();
        problems.push(`fid ${f.n} (${rel.map((b) => b.toString()).join('/') || '/'}) could not be opened again: ${(err as Error).message}`);
      }
    }
    return problems;
  }

  /** Close every open host file. Later requests are answered with errors. */
  async close(): Promise<void> {
    this.closed = true;
    await this.ctx.fids.clear();
  }

  private async dispatch(req: Uint8Array, type: number, tag: number): Promise<Uint8Array> {
    if (this.closed) throw new P9Error(EPROTO, 'server closed');
    if (req.length < HEADER_SIZE) throw new P9Error(EPROTO, 'message shorter than its header');
    const size = (req[0]! | (req[1]! << 8) | (req[2]! << 16) | (req[3]! << 24)) >>> 0;
    if (size < HEADER_SIZE || size > req.length) throw new P9Error(EPROTO, `size field ${size} does not match the ${req.length} bytes received`);
    if (size > this.ctx.msize) throw new P9Error(EPROTO, `message of ${size} bytes exceeds msize ${this.ctx.msize}`);
    const r = new Reader(req, HEADER_SIZE, size);
    if (type === Msg.Tversion) return this.version(r, tag);
    if (!this.negotiated) throw new P9Error(EPROTO, 'Tversion must come first');
    if (type === Msg.Tflush) return this.flush(r, tag);
    const handler = HANDLERS.get(type);
    if (!handler) throw new P9Error(EOPNOTSUPP, `message type ${type} is not part of 9P2000.L`);
    return handler(this.ctx, r, tag);
  }

  /** Tversion starts a new session: every fid of the previous one is clunked. */
  private async version(r: Reader, tag: number): Promise<Uint8Array> {
    const asked = r.u32();
    const version = Buffer.from(r.str()).toString('latin1');
    if (asked < MIN_MSIZE) throw new P9Error(EINVAL, `msize ${asked} is below ${MIN_MSIZE}`);
    await this.ctx.fids.clear();
    const msize = Math.min(asked, this.maxMsize);
    const ok = version === VERSION_9P2000_L;
    this.negotiated = ok;
    this.ctx.msize = msize;
    return new Writer(32).u32(msize).str(Buffer.from(ok ? VERSION_9P2000_L : 'unknown')).finish(Msg.Rversion, tag);
  }

  /**
   * Host calls cannot be cancelled, so Rflush waits for the flushed request's reply (which the
   * device returns first). A flush never waits on another flush, so flushes cannot deadlock.
   */
  private async flush(r: Reader, tag: number): Promise<Uint8Array> {
    const oldtag = r.u16();
    const old = oldtag === tag ? undefined : this.pending.get(oldtag);
    if (old && !old.isFlush) await old.done;
    return emptyReply(Msg.Rflush, tag);
  }

  private errorReply(err: unknown, type: number, tag: number): Uint8Array {
    if (!isHostError(err)) {
      this.o.onLog?.(`9p server bug on message type ${type}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    return new Writer(16).u32(errnoOf(err)).finish(Msg.Rlerror, tag);
  }
}
