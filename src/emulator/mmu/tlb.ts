// Software TLB: caches the composite translation guest virtual page -> byte offset of the page in
// guest RAM (privileged spec v1.12, 4.3.2 allows caching any translation until sfence.vma).
//
// Three direct-mapped arrays, one per access kind (fetch, load, store), so an entry is only present
// for an access it was checked for: a store entry exists only once the PTE's D bit is set. An entry's
// tag is (virtual page low word | context, high word). The context (low 12 bits, never 0) encodes
// everything the permission check depended on: bare vs translated, the effective privilege and
// SUM/MXR. A trap or xRET changes the context used for lookups instead of flushing, so the user's and
// the kernel's entries survive every syscall. Only RAM pages are ever entered; MMIO always misses.

export const TLB_BITS = 10;
export const TLB_SIZE = 1 << TLB_BITS;
export const TLB_MASK = TLB_SIZE - 1;

/** Context codes, OR-ed into the low 12 bits of a tag. 0 never occurs, so a zero tag is empty. */
export const CTX_BARE = 1;
export const CTX_U = 2;
export const CTX_S = 3;
export const CTX_SUM = 4;
export const CTX_MXR = 8;

export class Tlb {
  readonly fetchTagLo = new Int32Array(TLB_SIZE);
  readonly fetchTagHi = new Int32Array(TLB_SIZE);
  readonly fetchOff = new Int32Array(TLB_SIZE);
  readonly loadTagLo = new Int32Array(TLB_SIZE);
  readonly loadTagHi = new Int32Array(TLB_SIZE);
  readonly loadOff = new Int32Array(TLB_SIZE);
  readonly storeTagLo = new Int32Array(TLB_SIZE);
  readonly storeTagHi = new Int32Array(TLB_SIZE);
  readonly storeOff = new Int32Array(TLB_SIZE);
  /** True while some cached entry came from a superpage: a per-address flush must then flush all. */
  hasSuperpage = false;
  /** Bumped on every flush, so holders of a cached fetch page know to re-check. */
  generation = 0;

  flushAll(): void {
    this.fetchTagLo.fill(0);
    this.loadTagLo.fill(0);
    this.storeTagLo.fill(0);
    this.hasSuperpage = false;
    this.generation++;
  }

  /** Drop the entries that could hold virtual address (lo, hi), whatever their context. */
  flushPage(lo: number, _hi: number): void {
    if (this.hasSuperpage) {
      this.flushAll();
      return;
    }
    const i = (lo >>> 12) & TLB_MASK;
    this.fetchTagLo[i] = 0;
    this.loadTagLo[i] = 0;
    this.storeTagLo[i] = 0;
    this.generation++;
  }

  /** Drop every store entry pointing at RAM page offset `pageOff` (another hart reserved it). */
  evictStoresTo(pageOff: number): void {
    const tags = this.storeTagLo;
    const offs = this.storeOff;
    for (let i = 0; i < TLB_SIZE; i++) {
      if (offs[i] === pageOff) tags[i] = 0;
    }
  }

  /** Drop every entry of any kind pointing at RAM page offset `pageOff`. */
  evictAllTo(pageOff: number): void {
    this.evictStoresTo(pageOff);
    for (let i = 0; i < TLB_SIZE; i++) {
      if (this.loadOff[i] === pageOff) this.loadTagLo[i] = 0;
      if (this.fetchOff[i] === pageOff) this.fetchTagLo[i] = 0;
    }
    this.generation++;
  }
}
