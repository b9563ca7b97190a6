// virtio-net: an Ethernet NIC on a receive and a transmit queue, carrying frames to and from an
// EthernetLink (the user-mode NAT, a private-network switch, a test). No offloads are offered, so
// every frame is a plain Ethernet frame behind a zeroed 12-byte header (VERSION_1 layout,
// num_buffers = 1), and no MRG_RXBUF: each frame fits one receive chain.
// Spec: Virtio 1.2, 5.1 "Network Device" (5.1.6 device operation); Linux drivers/net/virtio_net.c.

import { readChain, writeChain } from './chain.js';
import { featureBit, VIRTIO_ID_NET, VIRTIO_RING_F_INDIRECT_DESC } from './constants.js';
import type { VirtioContext, VirtioDevice } from './mmio.js';

export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_STATUS = 16;
export const VIRTIO_NET_S_LINK_UP = 1;

/** struct virtio_net_hdr_mrg_rxbuf: what VERSION_1 uses whatever the features. */
export const VIRTIO_NET_HDR_SIZE = 12;
const NUM_BUFFERS_OFFSET = 10;
const ETH_HEADER = 14;
/** 1500-byte payload + Ethernet header + one VLAN tag: the largest frame without GSO. */
export const MAX_FRAME = 1518;
const RX_QUEUE = 0;
const TX_QUEUE = 1;

/** The other end of the cable. */
export interface EthernetLink {
  /** A frame from the guest (destination MAC first, no FCS). Must not throw. */
  transmit(frame: Uint8Array): void;
  /** Called once by the NIC: where frames for the guest go. */
  connect(receive: (frame: Uint8Array) => void): void;
}

export interface VirtioNetOptions {
  mac: Uint8Array;
  link: EthernetLink;
  queueSize?: number;
  /** Frames for the guest held while it has no receive buffers posted (default 256 / 1 MiB). */
  maxPendingFrames?: number;
  maxPendingBytes?: number;
}

export interface VirtioNetStats {
  framesToGuest: number;
  framesFromGuest: number;
  /** Frames for the guest dropped: device not running, no room, or larger than its buffers. */
  rxDropped: number;
  /** Frames from the guest dropped: runt or oversized. */
  txDropped: number;
}

export class VirtioNet implements VirtioDevice {
  readonly kind = 'net';
  readonly deviceId = VIRTIO_ID_NET;
  readonly features = featureBit(VIRTIO_NET_F_MAC) | featureBit(VIRTIO_NET_F_STATUS) | featureBit(VIRTIO_RING_F_INDIRECT_DESC);
  readonly queueSizes: readonly number[];
  /** struct virtio_net_config: mac[6], status. */
  readonly config = new Uint8Array(8);
  readonly stats: VirtioNetStats = { framesToGuest: 0, framesFromGuest: 0, rxDropped: 0, txDropped: 0 };
  private ctx: VirtioContext | undefined;
  private readonly pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly maxFrames: number;
  private readonly maxBytes: number;
  private readonly header = new Uint8Array(VIRTIO_NET_HDR_SIZE);

  constructor(private readonly o: VirtioNetOptions) {
    if (o.mac.length !== 6) throw new RangeError('a MAC address has 6 bytes');
    const size = o.queueSize ?? 256;
    this.queueSizes = [size, size];
    this.maxFrames = o.maxPendingFrames ?? 256;
    this.maxBytes = o.maxPendingBytes ?? 1024 * 1024;
    this.config.set(o.mac, 0);
    this.config[6] = VIRTIO_NET_S_LINK_UP;
    new DataView(this.header.buffer).setUint16(NUM_BUFFERS_OFFSET, 1, true);
    o.link.connect((frame) => this.receive(frame));
  }

  bind(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  activate(): void {}

  reset(): void {
    this.pending.length = 0;
    this.pendingBytes = 0;
  }

  notify(queue: number): void {
    if (queue === TX_QUEUE) this.transmit();
    else if (queue === RX_QUEUE) this.deliver();
  }

  /** A frame for the guest, from the link (event loop, or inside our own transmit). */
  private receive(frame: Uint8Array): void {
    const ctx = this.ctx;
    if (!ctx || !ctx.active || frame.length > MAX_FRAME || this.pending.length >= this.maxFrames || this.pendingBytes + frame.length > this.maxBytes) {
      this.stats.rxDropped++;
      return;
    }
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    ctx.guard(() => this.deliver());
  }

  private deliver(): void {
    const ctx = this.ctx!;
    while (this.pending.length > 0) {
      const chain = ctx.pop(RX_QUEUE);
      if (!chain) return; // no buffers: the frames wait (bounded) for the guest to post some
      const frame = this.pending.shift()!;
      this.pendingBytes -= frame.length;
      if (chain.writableBytes < VIRTIO_NET_HDR_SIZE + frame.length) {
        ctx.unpop(chain);
        this.stats.rxDropped++;
        continue;
      }
      writeChain(ctx.mem, chain, 0, this.header);
      writeChain(ctx.mem, chain, VIRTIO_NET_HDR_SIZE, frame);
      this.stats.framesToGuest++;
      ctx.complete(chain, VIRTIO_NET_HDR_SIZE + frame.length);
    }
  }

  private transmit(): void {
    const ctx = this.ctx!;
    for (let chain = ctx.pop(TX_QUEUE); chain; chain = ctx.pop(TX_QUEUE)) {
      const length = chain.readableBytes - VIRTIO_NET_HDR_SIZE;
      const frame = length >= ETH_HEADER && length <= MAX_FRAME ? readChain(ctx.mem, chain, VIRTIO_NET_HDR_SIZE, length) : null;
      ctx.complete(chain, 0);
      if (!frame) {
        this.stats.txDropped++;
        continue;
      }
      this.stats.framesFromGuest++;
      this.o.link.transmit(frame);
    }
  }
}
