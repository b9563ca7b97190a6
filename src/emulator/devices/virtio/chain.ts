// Guest RAM as virtio devices see it (bounds-checked, 64-bit-safe addresses, DMA writes reported so
// translated code made from those pages is dropped) and a validated descriptor chain's buffers
// read and written as two flat byte streams. Spec: Virtio 1.2, 2.7.4 "Message Framing".

import type { Ram } from '../../memory/ram.js';

/** Largest integer high word of a 64-bit address that still gives an exact Number (2^53). */
const MAX_SAFE_HIGH = 0x1f_ffff;

/** A 64-bit guest address from its two 32-bit halves, or -1 when it cannot be a RAM address. */
export function joinAddress(lo: number, hi: number): number {
  if (hi >>> 0 > MAX_SAFE_HIGH) return -1;
  return (hi >>> 0) * 0x1_0000_0000 + (lo >>> 0);
}

export class GuestMemory {
  constructor(
    readonly ram: Ram,
    /** Called after the device wrote guest RAM (so a CPU's code caches can drop those pages). */
    private readonly onWrite?: (addr: number, length: number) => void,
  ) {}

  /** True when [addr, addr + length) lies inside guest RAM (addr from joinAddress; -1 never does). */
  contains(addr: number, length: number): boolean {
    return addr >= this.ram.base && length >= 0 && addr + length <= this.ram.end;
  }

  u16(addr: number): number {
    return this.ram.view.getUint16(addr - this.ram.base, true);
  }

  u32(addr: number): number {
    return this.ram.view.getUint32(addr - this.ram.base, true);
  }

  setU16(addr: number, v: number): void {
    this.ram.view.setUint16(addr - this.ram.base, v, true);
    this.onWrite?.(addr, 2);
  }

  setU32(addr: number, v: number): void {
    this.ram.view.setUint32(addr - this.ram.base, v >>> 0, true);
    this.onWrite?.(addr, 4);
  }

  /** A view (not a copy) of validated RAM, for reading: writes go through `write`, which reports them. */
  view(addr: number, length: number): Uint8Array {
    const off = addr - this.ram.base;
    return this.ram.bytes.subarray(off, off + length);
  }

  /** Copy `data` into validated RAM at `addr`. */
  write(addr: number, data: Uint8Array): void {
    this.ram.bytes.set(data, addr - this.ram.base);
    this.onWrite?.(addr, data.length);
  }
}

/**
 * One descriptor chain taken from a queue, already validated: every buffer lies inside RAM, readable
 * buffers come before writable ones. Buffers are flat [addr, len, addr, len, ...] lists.
 */
export interface Chain {
  /** Queue index within its device. */
  readonly queue: number;
  /** Head descriptor index: what goes back on the used ring. */
  readonly head: number;
  /** Transport generation the chain was taken in; a device reset makes it stale. */
  readonly generation: number;
  readonly readable: number[];
  readonly writable: number[];
  readonly readableBytes: number;
  readonly writableBytes: number;
}

/** Copy `dest.length` device-readable bytes starting at stream offset `offset`; returns bytes copied. */
export function readChainInto(mem: GuestMemory, chain: Chain, offset: number, dest: Uint8Array): number {
  return copyStream(chain.readable, offset, dest.length, (addr, len, at) => dest.set(mem.view(addr, len), at));
}

/** A copy of `length` readable bytes from `offset` (shorter if the chain ends first). */
export function readChain(mem: GuestMemory, chain: Chain, offset: number, length: number): Uint8Array {
  const n = Math.max(0, Math.min(length, chain.readableBytes - offset));
  const out = new Uint8Array(n);
  readChainInto(mem, chain, offset, out);
  return out;
}

/** Write `data` into the device-writable bytes from stream offset `offset`; returns bytes written. */
export function writeChain(mem: GuestMemory, chain: Chain, offset: number, data: Uint8Array): number {
  return copyStream(chain.writable, offset, data.length, (addr, len, at) => mem.write(addr, data.subarray(at, at + len)));
}

/** Walk `length` bytes of a flat buffer list from stream offset `offset`, one call per piece. */
function copyStream(bufs: number[], offset: number, length: number, piece: (addr: number, len: number, at: number) => void): number {
  let skip = offset;
  let done = 0;
  for (let i = 0; i < bufs.length && done < length; i += 2) {
    const addr = bufs[i]!;
    const len = bufs[i + 1]!;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    const n = Math.min(len - skip, length - done);
    piece(addr + skip, n, done);
    done += n;
    skip = 0;
  }
  return done;
}
