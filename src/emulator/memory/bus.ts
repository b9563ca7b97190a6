// The physical address space: guest RAM plus memory-mapped devices.
// The CPU reaches RAM directly through `ram.view` once its TLB has translated an address;
// everything else goes through `read`/`write`, which never throw: an access that hits no
// device sets `fault` so the CPU can raise the architectural access-fault exception.

import type { Ram } from './ram.js';

/** A memory-mapped device. Offsets are relative to the device's base; values are unsigned. */
export interface MmioDevice {
  /** Read `size` bytes (1, 2 or 4) at `offset`. Unknown registers read as 0. */
  read(offset: number, size: 1 | 2 | 4): number;
  /** Write the low `size` bytes of `value` at `offset`. Unknown registers ignore the write. */
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

interface Region {
  base: number;
  end: number; // exclusive
  name: string;
  device: MmioDevice;
}

export class Bus {
  /** Set by `read`/`write` when the access hit no RAM or device; the caller clears it. */
  fault = false;
  private regions: Region[] = [];
  /** Called for accesses that hit nothing, so the host can log them (rate limiting is the logger's job). */
  onUnmapped: ((kind: 'read' | 'write', addr: number, size: number) => void) | undefined;

  constructor(readonly ram: Ram) {}

  /** Map `device` at [base, base + size). Regions must not overlap each other or RAM. */
  map(name: string, base: number, size: number, device: MmioDevice): void {
    const end = base + size;
    if (end > this.ram.base && base < this.ram.end) throw new Error(`${name} overlaps RAM`);
    for (const r of this.regions) {
      if (end > r.base && base < r.end) throw new Error(`${name} overlaps ${r.name}`);
    }
    this.regions.push({ base, end, name, device });
    this.regions.sort((a, b) => a.base - b.base);
  }

  /** True when [addr, addr + size) lies inside guest RAM. */
  isRam(addr: number, size: number): boolean {
    return addr >= this.ram.base && addr + size <= this.ram.end;
  }

  private find(addr: number, size: number): Region | undefined {
    for (const r of this.regions) {
      if (addr >= r.base && addr + size <= r.end) return r;
    }
    return undefined;
  }

  /** Physical read of 1, 2 or 4 bytes (unsigned result). 8-byte accesses are two 4-byte ones, low word first. */
  read(addr: number, size: 1 | 2 | 4): number {
    if (this.isRam(addr, size)) {
      const off = addr - this.ram.base;
      const v = this.ram.view;
      return size === 4 ? v.getUint32(off, true) : size === 2 ? v.getUint16(off, true) : v.getUint8(off);
    }
    const r = this.find(addr, size);
    if (r === undefined) {
      this.fault = true;
      this.onUnmapped?.('read', addr, size);
      return 0;
    }
    return r.device.read(addr - r.base, size) >>> 0;
  }

  write(addr: number, size: 1 | 2 | 4, value: number): void {
    if (this.isRam(addr, size)) {
      const off = addr - this.ram.base;
      const v = this.ram.view;
      if (size === 4) v.setUint32(off, value >>> 0, true);
      else if (size === 2) v.setUint16(off, value & 0xffff, true);
      else v.setUint8(off, value & 0xff);
      return;
    }
    const r = this.find(addr, size);
    if (r === undefined) {
      this.fault = true;
      this.onUnmapped?.('write', addr, size);
      return;
    }
    r.device.write(addr - r.base, size, value >>> 0);
  }
}
