// Writes a file from a stream of chunks, hashing it on the way and leaving aligned all-zero blocks as
// holes (root disks are mostly zeros), then fsyncs it. The file is created exclusively, never via a link.
// DiskRoom keeps what an add writes (extraction or download) from filling the filesystem.
import { constants as C } from 'node:fs';
import { open, statfs, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { UserError } from '../errors.js';
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

const MIB = 2 ** 20;
/** Free space is measured again after this many bytes are written (a statfs per 16 MiB is noise). */
const ROOM_CHECK_BYTES = 16 * MIB;
/** Ceiling of the default reserve (5% of the filesystem): enough for the rest of the system to keep working. */
const MAX_DEFAULT_RESERVE = 256 * MIB;

/**
 * A budget of disk space for one add. A hostile archive can inflate to far more than it is (a gzip
 * bomb) and a download can be endless; both are stopped while the filesystem still has `reserve`
 * bytes free, with a message saying so, rather than by ENOSPC after everything else on it broke.
 * Checked before the first byte and then every ROOM_CHECK_BYTES of data actually written (holes
 * cost nothing), always keeping room for the next stretch.
 */
export class DiskRoom {
  private sinceCheck = 0;
  private reserve: number | undefined;
  /**
   * `dir`: any folder on the filesystem written to. `label` prefixes the message ("archive X");
   * `shownDir` is the folder the message names. `reserve`: free bytes never eaten into.
   */
  constructor(
    private readonly dir: string,
    private readonly label: string,
    private readonly shownDir: string,
    reserve?: number,
  ) {
    this.reserve = reserve;
  }

  /** Throws unless the next stretch of writing (or `upcoming` bytes, when more) fits above the reserve. */
  async check(upcoming = 0): Promise<void> {
    let free: number;
    let size: number;
    try {
      const s = await statfs(this.dir);
      free = s.bavail * s.bsize;
      size = s.blocks * s.bsize;
    } catch {
      return; // a filesystem that cannot say (unusual mounts): ENOSPC still ends the write
    }
    this.reserve ??= Math.min(MAX_DEFAULT_RESERVE, Math.floor(size / 20));
    if (free - Math.max(upcoming, ROOM_CHECK_BYTES) < this.reserve) {
      const mib = (n: number): string => `${Math.max(0, Math.floor(n / MIB))} MiB`;
      throw new UserError(`${this.label}: not enough free space to add this box: ${mib(free)} free on the store's filesystem (${this.shownDir}), and box add leaves at least ${mib(this.reserve)} free${upcoming > ROOM_CHECK_BYTES ? `; the archive alone is ${mib(upcoming)}` : ''}`, {
        hint: 'free some space and try again; an archive that inflates to far more than box.json declares is refused anyway',
      });
    }
  }

  /** Counts `n` bytes just written; measures free space again every ROOM_CHECK_BYTES. */
  async spend(n: number): Promise<void> {
    this.sinceCheck += n;
    if (this.sinceCheck < ROOM_CHECK_BYTES) return;
    this.sinceCheck = 0;
    await this.check();
  }
}

/** Writes the non-zero blocks of `chunk`; returns how many bytes it wrote. */
async function writeNonZero(fh: FileHandle, chunk: Buffer, position: number): Promise<number> {
  // Split at absolute HOLE_BLOCK boundaries so each skipped run is a whole filesystem block.
  let i = 0;
  let runStart = -1;
  let written = 0;
  while (i < chunk.length) {
    const next = Math.min(chunk.length, i + (HOLE_BLOCK - ((position + i) % HOLE_BLOCK)));
    const isWholeBlock = next - i === HOLE_BLOCK;
    const zero = isWholeBlock && chunk.subarray(i, next).equals(ZERO_BLOCK);
    if (zero) {
      if (runStart !== -1) {
        await fh.write(chunk, runStart, i - runStart, position + runStart);
        written += i - runStart;
        runStart = -1;
      }
    } else if (runStart === -1) runStart = i;
    i = next;
  }
  if (runStart !== -1) {
    await fh.write(chunk, runStart, chunk.length - runStart, position + runStart);
    written += chunk.length - runStart;
  }
  return written;
}

/**
 * Streams `body` into a new file at `path` (which must not exist). Returns its sha256 and size.
 * With `room`, every byte written is charged to it (and the write stops when it runs out).
 */
export async function writeStreamedFile(path: string, body: AsyncIterable<Buffer>, room?: DiskRoom): Promise<WrittenFile> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, BOX_FILE_MODE);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of body) {
      hash.update(chunk);
      const written = await writeNonZero(fh, chunk, size);
      size += chunk.length;
      await room?.spend(written);
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
