// Linux errno values for Rlerror, and the mapping from Node's error codes to them. The guest is Linux
// whatever the host is, so errors travel by name (ENOENT), never by the host's own numbers.
// Reference: Linux include/uapi/asm-generic/errno-base.h and errno.h.

export const EPERM = 1;
export const ENOENT = 2;
export const EIO = 5;
export const ENXIO = 6;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EBUSY = 16;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const ENFILE = 23;
export const EMFILE = 24;
export const EFBIG = 27;
export const ENOSPC = 28;
export const EROFS = 30;
export const EMLINK = 31;
export const ENAMETOOLONG = 36;
export const ENOTEMPTY = 39;
export const ELOOP = 40;
export const EPROTO = 71;
export const EOVERFLOW = 75;
export const EOPNOTSUPP = 95;

/** Node/libuv error codes (err.code) -> Linux errno. Anything not listed becomes EIO. */
const BY_CODE: Record<string, number> = {
  EPERM,
  ENOENT,
  EIO,
  ENXIO,
  EBADF,
  EAGAIN,
  ENOMEM,
  EACCES,
  EBUSY,
  EEXIST,
  EXDEV,
  ENOTDIR,
  EISDIR,
  EINVAL,
  ENFILE,
  EMFILE,
  EFBIG,
  ENOSPC,
  EROFS,
  EMLINK,
  ENAMETOOLONG,
  ENOTEMPTY,
  ELOOP,
  EOVERFLOW,
  EOPNOTSUPP,
  ENOTSUP: EOPNOTSUPP,
  ETXTBSY: 26,
  ESPIPE: 29,
  EDQUOT: 122,
  ESTALE: 116,
  EINTR: 4,
  EDEADLK: 35,
  ENOLCK: 37,
  ENOSYS: 38,
  ENODATA: 61,
  ERANGE: 34,
  EFAULT: 14,
  E2BIG: 7,
  ECANCELED: 125,
};

/** A failure to report to the guest as Rlerror(errno). */
export class P9Error extends Error {
  constructor(
    readonly errno: number,
    message = `errno ${errno}`,
  ) {
    super(message);
    this.name = 'P9Error';
  }
}

/** The Linux errno for any error a request handler threw. */
export function errnoOf(err: unknown): number {
  if (err instanceof P9Error) return err.errno;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return BY_CODE[code] ?? EIO;
  return EIO;
}

/** True when `err` is a host (Node) error, not a bug in the server. */
export function isHostError(err: unknown): boolean {
  return err instanceof P9Error || typeof (err as { code?: unknown } | null)?.code === 'string';
}
