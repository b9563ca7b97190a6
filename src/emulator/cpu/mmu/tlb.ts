// Software TLB: caches the composite translation guest virtual page -> byte offset of the page in
// guest RAM (privileged spec v1.12, 4.3.2 allows caching any translation until sfence.vma).
//
// Three direct-mapped arrays, one per access kind (fetch, load, store), so an entry is only present
// for an access it was checked for: a store entry exists only once the PTE's D bit is set. An entry's
// tag is the 64-bit value (virtual page address | context), stored as an int32 pair (low word at 2i,
// high word at 2i+1) so translated code compares it with one i64 load. The context (low 12 bits,
// never 0) encodes everything the permission check depended on: bare vs translated, the effective
// privilege and SUM/MXR. A trap or xRET changes the context used for lookups instead of flushing, so
// the user's and the kernel's entries survive every syscall. Only RAM pages are ever entered; MMIO
// always misses. The arrays live in the machine's memory (memory/ram.ts) at fixed offsets, so
// translated code reads them too (cpu/jit/translate.ts).

export const TLB_BITS = 10;
export const TLB_SIZE = 1 << TLB_BITS;
export const TLB_MASK = TLB_SIZE - 1;

/** Context codes, OR-ed into the low 12 bits of a tag. 0 never occurs, so a zero tag is empty. */
export const CTX_BARE = 1;
export const CTX_U = 2;
export const CTX_S = 3;
export const CTX_SUM = 4;
export const CTX_MXR = 8;

/** Byte offsets of the arrays inside a TLB's block of memory: tags are 8 bytes an entry, RAM offsets 4. */
export const TLB_FETCH_TAG = 0;
export const TLB_LOAD_TAG = TLB_SIZE * 8;
export const TLB_STORE_TAG = TLB_SIZE * 16;
export const TLB_FETCH_OFF = TLB_SIZE * 24;
export const TLB_LOAD_OFF = TLB_SIZE * 28;
export const TLB_STORE_OFF = TLB_SIZE * 32;
/** i32: the generation (see Tlb.generation), where translated code's dispatcher reads it. */
export const TLB_GENERATION = TLB_SIZE * 36;
export const TLB_BYTES = TLB_SIZE * 36 + 8;

export class Tlb {
  readonly fetchTag: Int32Array;
  readonly loadTag: Int32Array;
  readonly storeTag: Int32Array;
  /** RAM byte offset of each entry's page (unsigned: RAM may exceed 2 GiB). */
  readonly fetchOff: Uint32Array;
  readonly loadOff: Uint32Array;
  readonly storeOff: Uint32Array;
  /** The virtual range [superFrom, superTo) (signed 64-bit addresses as numbers, exact below 2^53)
   *  covering every superpage some cached entry came from; empty when superFrom >= superTo. An
   *  entry caches one 4 KiB slice of a superpage, so SFENCE.VMA of an address inside a superpage
   *  (privileged spec 4.2.1: it covers the whole leaf PTE) must drop all of them. Outside the range
   *  a per-page flush stays per page: Linux flushes each user address it maps on a page fault while
   *  its own linear map sits in superpages. */
  private superFrom = 0;
  private superTo = 0;
  private readonly generationCell: Int32Array;

  /** Bumped on every flush that can drop a fetch entry, so what caches a translation made through
   *  this TLB (the translator's jump cache, jit/cache.ts) knows to re-check. Wraps at 2^32. */
  get generation(): number {
    return this.generationCell[0]!;
  }

  private bump(): void {
    this.generationCell[0] = (this.generationCell[0]! + 1) | 0;
  }

  /** The TLB occupies TLB_BYTES of `buffer` from byte `at` (8-aligned). */
  constructor(
    buffer: ArrayBuffer,
    readonly at: number,
  ) {
    this.fetchTag = new Int32Array(buffer, at + TLB_FETCH_TAG, 2 * TLB_SIZE);
    this.loadTag = new Int32Array(buffer, at + TLB_LOAD_TAG, 2 * TLB_SIZE);
    this.storeTag = new Int32Array(buffer, at + TLB_STORE_TAG, 2 * TLB_SIZE);
    this.fetchOff = new Uint32Array(buffer, at + TLB_FETCH_OFF, TLB_SIZE);
    this.loadOff = new Uint32Array(buffer, at + TLB_LOAD_OFF, TLB_SIZE);
    this.storeOff = new Uint32Array(buffer, at + TLB_STORE_OFF, TLB_SIZE);
    this.generationCell = new Int32Array(buffer, at + TLB_GENERATION, 1);
  }

  flushAll(): void {
    this.fetchTag.fill(0);
    this.loadTag.fill(0);
    this.storeTag.fill(0);
    this.superFrom = this.superTo = 0;
    this.bump();
  }

  /** An entry is being cached for virtual address (lo, hi) from a superpage of 2^shift bytes. */
  noteSuperpage(lo: number, hi: number, shift: number): void {
    const size = 2 ** shift;
    const base = Math.floor((hi * 4294967296 + (lo >>> 0)) / size) * size;
    if (this.superFrom >= this.superTo) {
      this.superFrom = base;
      this.superTo = base + size;
    } else {
      if (base < this.superFrom) this.superFrom = base;
      if (base + size > this.superTo) this.superTo = base + size;
    }
  }

  /** Drop the entries that could hold virtual address (lo, hi), whatever their context. */
  flushPage(lo: number, hi: number): void {
    const va = hi * 4294967296 + (lo >>> 0);
    if (va >= this.superFrom && va < this.superTo) {
      this.flushAll();
      return;
    }
    const i = ((lo >>> 12) & TLB_MASK) << 1;
    this.fetchTag[i] = 0;
    this.fetchTag[i + 1] = 0;
    this.loadTag[i] = 0;
    this.loadTag[i + 1] = 0;
    this.storeTag[i] = 0;
    this.storeTag[i + 1] = 0;
    this.bump();
  }

  /** Drop every store entry pointing at RAM page offset `pageOff` (another hart reserved it). */
  evictStoresTo(pageOff: number): void {
    const tags = this.storeTag;
    const offs = this.storeOff;
    for (let i = 0; i < TLB_SIZE; i++) {
      if (offs[i] === pageOff) tags[2 * i] = tags[2 * i + 1] = 0;
    }
  }

  /** Drop every entry of any kind pointing at RAM page offset `pageOff`. */
  evictAllTo(pageOff: number): void {
    this.evictStoresTo(pageOff);
    for (let i = 0; i < TLB_SIZE; i++) {
      if (this.loadOff[i] === pageOff) this.loadTag[2 * i] = this.loadTag[2 * i + 1] = 0;
      if (this.fetchOff[i] === pageOff) this.fetchTag[2 * i] = this.fetchTag[2 * i + 1] = 0;
    }
    this.bump();
  }
}
