// 9P2000.L file I/O: Tlopen, Tlcreate, Tread, Twrite, Treaddir, Tfsync.
// Counts are capped at what msize allows and offsets are checked before they become Numbers, so a
// guest cannot make the host allocate or seek beyond reason.
// Reference: Linux net/9p/client.c (p9_client_read_once, p9_client_readdir), fs/9p/vfs_dir.c.

import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { direntType } from './attr.js';
import { Writer, emptyReply, writeHeader, type Qid } from './codec.js';
import { assertWritable, type Handler, type P9Context } from './context.js';
import { EBADF, EEXIST, EFBIG, EINVAL, EISDIR, ENOTDIR, EPROTO, EROFS, P9Error } from './errno.js';
import type { Fid, OpenFile } from './fids.js';
import {
  L_O_ACCMODE,
  L_O_APPEND,
  L_O_DSYNC,
  L_O_EXCL,
  L_O_RDONLY,
  L_O_RDWR,
  L_O_SYNC,
  L_O_TRUNC,
  L_O_WRONLY,
  Msg,
  QTDIR,
  RREAD_HEADER_SIZE,
  TWRITE_HEADER_SIZE,
} from './protocol.js';
import { checkName, childPath, type Name } from './share.js';

const { O_APPEND, O_CREAT, O_DSYNC, O_EXCL, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR, O_SYNC, O_TRUNC, O_WRONLY } = constants;
const MAX_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);
const I64_MAX = (1n << 63n) - 1n;
/** Bytes of one Rreaddir entry besides its name: qid[13] offset[8] type[1] name-length[2]. */
const DIRENT_FIXED = 13 + 8 + 1 + 2;

interface OpenMode {
  flags: number;
  readable: boolean;
  writable: boolean;
}

/** Linux open flags from the wire -> host flags. Creation flags are Tlcreate's business. */
function openMode(ctx: P9Context, lflags: number): OpenMode {
  const acc = lflags & L_O_ACCMODE;
  if (acc !== L_O_RDONLY && acc !== L_O_WRONLY && acc !== L_O_RDWR) throw new P9Error(EINVAL, 'bad access mode');
  const writable = acc !== L_O_RDONLY;
  if (ctx.readOnly && (writable || lflags & L_O_TRUNC)) throw new P9Error(EROFS, 'the share is read-only');
  let flags = acc === L_O_RDONLY ? O_RDONLY : acc === L_O_WRONLY ? O_WRONLY : O_RDWR;
  if (lflags & L_O_TRUNC) flags |= O_TRUNC;
  if (lflags & L_O_APPEND) flags |= O_APPEND;
  if ((lflags & L_O_SYNC) === L_O_SYNC) flags |= O_SYNC;
  else if (lflags & L_O_DSYNC) flags |= O_DSYNC;
  return { flags: flags | O_NOCTTY, readable: acc !== L_O_WRONLY, writable };
}

function openReply(type: number, tag: number, qid: Qid): Uint8Array {
  // iounit 0: the client then uses msize minus the I/O header.
  return new Writer(32).qid(qid).u32(0).finish(type, tag);
}

export const lopen: Handler = async (ctx, r, tag) => {
  const fidNo = r.u32();
  const fid = ctx.fids.get(fidNo);
  const mode = openMode(ctx, r.u32());
  const isDir = fid.qidType === QTDIR;
  if (isDir && mode.writable) throw new P9Error(EISDIR, 'directories open read-only');
  return openOnce(ctx, fidNo, fid, async () => {
    const { fh, st } = await ctx.share.openEntry(fid.rel, isDir ? O_RDONLY : mode.flags);
    fid.open = { fh, flags: isDir ? O_RDONLY : mode.flags, readable: mode.readable, writable: mode.writable, isDir: st.isDirectory() };
    return openReply(Msg.Rlopen, tag, ctx.qids.qid(st));
  });
};

/**
 * Runs an open of `fid` with an open-file slot reserved. Only one open per fid at a time, and if
 * the fid was clunked (or the session reset) while the host opened the file, the file is closed
 * again: a guest racing Tclunk against Tlopen cannot leak host descriptors.
 */
async function openOnce(ctx: P9Context, fidNo: number, fid: Fid, open: () => Promise<Uint8Array>): Promise<Uint8Array> {
  if (fid.open || fid.opening) throw new P9Error(EINVAL, 'fid is already open');
  ctx.fids.reserveOpen();
  fid.opening = true;
  try {
    const reply = await open();
    if (!ctx.fids.holds(fidNo, fid)) {
      const o = fid.open as OpenFile | null;
      fid.open = null;
      await o?.fh.close();
      throw new P9Error(EBADF, 'fid was clunked while it was being opened');
    }
    return reply;
  } catch (err) {
    ctx.fids.unreserveOpen();
    throw err;
  } finally {
    fid.opening = false;
  }
}

/**
 * Create and open `name` in the directory fid, which then names the new file. The file is created
 * O_EXCL first so we know whether it is ours to chmod (the host umask must not eat guest bits);
 * without the guest's O_EXCL an existing regular file is opened instead.
 */
export const lcreate: Handler = async (ctx, r, tag) => {
  const fidNo = r.u32();
  const fid = ctx.fids.get(fidNo);
  const rawName = r.str();
  const lflags = r.u32();
  const perm = r.u32() & ctx.modeMask;
  r.u32(); // gid: ownership is not the guest's to choose
  assertWritable(ctx);
  const name = checkName(rawName);
  const mode = openMode(ctx, lflags);
  if (fid.qidType !== QTDIR) throw new P9Error(ENOTDIR, 'create in a non-directory');
  return openOnce(ctx, fidNo, fid, async () => {
    const base = mode.flags | O_NOFOLLOW | O_NONBLOCK;
    const fh = await ctx.share.withDir(fid.rel, async (dir) => {
      const path = childPath(dir, name);
      try {
        const created = await fsp.open(path, base | O_CREAT | O_EXCL, perm);
        await created.chmod(perm).catch(async (err: unknown) => {
          await created.close();
          throw err;
        });
        return created;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || lflags & L_O_EXCL) throw err;
        return fsp.open(path, base);
      }
    });
    try {
      const st = await fh.stat({ bigint: true });
      if (!st.isFile()) throw new P9Error(EEXIST, 'exists and is not a regular file');
      const qid = ctx.qids.qid(st);
      fid.rel = [...fid.rel, name];
      fid.qidType = qid.type;
      fid.open = { fh, flags: base, readable: mode.readable, writable: mode.writable, isDir: false };
      return openReply(Msg.Rlcreate, tag, qid);
    } catch (err) {
      await fh.close();
      throw err;
    }
  });
};

export const read: Handler = async (ctx, r, tag) => {
  const fid = ctx.fids.get(r.u32());
  const offset = r.u64();
  const asked = r.u32();
  const o = fid.open;
  if (!o || !o.readable) throw new P9Error(EBADF, 'fid is not open for reading');
  if (o.isDir) throw new P9Error(EISDIR, 'read of a directory (use readdir)');
  if (offset > I64_MAX) throw new P9Error(EINVAL, 'offset beyond 2^63');
  const count = Math.min(asked, ctx.msize - RREAD_HEADER_SIZE);
  const out = Buffer.allocUnsafe(RREAD_HEADER_SIZE + Math.max(count, 0));
  let got = 0;
  // No file can hold data past 2^53 bytes here; the read is simply at end of file.
  if (offset <= MAX_OFFSET) {
    const pos = Number(offset);
    while (got < count) {
      const { bytesRead } = await o.fh.read(out, RREAD_HEADER_SIZE + got, count - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  writeHeader(view, RREAD_HEADER_SIZE + got, Msg.Rread, tag);
  view.setUint32(7, got, true);
  return out.subarray(0, RREAD_HEADER_SIZE + got);
};

export const write: Handler = async (ctx, r, tag) => {
  const fid = ctx.fids.get(r.u32());
  const offset = r.u64();
  const count = r.u32();
  if (count > r.remaining) throw new P9Error(EPROTO, `write of ${count} bytes carries only ${r.remaining}`);
  if (count > ctx.msize - TWRITE_HEADER_SIZE) throw new P9Error(EPROTO, 'write larger than msize');
  const data = r.bytes(count);
  assertWritable(ctx);
  const o = fid.open;
  if (!o || !o.writable) throw new P9Error(EBADF, 'fid is not open for writing');
  if (o.isDir) throw new P9Error(EISDIR, 'write to a directory');
  if (offset + BigInt(count) > MAX_OFFSET) throw new P9Error(EFBIG, 'write beyond 2^53 bytes');
  const pos = Number(offset);
  let done = 0;
  while (done < count) {
    const { bytesWritten } = await o.fh.write(data, done, count - done, pos + done);
    if (bytesWritten === 0) break;
    done += bytesWritten;
  }
  return new Writer(16).u32(done).finish(Msg.Rwrite, tag);
};

/**
 * The listing is taken when the guest reads at offset 0 and served from there, so offsets stay
 * stable between calls; entry k carries offset k + 1. Entries are lstat'ed as they are sent (for
 * qid and d_type) through the open directory itself; ones that vanished meanwhile are skipped.
 */
export const readdir: Handler = async (ctx, r, tag) => {
  const fid = ctx.fids.get(r.u32());
  const offset = r.u64();
  const asked = r.u32();
  const o = fid.open;
  if (!o) throw new P9Error(EBADF, 'fid is not open');
  if (!o.isDir) throw new P9Error(ENOTDIR, 'readdir of a non-directory');
  const dirPath = ctx.share.procFd ? Buffer.from(`/proc/self/fd/${o.fh.fd}`) : ctx.share.hostPath(fid.rel);
  if (offset === 0n || !o.listing) {
    const names = await fsp.readdir(dirPath, { encoding: 'buffer' });
    o.listing = [Buffer.from('.'), Buffer.from('..'), ...names];
  }
  const listing = o.listing;
  const room = Math.min(asked, ctx.msize - RREAD_HEADER_SIZE);
  const start = offset > BigInt(listing.length) ? listing.length : Number(offset);
  const batch: number[] = [];
  let size = 0;
  for (let k = start; k < listing.length; k++) {
    const need = DIRENT_FIXED + listing[k]!.length;
    if (size + need > room) break;
    size += need;
    batch.push(k);
  }
  const stats = await Promise.all(
    batch.map((k) => {
      const name = listing[k]!;
      if (k === 0) return o.fh.stat({ bigint: true });
      if (k === 1) return ctx.share.lstat(fid.rel.length ? fid.rel.slice(0, -1) : []).catch(() => o.fh.stat({ bigint: true }));
      return fsp.lstat(childPath(dirPath, name as Name), { bigint: true }).catch(() => null);
    }),
  );
  const w = new Writer(RREAD_HEADER_SIZE + size);
  w.u32(0);
  batch.forEach((k, i) => {
    const st = stats[i];
    if (!st) return;
    w.qid(ctx.qids.qid(st)).u64(BigInt(k + 1)).u8(direntType(st)).str(listing[k]!);
  });
  const out = w.finish(Msg.Rreaddir, tag);
  new DataView(out.buffer, out.byteOffset).setUint32(7, out.length - RREAD_HEADER_SIZE, true);
  return out;
};

export const fsync: Handler = async (ctx, r, tag) => {
  const fid = ctx.fids.get(r.u32());
  const datasync = r.u32();
  const o = fid.open;
  if (o) await (datasync ? o.fh.datasync() : o.fh.sync());
  return emptyReply(Msg.Rfsync, tag);
};
