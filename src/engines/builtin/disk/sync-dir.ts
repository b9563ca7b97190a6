// fsync a directory so a rename or a new file in it survives a crash.

import { open } from 'node:fs/promises';

export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // best effort: some file systems (tmpfs, overlayfs) refuse fsync on a directory
  } finally {
    await fh?.close().catch(() => {});
  }
}
