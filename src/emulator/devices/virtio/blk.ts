// virtio-blk: a disk on one request queue, backed by a host BlockBackend whose I/O completes
// asynchronously. Spec: Virtio 1.2, 5.2 "Block Device"; Linux drivers/block/virtio_blk.c and
// include/uapi/linux/virtio_blk.h.
//
// Requests run one at a time in ring order, so FLUSH covers every write taken before it and a
// read-modify-write in the backend never races another request. Data is copied between guest RAM
// and host buffers at execution time, and only while the request is still current (no reset since).
// Sector arithmetic is BigInt: the guest's u64 sector can exceed 2^53.

import { readChain, writeChain, type Chain } from './chain.js';
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
  private readonly waiting: Chain[] = [];
  private draining: Promise<void> | null = null;

  constructor(o: VirtioBlkOptions) {
    const b = o.backend;
    if (!Number.isSafeInteger(b.sizeBytes) || b.sizeBytes < 0 || b.sizeBytes % SECTOR_SIZE !== 0) {
      throw new RangeError(`disk size ${b.sizeBytes} is not a whole number of 512-byte sectors`);
    }
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
    for (let chain = this.ctx.pop(0); chain; chain = this.ctx.pop(0)) this.waiting.push(chain);
    if (this.waiting.length > 0 && !this.draining) {
      this.draining = this.drain();
      this.ctx.track(this.draining);
    }
  }

  /** Resolves once no request is being executed (the host waits for it before closing the disk). */
  async settled(): Promise<void> {
    while (this.draining) await this.draining.catch(() => {});
  }

  private async drain(): Promise<void> {
    // Never finish synchronously: `draining` must be set before the `finally` below clears it.
    await Promise.resolve();
    try {
      for (let chain = this.waiting.shift(); chain; chain = this.waiting.shift()) {
        if (this.ctx.isCurrent(chain)) await this.execute(chain);
      }
    } finally {
      this.draining = null;
    }
  }

  private async execute(chain: Chain): Promise<void> {
    const ctx = this.ctx;
    if (chain.readableBytes < HEADER_SIZE || chain.writableBytes < 1) {
      ctx.fail(`request without a 16-byte header or a status byte (readable ${chain.readableBytes}, writable ${chain.writableBytes})`);
      return;
    }
    this.stats.requests++;
    const hdr = new DataView(readChain(ctx.mem, chain, 0, HEADER_SIZE).buffer);
    const type = hdr.getUint32(0, true);
    const sector = hdr.getBigUint64(8, true);
    let status = VIRTIO_BLK_S_OK;
    let written = 0;
    try {
      switch (type) {
        case VIRTIO_BLK_T_IN: {
          const length = chain.writableBytes - 1;
          const offset = this.checkRange(sector, length);
          if (offset < 0) {
            status = VIRTIO_BLK_S_IOERR;
            break;
          }
          const data = await this.backend.read(offset, length);
          if (!ctx.isCurrent(chain)) return;
          written = writeChain(ctx.mem, chain, 0, data);
          this.stats.bytesRead += length;
          break;
        }
        case VIRTIO_BLK_T_OUT: {
          const length = chain.readableBytes - HEADER_SIZE;
          const offset = this.checkRange(sector, length);
          if (offset < 0 || this.backend.readOnly) {
            status = VIRTIO_BLK_S_IOERR;
            break;
          }
          await this.backend.write(offset, readChain(ctx.mem, chain, HEADER_SIZE, length));
          this.stats.bytesWritten += length;
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
    if (!ctx.isCurrent(chain)) return;
    if (status !== VIRTIO_BLK_S_OK) this.stats.errors++;
    writeChain(ctx.mem, chain, chain.writableBytes - 1, Uint8Array.of(status));
    ctx.complete(chain, written + 1);
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
