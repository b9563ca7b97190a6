// Translated regions of one hart, looked up by the RAM offset and virtual pc of their entry point
// (the pc is part of the key because AUIPC/JAL bake pc-relative values into the code). Open
// addressing with a short probe window: a direct-mapped table thrashed (a Linux shell loop has
// thousands of hot entry points, and any two sharing a slot evicted each other for good).
//
// A region's code sits in a slot of the hart's function table, called through one dispatcher
// (translate.ts): V8 calls one wasm function from JavaScript quickly, but thousands of different
// ones through its generic path. Entry points that got hot are queued and translated in batches,
// one wasm module per batch, because creating a module has a large fixed cost.

import { decode } from '../isa.js';

export const JIT_BITS = 15;
export const JIT_SIZE = 1 << JIT_BITS;
export const JIT_MASK = JIT_SIZE - 1;
/** Instructions the interpreter runs from an entry point before queueing it for translation (its
 *  heat: execute.ts credits each run from the entry point, up to the next control transfer). Counting
 *  instructions rather than entries makes a long straight-line body (an unrolled crypto round, a
 *  kernel's init code) hot after a few runs, where a count of entries left such code interpreted
 *  for thousands of runs of a thousand instructions each. Chosen by measurement (boot to shell, the
 *  ash loop and the Debian kernel to /init at several thresholds, in the profile counters and
 *  `npm run bench`): lower thresholds translate the many entry points a kernel boot runs only a few
 *  hundred times each, for more compile cost than they save; higher ones leave a shell's hot paths
 *  interpreted for too long. */
export const DEFAULT_THRESHOLD = 8000;
/** Queued entry points that make a batch, and how many instructions the oldest may wait. */
export const BATCH_SIZE = 64;
export const BATCH_MAX_WAIT = 1_000_000;

/** noteUntranslated's key for an instruction that crosses into the next page (no 32-bit encoding). */
export const CROSSES_PAGE = 2 ** 32;

/** An entry point's value when translated: its page function's function-table slot in the low
 *  ENTRY_SLOT_BITS, the entry's block in that function above (region.ts: the page function takes it
 *  as an argument). Slots are at most one per entry point, plus the batches being compiled. */
export const ENTRY_SLOT_BITS = 17;
const MAX_SLOTS = 1 << ENTRY_SLOT_BITS;
/** Blocks a page function may have for its entries to be addressable. */
const MAX_ENTRY_BLOCK = (1 << (31 - ENTRY_SLOT_BITS)) - 1;

export function entryValue(slot: number, block: number): number {
  if (block > MAX_ENTRY_BLOCK) throw new Error(`translator: entry block ${block} above ${MAX_ENTRY_BLOCK}`);
  return slot | (block << ENTRY_SLOT_BITS);
}

function slotOf(entry: number): number {
  return entry & (MAX_SLOTS - 1);
}

/** Entry values that are not a table slot. */
export const ENTRY_NONE = -1; // the interpreter runs this entry point (not translatable)
export const ENTRY_PENDING = -2; // queued for the next batch

/** Slots tried after the home slot before giving up (lookup) or evicting (insert). */
export const JIT_PROBES = 8;
/** Tags of a free and of a dropped entry (lookups probe past a dropped one, inserts reuse it):
 *  above every RAM offset (memory/ram.ts MAX_RAM_BYTES). */
export const TAG_EMPTY = 0xffffffff;
const TAG_DROPPED = 0xfffffffe;

// The lookup arrays live in the machine's memory, so the dispatcher (translate.ts) can chain from
// one region to the next without returning to JavaScript. Byte offsets inside the cache's block:
export const JC_TAG_OFF = 0; // u32: RAM offset of the entry point
export const JC_TAG_PC = JIT_SIZE * 4; // f64: its pc
export const JC_ENTRY = JIT_SIZE * 12; // i32: function-table slot, ENTRY_NONE or ENTRY_PENDING
export const JC_CHECKED = JIT_SIZE * 16; // i32: re-check epoch the entry was last checked in (recheckAll)
export const JC_EPOCH = JIT_SIZE * 20; // i32: the current epoch
export const JC_JUMP_GENERATION = JIT_SIZE * 20 + 4; // i32: see JitCache.forgetJumps
export const JC_JUMPS = JIT_SIZE * 20 + 8; // the jump cache: JUMP_SIZE entries of JUMP_STRIDE bytes

/**
 * The jump cache: where the dispatcher (translate.ts) finds the region of the pc a region left to
 * without the fetch-TLB check and hash probe of the full lookup, as qemu's tb_jmp_cache does.
 * Direct-mapped by pc: entry ((lo >>> 1) ^ (lo >>> 13)) & (JUMP_SIZE - 1) for the pc's low word lo
 * (pcs are 2-aligned; the shifted copy mixes in the bits that tell the kernel's and a process's code
 * apart). An entry is (pc: i64, stamp: i64, entry value: i32), the stamp being what must
 * not have changed since the entry was made: the TLB's generation (high word; a flush may have
 * changed the pc's mapping), this cache's jump generation (bits 4..31; a region was dropped, or
 * recheckAll asks for re-checks) and the fetch context (bits 0..3: tlb.ts CTX_*).
 */
export const JUMP_BITS = 12;
export const JUMP_SIZE = 1 << JUMP_BITS;
export const JUMP_STRIDE = 32;
export const JC_BYTES = JC_JUMPS + JUMP_SIZE * JUMP_STRIDE;


/** Home slot of the region entered at RAM offset `ro` (a multiplicative hash of the offset). */
export function jitSlot(ro: number): number {
  return Math.imul(ro >>> 1, 0x9e3779b1) >>> (32 - JIT_BITS);
}

/** What translation has done so far, for `--profile` and the bench. */
export interface JitStats {
  regions: number;
  batches: number;
  /** Guest instructions in the regions translated. */
  regionInsns: number;
  compileMs: number;
  /** Region runs, those entered from another region without returning to JavaScript, and exits
   *  by cause (region.ts EXIT_*; a chained run counts as an EXIT_JUMP of the one before it). */
  runs: number;
  chained: number;
  exits: [number, number, number, number];
  /** Guest instructions completed in translated code. */
  translatedInsns: number;
  invalidated: number;
  /** Loads, stores and AMOs translated code left to the interpreter because they missed the data
   *  TLB (region.ts missExit): TLB misses, MMIO, page-crossing accesses, stores into pages holding
   *  translated code or reservations (and the rare F/D access with the FPU off). */
  slowAccesses: number;
}

/** LOAD, LOAD-FP, STORE, STORE-FP, AMO: the major opcodes whose instructions a region runs inline
 *  on a data-TLB hit (LR/SC excepted: called out). */
const MEMORY_OPCODES = new Set([0x03, 0x07, 0x23, 0x27, 0x2f]);
const isLrSc = (insn: number): boolean => (insn & 0x7f) === 0x2f && (insn >>> 28) === 0x1;

function untranslatedKey(insn: number): number {
  const spec = decode(insn);
  if (spec === null) return insn;
  return spec.operands.includes('csr') ? spec.match | (insn & 0xfff00000) : spec.match;
}

/** Code a region made from another page (an inlined callee: region.ts Callee): that page's RAM
 *  offset, and the words holding the bytes with the RAM offset of the first. */
export interface ForeignCode {
  pageOff: number;
  at: number;
  words: Int32Array;
}

export class JitCache {
  private thresholdValue = DEFAULT_THRESHOLD;

  /** Heat (instructions run from an entry point by the interpreter) that gets it translated; 0 = never.
   *  1 is the test mode "translate every entry point at its first execution", at once: batches of
   *  one, compiled synchronously. */
  get threshold(): number {
    return this.thresholdValue;
  }

  set threshold(n: number) {
    this.thresholdValue = n;
    this.batchSize = n === 1 ? 1 : BATCH_SIZE;
    this.syncCompile = n === 1 || !this.background;
  }

  readonly tagOff: Uint32Array;
  readonly tagPc: Float64Array;
  /** The region's entry value (entryValue), or ENTRY_NONE / ENTRY_PENDING. */
  readonly entry: Int32Array;
  /** Heat by home slot: the instructions the interpreter ran from the entry points hashing there
   *  (execute.ts credits a run from an entry at the next lookup; collisions only make an entry hot
   *  sooner). */
  readonly hot = new Uint32Array(JIT_SIZE);
  /** The instruction bytes each region was made from, as the aligned 32-bit words holding them, and
   *  the RAM offset of the first word (a multiple of 4), to re-check (recheckAll, and a region
   *  compiled in the background before its first run). */
  readonly bytes: (Int32Array | undefined)[] = new Array<Int32Array | undefined>(JIT_SIZE).fill(undefined);
  readonly bytesAt = new Float64Array(JIT_SIZE);
  /** Each region's code from other pages, checked and invalidated with its own. */
  readonly foreign: (ForeignCode[] | undefined)[] = new Array<ForeignCode[] | undefined>(JIT_SIZE).fill(undefined);
  /** Re-check epoch each region was last checked in; a region from an older epoch is re-checked. */
  readonly checked: Int32Array;
  epoch = 0;
  private readonly epochCell: Int32Array;
  private readonly jumpGenerationCell: Int32Array;
  private readonly jumps: Int32Array;
  /** Set when a store dropped translated code: the region running now must leave (translate.ts). */
  codeDropped = false;

  /** The function table regions live in, its free slots and its high-water mark. */
  readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 1024 });
  private readonly freeSlots: number[] = [];
  private tableTop = 0;

  /** Entry points waiting for the next batch (RAM offset, pc, home slot), and since when (instret). */
  readonly pendingRo = new Uint32Array(BATCH_SIZE);
  readonly pendingPc = new Float64Array(BATCH_SIZE);
  readonly pendingHome = new Int32Array(BATCH_SIZE);
  pending = 0;
  pendingSince = 0;

  readonly stats: JitStats = { regions: 0, batches: 0, regionInsns: 0, compileMs: 0, runs: 0, chained: 0, exits: [0, 0, 0, 0], translatedInsns: 0, invalidated: 0, slowAccesses: 0 };

  /** The cache's arrays occupy JC_BYTES of `buffer` from byte `at` (8-aligned). */
  constructor(
    buffer: ArrayBuffer,
    readonly at: number,
  ) {
    this.tagOff = new Uint32Array(buffer, at + JC_TAG_OFF, JIT_SIZE).fill(TAG_EMPTY);
    this.tagPc = new Float64Array(buffer, at + JC_TAG_PC, JIT_SIZE);
    this.entry = new Int32Array(buffer, at + JC_ENTRY, JIT_SIZE);
    this.checked = new Int32Array(buffer, at + JC_CHECKED, JIT_SIZE);
    this.epochCell = new Int32Array(buffer, at + JC_EPOCH, 1);
    this.jumpGenerationCell = new Int32Array(buffer, at + JC_JUMP_GENERATION, 1);
    this.jumps = new Int32Array(buffer, at + JC_JUMPS, (JUMP_SIZE * JUMP_STRIDE) / 4);
  }

  /**
   * Make every jump-cache entry stale: a region was dropped (its slot may be reused) or must be
   * re-checked. The generation lives in 28 bits of the stamp; when it wraps, the entries are
   * cleared, so an old one can never match again.
   */
  private forgetJumps(): void {
    const next = (this.jumpGenerationCell[0]! + 1) & 0x0fffffff;
    if (next === 0) this.jumps.fill(0);
    this.jumpGenerationCell[0] = next;
  }

  /** Instructions translated code left to the interpreter, by kind (see noteUntranslated). */
  readonly untranslated = new Map<number, number>();

  /** Count an instruction a region exited to the interpreter for, keyed by its instruction-table
   *  entry (isa.ts: its match bits; CSR instructions keep their CSR number, so `csrr time` and
   *  `csrr sstatus` stay apart; an illegal encoding is its own key). A 4-byte instruction whose
   *  second half is on the next page is keyed CROSSES_PAGE whatever it is: a region covers one
   *  page, so the kind of instruction is not why it was left: atPageEnd (it starts 2 bytes before
   *  the page's end) and long (a 4-byte encoding) together. */
  noteUntranslated(insn: number, atPageEnd = false, long = false): void {
    if (MEMORY_OPCODES.has(insn & 0x7f) && !isLrSc(insn)) this.stats.slowAccesses++;
    const key = atPageEnd && long ? CROSSES_PAGE : untranslatedKey(insn);
    this.untranslated.set(key, (this.untranslated.get(key) ?? 0) + 1);
  }

  /** Slot holding the region for (ro, pc), probing on from `home`; -1 if there is none. */
  find(ro: number, pc: number, home: number): number {
    const tags = this.tagOff;
    for (let n = 0, i = home; n < JIT_PROBES; n++, i = (i + 1) & JIT_MASK) {
      const t = tags[i];
      if (t === ro && this.tagPc[i] === pc) return i;
      if (t === TAG_EMPTY) return -1;
    }
    return -1;
  }

  /** Slot to store a new entry for (ro, pc) in: a free one in the window, else the home slot. */
  private place(ro: number, pc: number, home: number): number {
    const tags = this.tagOff;
    for (let n = 0, i = home; n < JIT_PROBES; n++, i = (i + 1) & JIT_MASK) {
      const t = tags[i];
      if (t === TAG_EMPTY || t === TAG_DROPPED || (t === ro && this.tagPc[i] === pc)) return i;
    }
    this.drop(home);
    return home;
  }

  /** Queue (ro, pc) for translation at instruction count `now`. Returns true when a batch is due. */
  queue(ro: number, pc: number, home: number, now: number): boolean {
    const i = this.place(ro, pc, home);
    this.tagOff[i] = ro;
    this.tagPc[i] = pc;
    this.entry[i] = ENTRY_PENDING;
    this.bytes[i] = undefined;
    this.foreign[i] = undefined;
    if (this.pending === 0) this.pendingSince = now;
    const k = this.pending++;
    this.pendingRo[k] = ro;
    this.pendingPc[k] = pc;
    this.pendingHome[k] = home;
    return this.pending >= Math.min(this.batchSize, BATCH_SIZE);
  }

  /** Queued entry points that make a batch. */
  batchSize = BATCH_SIZE;
  /** Instructions a queued entry point may wait for its batch (BATCH_MAX_WAIT; warm-up: 0). */
  maxWait = BATCH_MAX_WAIT;
  /** Compile batches on the calling thread, instead of letting V8 compile them in the background
   *  (compileInBackground; always at threshold 1, the test mode). */
  syncCompile = true;
  private background = false;

  /** Let V8 compile batches on its own threads while the interpreter runs on, rather than on the
   *  calling thread when a batch is due: the engine's choice by the host's cores (builtin-machine.ts
   *  wasmCompile). */
  set compileInBackground(on: boolean) {
    this.background = on;
    this.syncCompile = this.thresholdValue === 1 || !on;
  }
  /** Batches V8 is compiling (translate.ts). */
  compiling = 0;

  freeSlot(slot: number): void {
    this.freeSlots.push(slot);
  }

  /** A function-table slot for a new region. */
  allocSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    if (this.tableTop >= MAX_SLOTS) throw new Error('translator: function table full');
    if (this.tableTop >= this.table.length) this.table.grow(this.table.length);
    return this.tableTop++;
  }

  private drop(i: number): void {
    const e = this.entry[i]!;
    if (e >= 0) this.freeSlots.push(slotOf(e));
    this.tagOff[i] = TAG_DROPPED;
    this.entry[i] = ENTRY_NONE;
    this.bytes[i] = undefined;
    this.foreign[i] = undefined;
    this.stats.invalidated++;
    this.forgetJumps();
  }

  flushAll(): void {
    for (let i = 0; i < JIT_SIZE; i++) if (this.tagOff[i]! < TAG_DROPPED) this.drop(i);
    this.tagOff.fill(TAG_EMPTY);
    this.hot.fill(0);
    this.pending = 0;
    this.forgetJumps();
  }

  /**
   * The platform may have written RAM without reporting it (a reset after loading images, hart.ts):
   * each region compares its bytes with RAM before its next use. Not for fence.i: harts' stores and
   * reported host writes (domain.ts noteHostRamWrite) drop the regions they hit as they happen, and
   * a re-check at every fence.i (Linux issues tens of thousands per boot) sent every region's next
   * run back to JavaScript.
   */
  recheckAll(): void {
    this.epoch = (this.epoch + 1) | 0;
    this.epochCell[0] = this.epoch;
    this.forgetJumps();
  }

  /** Is the region in slot `i` still what RAM (`ram`: Ram.words) holds? Drops it if not. */
  stillValid(i: number, ram: Int32Array): boolean {
    const b = this.bytes[i];
    if (b === undefined) {
      this.drop(i);
      return false;
    }
    const at = this.bytesAt[i]! >>> 2;
    for (let k = 0; k < b.length; k++) {
      if (ram[at + k] !== b[k]) {
        this.drop(i);
        return false;
      }
    }
    for (const f of this.foreign[i] ?? []) {
      const fat = f.at >>> 2;
      for (let k = 0; k < f.words.length; k++) {
        if (ram[fat + k] !== f.words[k]) {
          this.drop(i);
          return false;
        }
      }
    }
    this.checked[i] = this.epoch;
    return true;
  }

  /** Drop every entry made from RAM page offset `pageOff`, its own code or an inlined callee's. */
  invalidatePage(pageOff: number): void {
    const tags = this.tagOff;
    const foreign = this.foreign;
    const end = pageOff + 4096;
    for (let i = 0; i < JIT_SIZE; i++) {
      const t = tags[i]!;
      if (t >= pageOff && t < end) this.drop(i);
      else if (foreign[i] !== undefined && foreign[i]!.some((f) => f.pageOff === pageOff)) this.drop(i);
    }
    this.codeDropped = true;
  }
}
