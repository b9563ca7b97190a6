// One split virtqueue as the device sees it: its MMIO-programmed layout, taking descriptor chains
// from the available ring with every check a hostile driver needs, and returning them on the used
// ring. Spec: Virtio 1.2, 2.7 "Split Virtqueues" (2.7.5 descriptor table, 2.7.5.3 indirect
// descriptors, 2.7.6 available ring, 2.7.8 used ring); Linux drivers/virtio/virtio_ring.c is the driver.
//
// Anything malformed (index out of range, loop, buffer outside RAM, writable before readable, nested
// indirect, a head already in flight, the available index running ahead by more than the queue size)
// makes `pop` return a reason string; the transport then marks the device DEVICE_NEEDS_RESET.

import { SnapshotError, type StateObject, type StateReader } from '../../snapshot/state-value.js';
import { joinAddress, type Chain, type GuestMemory } from './chain.js';
import {
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_DESC_SIZE,
  VIRTQ_USED_ELEM_SIZE,
} from './constants.js';

/** The largest queue a device may offer (2.7: Queue Size is at most 32768). */
export const MAX_QUEUE_SIZE = 32768;

export class Virtqueue {
  /** Queue Size the driver chose (QueueNum); a power of two up to `maxSize`. */
  num: number;
  ready = false;
  descLo = 0;
  descHi = 0;
  driverLo = 0;
  driverHi = 0;
  deviceLo = 0;
  deviceHi = 0;
  /** Whether the driver negotiated VIRTIO_RING_F_INDIRECT_DESC. */
  indirect = false;

  private desc = 0;
  private avail = 0;
  private used = 0;
  private lastAvail = 0;
  private usedIdx = 0;
  private inFlight: Uint8Array;
  private inFlightCount = 0;
  private lastPopped = -1;

  constructor(
    private readonly mem: GuestMemory,
    /** QueueNumMax: what the device offers. */
    readonly maxSize: number,
    /** Index within the device, copied into every chain. */
    readonly index: number,
  ) {
    if (!Number.isInteger(maxSize) || maxSize < 1 || maxSize > MAX_QUEUE_SIZE || (maxSize & (maxSize - 1)) !== 0) {
      throw new RangeError(`virtqueue size ${maxSize} must be a power of two from 1 to ${MAX_QUEUE_SIZE}`);
    }
    this.num = maxSize;
    this.inFlight = new Uint8Array(maxSize);
  }

  /** Back to the reset state (device reset or QueueReady 0). */
  reset(): void {
    this.num = this.maxSize;
    this.ready = false;
    this.descLo = this.descHi = this.driverLo = this.driverHi = this.deviceLo = this.deviceHi = 0;
    this.indirect = false;
    this.lastAvail = 0;
    this.usedIdx = 0;
    this.inFlight.fill(0);
    this.inFlightCount = 0;
    this.lastPopped = -1;
  }

  /** Chains taken and not yet returned. */
  get pending(): number {
    return this.inFlightCount;
  }

  /**
   * Check the layout the driver programmed and start using it (QueueReady 1). Returns null, or why
   * the layout is unusable: size not a power of two or above the maximum, rings misaligned or
   * outside RAM.
   */
  enable(): string | null {
    const n = this.num;
    if (n < 1 || n > this.maxSize || (n & (n - 1)) !== 0) return `queue size ${n} is not a power of two from 1 to ${this.maxSize}`;
    const desc = joinAddress(this.descLo, this.descHi);
    const avail = joinAddress(this.driverLo, this.driverHi);
    const used = joinAddress(this.deviceLo, this.deviceHi);
    // 2.7 alignment: descriptor table 16, available ring 2, used ring 4.
    if (desc < 0 || desc % 16 !== 0 || !this.mem.contains(desc, VIRTQ_DESC_SIZE * n)) return `descriptor table at ${hex(this.descHi, this.descLo)} is misaligned or outside RAM`;
    if (avail < 0 || avail % 2 !== 0 || !this.mem.contains(avail, 4 + 2 * n)) return `available ring at ${hex(this.driverHi, this.driverLo)} is misaligned or outside RAM`;
    if (used < 0 || used % 4 !== 0 || !this.mem.contains(used, 4 + VIRTQ_USED_ELEM_SIZE * n)) return `used ring at ${hex(this.deviceHi, this.deviceLo)} is misaligned or outside RAM`;
    this.desc = desc;
    this.avail = avail;
    this.used = used;
    this.lastAvail = 0;
    this.usedIdx = 0;
    this.inFlight.fill(0);
    this.inFlightCount = 0;
    this.lastPopped = -1;
    this.ready = true;
    return null;
  }

  /** The driver did not ask to go without interrupts (VIRTQ_AVAIL_F_NO_INTERRUPT clear). */
  wantsInterrupt(): boolean {
    return (this.mem.u16(this.avail) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /**
   * Take the next available chain: a validated Chain, null when there is none, or a string saying
   * why the ring is malformed (the queue is then unusable until reset).
   */
  pop(generation: number): Chain | string | null {
    if (!this.ready) return null;
    const mem = this.mem;
    const n = this.num;
    const availIdx = mem.u16(this.avail + 2);
    const ahead = (availIdx - this.lastAvail) & 0xffff;
    if (ahead === 0) return null;
    if (ahead > n) return `available index ${availIdx} is ${ahead} entries ahead of ${this.lastAvail}, more than the queue size ${n}`;
    const head = mem.u16(this.avail + 4 + 2 * (this.lastAvail % n));
    if (head >= n) return `available ring names descriptor ${head}, beyond the queue size ${n}`;
    if (this.inFlight[head]) return `descriptor ${head} made available while already in flight`;
    const chain = this.walk(head, generation);
    if (typeof chain === 'string') return chain;
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    this.inFlight[head] = 1;
    this.inFlightCount++;
    this.lastPopped = head;
    return chain;
  }

  /** Read and check the descriptor chain starting at `head` (which pop has range-checked). */
  private walk(head: number, generation: number): Chain | string {
    const mem = this.mem;
    const n = this.num;
    const readable: number[] = [];
    const writable: number[] = [];
    let readableBytes = 0;
    let writableBytes = 0;
    let table = this.desc;
    let tableSize = n;
    let idx = head;
    let count = 0;
    let inIndirect = false;
    for (;;) {
      // A chain visits each descriptor of its table at most once; one more means a loop.
      if (count >= tableSize) return `descriptor chain from head ${head} is longer than its table (${tableSize}): a loop`;
      count++;
      const d = table + VIRTQ_DESC_SIZE * idx;
      const addr = joinAddress(mem.u32(d), mem.u32(d + 4));
      const len = mem.u32(d + 8);
      const flags = mem.u16(d + 12);
      const next = mem.u16(d + 14);
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        if (!this.indirect) return `descriptor ${idx} is indirect but VIRTIO_RING_F_INDIRECT_DESC was not negotiated`;
        if (inIndirect) return `nested indirect descriptor in the chain from head ${head}`;
        if (idx !== head || flags & VIRTQ_DESC_F_NEXT) return `indirect descriptor ${idx} is not alone at the head of its chain`;
        const entries = len / VIRTQ_DESC_SIZE;
        if (len === 0 || !Number.isInteger(entries) || entries > n) return `indirect table of ${len} bytes is empty, not a multiple of 16 or longer than the queue size ${n}`;
        if (addr < 0 || addr % 16 !== 0 || !mem.contains(addr, len)) return `indirect table at 0x${addr.toString(16)} is misaligned or outside RAM`;
        table = addr;
        tableSize = entries;
        idx = 0;
        count = 0;
        inIndirect = true;
        continue;
      }
      if (len > 0) {
        if (addr < 0 || !mem.contains(addr, len)) return `descriptor ${idx} buffer of ${len} bytes at 0x${addr < 0 ? 'high' : addr.toString(16)} is outside RAM`;
        if (flags & VIRTQ_DESC_F_WRITE) {
          writable.push(addr, len);
          writableBytes += len;
        } else {
          if (writable.length > 0) return `descriptor ${idx} is device-readable after a device-writable one`;
          readable.push(addr, len);
          readableBytes += len;
        }
      }
      if (!(flags & VIRTQ_DESC_F_NEXT)) break;
      if (next >= tableSize) return `descriptor ${idx} links to ${next}, beyond its table (${tableSize})`;
      idx = next;
    }
    return { queue: this.index, head, generation, readable, writable, readableBytes, writableBytes };
  }

  /** The ring positions and the heads in flight (their chains are read again from guest RAM on restore). */
  saveState(): StateObject {
    const inFlight: number[] = [];
    for (let h = 0; h < this.maxSize; h++) if (this.inFlight[h]) inFlight.push(h);
    return {
      num: this.num,
      ready: this.ready,
      desc: [this.descLo, this.descHi],
      driver: [this.driverLo, this.driverHi],
      device: [this.deviceLo, this.deviceHi],
      indirect: this.indirect,
      lastAvail: this.lastAvail,
      usedIdx: this.usedIdx,
      inFlight,
    };
  }

  restoreState(r: StateReader): void {
    this.reset();
    this.num = r.int('num', 0, this.maxSize);
    [this.descLo, this.descHi] = r.ints('desc', 0, 0xffff_ffff, 2) as [number, number];
    [this.driverLo, this.driverHi] = r.ints('driver', 0, 0xffff_ffff, 2) as [number, number];
    [this.deviceLo, this.deviceHi] = r.ints('device', 0, 0xffff_ffff, 2) as [number, number];
    this.indirect = r.bool('indirect');
    if (!r.bool('ready')) return;
    const problem = this.enable();
    if (problem) throw new SnapshotError(`${r.path}: ${problem}`);
    this.lastAvail = r.int('lastAvail', 0, 0xffff);
    this.usedIdx = r.int('usedIdx', 0, 0xffff);
    for (const h of r.ints('inFlight', 0, this.num - 1)) {
      if (this.inFlight[h]) throw new SnapshotError(`${r.path}.inFlight: descriptor ${h} twice`);
      this.inFlight[h] = 1;
      this.inFlightCount++;
    }
  }

  /** The chain of in-flight head `head`, read again from guest RAM (a device restoring what it held). */
  chainAt(head: number, generation: number): Chain {
    if (!this.ready || head >= this.num || !this.inFlight[head]) throw new SnapshotError(`queue ${this.index}: descriptor ${head} is not in flight`);
    const chain = this.walk(head, generation);
    if (typeof chain === 'string') throw new SnapshotError(`queue ${this.index}: ${chain}`);
    return chain;
  }

  /** Give back the chain just popped, untouched (e.g. a receive buffer too small for this frame). */
  unpop(chain: Chain): void {
    if (chain.head !== this.lastPopped || !this.inFlight[chain.head]) return;
    this.lastAvail = (this.lastAvail - 1) & 0xffff;
    this.inFlight[chain.head] = 0;
    this.inFlightCount--;
    this.lastPopped = -1;
  }

  /** Put a finished chain on the used ring with `written` bytes. False if it was not in flight. */
  pushUsed(head: number, written: number): boolean {
    if (!this.ready || head >= this.maxSize || !this.inFlight[head]) return false;
    const mem = this.mem;
    const elem = this.used + 4 + VIRTQ_USED_ELEM_SIZE * (this.usedIdx % this.num);
    mem.setU32(elem, head);
    mem.setU32(elem + 4, written);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    mem.setU16(this.used + 2, this.usedIdx);
    this.inFlight[head] = 0;
    this.inFlightCount--;
    if (this.lastPopped === head) this.lastPopped = -1;
    return true;
  }
}

function hex(hi: number, lo: number): string {
  return `0x${(hi >>> 0).toString(16)}_${(lo >>> 0).toString(16).padStart(8, '0')}`;
}
