// A copy-on-write disk: the base image opened read-only (never written), the machine's writes in an
// overlay file in the format overlay-format.ts describes, with its crash-safety protocol. Overlays
// stack: what an overlay does not hold it reads from its lower image, which is the box's raw image
// or another overlay (a frozen snapshot layer, disk-chain.ts), every layer made for the same image.

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

/** What an overlay reads the blocks it does not hold from. */
export interface LowerImage {
  /** Fill dest[at, at + length) with the image's bytes from `position` (zeros past its data). */
  readInto(dest: Uint8Array, at: number, length: number, position: number): Promise<void>;
  readIntoSync(dest: Uint8Array, at: number, length: number, position: number): void;
  close(): Promise<void>;
}

/** The box's raw image as the lowest layer: zeros past its end. */
class RawBase implements LowerImage {
  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
  ) {}

  async readInto(dest: Uint8Array, at: number, length: number, position: number): Promise<void> {
    const n = position < this.size ? await readFull(this.fh, dest, at, Math.min(length, this.size - position), position) : 0;
    dest.fill(0, at + n, at + length);
  }

  readIntoSync(dest: Uint8Array, at: number, length: number, position: number): void {
    const n = position < this.size ? readFullSync(this.fh.fd, dest, at, Math.min(length, this.size - position), position) : 0;
    dest.fill(0, at + n, at + length);
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => {});
  }
}

export class OverlayDisk implements BlockBackend, LowerImage {
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
    private readonly lower: LowerImage,
    private readonly map: Uint8Array,
    private writable: boolean,
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

  get readOnly(): boolean {
    return !this.writable;
  }

  /**
   * Open an existing overlay over `base`, checking it belongs to that image. With `lower` (an
   * overlay made for the same image, opened already) the overlay reads through it instead of the
   * base, and closing this one closes it.
   */
  static async open(path: string, base: BaseImage, o: { readOnly?: boolean; lower?: OverlayDisk } = {}): Promise<OverlayDisk> {
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
      const map = new Uint8Array(header.mapLength);
      await readFull(fh, map, 0, header.mapLength, header.mapOffset);
      if (o.lower) {
        const l = o.lower.header;
        if (l.virtualSize !== header.virtualSize || l.baseSize !== header.baseSize || l.blockSize !== header.blockSize) {
          throw new DiskError(`overlay ${path} does not match the layer below it (${o.lower.path}): their sizes differ`, 'Run `vm destroy` and `vm up` to start the machine afresh.');
        }
        return new OverlayDisk(path, header, fh, o.lower, map, !o.readOnly);
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
      return new OverlayDisk(path, header, fh, new RawBase(bh, header.baseSize), map, !o.readOnly);
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
    const out = new Uint8Array(length);
    await this.readInto(out, 0, length, offset);
    return out;
  }

  async readInto(dest: Uint8Array, at: number, length: number, offset: number): Promise<void> {
    this.checkRange(offset, length);
    const { dataOffset } = this.header;
    const runs = this.readRuns(offset, offset + length);
    for (let i = 0; i < runs.length; i += 3) {
      const pos = runs[i]!;
      const runEnd = runs[i + 1]!;
      if (runs[i + 2]) {
        const got = await readFull(this.fh, dest, at + pos - offset, runEnd - pos, dataOffset + pos);
        dest.fill(0, at + pos - offset + got, at + runEnd - offset); // a sparse tail
      } else await this.lower.readInto(dest, at + pos - offset, runEnd - pos, pos);
    }
  }

  readIntoSync(dest: Uint8Array, at: number, length: number, offset: number): void {
    this.checkRange(offset, length);
    const { dataOffset } = this.header;
    const runs = this.readRuns(offset, offset + length);
    for (let i = 0; i < runs.length; i += 3) {
      const pos = runs[i]!;
      const runEnd = runs[i + 1]!;
      if (runs[i + 2]) {
        const got = readFullSync(this.fh.fd, dest, at + pos - offset, runEnd - pos, dataOffset + pos);
        dest.fill(0, at + pos - offset + got, at + runEnd - offset);
      } else this.lower.readIntoSync(dest, at + pos - offset, runEnd - pos, pos);
    }
  }

  readNow(offset: number, dest: Uint8Array): boolean {
    if (!this.gate.allows(dest.length)) return false;
    this.checkRange(offset, dest.length);
    this.gate.timed(() => this.readIntoSync(dest, 0, dest.length, offset));
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
    if (!this.writable) throw new Error(`overlay ${this.path} is open read-only`);
    this.checkRange(offset, data.length);
    const { blockSize, dataOffset } = this.header;
    const runs = this.writeRuns(offset, offset + data.length);
    for (let i = 0; i < runs.length; i += 3) {
      const pos = runs[i]!;
      const end = runs[i + 1]!;
      if (runs[i + 2]) {
        const blockStart = Math.floor(pos / blockSize) * blockSize;
        const whole = new Uint8Array(blockSize);
        await this.lower.readInto(whole, 0, Math.min(blockSize, this.sizeBytes - blockStart), blockStart);
        whole.set(data.subarray(pos - offset, end - offset), pos - blockStart);
        await writeFull(this.fh, whole, 0, blockSize, dataOffset + blockStart);
      } else {
        await writeFull(this.fh, data, pos - offset, end - pos, dataOffset + pos);
      }
      this.markRun(pos, end);
    }
  }

  writeNow(offset: number, data: Uint8Array): boolean {
    if (!this.writable || !this.gate.allows(data.length)) return false;
    this.checkRange(offset, data.length);
    const { blockSize, dataOffset } = this.header;
    const runs = this.writeRuns(offset, offset + data.length);
    const fd = this.fh.fd;
    this.gate.timed(() => {
      for (let i = 0; i < runs.length; i += 3) {
        const pos = runs[i]!;
        const end = runs[i + 1]!;
        if (runs[i + 2]) {
          const blockStart = Math.floor(pos / blockSize) * blockSize;
          const whole = new Uint8Array(blockSize);
          this.lower.readIntoSync(whole, 0, Math.min(blockSize, this.sizeBytes - blockStart), blockStart);
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
    if (!this.writable || this.closed) return;
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

  /**
   * Flush, then take no more writes: the layer is frozen (a snapshot's), an overlay opened on top
   * of it carries the disk's writes from now on.
   */
  async freeze(): Promise<void> {
    await this.flush();
    this.writable = false;
  }

  /** The overlay this one lies on, when it lies on one rather than on the base image. */
  get lowerOverlay(): OverlayDisk | undefined {
    return this.lower instanceof OverlayDisk ? this.lower : undefined;
  }

  /** Close this file alone, leaving the layers below open (an overlay opened on a live one and given up). */
  async closeOwnFile(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close().catch(() => {});
  }

  /** Flush and close this file and every layer below it. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.fh.close().catch(() => {});
      await this.lower.close().catch(() => {});
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

async function readOverlayFile(fh: FileHandle, path: string): Promise<{ header: OverlayHeader; map: Uint8Array }> {
  const raw = new Uint8Array(OVERLAY_HEADER_SIZE);
  await readFull(fh, raw, 0, OVERLAY_HEADER_SIZE, 0);
  let header: OverlayHeader;
  try {
    header = decodeHeader(raw);
  } catch (err) {
    throw new DiskError(`overlay ${path} cannot be used: ${(err as Error).message}`);
  }
  const map = new Uint8Array(header.mapLength);
  await readFull(fh, map, 0, header.mapLength, header.mapOffset);
  return { header, map };
}

/** Bytes copied per read-write round when a layer is absorbed. */
const ABSORB_CHUNK = 1024 * 1024;

/**
 * Copy into the overlay at `childPath` every block the overlay at `layerPath` (the layer right below
 * it) holds and the child does not, so the layer can be taken out from under the child. The child
 * reads the same before, during and after: the blocks copied are the ones it read through to the
 * layer. Data first, synced, then the map, synced (bits are only ever set): a crash part-way leaves
 * the child as it was, and running it again finishes the job. Returns the number of blocks copied.
 */
export async function absorbLayer(childPath: string, layerPath: string): Promise<number> {
  let child: FileHandle | undefined;
  let layer: FileHandle | undefined;
  try {
    child = await open(childPath, O_READ_WRITE);
    layer = await open(layerPath, O_READ);
    const c = await readOverlayFile(child, childPath);
    const l = await readOverlayFile(layer, layerPath);
    if (c.header.blockSize !== l.header.blockSize || c.header.virtualSize !== l.header.virtualSize || c.header.baseSha256 !== l.header.baseSha256) {
      throw new DiskError(`overlay ${childPath} cannot absorb ${layerPath}: they were made with different geometry or for different images`);
    }
    const bs = c.header.blockSize;
    const blocks = Math.ceil(c.header.virtualSize / bs);
    const has = (m: Uint8Array, b: number): boolean => (m[b >> 3]! & (1 << (b & 7))) !== 0;
    const buf = new Uint8Array(Math.max(bs, ABSORB_CHUNK));
    const perRound = buf.length / bs;
    let copied = 0;
    for (let b = 0; b < blocks; ) {
      if (!has(l.map, b) || has(c.map, b)) {
        b++;
        continue;
      }
      let e = b + 1;
      while (e < blocks && e - b < perRound && has(l.map, e) && !has(c.map, e)) e++;
      const len = (e - b) * bs;
      const got = await readFull(layer, buf, 0, len, l.header.dataOffset + b * bs);
      buf.fill(0, got, len); // a sparse tail reads as zeros
      await writeFull(child, buf, 0, len, c.header.dataOffset + b * bs);
      for (let i = b; i < e; i++) c.map[i >> 3]! |= 1 << (i & 7);
      copied += e - b;
      b = e;
    }
    if (copied > 0) {
      await child.datasync();
      await writeFull(child, c.map, 0, c.map.length, c.header.mapOffset);
      await child.datasync();
    }
    return copied;
  } catch (err) {
    throw err instanceof DiskError ? err : diskFsError(err, 'overlay', childPath);
  } finally {
    await child?.close().catch(() => {});
    await layer?.close().catch(() => {});
  }
}

/** Blocks the overlay file at `path` holds, as its map on disk says. */
export async function overlayAllocatedBlocks(path: string): Promise<number> {
  const fh = await open(path, O_READ);
  try {
    const { map } = await readOverlayFile(fh, path);
    let n = 0;
    for (const byte of map) for (let b = byte; b; b &= b - 1) n++;
    return n;
  } finally {
    await fh.close();
  }
}
