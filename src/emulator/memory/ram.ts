// Guest RAM and the harts' state, in one WebAssembly.Memory so that the interpreter, the translated
// code (cpu/jit/) and the devices all read and write the same bytes. RAM sits at offset 0; the
// harts' registers and TLBs follow it. The memory is allocated once at its final size and never
// grows, so every typed-array view over its buffer stays valid; the OS commits pages as the guest
// touches them, so a 1 GiB guest that uses 60 MB costs about 60 MB.

/** Room after RAM for the harts' state (registers, TLBs, exit slots: see cpu/hart-state.ts). */
export const STATE_AREA_BYTES = 16 * 1024 * 1024;

/** The most guest RAM the builtin engine can give a machine: wasm32 addresses 4 GiB, and the
 *  harts' state takes the last STATE_AREA_BYTES of it. */
export const MAX_RAM_BYTES = 4096 * 1024 * 1024 - STATE_AREA_BYTES;

const WASM_PAGE = 65536;

export class Ram {
  readonly memory: WebAssembly.Memory;
  readonly bytes: Uint8Array;
  /** The same bytes as 32-bit words (word k at byte offset 4k): for comparisons a word at a time. */
  readonly words: Int32Array;
  readonly view: DataView;
  readonly end: number;
  /** Next free byte of the state area. */
  private stateTop: number;
  private readonly stateEnd: number;

  constructor(
    readonly base: number,
    readonly size: number,
  ) {
    if (size <= 0 || size % 4096 !== 0) throw new Error(`RAM size must be a positive multiple of 4096, got ${size}`);
    if (size > MAX_RAM_BYTES) {
      throw new Error(`RAM size ${size} is above the builtin engine's limit of ${MAX_RAM_BYTES} bytes (${MAX_RAM_BYTES / 1048576} MiB)`);
    }
    const pages = Math.ceil((size + STATE_AREA_BYTES) / WASM_PAGE);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const buffer = this.memory.buffer;
    this.bytes = new Uint8Array(buffer, 0, size);
    this.words = new Int32Array(buffer, 0, size >>> 2);
    this.view = new DataView(buffer, 0, size);
    this.end = base + size;
    this.stateTop = size;
    this.stateEnd = pages * WASM_PAGE;
  }

  /** Reserve `length` zeroed bytes of hart state after RAM, 64-byte aligned; returns the offset. */
  allocState(length: number): number {
    const at = this.stateTop;
    const top = at + Math.ceil(length / 64) * 64;
    if (top > this.stateEnd) throw new Error('out of hart state memory (too many harts for one machine)');
    this.stateTop = top;
    return at;
  }

  /** Copy `data` into RAM at physical address `addr` (used by the loader). */
  load(addr: number, data: Uint8Array): void {
    if (addr < this.base || addr + data.length > this.end) {
      throw new Error(`image of ${data.length} bytes at 0x${addr.toString(16)} does not fit in RAM`);
    }
    this.bytes.set(data, addr - this.base);
  }
}
