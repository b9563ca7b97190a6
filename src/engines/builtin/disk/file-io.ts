// Whole-range positional reads and writes on a FileHandle (fs.promises runs them on libuv's
// thread pool, so the emulated CPU keeps running while they are in flight), and synchronous twins
// for the small transfers sync-gate.ts lets through.

import { constants, readSync, writeSync, type promises as fsp } from 'node:fs';

type FileHandle = fsp.FileHandle;

/** Open flags: never follow a symlink where a disk file is expected. */
export const O_READ = constants.O_RDONLY | constants.O_NOFOLLOW;
export const O_READ_WRITE = constants.O_RDWR | constants.O_NOFOLLOW;

/** Read `length` bytes at file `position` into `buf` at `offset`; bytes past end of file stay as they were. Returns bytes read. */
export async function readFull(fh: FileHandle, buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Write `length` bytes of `buf` from `offset` at file `position`, all of them. */
export async function writeFull(fh: FileHandle, buf: Uint8Array, offset: number, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await fh.write(buf, offset + done, length - done, position + done);
    if (bytesWritten === 0) throw new Error(`short write at offset ${position + done}`);
    done += bytesWritten;
  }
}

/** readFull, synchronously on the descriptor (for small transfers the page cache serves: see sync-gate.ts). */
export function readFullSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** writeFull, synchronously on the descriptor. */
export function writeFullSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = writeSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) throw new Error(`short write at offset ${position + done}`);
    done += n;
  }
}
