// 9P2000.L attributes and the rest: Tgetattr, Tsetattr, Tstatfs, Txattrwalk/Txattrcreate (not
// supported), Tlock/Tgetlock (granted at once, like QEMU's default: the guest's kernel already
// arbitrates locks among its own processes).
// Reference: Linux fs/9p/vfs_inode_dotl.c (v9fs_vfs_setattr_dotl), include/net/9p/9p.h.

import type { BigIntStats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { writeGetattr } from './attr.js';
import { Writer, emptyReply } from './codec.js';
import { assertWritable, type Handler } from './context.js';
import { EFBIG, EINVAL, EISDIR, EOPNOTSUPP, EPERM, P9Error } from './errno.js';
import {
  LOCK_SUCCESS,
  LOCK_TYPE_UNLCK,
  Msg,
  NAME_MAX,
  SETATTR_ATIME,
  SETATTR_ATIME_SET,
  SETATTR_GID,
  SETATTR_MODE,
  SETATTR_MTIME,
  SETATTR_MTIME_SET,
  SETATTR_SIZE,
  SETATTR_UID,
  V9FS_MAGIC,
} from './protocol.js';
import { childPath } from './share.js';

const NS_PER_S = 1e9;

/** Where setattr's changes land: an open descriptor, or a path that never follows a symlink. */
interface AttrTarget {
  chmod(mode: number): Promise<void>;
  truncate(size: number): Promise<void>;
  utimes(atime: number, mtime: number, isLink: boolean): Promise<void>;
}

export const getattr: Handler = async (ctx, r, tag) => {
  const fid = ctx.fids.get(r.u32());
  r.u64(); // request_mask: the basic set is always returned
  // An open fid is answered from its descriptor: right even after the file was unlinked or renamed.
  const st = fid.open ? await fid.open.fh.stat({ bigint: true }) : await ctx.share.lstat(fid.rel);
  const w = new Writer(160);
  writeGetattr(w, ctx.qids.qid(st), st, ctx.owner);
  return w.finish(Msg.Rgetattr, tag);
};

/** Seconds (with fraction) for utimes: `set` means the guest gave a time, otherwise "now". */
function timeArg(given: boolean, set: boolean, sec: bigint, nsec: bigint, current: bigint): number {
  if (!given) return Number(current) / NS_PER_S;
  if (!set) return Date.now() / 1000;
  if (nsec >= 1_000_000_000n) throw new P9Error(EINVAL, 'nanoseconds out of range');
  return Number(BigInt.asIntN(64, sec)) + Number(nsec) / NS_PER_S;
}

/**
 * Ownership cannot change: the guest sees every file as owned by the presented uid/gid, so setting
 * exactly those succeeds (cp -p, tar as root) and anything else is EPERM. Mode bits are applied to
 * the host file (minus setuid/setgid when the host runs as root). Times have microsecond precision
 * (Node's utimes takes seconds as a double).
 */
export const setattr: Handler = async (ctx, r, tag) => {
  const fid = ctx.fids.get(r.u32());
  const valid = r.u32();
  const mode = r.u32();
  const uid = r.u32();
  const gid = r.u32();
  const size = r.u64();
  const atimeSec = r.u64();
  const atimeNsec = r.u64();
  const mtimeSec = r.u64();
  const mtimeNsec = r.u64();
  assertWritable(ctx);
  if (valid & SETATTR_UID && uid !== ctx.owner.uid) throw new P9Error(EPERM, 'file ownership cannot be changed on a synced folder');
  if (valid & SETATTR_GID && gid !== ctx.owner.gid) throw new P9Error(EPERM, 'file ownership cannot be changed on a synced folder');
  if (valid & SETATTR_SIZE && size > BigInt(Number.MAX_SAFE_INTEGER)) throw new P9Error(EFBIG, 'size beyond 2^53 bytes');
  const apply = async (st: BigIntStats, on: AttrTarget): Promise<void> => {
    const link = st.isSymbolicLink();
    if (valid & SETATTR_MODE && !link) await on.chmod(mode & ctx.modeMask);
    if (valid & SETATTR_SIZE) {
      if (st.isDirectory()) throw new P9Error(EISDIR, 'truncate of a directory');
      // Only regular files: Node's truncate opens its path, which must never be a fifo or device.
      if (!st.isFile()) throw new P9Error(EINVAL, 'truncate of something that is not a regular file');
      await on.truncate(Number(size));
    }
    if (valid & (SETATTR_ATIME | SETATTR_MTIME)) {
      const atime = timeArg((valid & SETATTR_ATIME) !== 0, (valid & SETATTR_ATIME_SET) !== 0, atimeSec, atimeNsec, st.atimeNs);
      const mtime = timeArg((valid & SETATTR_MTIME) !== 0, (valid & SETATTR_MTIME_SET) !== 0, mtimeSec, mtimeNsec, st.mtimeNs);
      await on.utimes(atime, mtime, link);
    }
  };

  const open = fid.open;
  if (open?.writable) {
    // Through the descriptor: works on a file unlinked or renamed since it was opened (ftruncate).
    const fh = open.fh;
    await apply(await fh.stat({ bigint: true }), {
      chmod: (m) => fh.chmod(m),
      truncate: (n) => fh.truncate(n),
      utimes: (a, m) => fh.utimes(a, m),
    });
  } else {
    await ctx.share.withEntry(fid.rel, (path, st) =>
      apply(st, {
        chmod: (m) => fsp.chmod(path, m),
        truncate: (n) => fsp.truncate(path, n),
        utimes: async (a, m, link) => {
          if (!link) return fsp.utimes(path, a, m);
          // A symlink's own times: lutimes by name inside its (verified) directory.
          const name = fid.rel[fid.rel.length - 1]!;
          await ctx.share.withDir(fid.rel.slice(0, -1), (d) => fsp.lutimes(childPath(d, name), a, m));
        },
      }),
    );
  }
  return emptyReply(Msg.Rsetattr, tag);
};

export const statfs: Handler = async (ctx, r, tag) => {
  ctx.fids.get(r.u32());
  const s = await ctx.share.statfs();
  return new Writer(80)
    .u32(Number(s.type & 0xffffffffn) || V9FS_MAGIC)
    .u32(Number(s.bsize))
    .u64(s.blocks)
    .u64(s.bfree)
    .u64(s.bavail)
    .u64(s.files)
    .u64(s.ffree)
    .u64(ctx.share.rootDev)
    .u32(NAME_MAX)
    .finish(Msg.Rstatfs, tag);
};

export const xattrwalk: Handler = async (ctx, r) => {
  ctx.fids.get(r.u32());
  throw new P9Error(EOPNOTSUPP, 'extended attributes are not supported on synced folders');
};

export const xattrcreate: Handler = async (ctx, r) => {
  ctx.fids.get(r.u32());
  throw new P9Error(EOPNOTSUPP, 'extended attributes are not supported on synced folders');
};

export const lock: Handler = async (ctx, r, tag) => {
  ctx.fids.get(r.u32());
  r.u8(); // type
  r.u32(); // flags
  r.u64(); // start
  r.u64(); // length
  r.u32(); // proc_id
  r.str(); // client_id
  return new Writer(16).u8(LOCK_SUCCESS).finish(Msg.Rlock, tag);
};

export const getlock: Handler = async (ctx, r, tag) => {
  ctx.fids.get(r.u32());
  r.u8(); // type
  const start = r.u64();
  const length = r.u64();
  const procId = r.u32();
  const clientId = r.str();
  return new Writer(48).u8(LOCK_TYPE_UNLCK).u64(start).u64(length).u32(procId).str(clientId).finish(Msg.Rgetlock, tag);
};
