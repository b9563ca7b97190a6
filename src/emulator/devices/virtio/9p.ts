// virtio-9p: the transport for 9P file sharing. Each chain carries one T-message (device-readable)
// and room for its R-message (device-writable); the bytes go to a host backend (the 9P server) and
// the reply is written back when it resolves, in whatever order replies complete.
// Spec: Virtio 1.2, 5.x "9P Transport" is unspecified beyond the config layout, so the reference is
// Linux net/9p/trans_virtio.c (driver) and QEMU hw/9pfs/virtio-9p-device.c (device).

import { readChain, writeChain, type Chain } from './chain.js';
import { featureBit, VIRTIO_ID_9P, VIRTIO_RING_F_INDIRECT_DESC } from './constants.js';
import type { VirtioContext, VirtioDevice } from './mmio.js';

/** Feature bit 0: the config space holds a mount tag. */
export const VIRTIO_9P_MOUNT_TAG = 0;
/** QEMU's queue size (MAX_REQ); Linux's driver builds at most 128 scatter-gather entries anyway. */
export const VIRTIO_9P_QUEUE_SIZE = 128;
const PAGE_SIZE = 4096;
/** size[4] type[1] tag[2] ecode[4]: the smallest reply, an Rlerror. */
const RLERROR_SIZE = 11;
const HEADER_SIZE = 7;
const RLERROR = 7;
const EMSGSIZE = 90;
const EIO = 5;
const MAX_TAG_BYTES = 255;

/** The host side: takes one request's bytes, resolves to the reply's bytes. Must never reject. */
export interface P9Backend {
  handle(req: Uint8Array): Promise<Uint8Array>;
}

/**
 * The largest msize one chain of a `queueSize` queue can carry: Linux maps a zero-copy payload page
 * by page and keeps a few entries for headers (trans_virtio.c: PAGE_SIZE * (VIRTQUEUE_NUM - 3)).
 */
export function virtio9pMaxMsize(queueSize = VIRTIO_9P_QUEUE_SIZE): number {
  return PAGE_SIZE * (queueSize - 3);
}

export interface Virtio9pOptions {
  /** Mount tag the guest names in `mount -t 9p TAG`: 1 to 255 bytes of printable ASCII. */
  tag: string;
  backend: P9Backend;
  queueSize?: number;
}

export interface Virtio9pStats {
  requests: number;
  /** Requests whose reply did not fit the chain's writable space (answered with EMSGSIZE). */
  oversized: number;
}

export class Virtio9p implements VirtioDevice {
  readonly kind = '9p';
  readonly deviceId = VIRTIO_ID_9P;
  readonly features = featureBit(VIRTIO_9P_MOUNT_TAG) | featureBit(VIRTIO_RING_F_INDIRECT_DESC);
  readonly queueSizes: readonly number[];
  readonly config: Uint8Array;
  readonly stats: Virtio9pStats = { requests: 0, oversized: 0 };
  /** Largest request read from a chain: the msize the backend may agree to. */
  readonly maxMsize: number;
  private ctx!: VirtioContext;

  constructor(private readonly o: Virtio9pOptions) {
    const tag = new TextEncoder().encode(o.tag);
    if (tag.length < 1 || tag.length > MAX_TAG_BYTES || !/^[\x21-\x7e]+$/.test(o.tag)) {
      throw new RangeError(`9p mount tag '${o.tag}' must be 1 to ${MAX_TAG_BYTES} printable ASCII characters`);
    }
    const queueSize = o.queueSize ?? VIRTIO_9P_QUEUE_SIZE;
    this.queueSizes = [queueSize];
    this.maxMsize = virtio9pMaxMsize(queueSize);
    // struct virtio_9p_config { le16 tag_len; u8 tag[tag_len]; }
    this.config = new Uint8Array(2 + tag.length);
    new DataView(this.config.buffer).setUint16(0, tag.length, true);
    this.config.set(tag, 2);
  }

  bind(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  activate(): void {}

  /** Requests still running finish into stale chains, which the transport ignores. */
  reset(): void {}

  notify(): void {
    const ctx = this.ctx;
    for (let chain = ctx.pop(0); chain; chain = ctx.pop(0)) {
      if (chain.readableBytes < HEADER_SIZE || chain.writableBytes < RLERROR_SIZE) {
        ctx.fail(`request chain without a 9P header or room for a reply (readable ${chain.readableBytes}, writable ${chain.writableBytes})`);
        return;
      }
      this.stats.requests++;
      // A copy: the guest may rewrite its buffers while the host works on the request.
      const req = readChain(ctx.mem, chain, 0, Math.min(chain.readableBytes, this.maxMsize));
      ctx.track(this.o.backend.handle(req).then((reply) => this.finish(chain, reply, req)));
    }
  }

  private finish(chain: Chain, reply: Uint8Array, req: Uint8Array): void {
    const ctx = this.ctx;
    if (!ctx.isCurrent(chain)) return;
    let out = reply;
    if (out.length > chain.writableBytes || out.length < HEADER_SIZE) {
      if (out.length > chain.writableBytes) this.stats.oversized++;
      out = rlerror(req, out.length > chain.writableBytes ? EMSGSIZE : EIO);
    }
    ctx.complete(chain, writeChain(ctx.mem, chain, 0, out));
  }
}

/** An Rlerror answering `req`'s tag. */
function rlerror(req: Uint8Array, errno: number): Uint8Array {
  const out = new Uint8Array(RLERROR_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, RLERROR_SIZE, true);
  v.setUint8(4, RLERROR);
  v.setUint16(5, req.length >= HEADER_SIZE ? req[5]! | (req[6]! << 8) : 0xffff, true);
  v.setUint32(7, errno, true);
  return out;
}
