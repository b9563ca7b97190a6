// A raw disk image in a sparse file (the Vmfile's extra disks): created at its declared size
// without writing any data, grown (never shrunk) when the declared size grows.

import { open } from 'node:fs/promises';
import type { promises as fsp } from 'node:fs';
import type { BlockBackend } from '../../../emulator/devices/virtio/blk.js';
import { DiskError } from '../../errors.js';
import { diskFsError } from './disk-error.js';
import { O_READ, O_READ_WRITE, readFull, readFullSync, writeFull, writeFullSync } from './file-io.js';
import { SyncGate } from './sync-gate.js';
import { createNewFile } from './create-new-file.js';

type FileHandle = fsp.FileHandle;

const SECTOR = 512;

export class RawDisk implements BlockBackend {
  private closed = false;
  /** When small transfers may be done synchronously (see sync-gate.ts). */
  readonly gate = new SyncGate();

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly sizeBytes: number,
    readonly readOnly: boolean,
  ) {}

  /** Create a sparse raw disk of `sizeBytes` (a multiple of 512) at `path`, which must not exist (never replaced). */
  static async create(path: string, sizeBytes: number): Promise<void> {
    checkSize(sizeBytes, path);
    await createNewFile(path, 'disk', (fh) => fh.truncate(sizeBytes));
  }

  /** Grow the disk at `path` to `sizeBytes` if it is smaller; a disk never shrinks. Returns the size before. */
  static async grow(path: string, sizeBytes: number): Promise<number> {
    checkSize(sizeBytes, path);
    let fh: FileHandle | undefined;
    try {
      fh = await open(path, O_READ_WRITE);
      const st = await fh.stat();
      if (!st.isFile()) throw new DiskError(`disk is not a regular file: ${path}`);
      if (st.size > sizeBytes) {
        throw new DiskError(
          `disk ${path} is ${st.size} bytes, larger than the ${sizeBytes} the Vmfile now declares; disks cannot shrink`,
          'Declare the disk at least as large as it is, or destroy the machine to recreate its disks.',
        );
      }
      if (st.size < sizeBytes) {
        await fh.truncate(sizeBytes);
        await fh.sync();
      }
      return st.size;
    } catch (err) {
      throw err instanceof DiskError ? err : diskFsError(err, 'disk', path);
    } finally {
      await fh?.close().catch(() => {});
    }
  }

  static async open(path: string, o: { readOnly?: boolean } = {}): Promise<RawDisk> {
    let fh: FileHandle | undefined;
    try {
      fh = await open(path, o.readOnly ? O_READ : O_READ_WRITE);
      const st = await fh.stat();
      if (!st.isFile()) throw new DiskError(`disk is not a regular file: ${path}`);
      const size = Math.floor(st.size / SECTOR) * SECTOR;
      if (size === 0) throw new DiskError(`disk ${path} is smaller than one 512-byte sector`);
      return new RawDisk(path, fh, size, o.readOnly ?? false);
    } catch (err) {
      await fh?.close().catch(() => {});
      throw err instanceof DiskError ? err : diskFsError(err, 'disk', path);
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    this.checkRange(offset, length);
    const out = new Uint8Array(length);
    await readFull(this.fh, out, 0, length, offset);
    return out;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    if (this.readOnly) throw new Error(`disk ${this.path} is open read-only`);
    this.checkRange(offset, data.length);
    await writeFull(this.fh, data, 0, data.length, offset);
  }

  readNow(offset: number, dest: Uint8Array): boolean {
    if (!this.gate.allows(dest.length)) return false;
    this.checkRange(offset, dest.length);
    const got = this.gate.timed(() => readFullSync(this.fh.fd, dest, 0, dest.length, offset));
    dest.fill(0, got); // a file shorter than the disk reads as zeros past its end
    return true;
  }

  writeNow(offset: number, data: Uint8Array): boolean {
    if (this.readOnly || !this.gate.allows(data.length)) return false;
    this.checkRange(offset, data.length);
    this.gate.timed(() => writeFullSync(this.fh.fd, data, 0, data.length, offset));
    return true;
  }

  async flush(): Promise<void> {
    if (this.readOnly || this.closed) return;
    await this.fh.datasync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.fh.close().catch(() => {});
    }
  }

  private checkRange(offset: number, length: number): void {
    if (this.closed) throw new Error(`disk ${this.path} is closed`);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.sizeBytes) {
      throw new RangeError(`access of ${length} bytes at ${offset} is outside the ${this.sizeBytes}-byte disk`);
    }
  }
}

function checkSize(sizeBytes: number, path: string): void {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < SECTOR || sizeBytes % SECTOR !== 0) {
    throw new DiskError(`disk ${path}: size ${sizeBytes} is not a positive whole number of 512-byte sectors`);
  }
}
