// Guest RAM: one zero-filled ArrayBuffer. Large zeroed buffers are mmap'd by the allocator and
// committed page by page as the guest touches them, so a 1 GiB guest that uses 60 MB costs ~60 MB.

/** The most guest RAM the builtin engine can give a machine: RAM lives in one wasm32 memory (4 GiB
 *  addressable) beside the harts' state, which takes the last 16 MiB. */
export const MAX_RAM_BYTES = 4080 * 1024 * 1024;

export class Ram {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly end: number;

  constructor(
    readonly base: number,
    readonly size: number,
  ) {
    if (size <= 0 || size % 4096 !== 0) throw new Error(`RAM size must be a positive multiple of 4096, got ${size}`);
    const buffer = new ArrayBuffer(size);
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
    this.end = base + size;
  }

  /** Copy `data` into RAM at physical address `addr` (used by the loader). */
  load(addr: number, data: Uint8Array): void {
    if (addr < this.base || addr + data.length > this.end) {
      throw new Error(`image of ${data.length} bytes at 0x${addr.toString(16)} does not fit in RAM`);
    }
    this.bytes.set(data, addr - this.base);
  }
}
