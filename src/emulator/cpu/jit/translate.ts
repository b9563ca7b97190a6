// From queued hot entry points to callable regions: plan each (region.ts), encode one module for
// the batch (wasm-module.ts), and instantiate it against the hart's memory, function table and
// slow paths. The dispatcher is the one wasm function the interpreter calls to run any region.

import type { Hart } from '../hart.js';
import { loadSlow, storeSlow } from '../../mmu/access.js';
import { pendingInterrupt } from '../trap.js';
import { HS_TMP } from '../hart-state.js';
import { encodeModule, F64, I32, OP, Bytes, type DefinedFunc } from './wasm-module.js';
import { mulHelpers, planRegion, regionFunc, REGION_IMPORTS, REGION_TYPE } from './region.js';
import { ENTRY_NONE, ENTRY_PENDING } from './cache.js';

/** Runs the region in function-table slot `slot`: (slot, budget, data-TLB context) -> next pc. */
export type Dispatch = (slot: number, budget: number, dctx: number) => number;

/** Would the interpreter's service point act now? (It runs after every slow-path access.) */
function serviceDue(h: Hart): boolean {
  return h.exitRequested || h.stopped || pendingInterrupt(h) >= 0;
}

interface HartLinks {
  imports: WebAssembly.Imports;
  dispatch: Dispatch;
}

const linksByHart = new WeakMap<Hart, HartLinks>();

/** The slow paths translated code calls: status 0 = trapped (recorded in the hart), 1 = done,
 *  2 = done, but leave for the service point (region.ts EXIT_SERVICE). And the dispatcher. */
function linksFor(h: Hart): HartLinks {
  let links = linksByHart.get(h);
  if (links !== undefined) return links;
  const s32 = new Int32Array(h.ram.memory.buffer, h.stateAt + HS_TMP, 2);
  const jit = h.jit;
  const imports: WebAssembly.Imports = {
    e: {
      mem: h.ram.memory,
      tab: jit.table,
      ld: (lo: number, hi: number, size: number): number => {
        if (!loadSlow(h, lo, hi, size)) return 0;
        s32[0] = h.tmpLo;
        s32[1] = h.tmpHi;
        return serviceDue(h) ? 2 : 1;
      },
      st: (lo: number, hi: number, size: number, vlo: number, vhi: number): number => {
        if (!storeSlow(h, lo, hi, size, vlo, vhi)) return 0;
        if (jit.codeDropped) {
          jit.codeDropped = false;
          return 2;
        }
        return serviceDue(h) ? 2 : 1;
      },
    },
  };
  const body = new Bytes();
  for (const l of [1, 2, 0]) {
    body.byte(OP.localGet);
    body.u32(l);
  }
  body.byte(OP.callIndirect);
  body.u32(0); // REGION_TYPE, the first type
  body.u32(0); // table 0
  const dispatcher: DefinedFunc = { type: { params: [I32, I32, I32], results: [F64] }, locals: [], body: body.view().slice(), export: 'run' };
  const wasm = encodeModule([], [dispatcher], [], [REGION_TYPE]);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm), { e: { mem: h.ram.memory, tab: jit.table } });
  links = { imports, dispatch: instance.exports.run as Dispatch };
  linksByHart.set(h, links);
  return links;
}

/** The dispatcher of hart `h`'s regions. */
export function dispatcherFor(h: Hart): Dispatch {
  return linksFor(h).dispatch;
}

/** Translate every queued entry point of `h` that is still wanted, as one module. */
export function translatePending(h: Hart): void {
  const jit = h.jit;
  const t0 = performance.now();
  const view = h.ram.view;
  const funcs = mulHelpers();
  const elements: { slot: number; func: number }[] = [];
  const done: { i: number; slot: number; pageRo: number; lo: number; hi: number }[] = [];
  let insns = 0;
  for (let k = 0; k < jit.pendingRo.length; k++) {
    const ro = jit.pendingRo[k]!;
    const pc = jit.pendingPc[k]!;
    const i = jit.find(ro, pc, jit.pendingHome[k]!);
    if (i < 0 || jit.entry[i] !== ENTRY_PENDING) continue; // dropped meanwhile (code changed)
    const po = ro & 0xfff;
    const pageRo = ro - po;
    const plan = planRegion(view, pageRo, po);
    if (plan === null) {
      jit.entry[i] = ENTRY_NONE;
      continue;
    }
    const slot = jit.allocSlot();
    elements.push({ slot, func: funcs.length });
    funcs.push(regionFunc(plan, pc - po, h.stateAt));
    done.push({ i, slot, pageRo, lo: plan.lo, hi: plan.hi });
    insns += plan.insns;
  }
  jit.pendingRo.length = jit.pendingPc.length = jit.pendingHome.length = 0;
  if (done.length === 0) return;
  const wasm = encodeModule(REGION_IMPORTS, funcs, elements);
  new WebAssembly.Instance(new WebAssembly.Module(wasm), linksFor(h).imports);
  for (const d of done) {
    jit.entry[d.i] = d.slot;
    jit.bytes[d.i] = h.ram.bytes.slice(d.pageRo + d.lo, d.pageRo + d.hi);
    jit.bytesAt[d.i] = d.pageRo + d.lo;
    jit.checked[d.i] = jit.epoch;
    h.domain.markCode(d.pageRo);
  }
  const stats = jit.stats;
  stats.batches++;
  stats.regions += done.length;
  stats.regionInsns += insns;
  stats.compileMs += performance.now() - t0;
}
