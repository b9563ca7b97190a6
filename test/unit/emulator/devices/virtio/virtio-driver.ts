// A minimal virtio-mmio split-queue driver for device tests: negotiates features, sets up queue 0
// in a scratch RAM, submits descriptor chains (direct or indirect) and collects used entries.
// It writes rings the way Linux's virtio_ring.c does, and can also write them the way it must not.

import { VirtioMmio, type VirtioDevice } from '../../../../../src/emulator/devices/virtio/mmio.js';
import { Ram } from '../../../../../src/emulator/memory/ram.js';

const BASE = 0x8000_0000;
const DESC = BASE;
const AVAIL = BASE + 0x4000;
const USED = BASE + 0x8000;
const INDIRECT = BASE + 0xc000;
const HEAP = BASE + 0x10000;

const F_NEXT = 1;
const F_WRITE = 2;
const F_INDIRECT = 4;

export interface UsedEntry {
  head: number;
  len: number;
}

export class TestVirtioDriver {
  readonly ram = new Ram(BASE, 32 << 20);
  readonly mmio: VirtioMmio;
  readonly logs: string[] = [];
  irqRaised = 0;
  private size = 0;
  private nextDesc = 0;
  private availIdx = 0;
  private usedSeen = 0;
  private heap = HEAP;
  private readonly buffers = new Map<number, { addr: number; len: number }[]>();

  constructor(readonly device: VirtioDevice) {
    this.mmio = new VirtioMmio(this.ram, device, {
      irq: (level) => {
        if (level) this.irqRaised++;
      },
      log: (_kind, m) => this.logs.push(m),
    });
  }

  reg(offset: number): number {
    return this.mmio.read(offset, 4);
  }

  setReg(offset: number, value: number): void {
    this.mmio.write(offset, 4, value);
  }

  /** Feature bits the device offers (64 of them). */
  deviceFeatures(): bigint {
    this.setReg(0x014, 0);
    const lo = this.reg(0x010);
    this.setReg(0x014, 1);
    return (BigInt(this.reg(0x010)) << 32n) | BigInt(lo);
  }

  /** Reset, negotiate `features` (VERSION_1 added), set up queue 0 with `size` entries, DRIVER_OK. */
  init(features: bigint = 0n, size = 128): void {
    this.setReg(0x070, 0);
    this.setReg(0x070, 1);
    this.setReg(0x070, 1 | 2);
    const want = features | (1n << 32n);
    this.setReg(0x024, 0);
    this.setReg(0x020, Number(want & 0xffffffffn));
    this.setReg(0x024, 1);
    this.setReg(0x020, Number(want >> 32n));
    this.setReg(0x070, 1 | 2 | 8);
    this.setReg(0x030, 0);
    this.size = size;
    this.setReg(0x038, size);
    this.setReg(0x080, DESC);
    this.setReg(0x084, 0);
    this.setReg(0x090, AVAIL);
    this.setReg(0x094, 0);
    this.setReg(0x0a0, USED);
    this.setReg(0x0a4, 0);
    this.ram.bytes.fill(0, 0, HEAP - BASE);
    this.setReg(0x044, 1);
    this.setReg(0x070, 1 | 2 | 8 | 4);
    this.nextDesc = 0;
    this.availIdx = 0;
    this.usedSeen = 0;
    this.heap = HEAP;
    this.buffers.clear();
  }

  get status(): number {
    return this.reg(0x070);
  }

  private alloc(len: number): number {
    const addr = this.heap;
    this.heap += (len + 15) & ~15;
    if (this.heap > BASE + this.ram.size) this.heap = HEAP; // tests never keep this much in flight
    return addr;
  }

  private writeDesc(table: number, i: number, addr: number, len: number, flags: number, next: number): void {
    const v = this.ram.view;
    const o = table - BASE + 16 * i;
    v.setBigUint64(o, BigInt(addr), true);
    v.setUint32(o + 8, len, true);
    v.setUint16(o + 12, flags, true);
    v.setUint16(o + 14, next, true);
  }

  /**
   * Queue one chain: `out` buffers the device reads (each its own descriptor), then writable
   * buffers of `inLens` bytes. Returns the head index. Does not notify.
   */
  submit(out: Uint8Array[], inLens: number[], o: { indirect?: boolean } = {}): number {
    const parts: { addr: number; len: number; write: boolean }[] = [];
    for (const b of out) {
      const addr = this.alloc(b.length);
      this.ram.bytes.set(b, addr - BASE);
      parts.push({ addr, len: b.length, write: false });
    }
    for (const len of inLens) {
      const addr = this.alloc(len);
      this.ram.bytes.fill(0xee, addr - BASE, addr - BASE + len);
      parts.push({ addr, len, write: true });
    }
    const head = this.nextDesc;
    if (o.indirect) {
      const table = INDIRECT + 16 * 128 * (head % 16);
      parts.forEach((p, i) => this.writeDesc(table, i, p.addr, p.len, (p.write ? F_WRITE : 0) | (i < parts.length - 1 ? F_NEXT : 0), i + 1));
      this.writeDesc(DESC, head, table, 16 * parts.length, F_INDIRECT, 0);
      this.nextDesc = (this.nextDesc + 1) % this.size;
    } else {
      parts.forEach((p, i) => {
        const idx = (head + i) % this.size;
        const next = (head + i + 1) % this.size;
        this.writeDesc(DESC, idx, p.addr, p.len, (p.write ? F_WRITE : 0) | (i < parts.length - 1 ? F_NEXT : 0), next);
      });
      this.nextDesc = (this.nextDesc + parts.length) % this.size;
    }
    this.buffers.set(head, parts.filter((p) => p.write));
    const v = this.ram.view;
    v.setUint16(AVAIL - BASE + 4 + 2 * (this.availIdx % this.size), head, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    v.setUint16(AVAIL - BASE + 2, this.availIdx, true);
    return head;
  }

  notify(): void {
    this.setReg(0x050, 0);
  }

  /** Used entries that appeared since the last call. */
  takeUsed(): UsedEntry[] {
    const v = this.ram.view;
    const idx = v.getUint16(USED - BASE + 2, true);
    const out: UsedEntry[] = [];
    while (this.usedSeen !== idx) {
      const e = USED - BASE + 4 + 8 * (this.usedSeen % this.size);
      out.push({ head: v.getUint32(e, true), len: v.getUint32(e + 4, true) });
      this.usedSeen = (this.usedSeen + 1) & 0xffff;
    }
    return out;
  }

  /** Wait (letting host I/O run) until `n` used entries arrived; returns them. */
  async waitUsed(n: number, ms = 10_000): Promise<UsedEntry[]> {
    const got: UsedEntry[] = [];
    const end = Date.now() + ms;
    while (got.length < n) {
      got.push(...this.takeUsed());
      if (got.length >= n) break;
      if (Date.now() > end) throw new Error(`only ${got.length} of ${n} used entries after ${ms} ms`);
      await new Promise((r) => setTimeout(r, 1));
    }
    return got;
  }

  /** The first `len` bytes the device wrote into chain `head`'s writable buffers. */
  reply(head: number, len: number): Buffer {
    const parts = this.buffers.get(head) ?? [];
    const out: Buffer[] = [];
    let left = len;
    for (const p of parts) {
      if (left <= 0) break;
      const n = Math.min(p.len, left);
      out.push(Buffer.from(this.ram.bytes.subarray(p.addr - BASE, p.addr - BASE + n)));
      left -= n;
    }
    return Buffer.concat(out);
  }
}
