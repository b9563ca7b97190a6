// Creates a disk file that did not exist, durably and without ever replacing one that did: filled
// in a private temp file, fsynced, then hard-linked into place (link fails where rename would clobber).
import type { FileHandle } from 'node:fs/promises';
import { link, open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DiskError } from '../../errors.js';
import { diskFsError } from './disk-error.js';
import { syncDir } from '../../shared/atomic-file.js';

/** `what` names the file in errors ("overlay", "disk"); `fill` writes its initial contents. */
export async function createNewFile(path: string, what: string, fill: (fh: FileHandle) => Promise<void>): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  let fh: FileHandle | undefined;
  await unlink(tmp).catch(() => {}); // left by a crashed run of a process with our pid
  try {
    fh = await open(tmp, 'wx', 0o600);
    await fill(fh);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await link(tmp, path);
    await unlink(tmp);
    await syncDir(dirname(path));
  } catch (err) {
    await fh?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new DiskError(`${what} already exists: ${path}`, 'vm never overwrites a disk; destroy the machine first to start over.');
    throw diskFsError(err, what, path);
  }
}
