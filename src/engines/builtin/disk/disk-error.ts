// A disk file that cannot be used as asked: the message names the file and says what is wrong,
// the hint what to do. `core` shows it as a user error (no stack trace).

export class DiskError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'DiskError';
  }
}

/** An fs error turned into a DiskError about `what` at `path`. */
export function diskFsError(err: unknown, what: string, path: string): DiskError {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return new DiskError(`${what} not found: ${path}`, 'Run `vm up` to create it, or `vm destroy` and `vm up` to start over.');
    case 'EACCES':
    case 'EPERM':
      return new DiskError(`${what} is not accessible (permission denied): ${path}`, 'Check the file owner and mode.');
    case 'ELOOP':
      return new DiskError(`${what} is a symbolic link, which vm refuses to follow: ${path}`, 'Replace the link with the file itself.');
    case 'EISDIR':
      return new DiskError(`${what} is a directory, not a file: ${path}`);
    case 'ENOSPC':
      return new DiskError(`no space left on the device holding ${what} ${path}`, 'Free some disk space and try again.');
    case 'EROFS':
      return new DiskError(`${what} is on a read-only file system: ${path}`);
    default:
      return new DiskError(`cannot use ${what} ${path}: ${e.message ?? String(err)}`);
  }
}
