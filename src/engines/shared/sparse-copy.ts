// Copying disk files for snapshots: chunks of zeros are left as holes (a 64 GiB sparse disk that
// holds 200 MB costs 200 MB to copy), the copy is fsynced and renamed into place, so a crash leaves
// the old file or the whole new one.
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { syncDir } from './atomic-file.js';

const CHUNK = 1024 * 1024;

function allZero(b: Buffer, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[i] !== 0) return false;
  return true;
}

/** Copy `src` to `dst` (replacing it atomically), keeping zero chunks as holes. */
export async function copySparse(src: string, dst: string): Promise<void> {
  const tmp = `${dst}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const input = await open(src, 'r');
  let output;
  try {
    output = await open(tmp, 'wx', 0o600);
    const size = (await input.stat()).size;
    const buf = Buffer.alloc(CHUNK);
    for (let at = 0; at < size; at += CHUNK) {
      const { bytesRead } = await input.read(buf, 0, Math.min(CHUNK, size - at), at);
      if (bytesRead === 0) break;
      if (!allZero(buf, bytesRead)) await output.write(buf, 0, bytesRead, at);
    }
    await output.truncate(size);
    await output.sync();
    await output.close();
    output = undefined;
    await rename(tmp, dst);
    await syncDir(dirname(dst));
  } catch (err) {
    await output?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  } finally {
    await input.close();
  }
}
