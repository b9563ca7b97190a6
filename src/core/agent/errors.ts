// Errors from the guest agent channel. They are UserErrors: what failed in the guest (a missing
// file, a full disk) or on the channel (no answer) is for the user to act on, not a vm bug.
import { UserError } from '../errors.js';

/** Linux errno values (generic numbering, the same on riscv64 and x86_64) the agent reports. */
const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 7: 'E2BIG', 8: 'ENOEXEC', 9: 'EBADF',
  11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 16: 'EBUSY', 17: 'EEXIST', 18: 'EXDEV', 20: 'ENOTDIR',
  21: 'EISDIR', 22: 'EINVAL', 24: 'EMFILE', 26: 'ETXTBSY', 27: 'EFBIG', 28: 'ENOSPC', 30: 'EROFS',
  36: 'ENAMETOOLONG', 39: 'ENOTEMPTY', 40: 'ELOOP', 95: 'ENOTSUP', 122: 'EDQUOT', 125: 'ECANCELED',
};

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

export type AgentErrorKind =
  /** The guest refused or failed the operation (the agent sent an ERROR frame). */
  | 'guest'
  /** No answer in time. */
  | 'timeout'
  /** The channel closed, broke, or the agent restarted while the operation ran. */
  | 'channel'
  /** The request cannot be sent as asked (NUL in an argument, too large). */
  | 'request';

export class AgentError extends UserError {
  /** ENOENT, EACCES, ... for 'guest' errors. */
  readonly code?: string;
  constructor(
    message: string,
    readonly kind: AgentErrorKind,
    readonly errno?: number,
    hint?: string,
  ) {
    super(message, hint ? { hint } : {});
    this.name = 'AgentError';
    if (errno !== undefined) this.code = errnoName(errno);
  }
}
