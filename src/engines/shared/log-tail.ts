// The last bytes of an engine's log, for error messages when a machine fails to start.
import { constants as C } from 'node:fs';
import { lstat, open } from 'node:fs/promises';

export const LOG_TAIL_BYTES = 4096;

/** The log's size now (0 when there is none): where what a start is about to write begins. */
export async function fileSize(path: string): Promise<number> {
  return lstat(path).then(
    (s) => s.size,
    () => 0,
  );
}

/** Up to `bytes` from the end of `path`, none before offset `from` (what this start wrote); '' if unreadable. */
export async function readTail(path: string, from = 0, bytes = LOG_TAIL_BYTES): Promise<string> {
  try {
    const fh = await open(path, C.O_RDONLY | C.O_NOFOLLOW);
    try {
      const { size } = await fh.stat();
      const start = Math.max(from, size - bytes);
      const buf = Buffer.alloc(Math.max(0, size - start));
      await fh.read(buf, 0, buf.length, start);
      return buf.toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}
