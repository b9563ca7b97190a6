// virtio-rng (entropy device): fills each device-writable buffer from an injected entropy source
// (the host passes crypto.getRandomValues). Spec: Virtio 1.2, 5.4 "Entropy Device";
// Linux drivers/char/hw_random/virtio-rng.c.

import { writeChain } from './chain.js';
import { VIRTIO_ID_RNG } from './constants.js';
import type { VirtioContext, VirtioDevice } from './mmio.js';

/** Bytes given per request at most: bounds the work one guest notify can cause. */
const MAX_PER_REQUEST = 64 * 1024;
/** crypto.getRandomValues refuses more than this per call. */
const SOURCE_CHUNK = 65536;

export interface VirtioRngOptions {
  /** Fills `buf` with random bytes (the host passes crypto.getRandomValues). */
  entropy: (buf: Uint8Array) => void;
  queueSize?: number;
}

export class VirtioRng implements VirtioDevice {
  readonly kind = 'rng';
  readonly deviceId = VIRTIO_ID_RNG;
  readonly features = 0n;
  readonly queueSizes: readonly number[];
  readonly config = new Uint8Array(0);
  /** Random bytes handed to the guest. */
  bytesServed = 0;
  private ctx!: VirtioContext;

  constructor(private readonly o: VirtioRngOptions) {
    this.queueSizes = [o.queueSize ?? 64];
  }

  bind(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  activate(): void {}

  reset(): void {}

  notify(): void {
    const ctx = this.ctx;
    for (let chain = ctx.pop(0); chain; chain = ctx.pop(0)) {
      const n = Math.min(chain.writableBytes, MAX_PER_REQUEST);
      const bytes = new Uint8Array(n);
      for (let off = 0; off < n; off += SOURCE_CHUNK) this.o.entropy(bytes.subarray(off, Math.min(n, off + SOURCE_CHUNK)));
      const written = writeChain(ctx.mem, chain, 0, bytes);
      this.bytesServed += written;
      ctx.complete(chain, written);
    }
  }
}
