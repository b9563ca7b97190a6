// Writes a file from a stream of chunks, hashing it on the way and leaving aligned all-zero blocks as
// holes (root disks are mostly zeros), then fsyncs it. The file is created exclusively, never via a link.
import { constants as C } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { fsUserError } from '../machines/safe-fs.js';

/** Hole granularity: a filesystem block on ext4/xfs/tmpfs. */
const HOLE_BLOCK = 4096;
const ZERO_BLOCK = Buffer.alloc(HOLE_BLOCK);
/** Stored box files are never written after they land. */
export const BOX_FILE_MODE = 0o444;

export interface WrittenFile {
  sha256: string;
  size: number;
}

async function writeNonZero(fh: FileHandle, chunk: Buffer, position: number): Promise<void> {
  // Split at absolute HOLE_BLOCK boundaries so each skipped run is a whole filesystem block.
  let i = 0;
  let runStart = -1;
  while (i < chunk.length) {
    const next = Math.min(chunk.length, i + (HOLE_BLOCK - ((position + i) % HOLE_BLOCK)));
    const isWholeBlock = next - i === HOLE_BLOCK;
    const zero = isWholeBlock && chunk.subarray(i, next).equals(ZERO_BLOCK);
    if (zero) {
      if (runStart !== -1) {
        await fh.write(chunk, runStart, i - runStart, position + runStart);
        runStart = -1;
      }
    } else if (runStart === -1) runStart = i;
    i = next;
  }
  if (runStart !== -1) await fh.write(chunk, runStart, chunk.length - runStart, position + runStart);
}

/**
 * Streams `body` into a new file at `path` (which must not exist). Returns its sha256 and size.
 * `expectedSize`, when given, is enforced: more or fewer bytes is an error from the caller's check.
 */
export async function writeStreamedFile(path: string, body: AsyncIterable<Buffer>, mode = BOX_FILE_MODE): Promise<WrittenFile> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, mode);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of body) {
      hash.update(chunk);
      await writeNonZero(fh, chunk, size);
      size += chunk.length;
    }
    // Trailing holes are not written: set the length explicitly.
    await fh.truncate(size);
    await fh.datasync();
    return { sha256: hash.digest('hex'), size };
  } catch (err) {
    if (err instanceof Error && 'code' in err) fsUserError(err, path, 'writing');
    throw err;
  } finally {
    await fh?.close();
  }
}
