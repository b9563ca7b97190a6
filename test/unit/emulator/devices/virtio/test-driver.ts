// A minimal virtio-mmio driver for tests: negotiates features, lays real split rings out in a Ram,
// posts descriptor chains and reads the used ring back, all through the transport's registers.
import { Ram } from '../../../../../src/emulator/memory/ram.js';
import { VirtioMmio, type VirtioDevice, type VirtioHost } from '../../../../../src/emulator/devices/virtio/mmio.js';
import * as C from '../../../../../src/emulator/devices/virtio/constants.js';

export const RAM_BASE = 0x8000_0000;

export interface Buf {
  addr: number;
  len: number;
  write?: boolean;
}

interface QueueLayout {
  size: number;
  desc: number;
  avail: number;
  used: number;
  nextDesc: number;
  availIdx: number;
  usedSeen: number;
}

export class TestDriver {
  readonly ram: Ram;
  readonly transport: VirtioMmio;
  readonly logs: string[] = [];
  irq = false;
  wakes = 0;
  work = 0;
  private heap: number;
  private readonly queues = new Map<number, QueueLayout>();

  constructor(device: VirtioDevice, o: { ramBytes?: number; host?: Partial<VirtioHost> } = {}) {
    this.ram = new Ram(RAM_BASE, o.ramBytes ?? 4 * 1024 * 1024);
    this.heap = RAM_BASE + 0x1000;
    this.transport = new VirtioMmio(
      this.ram,
      device,
      {
        irq: (level) => (this.irq = level),
        wake: () => this.wakes++,
        workStarted: () => this.work++,
        workFinished: () => this.work--,
        log: (_kind, m) => this.logs.push(m),
        ...o.host,
      },
      'test',
    );
  }

  reg(offset: number): number {
    return this.transport.read(offset, 4);
  }

  setReg(offset: number, value: number): void {
    this.transport.write(offset, 4, value);
  }

  /** Reserve `len` bytes of RAM aligned to `align`. */
  alloc(len: number, align = 16): number {
    this.heap = Math.ceil(this.heap / align) * align;
    const at = this.heap;
    this.heap += len;
    if (this.heap > this.ram.end) throw new Error('test RAM exhausted');
    return at;
  }

  deviceFeatures(): bigint {
    this.setReg(C.VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    const lo = BigInt(this.reg(C.VIRTIO_MMIO_DEVICE_FEATURES));
    this.setReg(C.VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    const hi = BigInt(this.reg(C.VIRTIO_MMIO_DEVICE_FEATURES));
    return (hi << 32n) | lo;
  }

  /** Status handshake up to FEATURES_OK with `features` (default: all offered). Returns the status read back. */
  negotiate(features?: bigint): number {
    this.setReg(C.VIRTIO_MMIO_STATUS, 0);
    this.setReg(C.VIRTIO_MMIO_STATUS, C.VIRTIO_CONFIG_S_ACKNOWLEDGE);
    this.setReg(C.VIRTIO_MMIO_STATUS, C.VIRTIO_CONFIG_S_ACKNOWLEDGE | C.VIRTIO_CONFIG_S_DRIVER);
    const f = features ?? this.deviceFeatures();
    this.setReg(C.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    this.setReg(C.VIRTIO_MMIO_DRIVER_FEATURES, Number(f & 0xffff_ffffn));
    this.setReg(C.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    this.setReg(C.VIRTIO_MMIO_DRIVER_FEATURES, Number(f >> 32n));
    this.setReg(C.VIRTIO_MMIO_STATUS, C.VIRTIO_CONFIG_S_ACKNOWLEDGE | C.VIRTIO_CONFIG_S_DRIVER | C.VIRTIO_CONFIG_S_FEATURES_OK);
    return this.reg(C.VIRTIO_MMIO_STATUS);
  }

  /** Lay out queue `q` with `size` entries in fresh RAM and make it ready. */
  setupQueue(q: number, size?: number): void {
    this.setReg(C.VIRTIO_MMIO_QUEUE_SEL, q);
    const n = size ?? this.reg(C.VIRTIO_MMIO_QUEUE_NUM_MAX);
    // Set up again after a reset: the same memory, zeroed, as a driver reusing its rings would.
    const old = this.queues.get(q);
    const reuse = old !== undefined && old.size === n;
    const desc = reuse ? old.desc : this.alloc(16 * n, 16);
    const avail = reuse ? old.avail : this.alloc(6 + 2 * n, 2);
    const used = reuse ? old.used : this.alloc(6 + 8 * n, 4);
    for (const [at, len] of [[desc, 16 * n], [avail, 6 + 2 * n], [used, 6 + 8 * n]] as const) this.ram.bytes.fill(0, at - RAM_BASE, at - RAM_BASE + len);
    this.setReg(C.VIRTIO_MMIO_QUEUE_NUM, n);
    this.setReg(C.VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
    this.setReg(C.VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    this.setReg(C.VIRTIO_MMIO_QUEUE_AVAIL_LOW, avail);
    this.setReg(C.VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
    this.setReg(C.VIRTIO_MMIO_QUEUE_USED_LOW, used);
    this.setReg(C.VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
    this.setReg(C.VIRTIO_MMIO_QUEUE_READY, 1);
    this.queues.set(q, { size: n, desc, avail, used, nextDesc: 0, availIdx: 0, usedSeen: 0 });
  }

  driverOk(): void {
    this.setReg(C.VIRTIO_MMIO_STATUS, this.reg(C.VIRTIO_MMIO_STATUS) | C.VIRTIO_CONFIG_S_DRIVER_OK);
  }

  /** Negotiate, set up queues 0..count-1, DRIVER_OK. */
  init(queueCount: number, features?: bigint): void {
    this.negotiate(features);
    for (let q = 0; q < queueCount; q++) this.setupQueue(q);
    this.driverOk();
  }

  layout(q: number): QueueLayout {
    const l = this.queues.get(q);
    if (!l) throw new Error(`queue ${q} not set up`);
    return l;
  }

  writeDesc(table: number, i: number, d: { addr: number; len: number; flags: number; next: number; addrHi?: number }): void {
    const v = this.ram.view;
    const off = table + 16 * i - RAM_BASE;
    v.setUint32(off, d.addr >>> 0, true);
    v.setUint32(off + 4, d.addrHi ?? Math.floor(d.addr / 2 ** 32), true);
    v.setUint32(off + 8, d.len >>> 0, true);
    v.setUint16(off + 12, d.flags, true);
    v.setUint16(off + 14, d.next, true);
  }

  /** Publish a head on the available ring (does not notify). */
  publish(q: number, head: number): void {
    const l = this.layout(q);
    const v = this.ram.view;
    v.setUint16(l.avail + 4 + 2 * (l.availIdx % l.size) - RAM_BASE, head, true);
    l.availIdx = (l.availIdx + 1) & 0xffff;
    v.setUint16(l.avail + 2 - RAM_BASE, l.availIdx, true);
  }

  /** Write a chain of `bufs` into free descriptors, publish it, return its head. */
  addChain(q: number, bufs: Buf[]): number {
    const l = this.layout(q);
    const head = l.nextDesc;
    bufs.forEach((b, i) => {
      const idx = (head + i) % l.size;
      const last = i === bufs.length - 1;
      this.writeDesc(l.desc, idx, { addr: b.addr, len: b.len, flags: (b.write ? C.VIRTQ_DESC_F_WRITE : 0) | (last ? 0 : C.VIRTQ_DESC_F_NEXT), next: (idx + 1) % l.size });
    });
    l.nextDesc = (head + bufs.length) % l.size;
    this.publish(q, head);
    return head;
  }

  /** A chain through an indirect table holding `bufs`. */
  addIndirect(q: number, bufs: Buf[]): number {
    const l = this.layout(q);
    const table = this.alloc(16 * bufs.length, 16);
    bufs.forEach((b, i) => {
      const last = i === bufs.length - 1;
      this.writeDesc(table, i, { addr: b.addr, len: b.len, flags: (b.write ? C.VIRTQ_DESC_F_WRITE : 0) | (last ? 0 : C.VIRTQ_DESC_F_NEXT), next: i + 1 });
    });
    const head = l.nextDesc;
    this.writeDesc(l.desc, head, { addr: table, len: 16 * bufs.length, flags: C.VIRTQ_DESC_F_INDIRECT, next: 0 });
    l.nextDesc = (head + 1) % l.size;
    this.publish(q, head);
    return head;
  }

  kick(q: number): void {
    this.setReg(C.VIRTIO_MMIO_QUEUE_NOTIFY, q);
  }

  /** Used entries added since the last call. */
  takeUsed(q: number): { id: number; len: number }[] {
    const l = this.layout(q);
    const v = this.ram.view;
    const idx = v.getUint16(l.used + 2 - RAM_BASE, true);
    const out: { id: number; len: number }[] = [];
    while (l.usedSeen !== idx) {
      const e = l.used + 4 + 8 * (l.usedSeen % l.size) - RAM_BASE;
      out.push({ id: v.getUint32(e, true), len: v.getUint32(e + 4, true) });
      l.usedSeen = (l.usedSeen + 1) & 0xffff;
    }
    return out;
  }

  ackInterrupts(): number {
    const s = this.reg(C.VIRTIO_MMIO_INTERRUPT_STATUS);
    this.setReg(C.VIRTIO_MMIO_INTERRUPT_ACK, s);
    return s;
  }

  bytes(addr: number, len: number): Uint8Array {
    return this.ram.bytes.slice(addr - RAM_BASE, addr - RAM_BASE + len);
  }

  put(addr: number, data: Uint8Array): void {
    this.ram.bytes.set(data, addr - RAM_BASE);
  }

  get status(): number {
    return this.reg(C.VIRTIO_MMIO_STATUS);
  }

  get needsReset(): boolean {
    return (this.status & C.VIRTIO_CONFIG_S_NEEDS_RESET) !== 0;
  }
}

/** Resolves once `cond()` holds, polling the event loop (disk completions arrive there). */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}
