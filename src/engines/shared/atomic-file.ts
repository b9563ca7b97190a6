// Crash-safe replacement of a file, for every layer that writes one (engines: launch files; core:
// machine records, indexes, lock files through core/machines/safe-fs.ts, which adds messages).

import { constants as C } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A temp name beside `path`, hidden and unique to this process and call. */
export const tempNameFor = (path: string): string => join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);

/** fsync a directory so a rename or a new file in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, C.O_RDONLY | C.O_DIRECTORY);
    await fh.sync();
  } catch {
    // best effort: some file systems (tmpfs, overlayfs) refuse fsync on a directory
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Writes `data` to `path` atomically: a temp file beside it (created exclusively, never through a
 * link), mode set explicitly whatever the umask, fsync, rename over the target, fsync of the folder.
 * A crash leaves either the old file or the new one, never a truncated mix; a failure removes the
 * temp file and rethrows the fs error.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = tempNameFor(path);
  let fh;
  try {
    fh = await open(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, mode);
    await fh.writeFile(data);
    await fh.chmod(mode);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dirname(path));
}
