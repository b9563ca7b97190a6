// A disk file that cannot be used as asked, from the fs error that said so: the message names the
// file and says what is wrong, the hint what to do (DiskError: engines/errors.ts).
import { DiskError } from '../../errors.js';

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
