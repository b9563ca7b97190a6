// From queued hot entry points to callable regions: plan each (region.ts), encode one module for
// the batch (wasm-module.ts), and instantiate it against the hart's memory, function table and
// slow paths. The dispatcher is the one wasm function the interpreter calls to run any region.

import type { Hart } from '../hart.js';
import { pendingInterrupt } from '../trap.js';
import { HS_EXIT_CHAINED, HS_EXIT_CODE, HS_EXIT_DONE, HS_TLB } from '../hart-state.js';
import { TLB_FETCH_OFF, TLB_FETCH_TAG, TLB_GENERATION, TLB_MASK } from '../mmu/tlb.js';
import { encodeModule, F64, I32, I64, OP, Bytes, type DefinedFunc } from './wasm-module.js';
import { CALL_INTERPRET, CALL_OK, CALL_SERVICE, CALL_TRAP, calleeCode, entryBlock, mulHelpers, pageFunc, planRegion, REGION_IMPORTS, REGION_TYPE, splitPlan } from './region.js';
import { amoInstruction } from '../amo.js';
import { csrInstruction } from '../csr.js';
import { executeFp } from '../fpu/index.js';
import { MSTATUS_FS } from '../csr-numbers.js';
import { ENTRY_NONE, ENTRY_PENDING, JC_CHECKED, JC_ENTRY, JC_EPOCH, JC_JUMP_GENERATION, JC_JUMPS, JC_TAG_OFF, JC_TAG_PC, JIT_BITS, JIT_MASK, JIT_PROBES, JUMP_SIZE, ENTRY_SLOT_BITS, entryValue, type ForeignCode, JUMP_STRIDE, TAG_EMPTY } from './cache.js';

/** Runs the region of entry value `entry` (cache.ts entryValue) and the regions it leads to:
 *  (entry, budget, data-TLB context, fetch-TLB context) -> next pc. */
export type Dispatch = (entry: number, budget: number, dctx: number, fctx: number) => number;

const DISPATCH_TYPE = { params: [I32, I32, I32, I32], results: [F64] };
// Locals after the parameters (slot, budget, dctx, fctx).
const D_SLOT = 0; // the entry value of the region to run
const D_BUDGET = 1;
const D_DCTX = 2;
const D_FCTX = 3;
const D_TOTAL = 4; // instructions completed by the regions run so far
const D_DONE = 5;
const D_LO = 6; // low word of the next pc
const D_RO = 7; // its RAM offset
const D_I = 8; // probe position in the lookup table
const D_N = 9; // probes left
const D_CHAINED = 10;
const D_J = 11; // the next pc's jump-cache entry (cache.ts jumpIndex)
const D_PC = 12; // i64: the next pc
const D_STAMP = 13; // i64: what a valid jump-cache entry holds besides its pc
const D_PCF = 14; // f64: the next pc as the lookup table keeps it
const DISPATCH_LOCALS: [number, number][] = [
  [8, I32],
  [2, I64],
  [1, F64],
];

/**
 * The dispatcher: run a region; while it left by a plain jump, with budget left, to an entry point
 * that has a region, run that one too. The next region comes from the jump cache (cache.ts) when
 * it holds the pc with the current stamp; else from the full lookup, the interpreter's, written in
 * wasm: the same fetch-TLB test (tlb.ts), the same hash and probe window (cache.ts jitSlot,
 * JIT_PROBES) and a region checked in this re-check epoch (cache.ts recheckAll); what that finds goes
 * into the jump cache.
 * Anything else returns to the interpreter's loop (execute.ts), which handles the exit, counts entry
 * points towards translation and re-checks stale regions.
 */
function dispatcherBody(stateAt: number, cacheAt: number): Uint8Array {
  const b = new Bytes();
  const op = (...codes: number[]): void => codes.forEach((c) => b.byte(c));
  const get = (l: number): void => (op(OP.localGet), b.u32(l));
  const set = (l: number): void => (op(OP.localSet), b.u32(l));
  const tee = (l: number): void => (op(OP.localTee), b.u32(l));
  const i32 = (v: number): void => (op(OP.i32Const), b.sleb(v | 0));
  const i64 = (v: number): void => (op(OP.i64Const), b.sleb(v));
  const mem = (o: number, offset: number): void => (op(o), b.u32(0), b.u32(offset));
  const brIf = (depth: number): void => (op(OP.brIf), b.u32(depth));
  const br = (depth: number): void => (op(OP.br), b.u32(depth));
  const tlbAt = stateAt + HS_TLB;
  const jumpsAt = cacheAt + JC_JUMPS;

  // stamp = TLB generation << 32 | jump generation << 4 | fetch context (fixed for this call: a
  // region leaves before anything that could change them takes effect)
  i32(0), mem(OP.i32Load, tlbAt + TLB_GENERATION), op(OP.i64ExtendI32u), i64(32), op(OP.i64Shl);
  i32(0), mem(OP.i32Load, cacheAt + JC_JUMP_GENERATION), i32(4), op(OP.i32Shl), get(D_FCTX), op(OP.i32Or), op(OP.i64ExtendI32u);
  op(OP.i64Or), set(D_STAMP);
  op(OP.block, 0x40); // $out
  op(OP.loop, 0x40); // $chain
  // pc = page function(budget - total, dctx, entry block, fctx), from the entry value (cache.ts
  // entryValue)
  get(D_BUDGET), get(D_TOTAL), op(OP.i32Sub), get(D_DCTX), get(D_SLOT), i32(ENTRY_SLOT_BITS), op(OP.i32ShrU);
  get(D_FCTX);
  get(D_SLOT), i32((1 << ENTRY_SLOT_BITS) - 1), op(OP.i32And);
  op(OP.callIndirect), b.u32(0), b.u32(0); // REGION_TYPE is type 0, table 0
  set(D_PC);
  i32(0), mem(OP.i32Load, stateAt + HS_EXIT_DONE), tee(D_DONE);
  get(D_TOTAL), op(OP.i32Add), set(D_TOTAL);
  // Leave on any exit but a jump, on a region that ran nothing, and when the budget is spent.
  i32(0), mem(OP.i32Load, stateAt + HS_EXIT_CODE), brIf(1);
  get(D_DONE), op(OP.i32Eqz), brIf(1);
  get(D_TOTAL), get(D_BUDGET), op(OP.i32GeS), brIf(1);
  // The jump cache: entry at jumpIndex(lo), valid when it holds this pc and this stamp.
  get(D_PC), op(OP.i32WrapI64), tee(D_LO);
  i32(1), op(OP.i32ShrU), get(D_LO), i32(13), op(OP.i32ShrU), op(OP.i32Xor), i32(JUMP_SIZE - 1), op(OP.i32And);
  i32(Math.log2(JUMP_STRIDE)), op(OP.i32Shl), tee(D_J);
  mem(OP.i64Load, jumpsAt), get(D_PC), op(OP.i64Eq);
  op(OP.if, 0x40);
  get(D_J), mem(OP.i64Load, jumpsAt + 8), get(D_STAMP), op(OP.i64Eq);
  op(OP.if, 0x40);
  get(D_J), mem(OP.i32Load, jumpsAt + 16), set(D_SLOT);
  get(D_CHAINED), i32(1), op(OP.i32Add), set(D_CHAINED);
  br(2); // $chain
  op(OP.end);
  op(OP.end);
  // Fetch TLB: tag (pc & ~0xfff) | fctx at index (pc >>> 12) & TLB_MASK. Any offset in the page:
  // a region may start at its last halfword (a 2-byte instruction; one that crosses into the next
  // page is never translated, so it has no region to find).
  get(D_LO), i32(12), op(OP.i32ShrU), i32(TLB_MASK), op(OP.i32And), set(D_I);
  get(D_I), i32(3), op(OP.i32Shl), mem(OP.i64Load, tlbAt + TLB_FETCH_TAG);
  get(D_PC), i64(-4096), op(OP.i64And), get(D_FCTX), op(OP.i64ExtendI32u), op(OP.i64Or);
  op(OP.i64Ne), brIf(1);
  get(D_I), i32(2), op(OP.i32Shl), mem(OP.i32Load, tlbAt + TLB_FETCH_OFF);
  get(D_LO), i32(0xfff), op(OP.i32And), op(OP.i32Add), tee(D_RO);
  get(D_PC), op(OP.f64ConvertI64s), set(D_PCF);
  // Home slot: jitSlot(ro)
  i32(1), op(OP.i32ShrU), i32(0x9e3779b1), op(OP.i32Mul), i32(32 - JIT_BITS), op(OP.i32ShrU), set(D_I);
  i32(JIT_PROBES), set(D_N);
  op(OP.block, 0x40); // $found
  op(OP.loop, 0x40); // $probe
  get(D_I), i32(2), op(OP.i32Shl), mem(OP.i32Load, cacheAt + JC_TAG_OFF);
  get(D_RO), op(OP.i32Eq);
  op(OP.if, 0x40);
  get(D_I), i32(3), op(OP.i32Shl), mem(OP.f64Load, cacheAt + JC_TAG_PC), get(D_PCF), op(OP.f64Eq), brIf(2);
  op(OP.end);
  get(D_I), i32(2), op(OP.i32Shl), mem(OP.i32Load, cacheAt + JC_TAG_OFF), i32(TAG_EMPTY), op(OP.i32Eq), brIf(3);
  get(D_I), i32(1), op(OP.i32Add), i32(JIT_MASK), op(OP.i32And), set(D_I);
  get(D_N), i32(1), op(OP.i32Sub), tee(D_N), brIf(0);
  br(3); // not found within the window
  op(OP.end); // $probe
  op(OP.end); // $found
  // A region, checked in this epoch?
  get(D_I), i32(2), op(OP.i32Shl), mem(OP.i32Load, cacheAt + JC_ENTRY), tee(D_SLOT);
  i32(0), op(OP.i32LtS), brIf(1);
  get(D_I), i32(2), op(OP.i32Shl), mem(OP.i32Load, cacheAt + JC_CHECKED);
  i32(0), mem(OP.i32Load, cacheAt + JC_EPOCH), op(OP.i32Ne), brIf(1);
  // Found: remember it in the jump cache.
  get(D_J), get(D_PC), mem(OP.i64Store, jumpsAt);
  get(D_J), get(D_STAMP), mem(OP.i64Store, jumpsAt + 8);
  get(D_J), get(D_SLOT), mem(OP.i32Store, jumpsAt + 16);
  get(D_CHAINED), i32(1), op(OP.i32Add), set(D_CHAINED);
  br(0);
  op(OP.end); // $chain
  op(OP.end); // $out
  i32(0), get(D_TOTAL), mem(OP.i32Store, stateAt + HS_EXIT_DONE);
  i32(0), get(D_CHAINED), mem(OP.i32Store, stateAt + HS_EXIT_CHAINED);
  get(D_PC), op(OP.f64ConvertI64s);
  return b.view().slice();
}

/** Would the interpreter's service point act now? (It runs after every slow-path access.) */
function serviceDue(h: Hart): boolean {
  return h.exitRequested || h.stopped || pendingInterrupt(h) >= 0;
}

/**
 * The interpreter's own handler for an instruction a region calls out for (region.ts kindOf: AMOs,
 * LR/SC, F/D arithmetic, some CSR instructions), with the integer registers it names already in the
 * hart's memory. Returns a region call status: CALL_TRAP with the trap recorded in the hart, or
 * CALL_INTERPRET when the instruction must trap as illegal (the interpreter, re-running it, raises
 * it with the original encoding as tval); neither has changed any state.
 */
function interpretOne(h: Hart, insn: number): number {
  const opcode = insn & 0x7f;
  if (opcode === 0x2f) return amoInstruction(h, insn) ? CALL_OK : CALL_TRAP;
  if (opcode === 0x73) {
    // A CSR instruction (region.ts CALLED_CSRS). A refused one changed nothing: the interpreter
    // runs it again and raises the trap. A write to sstatus may change the data context (SUM, MXR)
    // the region checks its TLB hits against: leave the region after it.
    const dataCtx = h.dataCtx;
    if (!csrInstruction(h, insn)) return CALL_INTERPRET;
    return h.dataCtx !== dataCtx ? CALL_SERVICE : CALL_OK;
  }
  if ((h.mstatus & MSTATUS_FS) === 0) return CALL_INTERPRET;
  if (executeFp(h.fpu, insn, h.x) !== 0) return CALL_INTERPRET;
  h.mstatus |= MSTATUS_FS;
  return CALL_OK;
}

interface HartLinks {
  imports: WebAssembly.Imports;
  dispatch: Dispatch;
}

const linksByHart = new WeakMap<Hart, HartLinks>();

/** The call-out translated code makes (ex), returning region.ts CALL_* statuses. And the dispatcher. */
function linksFor(h: Hart): HartLinks {
  let links = linksByHart.get(h);
  if (links !== undefined) return links;
  const jit = h.jit;
  const imports: WebAssembly.Imports = {
    e: {
      mem: h.ram.memory,
      ex: (insn: number): number => {
        const status = interpretOne(h, insn);
        if (status !== CALL_OK) return status;
        if (jit.codeDropped) {
          jit.codeDropped = false;
          return CALL_SERVICE;
        }
        return serviceDue(h) ? CALL_SERVICE : CALL_OK;
      },
    },
  };
  const dispatcher: DefinedFunc = { type: DISPATCH_TYPE, locals: DISPATCH_LOCALS, body: dispatcherBody(h.stateAt, jit.at), export: 'run', name: 'dispatch' };
  const wasm = encodeModule([], [dispatcher], { table: true, firstTypes: [REGION_TYPE] });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm), { e: { mem: h.ram.memory, tab: jit.table } });
  links = { imports, dispatch: instance.exports.run as Dispatch };
  linksByHart.set(h, links);
  return links;
}

/** The dispatcher of hart `h`'s regions. */
export function dispatcherFor(h: Hart): Dispatch {
  return linksFor(h).dispatch;
}

/**
 * The export name of a batch's `k`th page function. Regions reach the function table by `table.set` from
 * here, not by element segments of their own modules: a module that imports the table makes V8
 * update its copy of every later write to the table, so with one import per batch each write cost
 * grew with the number of batches. Only the dispatcher's module imports the table.
 */
const pageExport = (k: number): string => `p${k}`;

/** A guest pc (a double holding the signed 64-bit value) in hex, for function names. */
const hexPc = (pc: number): string => BigInt.asUintN(64, BigInt(pc)).toString(16);

interface Translated {
  /** JitCache index of the entry point, its RAM offset and pc. */
  i: number;
  ro: number;
  pc: number;
  slot: number;
  /** The page function's export (pageExport) and the entry's block in it. */
  page: string;
  block: number;
  pageRo: number;
  /** The words holding the instruction bytes the region was made from, and their RAM offset. */
  bytes: Int32Array;
  at: number;
  /** The same for the callees it inlines, with their pages' RAM offsets (cache.ts ForeignCode). */
  foreign: ForeignCode[];
}

/**
 * Translate every queued entry point of `h` that is still wanted, as one module. With syncCompile
 * (cache.ts compileInBackground off) the module is compiled at once; otherwise V8 compiles it on its own threads
 * while the interpreter goes on running those entry points, and the regions take over when it is
 * done (an entry dropped meanwhile is skipped; code that changed meanwhile fails the byte check
 * at first use, cache.ts stillValid).
 */
export function translatePending(h: Hart): void {
  const jit = h.jit;
  const t0 = performance.now();
  const view = h.ram.view;
  const funcs = mulHelpers();
  const done: Translated[] = [];
  let insns = 0;
  let pageCount = 0;
  // Where the fetch TLB maps a page now (the pages of callees a region inlines: region.ts Callee).
  const tlb = h.tlb;
  const fctx = h.fetchCtx;
  const resolve = (pageVa: number): number => {
    const hi = Math.floor(pageVa / 2 ** 32) | 0;
    const lo = (pageVa - Math.floor(pageVa / 2 ** 32) * 2 ** 32) | 0;
    const ti = (lo >>> 12) & TLB_MASK;
    return tlb.fetchTag[2 * ti] === (lo | fctx) && tlb.fetchTag[2 * ti + 1] === hi ? tlb.fetchOff[ti]! : -1;
  };
  // The queued entry points still wanted, by page (its RAM offset and virtual address).
  const pages = new Map<string, { pageRo: number; pageVa: number; entries: { i: number; ro: number; pc: number }[] }>();
  for (let k = 0; k < jit.pending; k++) {
    const ro = jit.pendingRo[k]!;
    const pc = jit.pendingPc[k]!;
    const i = jit.find(ro, pc, jit.pendingHome[k]!);
    if (i < 0 || jit.entry[i] !== ENTRY_PENDING) continue; // dropped meanwhile (code changed)
    const po = ro & 0xfff;
    const key = `${ro - po}:${pc - po}`;
    let page = pages.get(key);
    if (page === undefined) pages.set(key, (page = { pageRo: ro - po, pageVa: pc - po, entries: [] }));
    page.entries.push({ i, ro, pc });
  }
  for (const { pageRo, pageVa, entries } of pages.values()) {
    const plan = planRegion(view, pageRo, entries.map((e) => e.ro - pageRo), pageVa, resolve);
    if (plan === null) {
      for (const e of entries) jit.entry[e.i] = ENTRY_NONE;
      continue;
    }
    const translated = new Set(plan.entries);
    for (const e of entries) if (!translated.has(e.ro - pageRo)) jit.entry[e.i] = ENTRY_NONE;
    for (const part of splitPlan(plan)) {
      const page = pageExport(pageCount++);
      funcs.push({ ...pageFunc(part, pageVa, h.stateAt), export: page, name: `page_${hexPc(pageVa + part.lo)}` });
      // The words holding the region's bytes (a page is whole words: the last ends at its end).
      const from = pageRo + (part.lo & ~3);
      const bytes = h.ram.words.slice(from >>> 2, (pageRo + part.hi + 3) >>> 2);
      const foreign = calleeCode(part).map((c) => {
        const at = c.pageRo + (c.lo & ~3);
        return { pageOff: c.pageRo, at, words: h.ram.words.slice(at >>> 2, (c.pageRo + c.hi + 3) >>> 2) };
      });
      const starts = new Set(part.entries);
      for (const e of entries) {
        if (!starts.has(e.ro - pageRo)) continue;
        const block = entryBlock(part, e.ro - pageRo);
        done.push({ i: e.i, ro: e.ro, pc: e.pc, slot: jit.allocSlot(), page, block, pageRo, bytes, at: from, foreign });
      }
      insns += part.insns;
    }
  }
  jit.pending = 0;
  if (done.length === 0) return;
  const wasm = encodeModule(REGION_IMPORTS, funcs);
  const stats = jit.stats;
  stats.batches++;
  stats.regionInsns += insns;
  if (jit.syncCompile) {
    install(h, new WebAssembly.Module(wasm), done, true);
    stats.compileMs += performance.now() - t0;
    return;
  }
  stats.compileMs += performance.now() - t0;
  jit.compiling++;
  WebAssembly.compile(wasm).then(
    (module) => {
      jit.compiling--;
      const t1 = performance.now();
      install(h, module, done, false);
      stats.compileMs += performance.now() - t1;
    },
    () => {
      // Not expected (the encoder is tested), but a module V8 refuses must not stop the guest:
      // those entry points stay interpreted.
      jit.compiling--;
      for (const d of done) {
        if (jit.entry[d.i] === ENTRY_PENDING && jit.tagOff[d.i] === d.ro && jit.tagPc[d.i] === d.pc) jit.entry[d.i] = ENTRY_NONE;
        jit.freeSlot(d.slot);
      }
    },
  );
}

/** Instantiate a compiled batch and point its entry points at their regions. `fresh`: the bytes
 *  cannot have changed since planning (compiled synchronously). */
function install(h: Hart, module: WebAssembly.Module, done: Translated[], fresh: boolean): void {
  const jit = h.jit;
  const exports = new WebAssembly.Instance(module, linksFor(h).imports).exports;
  let installed = 0;
  for (let k = 0; k < done.length; k++) {
    const d = done[k]!;
    if (jit.entry[d.i] !== ENTRY_PENDING || jit.tagOff[d.i] !== d.ro || jit.tagPc[d.i] !== d.pc) {
      jit.freeSlot(d.slot); // dropped or replaced while compiling
      continue;
    }
    jit.table.set(d.slot, exports[d.page] as (...args: number[]) => number);
    jit.entry[d.i] = entryValue(d.slot, d.block);
    jit.bytes[d.i] = d.bytes;
    jit.bytesAt[d.i] = d.at;
    jit.foreign[d.i] = d.foreign.length > 0 ? d.foreign : undefined;
    jit.checked[d.i] = fresh ? jit.epoch : (jit.epoch - 1) | 0;
    h.domain.markCode(d.pageRo);
    for (const f of d.foreign) h.domain.markCode(f.pageOff);
    installed++;
  }
  jit.stats.regions += installed;
}
