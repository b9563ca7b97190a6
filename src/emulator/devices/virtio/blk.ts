// virtio-blk: a disk on one request queue, backed by a host BlockBackend. Spec: Virtio 1.2, 5.2
// "Block Device"; Linux drivers/block/virtio_blk.c and include/uapi/linux/virtio_blk.h.
//
// Requests start as soon as the driver notifies, inside its MMIO write. A small transfer the backend
// can do synchronously (readNow/writeNow: the host's page cache, see engines/builtin/disk/sync-gate.ts)
// completes right there, so the guest never idles and waits an event-loop turn for it; the rest run
// asynchronously, several at once, because waiting for each completion before taking the next would
// cost a whole CPU burst per request. Ordering that matters is kept: requests start in ring order;
// one touching a conflict unit (the backend's read-modify-write granule) that a running write
// touches, or a write touching what a running request touches, waits; FLUSH and WRITE_ZEROES run
// alone, after everything taken before them, so FLUSH covers every write taken before it and the
// backend's flush never sees a write in progress. Completions may come back out of order (5.2.6).
// Data is copied between guest RAM and host buffers at execution time, and only while the request
// is still current (no reset since). Sector arithmetic is BigInt: the guest's u64 sector can exceed 2^53.

import { readChain, readChainInto, writeChain, type Chain } from './chain.js';
import { featureBit, VIRTIO_ID_BLOCK, VIRTIO_RING_F_INDIRECT_DESC } from './constants.js';
import type { VirtioContext, VirtioDevice } from './mmio.js';

export const VIRTIO_BLK_F_SIZE_MAX = 1;
export const VIRTIO_BLK_F_SEG_MAX = 2;
export const VIRTIO_BLK_F_RO = 5;
export const VIRTIO_BLK_F_BLK_SIZE = 6;
export const VIRTIO_BLK_F_FLUSH = 9;
export const VIRTIO_BLK_F_TOPOLOGY = 10;
export const VIRTIO_BLK_F_WRITE_ZEROES = 14;

export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_T_WRITE_ZEROES = 13;

export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

export const SECTOR_SIZE = 512;
const HEADER_SIZE = 16; // struct virtio_blk_outhdr: type, ioprio, sector
const ID_BYTES = 20; // VIRTIO_BLK_ID_BYTES
const WRITE_ZEROES_SEGMENT = 16; // struct virtio_blk_discard_write_zeroes
const VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP = 1;
const CONFIG_SIZE = 60; // up to write_zeroes_may_unmap and its padding
/** Largest transfer offered to the backend's synchronous path (its scratch buffer is kept): above Linux's 1280 KiB default max_sectors_kb. */
const NOW_MAX = 2 * 1024 * 1024;

/** The host side of a disk. Offsets and lengths are bytes, always whole sectors and inside `sizeBytes`. */
export interface BlockBackend {
  /** Capacity; a multiple of 512. */
  readonly sizeBytes: number;
  readonly readOnly: boolean;
  read(offset: number, length: number): Promise<Uint8Array>;
  write(offset: number, data: Uint8Array): Promise<void>;
  /** Make every completed write durable (fsync). */
  flush(): Promise<void>;
  /** Make the range read as zeros. Without it, zeros are written. */
  writeZeroes?(offset: number, length: number): Promise<void>;
  /**
   * Bytes of the backend's read-modify-write granule (a power of two, default 512): two requests
   * touching the same aligned unit never run at once unless both only read.
   */
  readonly conflictUnit?: number;
  /**
   * Optional fast path: when the backend judges it cheap right now (the host's page cache), fill
   * `dest` from `offset` synchronously and return true; false leaves the transfer to `read`.
   */
  readNow?(offset: number, dest: Uint8Array): boolean;
  /** The same for a write: true when `data` was written at `offset` synchronously, false to use `write`. */
  writeNow?(offset: number, data: Uint8Array): boolean;
}

export interface VirtioBlkOptions {
  backend: BlockBackend;
  /** Serial number the guest reads with GET_ID (/sys/block/vdX/serial); at most 20 bytes used. */
  serial?: string;
  /** QueueNumMax (default 256, as QEMU). */
  queueSize?: number;
  /** Largest segment in bytes (default 64 KiB). */
  sizeMax?: number;
  /** Largest write-zeroes request in sectors (default 64 MiB worth). */
  maxWriteZeroesSectors?: number;
}

export interface VirtioBlkStats {
  requests: number;
  bytesRead: number;
  bytesWritten: number;
  flushes: number;
  /** Requests that ended with IOERR or UNSUPP. */
  errors: number;
}

/** How a request orders against others: no host I/O, reads a range, writes a range, or runs alone. */
const FREE = 0;
const READ = 1;
const WRITE = 2;
const ALONE = 3;

/** A chain taken from the ring with its header parsed, waiting for or running its host I/O. */
interface Request {
  readonly chain: Chain;
  readonly type: number;
  readonly sector: bigint;
  /** Byte offset of an IN/OUT transfer inside the disk, -1 when it is not (answered IOERR). */
  readonly offset: number;
  readonly length: number;
  readonly order: number;
  /** Conflict units touched by a READ or WRITE, inclusive. */
  readonly first: number;
  readonly last: number;
}

export class VirtioBlk implements VirtioDevice {
  readonly kind = 'blk';
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features: bigint;
  readonly queueSizes: readonly number[];
  readonly config = new Uint8Array(CONFIG_SIZE);
  readonly stats: VirtioBlkStats = { requests: 0, bytesRead: 0, bytesWritten: 0, flushes: 0, errors: 0 };
  private ctx!: VirtioContext;
  private readonly backend: BlockBackend;
  private readonly capacity: bigint;
  private readonly serial: Uint8Array;
  private readonly segMax: number;
  private readonly sizeMax: number;
  private readonly maxTransfer: number;
  private readonly maxZeroSectors: number;
  /** Bytes per conflict unit (BlockBackend.conflictUnit). */
  private readonly unit: number;
  /** Parsed requests in ring order that have not started. */
  private readonly waiting: Request[] = [];
  /** Requests whose host I/O is under way, and the promises that settle when each is done. */
  private readonly running = new Map<Request, Promise<void>>();
  /** Reused by synchronous transfers, grown on demand up to NOW_MAX. */
  private scratch = new Uint8Array(0);

  constructor(o: VirtioBlkOptions) {
    const b = o.backend;
    if (!Number.isSafeInteger(b.sizeBytes) || b.sizeBytes < 0 || b.sizeBytes % SECTOR_SIZE !== 0) {
      throw new RangeError(`disk size ${b.sizeBytes} is not a whole number of 512-byte sectors`);
    }
    const unit = b.conflictUnit ?? SECTOR_SIZE;
    if (!Number.isInteger(unit) || unit < SECTOR_SIZE || (unit & (unit - 1)) !== 0) throw new RangeError(`conflict unit ${unit} is not a power of two of at least 512`);
    this.unit = unit;
    this.backend = b;
    this.capacity = BigInt(b.sizeBytes / SECTOR_SIZE);
    const queueSize = o.queueSize ?? 256;
    this.queueSizes = [queueSize];
    // Header and status take two descriptors of a chain no longer than the queue.
    this.segMax = Math.max(1, queueSize - 2);
    this.sizeMax = o.sizeMax ?? 64 * 1024;
    this.maxTransfer = this.segMax * this.sizeMax;
    this.maxZeroSectors = o.maxWriteZeroesSectors ?? (64 * 1024 * 1024) / SECTOR_SIZE;
    this.serial = new TextEncoder().encode(o.serial ?? '').subarray(0, ID_BYTES);
    let f =
      featureBit(VIRTIO_BLK_F_SIZE_MAX) |
      featureBit(VIRTIO_BLK_F_SEG_MAX) |
      featureBit(VIRTIO_BLK_F_BLK_SIZE) |
      featureBit(VIRTIO_BLK_F_FLUSH) |
      featureBit(VIRTIO_BLK_F_TOPOLOGY) |
      featureBit(VIRTIO_RING_F_INDIRECT_DESC);
    if (b.readOnly) f |= featureBit(VIRTIO_BLK_F_RO);
    else f |= featureBit(VIRTIO_BLK_F_WRITE_ZEROES);
    this.features = f;
    this.writeConfigSpace();
  }

  private writeConfigSpace(): void {
    const v = new DataView(this.config.buffer);
    v.setBigUint64(0, this.capacity, true); // capacity, in 512-byte sectors
    v.setUint32(8, this.sizeMax, true); // size_max
    v.setUint32(12, this.segMax, true); // seg_max
    v.setUint32(20, SECTOR_SIZE, true); // blk_size (logical)
    v.setUint8(24, 3); // physical_block_exp: 4 KiB physical blocks (the overlay's block size)
    v.setUint16(26, 8, true); // min_io_size, in logical blocks: 4 KiB
    v.setUint16(34, 1, true); // num_queues
    v.setUint32(48, this.maxZeroSectors, true); // max_write_zeroes_sectors
    v.setUint32(52, 1, true); // max_write_zeroes_seg
  }

  bind(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  activate(): void {}

  reset(): void {
    this.waiting.length = 0;
  }

  notify(): void {
    const ctx = this.ctx;
    for (let chain = ctx.pop(0); chain; chain = ctx.pop(0)) {
      const r = this.parse(chain);
      if (r) this.waiting.push(r);
    }
    this.pump();
  }

  /** Make every completed write durable on the host (a snapshot copies the disk file next). */
  flushBackend(): Promise<void> {
    return this.backend.flush();
  }

  /** Resolves once no request is running or can still start (the host waits for it before closing the disk). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** The request for `chain`, or null if the chain cannot be a request (the device has then failed). */
  private parse(chain: Chain): Request | null {
    if (chain.readableBytes < HEADER_SIZE || chain.writableBytes < 1) {
      this.ctx.fail(`request without a 16-byte header or a status byte (readable ${chain.readableBytes}, writable ${chain.writableBytes})`);
      return null;
    }
    const hdr = new DataView(readChain(this.ctx.mem, chain, 0, HEADER_SIZE).buffer);
    const type = hdr.getUint32(0, true);
    const sector = hdr.getBigUint64(8, true);
    let order = FREE;
    let offset = -1;
    let length = 0;
    if (type === VIRTIO_BLK_T_IN || type === VIRTIO_BLK_T_OUT) {
      length = type === VIRTIO_BLK_T_IN ? chain.writableBytes - 1 : chain.readableBytes - HEADER_SIZE;
      offset = this.checkRange(sector, length);
      if (offset >= 0 && length > 0 && !(type === VIRTIO_BLK_T_OUT && this.backend.readOnly)) order = type === VIRTIO_BLK_T_IN ? READ : WRITE;
    } else if (type === VIRTIO_BLK_T_FLUSH || (type === VIRTIO_BLK_T_WRITE_ZEROES && !this.backend.readOnly)) {
      order = ALONE;
    }
    // Plain division, not shifts: offsets reach 2^41.
    const ranged = order === READ || order === WRITE;
    const first = ranged ? Math.floor(offset / this.unit) : 0;
    const last = ranged ? Math.floor((offset + length - 1) / this.unit) : -1;
    return { chain, type, sector, offset, length, order, first, last };
  }

  /** Start waiting requests, in ring order, until one must wait for a running one. */
  private pump(): void {
    while (this.waiting.length > 0) {
      const r = this.waiting[0]!;
      if (!this.ctx.isCurrent(r.chain)) {
        this.waiting.shift();
        continue;
      }
      if (!this.mayStart(r)) return;
      this.waiting.shift();
      if (this.runNow(r)) continue;
      const work = this.execute(r).finally(() => {
        this.running.delete(r);
        this.pump();
      });
      this.running.set(r, work);
      this.ctx.track(work);
    }
  }

  private mayStart(r: Request): boolean {
    if (this.running.size === 0) return true;
    if (r.order === ALONE) return false;
    for (const o of this.running.keys()) {
      if (o.order === ALONE) return false;
      if (r.order === FREE || o.order === FREE) continue;
      if ((r.order === WRITE || o.order === WRITE) && r.first <= o.last && o.first <= r.last) return false;
    }
    return true;
  }

  /**
   * Answer `r` at once when it needs no host I/O or the backend can do its transfer synchronously:
   * the guest then finds the completion as soon as it looks, with no idle sleep and no event-loop
   * turn in between. False leaves it to `execute`.
   */
  private runNow(r: Request): boolean {
    const ctx = this.ctx;
    const chain = r.chain;
    const b = this.backend;
    switch (r.type) {
      case VIRTIO_BLK_T_IN:
      case VIRTIO_BLK_T_OUT: {
        const isRead = r.type === VIRTIO_BLK_T_IN;
        if (r.offset < 0 || (!isRead && b.readOnly)) break; // answered IOERR below
        if (r.length > NOW_MAX || !(isRead ? b.readNow : b.writeNow)) return false;
        if (this.scratch.length < r.length) this.scratch = new Uint8Array(Math.min(NOW_MAX, Math.max(r.length, 2 * this.scratch.length)));
        const buf = this.scratch.subarray(0, r.length);
        if (!isRead) readChainInto(ctx.mem, chain, HEADER_SIZE, buf);
        let done: boolean;
        try {
          done = isRead ? b.readNow!(r.offset, buf) : b.writeNow!(r.offset, buf);
        } catch (err) {
          ctx.log(`host I/O error: ${err instanceof Error ? err.message : String(err)}`);
          this.stats.requests++;
          this.finish(chain, VIRTIO_BLK_S_IOERR, 0);
          return true;
        }
        if (!done) return false;
        this.stats.requests++;
        if (isRead) this.stats.bytesRead += r.length;
        else this.stats.bytesWritten += r.length;
        this.finish(chain, VIRTIO_BLK_S_OK, isRead ? writeChain(ctx.mem, chain, 0, buf) : 0);
        return true;
      }
      case VIRTIO_BLK_T_FLUSH:
      case VIRTIO_BLK_T_WRITE_ZEROES:
        if (r.order === ALONE) return false;
        break;
    }
    // GET_ID, unknown types and transfers outside the disk: answered without host I/O, synchronously.
    this.execute(r).catch((err: unknown) => this.ctx.fail(`internal error: ${err instanceof Error ? err.message : String(err)}`));
    return true;
  }

  /** Write the status byte and return the chain, unless the device was reset meanwhile. */
  private finish(chain: Chain, status: number, written: number): void {
    const ctx = this.ctx;
    if (!ctx.isCurrent(chain)) return;
    if (status !== VIRTIO_BLK_S_OK) this.stats.errors++;
    writeChain(ctx.mem, chain, chain.writableBytes - 1, Uint8Array.of(status));
    ctx.complete(chain, written + 1);
  }

  private async execute(r: Request): Promise<void> {
    const ctx = this.ctx;
    const chain = r.chain;
    this.stats.requests++;
    let status = VIRTIO_BLK_S_OK;
    let written = 0;
    try {
      switch (r.type) {
        case VIRTIO_BLK_T_IN: {
          if (r.offset < 0) {
            status = VIRTIO_BLK_S_IOERR;
            break;
          }
          const data = await this.backend.read(r.offset, r.length);
          if (!ctx.isCurrent(chain)) return;
          written = writeChain(ctx.mem, chain, 0, data);
          this.stats.bytesRead += r.length;
          break;
        }
        case VIRTIO_BLK_T_OUT: {
          if (r.offset < 0 || this.backend.readOnly) {
            status = VIRTIO_BLK_S_IOERR;
            break;
          }
          await this.backend.write(r.offset, readChain(ctx.mem, chain, HEADER_SIZE, r.length));
          this.stats.bytesWritten += r.length;
          break;
        }
        case VIRTIO_BLK_T_FLUSH:
          await this.backend.flush();
          this.stats.flushes++;
          break;
        case VIRTIO_BLK_T_GET_ID: {
          const id = new Uint8Array(ID_BYTES);
          id.set(this.serial);
          written = writeChain(ctx.mem, chain, 0, id.subarray(0, Math.min(ID_BYTES, chain.writableBytes - 1)));
          break;
        }
        case VIRTIO_BLK_T_WRITE_ZEROES:
          status = this.backend.readOnly ? VIRTIO_BLK_S_UNSUPP : await this.writeZeroes(chain);
          break;
        default:
          status = VIRTIO_BLK_S_UNSUPP;
      }
    } catch (err) {
      ctx.log(`host I/O error: ${err instanceof Error ? err.message : String(err)}`);
      status = VIRTIO_BLK_S_IOERR;
    }
    this.finish(chain, status, written);
  }

  /** Byte offset of a transfer of `length` bytes at `sector`, or -1 if it is not whole sectors inside the disk. */
  private checkRange(sector: bigint, length: number): number {
    if (length % SECTOR_SIZE !== 0 || length > this.maxTransfer) return -1;
    const count = BigInt(length / SECTOR_SIZE);
    if (sector > this.capacity || count > this.capacity - sector) return -1;
    return Number(sector) * SECTOR_SIZE;
  }

  private async writeZeroes(chain: Chain): Promise<number> {
    const payload = chain.readableBytes - HEADER_SIZE;
    if (payload !== WRITE_ZEROES_SEGMENT) return VIRTIO_BLK_S_UNSUPP; // max_write_zeroes_seg is 1
    const seg = new DataView(readChain(this.ctx.mem, chain, HEADER_SIZE, WRITE_ZEROES_SEGMENT).buffer);
    const sector = seg.getBigUint64(0, true);
    const count = seg.getUint32(8, true);
    const flags = seg.getUint32(12, true);
    if (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) return VIRTIO_BLK_S_UNSUPP;
    if (count > this.maxZeroSectors || sector > this.capacity || BigInt(count) > this.capacity - sector) return VIRTIO_BLK_S_IOERR;
    const offset = Number(sector) * SECTOR_SIZE;
    const length = count * SECTOR_SIZE;
    if (this.backend.writeZeroes) {
      await this.backend.writeZeroes(offset, length);
    } else {
      const chunk = new Uint8Array(Math.min(length, 1024 * 1024));
      for (let done = 0; done < length; done += chunk.length) {
        await this.backend.write(offset + done, chunk.subarray(0, Math.min(chunk.length, length - done)));
      }
    }
    this.stats.bytesWritten += length;
    return VIRTIO_BLK_S_OK;
  }
}
