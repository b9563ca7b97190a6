// A copy-on-write disk: the base image opened read-only (never written), the machine's writes in an
// overlay file in the format overlay-format.ts describes, with its crash-safety protocol.

import { open } from 'node:fs/promises';
import type { promises as fsp } from 'node:fs';
import type { BlockBackend } from '../../../emulator/devices/virtio/blk.js';
import { DiskError } from '../../errors.js';
import { diskFsError } from './disk-error.js';
import { O_READ, O_READ_WRITE, readFull, readFullSync, writeFull, writeFullSync } from './file-io.js';
import { SyncGate } from './sync-gate.js';
import { decodeHeader, encodeHeader, OVERLAY_HEADER_SIZE, overlayBound, planOverlay, type OverlayHeader } from './overlay-format.js';
import { createNewFile } from './create-new-file.js';

type FileHandle = fsp.FileHandle;

/** Map bytes written back per dirty page. */
const MAP_PAGE = 4096;

export interface BaseImage {
  path: string;
  /** sha256 (hex) the base must have, as box.json records it. */
  sha256: string;
}

export class OverlayDisk implements BlockBackend {
  readonly sizeBytes: number;
  /** A partial write of a block not yet here copies the whole block: requests on one block must not overlap in time. */
  readonly conflictUnit: number;
  private readonly dirtyPages = new Set<number>();
  private allocated = 0;
  private closed = false;
  /** When small transfers may be done synchronously (see sync-gate.ts). */
  readonly gate = new SyncGate();

  private constructor(
    readonly path: string,
    readonly header: OverlayHeader,
    private readonly fh: FileHandle,
    private readonly base: FileHandle,
    private readonly map: Uint8Array,
    readonly readOnly: boolean,
  ) {
    this.sizeBytes = header.virtualSize;
    this.conflictUnit = header.blockSize;
    for (const byte of map) for (let b = byte; b; b &= b - 1) this.allocated++;
  }

  /**
   * Create a new, empty overlay at `path` for `base` (sized like the base unless `virtualSize` is
   * larger). Written under a temporary name, synced, then linked into place: a crash leaves no
   * half-written header, and an existing file is never replaced.
   */
  static async create(path: string, base: BaseImage, o: { virtualSize?: number; blockSize?: number } = {}): Promise<OverlayHeader> {
    const baseSize = await fileSize(base.path, 'base image');
    const virtualSize = Math.max(o.virtualSize ?? 0, Math.ceil(baseSize / 512) * 512);
    const header = planOverlay({ virtualSize, baseSize, baseSha256: base.sha256, blockSize: o.blockSize });
    await createNewFile(path, 'overlay', async (fh) => {
      await writeFull(fh, encodeHeader(header), 0, OVERLAY_HEADER_SIZE, 0);
      await fh.truncate(header.dataOffset); // the map: zeros, sparse
    });
    return header;
  }

  /** Open an existing overlay over `base`, checking it belongs to that image. */
  static async open(path: string, base: BaseImage, o: { readOnly?: boolean } = {}): Promise<OverlayDisk> {
    let fh: FileHandle | undefined;
    let bh: FileHandle | undefined;
    try {
      fh = await open(path, o.readOnly ? O_READ : O_READ_WRITE).catch((err: unknown) => {
        throw diskFsError(err, 'overlay', path);
      });
      const st = await fh.stat();
      if (!st.isFile()) throw new DiskError(`overlay is not a regular file: ${path}`);
      const raw = new Uint8Array(OVERLAY_HEADER_SIZE);
      await readFull(fh, raw, 0, OVERLAY_HEADER_SIZE, 0);
      let header: OverlayHeader;
      try {
        header = decodeHeader(raw);
      } catch (err) {
        throw new DiskError(`overlay ${path} cannot be used: ${(err as Error).message}`, 'Run `vm destroy` to delete the machine and its disks, then `vm up`.');
      }
      if (st.size > overlayBound(header)) throw new DiskError(`overlay ${path} is larger (${st.size} bytes) than its format allows (${overlayBound(header)}): it is damaged`);
      if (header.baseSha256 !== base.sha256.toLowerCase()) {
        throw new DiskError(
          `overlay ${path} was made for a different base image (sha256 ${header.baseSha256.slice(0, 12)}…, the box's root disk is ${base.sha256.slice(0, 12)}…)`,
          'The box changed under this machine. Run `vm destroy` and `vm up` to start from the new box.',
        );
      }
      bh = await open(base.path, O_READ).catch((err: unknown) => {
        throw diskFsError(err, 'base image', base.path);
      });
      const bst = await bh.stat();
      if (!bst.isFile()) throw new DiskError(`base image is not a regular file: ${base.path}`);
      if (bst.dev === st.dev && bst.ino === st.ino) throw new DiskError(`overlay ${path} and its base image are the same file`);
      if (bst.size !== header.baseSize) {
        throw new DiskError(`base image ${base.path} is ${bst.size} bytes; overlay ${path} expects ${header.baseSize}`, 'The box files changed; run `vm box add` again or destroy the machine.');
      }
      const map = new Uint8Array(header.mapLength);
      await readFull(fh, map, 0, header.mapLength, header.mapOffset);
      return new OverlayDisk(path, header, fh, bh, map, o.readOnly ?? false);
    } catch (err) {
      await fh?.close().catch(() => {});
      await bh?.close().catch(() => {});
      throw err instanceof DiskError ? err : diskFsError(err, 'overlay', path);
    }
  }

  /** Blocks whose contents live in the overlay (including unflushed ones). */
  get allocatedBlocks(): number {
    return this.allocated;
  }

  private has(block: number): boolean {
    return (this.map[Math.floor(block / 8)]! & (1 << block % 8)) !== 0;
  }

  private mark(block: number): void {
    const byte = Math.floor(block / 8);
    const bit = 1 << block % 8;
    if (this.map[byte]! & bit) return;
    this.map[byte]! |= bit;
    this.allocated++;
    this.dirtyPages.add(Math.floor(byte / MAP_PAGE));
  }

  /** [start, end, inOverlay (1 or 0)] triples covering [offset, end): where each run's bytes live. */
  private readRuns(offset: number, end: number): number[] {
    const { blockSize } = this.header;
    const runs: number[] = [];
    for (let pos = offset; pos < end; ) {
      const inOverlay = this.has(Math.floor(pos / blockSize));
      let runEnd = Math.min(end, (Math.floor(pos / blockSize) + 1) * blockSize);
      while (runEnd < end && this.has(runEnd / blockSize) === inOverlay) runEnd = Math.min(end, runEnd + blockSize);
      runs.push(pos, runEnd, inOverlay ? 1 : 0);
      pos = runEnd;
    }
    return runs;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    this.checkRange(offset, length);
    const { dataOffset, baseSize } = this.header;
    const out = new Uint8Array(length); // zeros wherever nothing is read (past the base's end)
    const runs = this.readRuns(offset, offset + length);
    for (let i = 0; i < runs.length; i += 3) {
      const pos = runs[i]!;
      const runEnd = runs[i + 1]!;
      if (runs[i + 2]) await readFull(this.fh, out, pos - offset, runEnd - pos, dataOffset + pos);
      else if (pos < baseSize) await readFull(this.base, out, pos - offset, Math.min(runEnd, baseSize) - pos, pos);
    }
    return out;
  }

  readNow(offset: number, dest: Uint8Array): boolean {
    const length = dest.length;
    if (!this.gate.allows(length)) return false;
    this.checkRange(offset, length);
    const { dataOffset, baseSize } = this.header;
    const runs = this.readRuns(offset, offset + length);
    this.gate.timed(() => {
      for (let i = 0; i < runs.length; i += 3) {
        const pos = runs[i]!;
        const runEnd = runs[i + 1]!;
        let got = 0;
        if (runs[i + 2]) got = readFullSync(this.fh.fd, dest, pos - offset, runEnd - pos, dataOffset + pos);
        else if (pos < baseSize) got = readFullSync(this.base.fd, dest, pos - offset, Math.min(runEnd, baseSize) - pos, pos);
        dest.fill(0, pos - offset + got, runEnd - offset); // past the base's end, or a sparse tail
      }
    });
    return true;
  }

  /**
   * [start, end, copyBase (1 or 0)] triples covering [offset, end): runs written in place (whole
   * blocks, or part of a block already here), and parts of blocks not yet here, which need their
   * block copied from the base first (read-modify-write).
   */
  private writeRuns(offset: number, end: number): number[] {
    const { blockSize } = this.header;
    const runs: number[] = [];
    for (let pos = offset; pos < end; ) {
      const block = Math.floor(pos / blockSize);
      const blockStart = block * blockSize;
      const blockEnd = blockStart + blockSize;
      if (pos === blockStart && end >= blockEnd) {
        const runEnd = blockStart + Math.floor((end - blockStart) / blockSize) * blockSize;
        runs.push(pos, runEnd, 0);
        pos = runEnd;
        continue;
      }
      const segEnd = Math.min(end, blockEnd);
      runs.push(pos, segEnd, this.has(block) ? 0 : 1);
      pos = segEnd;
    }
    return runs;
  }

  /** Mark the blocks of a written run (a partial block only when it was copied whole). */
  private markRun(pos: number, end: number): void {
    const { blockSize } = this.header;
    for (let b = Math.floor(pos / blockSize); b * blockSize < end; b++) this.mark(b);
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    if (this.readOnly) throw new Error(`overlay ${this.path} is open read-only`);
    this.checkRange(offset, data.length);
    const { blockSize, dataOffset } = this.header;
    const runs = this.writeRuns(offset, offset + data.length);
    for (let i = 0; i < runs.length; i += 3) {
      const pos = runs[i]!;
      const end = runs[i + 1]!;
      if (runs[i + 2]) {
        const blockStart = Math.floor(pos / blockSize) * blockSize;
        const whole = new Uint8Array(blockSize);
        if (blockStart < this.header.baseSize) await readFull(this.base, whole, 0, Math.min(blockSize, this.header.baseSize - blockStart), blockStart);
        whole.set(data.subarray(pos - offset, end - offset), pos - blockStart);
        await writeFull(this.fh, whole, 0, blockSize, dataOffset + blockStart);
      } else {
        await writeFull(this.fh, data, pos - offset, end - pos, dataOffset + pos);
      }
      this.markRun(pos, end);
    }
  }

  writeNow(offset: number, data: Uint8Array): boolean {
    if (this.readOnly || !this.gate.allows(data.length)) return false;
    this.checkRange(offset, data.length);
    const { blockSize, dataOffset } = this.header;
    const runs = this.writeRuns(offset, offset + data.length);
    const base = this.base.fd;
    const fd = this.fh.fd;
    this.gate.timed(() => {
      for (let i = 0; i < runs.length; i += 3) {
        const pos = runs[i]!;
        const end = runs[i + 1]!;
        if (runs[i + 2]) {
          const blockStart = Math.floor(pos / blockSize) * blockSize;
          const whole = new Uint8Array(blockSize);
          if (blockStart < this.header.baseSize) readFullSync(base, whole, 0, Math.min(blockSize, this.header.baseSize - blockStart), blockStart);
          whole.set(data.subarray(pos - offset, end - offset), pos - blockStart);
          writeFullSync(fd, whole, 0, blockSize, dataOffset + blockStart);
        } else {
          writeFullSync(fd, data, pos - offset, end - pos, dataOffset + pos);
        }
        this.markRun(pos, end);
      }
    });
    return true;
  }

  async flush(): Promise<void> {
    if (this.readOnly || this.closed) return;
    await this.fh.datasync();
    if (this.dirtyPages.size === 0) return;
    const pages = [...this.dirtyPages].sort((a, b) => a - b);
    this.dirtyPages.clear();
    try {
      for (let i = 0; i < pages.length; ) {
        let j = i + 1;
        while (j < pages.length && pages[j] === pages[j - 1]! + 1) j++;
        const from = pages[i]! * MAP_PAGE;
        const to = Math.min(this.map.length, pages[j - 1]! * MAP_PAGE + MAP_PAGE);
        await writeFull(this.fh, this.map, from, to - from, this.header.mapOffset + from);
        i = j;
      }
      await this.fh.datasync();
    } catch (err) {
      for (const p of pages) this.dirtyPages.add(p); // try again on the next flush
      throw err;
    }
  }

  /** Flush and close both files. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.fh.close().catch(() => {});
      await this.base.close().catch(() => {});
    }
  }

  private checkRange(offset: number, length: number): void {
    if (this.closed) throw new Error(`overlay ${this.path} is closed`);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.sizeBytes) {
      throw new RangeError(`access of ${length} bytes at ${offset} is outside the ${this.sizeBytes}-byte disk`);
    }
  }
}

async function fileSize(path: string, what: string): Promise<number> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, O_READ);
    const st = await fh.stat();
    if (!st.isFile()) throw new DiskError(`${what} is not a regular file: ${path}`);
    return st.size;
  } catch (err) {
    throw err instanceof DiskError ? err : diskFsError(err, what, path);
  } finally {
    await fh?.close().catch(() => {});
  }
}
