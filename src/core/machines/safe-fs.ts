// Crash-safe, link-refusing file primitives for vm's own state: private dirs (0700), atomic writes
// (temp + fsync + rename, 0600), and JSON reads whose errors name the file instead of throwing traces.
import { constants as C } from 'node:fs';
import { lstat, mkdir, chmod, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic as writeFileReplacing } from '../../engines/shared/atomic-file.js';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

const isErrno = (err: unknown, ...codes: string[]): err is NodeJS.ErrnoException =>
  err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '');

/** Turns the filesystem errors a user can act on into UserErrors naming the path; rethrows the rest. */
export function fsUserError(err: unknown, path: string, doing: string): never {
  if (isErrno(err, 'ENOSPC', 'EDQUOT')) throw new UserError(`no space left on the device while ${doing} ${path}`);
  if (isErrno(err, 'EACCES', 'EPERM')) throw new UserError(`permission denied while ${doing} ${path}`);
  if (isErrno(err, 'EROFS')) throw new UserError(`${path} is on a read-only filesystem (while ${doing} it)`);
  if (isErrno(err, 'ENOTDIR')) throw new UserError(`a component of ${path} is not a directory (while ${doing} it)`);
  if (isErrno(err, 'ELOOP')) throw new UserError(`refusing to follow a symlink at ${path} (while ${doing} it)`);
  throw err;
}

/**
 * Makes `path` a private directory (0700 whatever the umask) whose parent must already exist.
 * A symlink or non-directory at `path` is refused: state dirs are never followed through links.
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) fsUserError(err, path, 'checking');
    try {
      await mkdir(path, { mode: PRIVATE_DIR_MODE });
    } catch (mkErr) {
      // Another process created it between our lstat and mkdir: check what it made.
      if (!isErrno(mkErr, 'EEXIST')) fsUserError(mkErr, path, 'creating');
    }
    st = await lstat(path);
  }
  if (st.isSymbolicLink()) throw new UserError(`refusing to use ${path}: it is a symlink where a directory is expected`);
  if (!st.isDirectory()) throw new UserError(`refusing to use ${path}: it is not a directory`);
  if ((st.mode & 0o777) !== PRIVATE_DIR_MODE) {
    try {
      await chmod(path, PRIVATE_DIR_MODE);
    } catch (err) {
      fsUserError(err, path, 'setting the mode of');
    }
  }
}

/** ensurePrivateDir on each segment below an existing `base` (e.g. project, ".vm", "machines", "default"). */
export async function ensurePrivateDirs(base: string, ...segments: string[]): Promise<string> {
  let path = base;
  for (const seg of segments) {
    path = join(path, seg);
    await ensurePrivateDir(path);
  }
  return path;
}

/** Fails if `path` exists as a symlink or as something other than a regular file. */
export async function refuseNonRegular(path: string): Promise<boolean> {
  try {
    const st = await lstat(path);
    if (st.isSymbolicLink()) throw new UserError(`refusing to use ${path}: it is a symlink where a file is expected`);
    if (!st.isFile()) throw new UserError(`refusing to use ${path}: it is not a regular file`);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    if (err instanceof UserError) throw err;
    fsUserError(err, path, 'checking');
  }
}

/** writeFileAtomic (engines/shared/atomic-file.ts) with the fs errors a user can act on as UserErrors. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = PRIVATE_FILE_MODE): Promise<void> {
  try {
    await writeFileReplacing(path, data, mode);
  } catch (err) {
    fsUserError(err, path, 'writing');
  }
}

/**
 * Reads and parses a JSON file vm wrote. Absent => undefined. Empty, truncated or garbage content,
 * or a link where the file should be, is a UserError that names the file and what `what` is.
 */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  if (!(await refuseNonRegular(path))) return undefined;
  let text: string;
  try {
    const fh = await open(path, C.O_RDONLY | C.O_NOFOLLOW);
    try {
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    fsUserError(err, path, 'reading');
  }
  if (text.trim() === '') throw new UserError(`${what} ${path} is empty (truncated by a crash?)`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${what} ${path} is not valid JSON (${(err as Error).message})`);
  }
}

/** Reads a small text file, undefined when absent. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return undefined;
    throw err;
  }
}

export { isErrno };
