// 9P2000.L namespace changes: Tmkdir, Tmknod, Tsymlink, Treadlink, Tlink, Trename, Trenameat,
// Tunlinkat, Tremove. Both ends of every rename and link are fids of this share plus a checked
// single-component name, so nothing can be moved or linked across the share's boundary.
// Reference: Linux fs/9p/vfs_inode_dotl.c; QEMU hw/9pfs/9p.c (v9fs_renameat, v9fs_fix_fid_paths).

import { constants, type BigIntStats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { Writer, emptyReply } from './codec.js';
import { assertWritable, type Handler, type P9Context } from './context.js';
import { EBUSY, EINVAL, ENAMETOOLONG, ENOTDIR, EOPNOTSUPP, EPERM, P9Error } from './errno.js';
import type { Fid } from './fids.js';
import { AT_REMOVEDIR, Msg, QTDIR, S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK } from './protocol.js';
import { checkName, childPath, type Name, type RelPath } from './share.js';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_WRONLY } = constants;
/** Linux PATH_MAX: the longest symlink target the guest's kernel will send or read back. */
const PATH_MAX = 4096;

function dirFid(ctx: P9Context, n: number): Fid {
  const fid = ctx.fids.get(n);
  if (fid.qidType !== QTDIR) throw new P9Error(ENOTDIR, `fid ${n} is not a directory`);
  return fid;
}

/** The parent path and last name of a fid; the root has neither. */
function split(fid: Fid): { parent: RelPath; name: Name } {
  if (fid.rel.length === 0) throw new P9Error(EBUSY, 'the root of the share');
  return { parent: fid.rel.slice(0, -1), name: fid.rel[fid.rel.length - 1]! };
}

/** lstat of the new entry `name` in `dir` and its qid reply. */
async function created(ctx: P9Context, dir: RelPath, name: Name, type: number, tag: number): Promise<Uint8Array> {
  const st = await ctx.share.lstat([...dir, name]);
  return new Writer(32).qid(ctx.qids.qid(st)).finish(type, tag);
}

/** chmod exactly `mode` (past the host umask) on the entry just created, never through a symlink. */
async function setMode(ctx: P9Context, rel: RelPath, mode: number): Promise<void> {
  await ctx.share.withEntry(rel, async (path, st: BigIntStats) => {
    if (!st.isSymbolicLink()) await fsp.chmod(path, mode);
  });
}

export const mkdir: Handler = async (ctx, r, tag) => {
  const dir = dirFid(ctx, r.u32());
  const rawName = r.str();
  const mode = r.u32() & ctx.modeMask;
  r.u32(); // gid
  assertWritable(ctx);
  const name = checkName(rawName);
  await ctx.share.withDir(dir.rel, (d) => fsp.mkdir(childPath(d, name), mode));
  await setMode(ctx, [...dir.rel, name], mode);
  return created(ctx, dir.rel, name, Msg.Rmkdir, tag);
};

/**
 * Regular files only. Device nodes are refused (EPERM, as for an unprivileged mknod) so a guest
 * can never plant a device on the host; fifos and sockets need mknod(2), which Node cannot call.
 */
export const mknod: Handler = async (ctx, r, tag) => {
  const dir = dirFid(ctx, r.u32());
  const rawName = r.str();
  const mode = r.u32();
  r.u32(); // major
  r.u32(); // minor
  r.u32(); // gid
  assertWritable(ctx);
  const name = checkName(rawName);
  const kind = mode & S_IFMT;
  if (kind === S_IFCHR || kind === S_IFBLK) throw new P9Error(EPERM, 'device nodes cannot be created on a synced folder');
  if (kind === S_IFIFO || kind === S_IFSOCK) throw new P9Error(EOPNOTSUPP, 'fifos and sockets cannot be created on a synced folder');
  if (kind !== S_IFREG && kind !== 0) throw new P9Error(EINVAL, 'unknown file type');
  const perm = mode & ctx.modeMask;
  await ctx.share.withDir(dir.rel, async (d) => {
    const fh = await fsp.open(childPath(d, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, perm);
    try {
      await fh.chmod(perm);
    } finally {
      await fh.close();
    }
  });
  return created(ctx, dir.rel, name, Msg.Rmknod, tag);
};

/**
 * The target is stored exactly as given, absolute or not: the server never follows it, and the
 * guest's kernel resolves it inside its own view of the world.
 */
export const symlink: Handler = async (ctx, r, tag) => {
  const dir = dirFid(ctx, r.u32());
  const rawName = r.str();
  const target = Buffer.from(r.str());
  r.u32(); // gid
  assertWritable(ctx);
  const name = checkName(rawName);
  if (target.length === 0 || target.includes(0)) throw new P9Error(EINVAL, 'symlink target is empty or contains NUL');
  if (target.length >= PATH_MAX) throw new P9Error(ENAMETOOLONG, 'symlink target too long');
  await ctx.share.withDir(dir.rel, (d) => fsp.symlink(target, childPath(d, name)));
  return created(ctx, dir.rel, name, Msg.Rsymlink, tag);
};

export const readlink: Handler = async (ctx, r, tag) => {
  const fid = ctx.fids.get(r.u32());
  const { parent, name } = split(fid);
  const target = await ctx.share.withDir(parent, (d) => fsp.readlink(childPath(d, name), { encoding: 'buffer' }));
  return new Writer(16 + target.length).str(target).finish(Msg.Rreadlink, tag);
};

export const link: Handler = async (ctx, r, tag) => {
  const dir = dirFid(ctx, r.u32());
  const target = ctx.fids.get(r.u32());
  const rawName = r.str();
  assertWritable(ctx);
  const name = checkName(rawName);
  const from = split(target);
  // link(2) does not follow a symlink given as the existing path on Linux.
  await ctx.share.withDir(from.parent, (src) => ctx.share.withDir(dir.rel, (dst) => fsp.link(childPath(src, from.name), childPath(dst, name))));
  return emptyReply(Msg.Rlink, tag);
};

async function move(ctx: P9Context, fromDir: RelPath, fromName: Name, toDir: RelPath, toName: Name): Promise<void> {
  await ctx.share.withDir(fromDir, (src) => ctx.share.withDir(toDir, (dst) => fsp.rename(childPath(src, fromName), childPath(dst, toName))));
  // Fids the guest holds below the old name follow the entry to its new place.
  ctx.fids.renamed([...fromDir, fromName], [...toDir, toName]);
}

export const rename: Handler = async (ctx, r, tag) => {
  const fid = ctx.fids.get(r.u32());
  const dir = dirFid(ctx, r.u32());
  const rawName = r.str();
  assertWritable(ctx);
  const name = checkName(rawName);
  const from = split(fid);
  await move(ctx, from.parent, from.name, dir.rel, name);
  return emptyReply(Msg.Rrename, tag);
};

export const renameat: Handler = async (ctx, r, tag) => {
  const oldDir = dirFid(ctx, r.u32());
  const rawOld = r.str();
  const newDir = dirFid(ctx, r.u32());
  const rawNew = r.str();
  assertWritable(ctx);
  await move(ctx, oldDir.rel, checkName(rawOld), newDir.rel, checkName(rawNew));
  return emptyReply(Msg.Rrenameat, tag);
};

async function unlinkEntry(ctx: P9Context, dir: RelPath, name: Name, isDir: boolean): Promise<void> {
  await ctx.share.withDir(dir, (d) => (isDir ? fsp.rmdir(childPath(d, name)) : fsp.unlink(childPath(d, name))));
}

export const unlinkat: Handler = async (ctx, r, tag) => {
  const dir = dirFid(ctx, r.u32());
  const rawName = r.str();
  const flags = r.u32();
  assertWritable(ctx);
  await unlinkEntry(ctx, dir.rel, checkName(rawName), (flags & AT_REMOVEDIR) !== 0);
  return emptyReply(Msg.Runlinkat, tag);
};

/** Tremove clunks the fid whether or not the removal worked (remove(5)). */
export const remove: Handler = async (ctx, r, tag) => {
  const n = r.u32();
  const fid = ctx.fids.get(n);
  try {
    assertWritable(ctx);
    const { parent, name } = split(fid);
    const st = await ctx.share.lstat(fid.rel);
    await unlinkEntry(ctx, parent, name, st.isDirectory());
  } finally {
    await ctx.fids.clunk(n).catch(() => {});
  }
  return emptyReply(Msg.Rremove, tag);
};
