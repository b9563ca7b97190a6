// virtio-net: an Ethernet NIC on a receive and a transmit queue, carrying frames to and from an
// EthernetLink (the user-mode NAT, a private-network switch, a test). Transmit offloads (CSUM,
// HOST_TSO4) are offered because a guest's per-packet work is the slow part of an emulated network:
// the NIC finishes partial checksums and, unless the link takes whole TSO frames, cuts them into
// MSS frames, so a link only ever sees complete frames. Receive frames sit behind a 12-byte header
// (VERSION_1 layout), marked DATA_VALID when the guest took GUEST_CSUM and the link vouches for its
// checksums; with GUEST_TSO4 such a link may also send TCP segments up to 64 KiB, which travel as
// GSO frames, spread over several receive buffers when the guest took MRG_RXBUF (num_buffers).
// Spec: Virtio 1.2, 5.1 "Network Device" (5.1.6 device operation); Linux drivers/net/virtio_net.c.

import { completeChecksum, segmentTcpV4 } from '../../net/offload.js';
import { readChain, readChainInto, writeChain, type Chain } from './chain.js';
import { featureBit, VIRTIO_ID_NET, VIRTIO_RING_F_INDIRECT_DESC } from './constants.js';
import type { VirtioContext, VirtioDevice } from './mmio.js';
import type { StateObject, StateReader } from '../../snapshot/state-value.js';

export const VIRTIO_NET_F_CSUM = 0;
export const VIRTIO_NET_F_GUEST_CSUM = 1;
export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_GUEST_TSO4 = 7;
export const VIRTIO_NET_F_HOST_TSO4 = 11;
export const VIRTIO_NET_F_MRG_RXBUF = 15;
export const VIRTIO_NET_F_STATUS = 16;
export const VIRTIO_NET_S_LINK_UP = 1;

/** struct virtio_net_hdr_mrg_rxbuf: what VERSION_1 uses whatever the features. */
export const VIRTIO_NET_HDR_SIZE = 12;
const GSO_TYPE_OFFSET = 1;
const HDR_LEN_OFFSET = 2;
const GSO_SIZE_OFFSET = 4;
const NUM_BUFFERS_OFFSET = 10;
const ETH_MTU = 1500;
const ETH_HEADER = 14;
/** 1500-byte payload + Ethernet header + one VLAN tag: the largest frame without GSO. */
export const MAX_FRAME = 1518;
/** The largest TSO frame: a full 64 KiB IPv4 packet behind an Ethernet header and a VLAN tag. */
export const MAX_GSO_FRAME = 18 + 0xffff;
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
const RX_QUEUE = 0;
const TX_QUEUE = 1;

/** The other end of the cable. */
export interface EthernetLink {
  /** A frame from the guest (destination MAC first, no FCS). Must not throw. */
  transmit(frame: Uint8Array): void;
  /** Called once by the NIC: where frames for the guest go. */
  connect(receive: (frame: Uint8Array) => void): void;
  /** Takes TCP/IPv4 frames larger than the MTU (a guest's TSO frames pass whole, not cut up). */
  readonly acceptsLargeSegments?: boolean;
  /** Every frame it delivers carries correct checksums (the guest may skip verifying them). */
  readonly checksumsValid?: boolean;
  /**
   * Told on activation and reset whether the guest now takes TCP/IPv4 frames up to 64 KiB
   * (only asked of links that vouch for their checksums). Until told yes, frames stay within the MTU.
   */
  guestTakesLargeSegments?(yes: boolean): void;
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
  /** Receive offloads only for a link that can use them: otherwise they change the guest's buffers for nothing. */
  readonly features: bigint;
  readonly queueSizes: readonly number[];
  /** struct virtio_net_config: mac[6], status. */
  readonly config = new Uint8Array(8);
  readonly stats: VirtioNetStats = { framesToGuest: 0, framesFromGuest: 0, rxDropped: 0, txDropped: 0 };
  private ctx: VirtioContext | undefined;
  private readonly pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly maxFrames: number;
  private readonly maxBytes: number;
  /** The header for a received frame, refilled per frame (no allocation per frame). */
  private readonly rxHeader = new Uint8Array(VIRTIO_NET_HDR_SIZE);
  private readonly rxHeaderView = new DataView(this.rxHeader.buffer);
  /** Received frames are marked DATA_VALID. */
  private rxValid = false;
  /** The guest takes GSO frames (GUEST_TSO4, and the link vouches for checksums). */
  private rxTso = false;
  /** A frame may span several receive chains (MRG_RXBUF). */
  private rxMerge = false;
  /** Receive chains popped for a frame that did not fit in them yet (MRG_RXBUF only). */
  private readonly held: Chain[] = [];
  private heldBytes = 0;
  private txCsum = false;
  private txTso = false;
  /** The guest's transmit header, read from each chain (reused: no allocation per frame). */
  private readonly txHeader = new Uint8Array(VIRTIO_NET_HDR_SIZE);

  constructor(private readonly o: VirtioNetOptions) {
    if (o.mac.length !== 6) throw new RangeError('a MAC address has 6 bytes');
    const size = o.queueSize ?? 256;
    this.queueSizes = [size, size];
    let features =
      featureBit(VIRTIO_NET_F_MAC) |
      featureBit(VIRTIO_NET_F_STATUS) |
      featureBit(VIRTIO_RING_F_INDIRECT_DESC) |
      featureBit(VIRTIO_NET_F_CSUM) |
      featureBit(VIRTIO_NET_F_HOST_TSO4);
    if (o.link.checksumsValid === true) {
      features |= featureBit(VIRTIO_NET_F_GUEST_CSUM);
      if (o.link.guestTakesLargeSegments !== undefined) features |= featureBit(VIRTIO_NET_F_GUEST_TSO4) | featureBit(VIRTIO_NET_F_MRG_RXBUF);
    }
    this.features = features;
    this.maxFrames = o.maxPendingFrames ?? 256;
    this.maxBytes = o.maxPendingBytes ?? 1024 * 1024;
    this.config.set(o.mac, 0);
    this.config[6] = VIRTIO_NET_S_LINK_UP;
    o.link.connect((frame) => this.receive(frame));
  }

  bind(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  activate(): void {
    const ctx = this.ctx!;
    this.txCsum = ctx.hasFeature(VIRTIO_NET_F_CSUM);
    this.txTso = this.txCsum && ctx.hasFeature(VIRTIO_NET_F_HOST_TSO4);
    this.rxValid = ctx.hasFeature(VIRTIO_NET_F_GUEST_CSUM) && this.o.link.checksumsValid === true;
    this.rxTso = this.rxValid && ctx.hasFeature(VIRTIO_NET_F_GUEST_TSO4);
    this.rxMerge = ctx.hasFeature(VIRTIO_NET_F_MRG_RXBUF);
    this.o.link.guestTakesLargeSegments?.(this.rxTso);
  }

  reset(): void {
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.held.length = 0;
    this.heldBytes = 0;
    this.txCsum = false;
    this.txTso = false;
    this.rxValid = false;
    this.rxMerge = false;
    if (this.rxTso) this.o.link.guestTakesLargeSegments?.(false);
    this.rxTso = false;
  }

  saveState(): StateObject {
    return {
      pending: this.pending.map((f) => f.slice()),
      held: this.held.map((c) => c.head),
      txCsum: this.txCsum,
      txTso: this.txTso,
      rxValid: this.rxValid,
      rxTso: this.rxTso,
      rxMerge: this.rxMerge,
    };
  }

  restoreState(r: StateReader, chainAt: (queue: number, head: number) => Chain): void {
    this.reset();
    for (const f of r.byteList('pending')) {
      this.pending.push(f);
      this.pendingBytes += f.length;
    }
    for (const head of r.ints('held', 0, 0xffff)) {
      const chain = chainAt(RX_QUEUE, head);
      this.held.push(chain);
      this.heldBytes += chain.writableBytes;
    }
    this.txCsum = r.bool('txCsum');
    this.txTso = r.bool('txTso');
    this.rxValid = r.bool('rxValid');
    this.rxTso = r.bool('rxTso');
    this.rxMerge = r.bool('rxMerge');
    // The link may be a new one (the NAT is rebuilt on resume): tell it what the guest takes.
    if (this.rxTso) this.o.link.guestTakesLargeSegments?.(true);
  }

  notify(queue: number): void {
    if (queue === TX_QUEUE) this.transmit();
    else if (queue === RX_QUEUE) this.deliver();
  }

  /** A frame for the guest, from the link (event loop, or inside our own transmit). */
  private receive(frame: Uint8Array): void {
    const ctx = this.ctx;
    const max = this.rxTso ? MAX_GSO_FRAME : MAX_FRAME;
    if (!ctx || !ctx.active || frame.length > max || this.pending.length >= this.maxFrames || this.pendingBytes + frame.length > this.maxBytes) {
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
      const frame = this.pending[0]!;
      const need = VIRTIO_NET_HDR_SIZE + frame.length;
      if (this.rxMerge) {
        // Gather buffers until the frame fits; without enough, it waits (bounded) for the guest to post more.
        while (this.heldBytes < need && this.held.length < this.queueSizes[RX_QUEUE]!) {
          const chain = ctx.pop(RX_QUEUE);
          if (!chain) return;
          this.held.push(chain);
          this.heldBytes += chain.writableBytes;
        }
      } else if (this.held.length === 0) {
        const chain = ctx.pop(RX_QUEUE);
        if (!chain) return; // no buffers: the frames wait (bounded) for the guest to post some
        this.held.push(chain);
        this.heldBytes = chain.writableBytes;
      }
      this.pending.shift();
      this.pendingBytes -= frame.length;
      if (this.heldBytes < need || this.held[0]!.writableBytes < VIRTIO_NET_HDR_SIZE || !this.fillHeader(frame)) {
        // Too large for what the guest posted (or not a frame it can take): the buffers wait for the next one.
        this.stats.rxDropped++;
        continue;
      }
      this.writeFrame(frame, need);
    }
  }

  /** Sets rxHeader for `frame`: DATA_VALID, and GSO fields for a TCP segment larger than the MTU. */
  private fillHeader(frame: Uint8Array): boolean {
    const h = this.rxHeader;
    h.fill(0);
    if (this.rxValid) h[0] = VIRTIO_NET_HDR_F_DATA_VALID;
    if (frame.length <= MAX_FRAME) return true;
    // Only rxTso lets such a frame in; it must be TCP/IPv4 for the guest to segment or receive it.
    if (frame[12] !== 0x08 || frame[13] !== 0x00 || frame[ETH_HEADER + 9] !== 6) return false;
    const ipLen = (frame[ETH_HEADER]! & 0x0f) * 4;
    const tcpLen = (frame[ETH_HEADER + ipLen + 12]! >>> 4) * 4;
    if (ipLen < 20 || tcpLen < 20 || ETH_HEADER + ipLen + tcpLen >= frame.length) return false;
    h[GSO_TYPE_OFFSET] = VIRTIO_NET_HDR_GSO_TCPV4;
    this.rxHeaderView.setUint16(HDR_LEN_OFFSET, ETH_HEADER + ipLen + tcpLen, true);
    this.rxHeaderView.setUint16(GSO_SIZE_OFFSET, ETH_MTU - ipLen - tcpLen, true);
    return true;
  }

  /** Writes header + frame across the first held chains (as many as it takes) and completes them. */
  private writeFrame(frame: Uint8Array, need: number): void {
    const ctx = this.ctx!;
    let used = 0;
    for (let bytes = 0; bytes < need; used++) bytes += this.held[used]!.writableBytes;
    this.rxHeaderView.setUint16(NUM_BUFFERS_OFFSET, used, true);
    let done = 0;
    for (let i = 0; i < used; i++) {
      const chain = this.held[i]!;
      let written = 0;
      if (i === 0) written = writeChain(ctx.mem, chain, 0, this.rxHeader);
      written += writeChain(ctx.mem, chain, written, done === 0 ? frame : frame.subarray(done));
      done += written - (i === 0 ? VIRTIO_NET_HDR_SIZE : 0);
      this.heldBytes -= chain.writableBytes;
      ctx.complete(chain, written);
    }
    this.held.splice(0, used);
    this.stats.framesToGuest++;
  }

  private transmit(): void {
    const ctx = this.ctx!;
    const maxFrame = this.txTso ? MAX_GSO_FRAME : MAX_FRAME;
    for (let chain = ctx.pop(TX_QUEUE); chain; chain = ctx.pop(TX_QUEUE)) {
      const length = chain.readableBytes - VIRTIO_NET_HDR_SIZE;
      const ok = length >= ETH_HEADER && length <= maxFrame;
      const frame = ok ? readChain(ctx.mem, chain, VIRTIO_NET_HDR_SIZE, length) : null;
      if (ok) readChainInto(ctx.mem, chain, 0, this.txHeader);
      ctx.complete(chain, 0);
      if (!frame || !this.sendFrame(frame)) this.stats.txDropped++;
    }
  }

  /** Applies the guest's offload requests from txHeader and hands the frame(s) on; false drops it. */
  private sendFrame(frame: Uint8Array): boolean {
    const h = this.txHeader;
    const flags = h[0]!;
    const gso = h[1]!;
    if (gso === VIRTIO_NET_HDR_GSO_NONE) {
      if (frame.length > MAX_FRAME) return false;
      if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM && (!this.txCsum || !completeChecksum(frame, h[6]! | (h[7]! << 8), h[8]! | (h[9]! << 8)))) return false;
      this.stats.framesFromGuest++;
      this.o.link.transmit(frame);
      return true;
    }
    if (gso !== VIRTIO_NET_HDR_GSO_TCPV4 || !this.txTso) return false;
    if (this.o.link.acceptsLargeSegments === true) {
      if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM && !completeChecksum(frame, h[6]! | (h[7]! << 8), h[8]! | (h[9]! << 8))) return false;
      this.stats.framesFromGuest++;
      this.o.link.transmit(frame);
      return true;
    }
    // Every piece gets a full checksum of its own, so the partial one needs no finishing first.
    const pieces = segmentTcpV4(frame, h[4]! | (h[5]! << 8), MAX_FRAME);
    if (pieces === undefined) return false;
    for (const piece of pieces) {
      this.stats.framesFromGuest++;
      this.o.link.transmit(piece);
    }
    return true;
  }
}
