// Translated blocks of one hart, looked up by the RAM offset and virtual pc of their first
// instruction (the pc is part of the key because AUIPC/JAL bake pc-relative values into the code).
// Open addressing with a short probe window: a direct-mapped table thrashed (a Linux shell loop has
// ~2,400 hot blocks, and any two sharing a slot evicted each other for good). See compile.ts.

/** A translated block: runs with the data-TLB context `dctx`, returns the pc to continue at. */
export type BlockFn = (dctx: number) => number;

export const JIT_BITS = 15;
export const JIT_SIZE = 1 << JIT_BITS;
export const JIT_MASK = JIT_SIZE - 1;
/** See the measurements in README-style notes at the top of compile.ts. */
export let DEFAULT_THRESHOLD = 0;

/** Change the threshold new harts start with (0 = interpreter only). */
export function setDefaultJitThreshold(n: number): void {
  DEFAULT_THRESHOLD = Math.max(0, Math.min(65535, Math.floor(n)));
}

/** Slots tried after the home slot before giving up (lookup) or evicting (insert). */
const PROBES = 8;
const EMPTY = -1;
/** A dropped entry: lookups probe past it, inserts reuse it. */
const DROPPED = -2;

/** Home slot of the block starting at RAM offset `ro` (a multiplicative hash of the offset). */
export function jitSlot(ro: number): number {
  return Math.imul(ro >>> 1, 0x9e3779b1) >>> (32 - JIT_BITS);
}

export class JitCache {
  /** Executions of a block start seen by the interpreter before it is translated; 0 = never. */
  threshold = DEFAULT_THRESHOLD;
  readonly tagOff = new Int32Array(JIT_SIZE).fill(EMPTY);
  readonly tagPc = new Float64Array(JIT_SIZE);
  /** Number of instructions in the block; 0 marks "cannot translate here, do not retry". */
  readonly len = new Int32Array(JIT_SIZE);
  readonly fn: (BlockFn | undefined)[] = new Array<BlockFn | undefined>(JIT_SIZE).fill(undefined);
  /** Execution counts by home slot (collisions only make a block hot sooner). */
  readonly hot = new Uint16Array(JIT_SIZE);
  /** The instruction bytes each block was made from, to re-check it after a fence.i. */
  readonly bytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(JIT_SIZE).fill(undefined);
  /** fence.i epoch each block was last checked in; a block from an older epoch is re-checked. */
  readonly checked = new Int32Array(JIT_SIZE);
  epoch = 0;

  /** Slot holding the block for (ro, pc), probing on from `home`; -1 if there is none. */
  find(ro: number, pc: number, home: number): number {
    const tags = this.tagOff;
    for (let n = 0, i = home; n < PROBES; n++, i = (i + 1) & JIT_MASK) {
      const t = tags[i];
      if (t === ro && this.tagPc[i] === pc) return i;
      if (t === EMPTY) return -1;
    }
    return -1;
  }

  /** Slot to store a new block for (ro, pc) in: a free one in the window, else the home slot. */
  place(ro: number, pc: number, home: number): number {
    const tags = this.tagOff;
    for (let n = 0, i = home; n < PROBES; n++, i = (i + 1) & JIT_MASK) {
      const t = tags[i];
      if (t === EMPTY || t === DROPPED || (t === ro && this.tagPc[i] === pc)) return i;
    }
    return home;
  }

  private drop(i: number): void {
    this.tagOff[i] = DROPPED;
    this.fn[i] = undefined;
    this.bytes[i] = undefined;
  }

  flushAll(): void {
    this.tagOff.fill(EMPTY);
    this.fn.fill(undefined);
    this.bytes.fill(undefined);
    this.hot.fill(0);
  }

  /**
   * fence.i: harts' own stores already dropped the blocks they hit (domain.ts), so only host writes
   * to RAM (DMA) can have made a block stale. Rather than flush (Linux issues fence.i often, and V8
   * only optimizes blocks that live long), each block compares its bytes with RAM before next use.
   */
  recheckAll(): void {
    this.epoch = (this.epoch + 1) | 0;
  }

  /** Is the block in slot `i` (from RAM offset tagOff[i]) still what RAM holds? Drops it if not. */
  stillValid(i: number, ram: Uint8Array): boolean {
    const b = this.bytes[i];
    const at = this.tagOff[i];
    if (b !== undefined) {
      let same = true;
      for (let k = 0; k < b.length; k++) {
        if (ram[at + k] !== b[k]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.checked[i] = this.epoch;
        return true;
      }
    }
    this.drop(i);
    return false;
  }

  /** Drop every block made from RAM page offset `pageOff`. */
  invalidatePage(pageOff: number): void {
    const tags = this.tagOff;
    const end = pageOff + 4096;
    for (let i = 0; i < JIT_SIZE; i++) {
      const t = tags[i];
      if (t >= pageOff && t < end) this.drop(i);
    }
  }
}
