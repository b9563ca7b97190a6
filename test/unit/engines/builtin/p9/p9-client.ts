// A small 9P2000.L client for the tests, written independently of the server's codec: builds
// T-messages with Buffer writes and parses R-messages, so an encoding bug cannot hide on both sides.

import type { P9Backend } from '../../../../../src/engines/builtin/p9/server.js';

export const T = {
  statfs: 8, lopen: 12, lcreate: 14, symlink: 16, mknod: 18, rename: 20, readlink: 22, getattr: 24,
  setattr: 26, xattrwalk: 30, xattrcreate: 32, readdir: 40, fsync: 50, lock: 52, getlock: 54, link: 70,
  mkdir: 72, renameat: 74, unlinkat: 76, version: 100, auth: 102, attach: 104, flush: 108, walk: 110,
  read: 116, write: 118, clunk: 120, remove: 122,
} as const;
export const RLERROR = 7;
export const NOFID = 0xffffffff;

export type Field = ['u8' | 'u16' | 'u32', number] | ['u64', bigint | number] | ['s', string | Buffer] | ['raw', Buffer];

export function encode(type: number, tag: number, fields: Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const [kind, v] of fields) {
    if (kind === 'u8') parts.push(Buffer.from([v as number]));
    else if (kind === 'u16') {
      const b = Buffer.alloc(2);
      b.writeUInt16LE(v as number);
      parts.push(b);
    } else if (kind === 'u32') {
      const b = Buffer.alloc(4);
      b.writeUInt32LE((v as number) >>> 0);
      parts.push(b);
    } else if (kind === 'u64') {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(v as bigint | number));
      parts.push(b);
    } else if (kind === 's') {
      const s = typeof v === 'string' ? Buffer.from(v) : (v as Buffer);
      const b = Buffer.alloc(2);
      b.writeUInt16LE(s.length);
      parts.push(b, s);
    } else parts.push(v as Buffer);
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(7);
  head.writeUInt32LE(7 + body.length);
  head.writeUInt8(type, 4);
  head.writeUInt16LE(tag, 5);
  return Buffer.concat([head, body]);
}

export class P9Reply {
  off = 7;
  constructor(readonly buf: Buffer) {}
  get type(): number {
    return this.buf[4]!;
  }
  get tag(): number {
    return this.buf.readUInt16LE(5);
  }
  get size(): number {
    return this.buf.readUInt32LE(0);
  }
  u8(): number {
    return this.buf.readUInt8(this.off++);
  }
  u16(): number {
    const v = this.buf.readUInt16LE(this.off);
    this.off += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.off);
    this.off += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64LE(this.off);
    this.off += 8;
    return v;
  }
  str(): Buffer {
    const n = this.u16();
    const s = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return s;
  }
  qid(): Qid {
    return { type: this.u8(), version: this.u32(), path: this.u64() };
  }
}

export interface Qid {
  type: number;
  version: number;
  path: bigint;
}

export interface Attr {
  valid: bigint;
  qid: Qid;
  mode: number;
  uid: number;
  gid: number;
  nlink: bigint;
  size: bigint;
  mtimeSec: bigint;
  mtimeNsec: bigint;
  atimeSec: bigint;
}

export interface Dirent {
  qid: Qid;
  offset: bigint;
  type: number;
  name: string;
}

/** A 9p error reply, with the Linux errno. */
export class P9ErrorReply extends Error {
  constructor(readonly errno: number) {
    super(`Rlerror ${errno}`);
  }
}

export class P9Client {
  private tag = 1;

  constructor(readonly server: P9Backend) {}

  /** Send raw bytes; returns the parsed reply whatever it is. */
  async raw(req: Uint8Array): Promise<P9Reply> {
    const out = await this.server.handle(req);
    const buf = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    if (buf.readUInt32LE(0) !== buf.length) throw new Error(`reply size field ${buf.readUInt32LE(0)} != ${buf.length} bytes`);
    return new P9Reply(buf);
  }

  nextTag(): number {
    this.tag = (this.tag + 1) & 0x7fff;
    return this.tag;
  }

  /** Send a message; Rlerror becomes a thrown P9ErrorReply; the reply type is checked. */
  async rpc(type: number, fields: Field[], tag = this.nextTag()): Promise<P9Reply> {
    const r = await this.raw(encode(type, tag, fields));
    if (r.tag !== tag) throw new Error(`reply tag ${r.tag} for request tag ${tag}`);
    if (r.type === RLERROR) throw new P9ErrorReply(r.u32());
    if (r.type !== type + 1) throw new Error(`reply type ${r.type} to T${type}`);
    return r;
  }

  async version(msize = 262144, version = '9P2000.L'): Promise<{ msize: number; version: string }> {
    const r = await this.rpc(T.version, [['u32', msize], ['s', version]], 0xffff);
    return { msize: r.u32(), version: r.str().toString() };
  }

  async attach(fid: number): Promise<Qid> {
    return (await this.rpc(T.attach, [['u32', fid], ['u32', NOFID], ['s', 'root'], ['s', ''], ['u32', 0]])).qid();
  }

  async walk(fid: number, newfid: number, names: (string | Buffer)[]): Promise<Qid[]> {
    const r = await this.rpc(T.walk, [['u32', fid], ['u32', newfid], ['u16', names.length], ...names.map((n): Field => ['s', n])]);
    const n = r.u16();
    return Array.from({ length: n }, () => r.qid());
  }

  async lopen(fid: number, flags: number): Promise<Qid> {
    return (await this.rpc(T.lopen, [['u32', fid], ['u32', flags]])).qid();
  }

  async lcreate(fid: number, name: string | Buffer, flags: number, mode: number): Promise<Qid> {
    return (await this.rpc(T.lcreate, [['u32', fid], ['s', name], ['u32', flags], ['u32', mode], ['u32', 0]])).qid();
  }

  async read(fid: number, offset: number | bigint, count: number): Promise<Buffer> {
    const r = await this.rpc(T.read, [['u32', fid], ['u64', offset], ['u32', count]]);
    const n = r.u32();
    const data = r.buf.subarray(r.off, r.off + n);
    if (data.length !== n) throw new Error('Rread shorter than its count');
    return Buffer.from(data);
  }

  async write(fid: number, offset: number | bigint, data: Buffer | string): Promise<number> {
    const d = typeof data === 'string' ? Buffer.from(data) : data;
    return (await this.rpc(T.write, [['u32', fid], ['u64', offset], ['u32', d.length], ['raw', d]])).u32();
  }

  async readdir(fid: number, offset: number | bigint, count: number): Promise<Dirent[]> {
    const r = await this.rpc(T.readdir, [['u32', fid], ['u64', offset], ['u32', count]]);
    const end = r.off + 4 + r.u32();
    const out: Dirent[] = [];
    while (r.off < end) out.push({ qid: r.qid(), offset: r.u64(), type: r.u8(), name: r.str().toString() });
    return out;
  }

  /** Every entry of the open directory fid, following offsets. */
  async readdirAll(fid: number, count = 8192): Promise<Dirent[]> {
    const all: Dirent[] = [];
    let offset = 0n;
    for (;;) {
      const batch = await this.readdir(fid, offset, count);
      if (batch.length === 0) return all;
      all.push(...batch);
      offset = batch[batch.length - 1]!.offset;
    }
  }

  async getattr(fid: number): Promise<Attr> {
    const r = await this.rpc(T.getattr, [['u32', fid], ['u64', 0x3fffn]]);
    const valid = r.u64();
    const qid = r.qid();
    const mode = r.u32();
    const uid = r.u32();
    const gid = r.u32();
    const nlink = r.u64();
    r.u64(); // rdev
    const size = r.u64();
    r.u64(); // blksize
    r.u64(); // blocks
    const atimeSec = r.u64();
    r.u64();
    const mtimeSec = r.u64();
    const mtimeNsec = r.u64();
    return { valid, qid, mode, uid, gid, nlink, size, mtimeSec, mtimeNsec, atimeSec };
  }

  async setattr(fid: number, a: { valid: number; mode?: number; uid?: number; gid?: number; size?: bigint | number; atime?: [number, number]; mtime?: [number, number] }): Promise<void> {
    await this.rpc(T.setattr, [
      ['u32', fid], ['u32', a.valid], ['u32', a.mode ?? 0], ['u32', a.uid ?? 0], ['u32', a.gid ?? 0], ['u64', a.size ?? 0],
      ['u64', a.atime?.[0] ?? 0], ['u64', a.atime?.[1] ?? 0], ['u64', a.mtime?.[0] ?? 0], ['u64', a.mtime?.[1] ?? 0],
    ]);
  }

  async mkdir(dfid: number, name: string | Buffer, mode = 0o755): Promise<Qid> {
    return (await this.rpc(T.mkdir, [['u32', dfid], ['s', name], ['u32', mode], ['u32', 0]])).qid();
  }

  async mknod(dfid: number, name: string, mode: number, major = 0, minor = 0): Promise<Qid> {
    return (await this.rpc(T.mknod, [['u32', dfid], ['s', name], ['u32', mode], ['u32', major], ['u32', minor], ['u32', 0]])).qid();
  }

  async symlink(dfid: number, name: string | Buffer, target: string | Buffer): Promise<Qid> {
    return (await this.rpc(T.symlink, [['u32', dfid], ['s', name], ['s', target], ['u32', 0]])).qid();
  }

  async readlink(fid: number): Promise<string> {
    return (await this.rpc(T.readlink, [['u32', fid]])).str().toString();
  }

  async link(dfid: number, fid: number, name: string | Buffer): Promise<void> {
    await this.rpc(T.link, [['u32', dfid], ['u32', fid], ['s', name]]);
  }

  async rename(fid: number, dfid: number, name: string | Buffer): Promise<void> {
    await this.rpc(T.rename, [['u32', fid], ['u32', dfid], ['s', name]]);
  }

  async renameat(olddir: number, oldname: string | Buffer, newdir: number, newname: string | Buffer): Promise<void> {
    await this.rpc(T.renameat, [['u32', olddir], ['s', oldname], ['u32', newdir], ['s', newname]]);
  }

  async unlinkat(dfid: number, name: string | Buffer, flags = 0): Promise<void> {
    await this.rpc(T.unlinkat, [['u32', dfid], ['s', name], ['u32', flags]]);
  }

  async remove(fid: number): Promise<void> {
    await this.rpc(T.remove, [['u32', fid]]);
  }

  async clunk(fid: number): Promise<void> {
    await this.rpc(T.clunk, [['u32', fid]]);
  }

  async fsync(fid: number): Promise<void> {
    await this.rpc(T.fsync, [['u32', fid], ['u32', 0]]);
  }

  async statfs(fid: number): Promise<{ type: number; bsize: number; blocks: bigint; namelen: number }> {
    const r = await this.rpc(T.statfs, [['u32', fid]]);
    const type = r.u32();
    const bsize = r.u32();
    const blocks = r.u64();
    r.u64();
    r.u64();
    r.u64();
    r.u64();
    r.u64();
    return { type, bsize, blocks, namelen: r.u32() };
  }
}

/** The errno a failing client call ended with (fails the test if the call succeeded). */
export async function errnoOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    if (err instanceof P9ErrorReply) return err.errno;
    throw err;
  }
  throw new Error('expected an Rlerror, the call succeeded');
}

export const E = {
  EPERM: 1, ENOENT: 2, EBADF: 9, EACCES: 13, EBUSY: 16, EEXIST: 17, ENOTDIR: 20, EISDIR: 21, EINVAL: 22,
  ENFILE: 23, EMFILE: 24, EFBIG: 27, EROFS: 30, ENAMETOOLONG: 36, ENOTEMPTY: 39, ELOOP: 40, EPROTO: 71, EOPNOTSUPP: 95,
} as const;

/** Linux open flags as the guest sends them. */
export const L = { RDONLY: 0, WRONLY: 1, RDWR: 2, CREAT: 0o100, EXCL: 0o200, TRUNC: 0o1000, APPEND: 0o2000, DIRECTORY: 0o200000 } as const;
