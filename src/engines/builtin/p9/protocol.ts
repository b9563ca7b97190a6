// 9P2000.L wire constants: message types, qid types, getattr/setattr masks, open flags, dirent types.
// Reference: Linux include/net/9p/9p.h and the 9P2000.L description in QEMU's docs (9p protocol)
// and https://github.com/chaos/diod/blob/master/protocol.md.

/** size[4] type[1] tag[2]: every message starts with this. */
export const HEADER_SIZE = 7;
/** Header plus fid[4] offset[8] count[4] of Twrite, and the header plus count[4] of Rread. */
export const TWRITE_HEADER_SIZE = HEADER_SIZE + 4 + 8 + 4;
export const RREAD_HEADER_SIZE = HEADER_SIZE + 4;
export const QID_SIZE = 13;

export const NOTAG = 0xffff;
export const NOFID = 0xffffffff;
/** The most names one Twalk may carry. */
export const MAXWELEM = 16;
/** Longest name a component may have (Linux NAME_MAX). */
export const NAME_MAX = 255;

export const VERSION_9P2000_L = '9P2000.L';

export enum Msg {
  Tlerror = 6,
  Rlerror = 7,
  Tstatfs = 8,
  Rstatfs = 9,
  Tlopen = 12,
  Rlopen = 13,
  Tlcreate = 14,
  Rlcreate = 15,
  Tsymlink = 16,
  Rsymlink = 17,
  Tmknod = 18,
  Rmknod = 19,
  Trename = 20,
  Rrename = 21,
  Treadlink = 22,
  Rreadlink = 23,
  Tgetattr = 24,
  Rgetattr = 25,
  Tsetattr = 26,
  Rsetattr = 27,
  Txattrwalk = 30,
  Rxattrwalk = 31,
  Txattrcreate = 32,
  Rxattrcreate = 33,
  Treaddir = 40,
  Rreaddir = 41,
  Tfsync = 50,
  Rfsync = 51,
  Tlock = 52,
  Rlock = 53,
  Tgetlock = 54,
  Rgetlock = 55,
  Tlink = 70,
  Rlink = 71,
  Tmkdir = 72,
  Rmkdir = 73,
  Trenameat = 74,
  Rrenameat = 75,
  Tunlinkat = 76,
  Runlinkat = 77,
  Tversion = 100,
  Rversion = 101,
  Tauth = 102,
  Rauth = 103,
  Tattach = 104,
  Rattach = 105,
  Tflush = 108,
  Rflush = 109,
  Twalk = 110,
  Rwalk = 111,
  Tread = 116,
  Rread = 117,
  Twrite = 118,
  Rwrite = 119,
  Tclunk = 120,
  Rclunk = 121,
  Tremove = 122,
  Rremove = 123,
}

/** qid.type bits. */
export const QTDIR = 0x80;
export const QTSYMLINK = 0x02;
export const QTFILE = 0x00;

/** Tgetattr request_mask / Rgetattr valid bits. */
export const GETATTR_BASIC = 0x7ffn; // mode nlink uid gid rdev atime mtime ctime ino size blocks

/** Tsetattr valid bits. */
export const SETATTR_MODE = 0x1;
export const SETATTR_UID = 0x2;
export const SETATTR_GID = 0x4;
export const SETATTR_SIZE = 0x8;
export const SETATTR_ATIME = 0x10;
export const SETATTR_MTIME = 0x20;
export const SETATTR_CTIME = 0x40;
export const SETATTR_ATIME_SET = 0x80;
export const SETATTR_MTIME_SET = 0x100;

/** Tlopen/Tlcreate flags: Linux's generic O_* values, whatever the host's are. */
export const L_O_ACCMODE = 0o3;
export const L_O_RDONLY = 0o0;
export const L_O_WRONLY = 0o1;
export const L_O_RDWR = 0o2;
export const L_O_CREAT = 0o100;
export const L_O_EXCL = 0o200;
export const L_O_TRUNC = 0o1000;
export const L_O_APPEND = 0o2000;
export const L_O_DSYNC = 0o10000;
export const L_O_DIRECTORY = 0o200000;
export const L_O_SYNC = 0o4010000;

/** Tunlinkat flags. */
export const AT_REMOVEDIR = 0x200;

/** File type bits of a mode (Linux values, as the guest sees them). */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;

/** Rreaddir entry type (d_type). */
export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

/** Tlock / Rlock values. */
export const LOCK_TYPE_UNLCK = 2;
export const LOCK_SUCCESS = 0;

/** f_type of a 9p mount, reported when the host's own is unknown. */
export const V9FS_MAGIC = 0x01021997;
