// Host stat -> what the guest sees: qids from inode numbers, Rgetattr fields, readdir d_type.
// Ownership is presented as a fixed uid/gid (root by default) so host ids never leak into the guest.
// Reference: Linux include/net/9p/9p.h (struct p9_stat_dotl), QEMU hw/9pfs/9p.c stat_to_qid.

import type { BigIntStats } from 'node:fs';
import type { Qid, Writer } from './codec.js';
import { DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, DT_UNKNOWN, GETATTR_BASIC, QTDIR, QTFILE, QTSYMLINK } from './protocol.js';

export interface Owner {
  uid: number;
  gid: number;
}

const INO_BITS = 56n;
const INO_MASK = (1n << INO_BITS) - 1n;

/**
 * qid.path from (st_dev, st_ino). Files on the share's own filesystem keep their inode number;
 * files on filesystems mounted inside the share get a per-device prefix so two inodes with the same
 * number on different devices never look like one file to the guest.
 */
export class QidMapper {
  private readonly devs = new Map<bigint, bigint>();

  constructor(private readonly rootDev: bigint) {}

  qid(st: BigIntStats): Qid {
    return { type: qidType(st), version: 0, path: this.path(st) };
  }

  private path(st: BigIntStats): bigint {
    if (st.dev === this.rootDev) return st.ino;
    let prefix = this.devs.get(st.dev);
    if (prefix === undefined) {
      prefix = BigInt(this.devs.size + 1) & 0xffn;
      this.devs.set(st.dev, prefix);
    }
    return (prefix << INO_BITS) | (st.ino & INO_MASK);
  }
}

export function qidType(st: BigIntStats): number {
  if (st.isDirectory()) return QTDIR;
  if (st.isSymbolicLink()) return QTSYMLINK;
  return QTFILE;
}

export function direntType(st: BigIntStats): number {
  if (st.isFile()) return DT_REG;
  if (st.isDirectory()) return DT_DIR;
  if (st.isSymbolicLink()) return DT_LNK;
  if (st.isFIFO()) return DT_FIFO;
  if (st.isSocket()) return DT_SOCK;
  if (st.isCharacterDevice()) return DT_CHR;
  if (st.isBlockDevice()) return DT_BLK;
  return DT_UNKNOWN;
}

const NS = 1_000_000_000n;

function writeTime(w: Writer, ns: bigint): void {
  // Floor division keeps nsec in [0, 1e9) for times before 1970 too.
  let sec = ns / NS;
  let nsec = ns % NS;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += NS;
  }
  w.u64(sec).u64(nsec);
}

/** The body of Rgetattr for `st`, seen as owned by `owner`. */
export function writeGetattr(w: Writer, qid: Qid, st: BigIntStats, owner: Owner): void {
  w.u64(GETATTR_BASIC)
    .qid(qid)
    .u32(Number(st.mode))
    .u32(owner.uid)
    .u32(owner.gid)
    .u64(st.nlink)
    .u64(st.rdev)
    .u64(st.size)
    .u64(st.blksize)
    .u64(st.blocks);
  writeTime(w, st.atimeNs);
  writeTime(w, st.mtimeNs);
  writeTime(w, st.ctimeNs);
  w.u64(0n).u64(0n); // btime: not in BASIC
  w.u64(0n).u64(0n); // gen, data_version
}
