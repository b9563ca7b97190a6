// Region translation: the basic blocks reachable inside one guest page from the hot entry points
// queued together for it become one WebAssembly page function (V8 compiles it to machine code at
// once with Liftoff and tiers it up in the background), so code two entry points share is
// translated once. Each entry point's region is the page function called at the entry's block
// (entryBlock). Branches and loops inside the page stay inside the page function:
// a `loop` around a `br_table` dispatches between the blocks. Registers live in i64 locals, loaded
// where a block first reads them and stored before control leaves the block (registerFlow); a
// block that loops onto itself keeps them across its turns. Loads and stores inline the data-TLB hit path (tlb.ts stores each tag as one i64 for
// this); on a miss (MMIO, a fault, a page-crossing access) the region leaves that instruction to
// the interpreter, so the hit path holds no call (missExit).
//
// A region leaves by returning the pc to continue at (an i64; the dispatcher hands it to the
// interpreter as a double) with the reason in the hart's state block (hart-state.ts HS_EXIT_CODE)
// and the number of instructions it completed (HS_EXIT_DONE):
//   EXIT_JUMP       control left the region (or the budget ran out at a budget check: budgetChecks);
//   EXIT_TRAP       the instruction at pc trapped (cause and tval recorded in the hart); not counted;
//   EXIT_SERVICE    a call-out may have raised an interrupt, asked to stop, changed the data
//                   context or written to translated code: the interpreter's service point must
//                   run before anything else;
//   EXIT_INTERPRET  the instruction at pc is one this translator leaves to the interpreter, or an
//                   access that missed the data TLB.
// Only instructions that cannot change privilege, translation or interrupt state are translated:
// RV64I except SYSTEM and FENCE.I, M, the AMOs and the F/D loads and stores inline (the F registers
// and mstatus live in the hart's state block); LR/SC, F/D arithmetic and some CSR instructions by
// calling the interpreter's own handlers (translate.ts interpretOne) with the registers they name
// synced through memory. Everything else exits to the interpreter for one instruction, so a
// region never has to re-check what the interpreter's service point checks.
//
// This file is long and flat: it is the translator's inner loop, run for every page translated.

import type { Hart } from '../hart.js';
import { expanded } from '../compressed.js';
import { decode, type Alu, type AluOp, type Cond, type InstructionSpec } from '../isa.js';
import { HS_EXIT_CODE, HS_EXIT_DONE, HS_F, HS_MSTATUS, HS_TLB, HS_X } from '../hart-state.js';
import { MSTATUS_FS } from '../csr-numbers.js';
import { TLB_FETCH_OFF, TLB_FETCH_TAG, TLB_LOAD_OFF, TLB_LOAD_TAG, TLB_MASK, TLB_STORE_OFF, TLB_STORE_TAG } from '../mmu/tlb.js';
import { Bytes, I32, I64, OP, VOID, type DefinedFunc, type FuncType, type ImportedFunc } from './wasm-module.js';

export const EXIT_JUMP = 0;
export const EXIT_TRAP = 1;
export const EXIT_SERVICE = 2;
export const EXIT_INTERPRET = 3;

/** Instructions one region may hold (bounds the time between budget checks and the module size). */
export const MAX_REGION_INSNS = 384;

// A page function is (instructions it may run at most, data-TLB context, entry block, fetch-TLB
// context) -> pc to continue at; the region of an entry point is its page function called at the entry's block
// (cache.ts entryValue). It stops before a block that would overrun the budget; having run nothing,
// it returns its entry.

/** Imports every region module takes, besides the memory (see runtime.ts). */
export const REGION_IMPORTS: ImportedFunc[] = [{ module: 'e', name: 'ex', type: { params: [I32], results: [I32] } }];
const FN_EX = 0;
const FN_MULHU = 1;
const FN_MULH = 2;
const FN_MULHSU = 3;

/** What a call-out (ex) returns. */
export const CALL_TRAP = 0; // trapped, cause and tval recorded in the hart
export const CALL_OK = 1;
export const CALL_SERVICE = 2; // done, but leave for the interpreter's service point
export const CALL_INTERPRET = 3; // (ex only) nothing done: the interpreter must run it
export const REGION_TYPE: FuncType = { params: [I32, I32, I32, I32], results: [I64] };

// Instruction kinds the discovery pass cares about.
const K_NONE = 0; // not translated: the interpreter runs it
const K_PLAIN = 1; // falls through
const K_CALL = 5; // falls through, run by the interpreter's handler called from the region (ex)
const K_BRANCH = 2;
const K_JAL = 3;
const K_JALR = 4;

/**
 * CSRs a region may read and write through the interpreter's handler (translate.ts interpretOne):
 * the supervisor trap-handling CSRs the kernel touches on every interrupt-flag save and restore,
 * the floating-point CSRs and `time`. Not satp (translation), not cycle/instret (a region counts
 * its instructions into the hart only when it leaves), not the machine-level CSRs.
 */
const CALLED_CSRS = new Set([0x001, 0x002, 0x003, 0x100, 0x104, 0x105, 0x140, 0x141, 0x142, 0x143, 0x144, 0xc01]);

/** How the translator treats the 32-bit (expanded) instruction `insn`: from the instruction table
 *  (isa.ts), whose entries say which instructions a region runs inline, which it calls the
 *  interpreter's handler for, which end a block, and which it leaves to the interpreter. */
function kindOf(insn: number, spec: InstructionSpec | null): number {
  if (spec === null) return K_NONE; // illegal: the interpreter raises the trap
  switch (spec.translation) {
    case 'interpret':
      return K_NONE;
    case 'call':
      return K_CALL;
    case 'csr':
      return CALLED_CSRS.has(insn >>> 20) ? K_CALL : K_NONE;
  }
  switch (spec.flow) {
    case 'branch':
      return K_BRANCH;
    case 'jal':
      return K_JAL;
    case 'jalr':
      return K_JALR;
    default:
      return K_PLAIN;
  }
}

function branchImm(insn: number): number {
  return ((insn >> 31) << 12) | ((insn & 0x80) << 4) | ((insn >>> 20) & 0x7e0) | ((insn >>> 7) & 0x1e);
}

function jalImm(insn: number): number {
  return ((insn >> 31) << 20) | (insn & 0xff000) | ((insn >>> 9) & 0x800) | ((insn >>> 20) & 0x7fe);
}

/** One decoded instruction of a region: page offset, 32-bit form, length in bytes, kind. */
interface Insn {
  off: number;
  insn: number;
  len: number;
  kind: number;
  /** Its instruction table entry (isa.ts); null for an illegal encoding. */
  spec: InstructionSpec | null;
  /** The virtual address of its page when that is not the region's (an inlined callee's). */
  va?: number;
  /** For a `jal ra` to another page whose callee the region runs inline (inlineCallee). */
  callee?: Callee;
}

/**
 * A leaf function on another page that a region runs inline at its call (`jal ra`): straight-line
 * code that does not write ra, ending in `ret`. Calls and returns across pages made most of the
 * transitions between regions (busybox's sha256 calls a 14-instruction byte swap for every word).
 * The region checks at run time, before running it, that the callee's page is still what the fetch
 * TLB maps its address to under the current fetch context, and its bytes count as the region's
 * (translate.ts: a store to them drops the region, a re-check compares them).
 */
export interface Callee {
  /** Virtual address and RAM offset of its page. */
  pageVa: number;
  pageRo: number;
  /** Its instructions, the `ret` last (which runs as a jump to the call's continuation). */
  insns: Insn[];
  /** Page offsets [lo, hi) of its bytes. */
  lo: number;
  hi: number;
}

/** Instructions a callee may have to be inlined, its `ret` included. */
const MAX_CALLEE_INSNS = 24;
/** `jalr x0, 0(x1)`: ret. */
const RET = 0x00008067;

/** Where a page's code is in RAM: the RAM offset of the page at virtual address `pageVa` as the
 *  fetch TLB maps it now, or -1 (translate.ts). */
export type PageResolver = (pageVa: number) => number;

/** The callee at virtual address `target` if a region may run it inline (see Callee), else null. */
function inlineCallee(view: DataView, resolve: PageResolver, target: number): Callee | null {
  const po = ((target % 4096) + 4096) % 4096;
  const pageVa = target - po;
  const pageRo = resolve(pageVa);
  if (pageRo < 0) return null;
  const insns: Insn[] = [];
  for (let off = po; insns.length < MAX_CALLEE_INSNS; ) {
    const d = decodeAt(view, pageRo, off);
    if (d === null) return null;
    d.va = pageVa;
    insns.push(d);
    if (d.insn === RET) return { pageVa, pageRo, insns, lo: po, hi: off + d.len };
    if (d.kind !== K_PLAIN || (writesOf(d) & 2) !== 0) return null;
    off += d.len;
  }
  return null;
}

/** Page offset where control goes after block `bl`'s last instruction (a jal's target, or the
 *  continuation of an inlined call), for the analyses that follow jal. */
function jalTarget(bl: Block): number {
  const last = bl.insns[bl.insns.length - 1]!;
  return last.callee !== undefined ? bl.end : bl.end - last.len + jalImm(last.insn);
}

/** The callees a plan's regions run inline (translate.ts tracks their bytes). */
export function calleeCode(plan: RegionPlan): Callee[] {
  const out: Callee[] = [];
  for (const bl of plan.blocks) {
    const callee = bl.insns[bl.insns.length - 1]!.callee;
    if (callee !== undefined) out.push(callee);
  }
  return out;
}

/** A block's instructions with an inlined callee's after its call. */
function blockInsns(bl: Block): Insn[] {
  const callee = bl.insns[bl.insns.length - 1]!.callee;
  return callee === undefined ? bl.insns : [...bl.insns, ...callee.insns];
}

interface Block {
  start: number;
  insns: Insn[];
  /** Offset after the last instruction. */
  end: number;
  /** The walk stopped at `end` for its instruction budget (MAX_REGION_INSNS), not at an instruction
   *  the translator leaves to the interpreter: leaving there is a plain jump. */
  cut: boolean;
}

/** What a region is made of, before code generation. */
export interface RegionPlan {
  blocks: Block[];
  /** Page offsets of the entry points it was planned from that it translates (block starts all). */
  entries: number[];
  /** Page offsets [lo, hi) of the bytes the region was made from. */
  lo: number;
  hi: number;
  insns: number;
}

/** Decode the instruction at page offset `off` of the page at RAM offset `pageRo`; null when it
 *  does not fit in the page. */
function decodeAt(view: DataView, pageRo: number, off: number): Insn | null {
  if (off + 2 > 4096) return null;
  const half = view.getUint16(pageRo + off, true);
  if ((half & 3) !== 3) {
    const insn = expanded(half);
    const spec = decode(insn);
    return { off, insn, len: 2, kind: kindOf(insn, spec), spec };
  }
  if (off + 4 > 4096) return null;
  const insn = view.getInt32(pageRo + off, true);
  const spec = decode(insn);
  return { off, insn, len: 4, kind: kindOf(insn, spec), spec };
}

/**
 * Find the blocks reachable without leaving the page from the page offsets `entries` (each walk
 * decodes at most MAX_REGION_INSNS new instructions). Null when no entry instruction is translated.
 */
export function planRegion(view: DataView, pageRo: number, entries: number[], pageVa = 0, resolve?: PageResolver): RegionPlan | null {
  const decoded = new Map<number, Insn>();
  const leaders = new Set<number>();
  const work: number[] = [];
  let count = 0;
  const target = (t: number): void => {
    if (t < 0 || t >= 4096 || leaders.has(t)) return;
    leaders.add(t);
    work.push(t);
  };
  for (const entry of entries) {
    leaders.add(entry);
    if (decoded.has(entry)) continue;
    work.push(entry);
    const limit = count + MAX_REGION_INSNS;
    while (work.length > 0 && count < limit) {
      let off = work.pop()!;
      while (!decoded.has(off) && count < limit) {
        const d = decodeAt(view, pageRo, off);
        if (d === null || d.kind === K_NONE) break;
        decoded.set(off, d);
        count++;
        if (d.kind === K_BRANCH) {
          target(off + branchImm(d.insn));
          target(off + d.len);
          break;
        }
        if (d.kind === K_JAL) {
          const t = off + jalImm(d.insn);
          const callee = ((d.insn >>> 7) & 31) === 1 && (t < 0 || t >= 4096) && resolve ? inlineCallee(view, resolve, pageVa + t) : null;
          if (callee !== null) {
            d.callee = callee;
            target(off + d.len);
          } else {
            target(t);
          }
          break;
        }
        if (d.kind === K_JALR) break;
        off += d.len;
        if (decoded.has(off)) leaders.add(off); // joins code already walked: a block starts there
      }
    }
    work.length = 0; // what this entry's walk left undecoded stays so
  }
  const translated = entries.filter((e) => decoded.has(e));
  if (translated.length === 0) return null;
  const starts = [...leaders].filter((l) => decoded.has(l)).sort((a, b) => a - b);
  const isStart = new Set(starts);
  const blocks: Block[] = [];
  let lo = 4096;
  let hi = 0;
  for (const start of starts) {
    const insns: Insn[] = [];
    let off = start;
    let cut = false;
    for (;;) {
      const d = decoded.get(off);
      if (d === undefined) {
        cut = (decodeAt(view, pageRo, off)?.kind ?? K_NONE) !== K_NONE;
        break;
      }
      insns.push(d);
      off += d.len;
      if ((d.kind !== K_PLAIN && d.kind !== K_CALL) || isStart.has(off)) break;
    }
    lo = Math.min(lo, start);
    hi = Math.max(hi, off);
    blocks.push({ start, insns, end: off, cut });
  }
  return { blocks, entries: translated, lo, hi, insns: count };
}

/**
 * A plan's blocks split into the groups control can move between inside the page (connected by
 * fall-through, branches and jal), one plan each: a page often holds several functions, and a page
 * function loads on entry every register its blocks read and writes back on exit every register
 * they write, so a function per group moves only what that group uses.
 */
export function splitPlan(plan: RegionPlan): RegionPlan[] {
  const { blocks } = plan;
  const index = new Map(blocks.map((bl, i) => [bl.start, i]));
  const parent = blocks.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const join = (i: number, off: number): void => {
    const j = index.get(off);
    if (j !== undefined) parent[root(i)] = root(j);
  };
  blocks.forEach((bl, i) => {
    const last = bl.insns[bl.insns.length - 1]!;
    const at = bl.end - last.len;
    if (last.kind === K_PLAIN || last.kind === K_CALL) join(i, bl.end);
    else if (last.kind === K_BRANCH) {
      join(i, bl.end);
      join(i, at + branchImm(last.insn));
    } else if (last.kind === K_JAL) join(i, jalTarget(bl));
  });
  const groups = new Map<number, Block[]>();
  blocks.forEach((bl, i) => {
    const r = root(i);
    const g = groups.get(r);
    if (g) g.push(bl);
    else groups.set(r, [bl]);
  });
  if (groups.size === 1) return [plan];
  const out: RegionPlan[] = [];
  for (const group of groups.values()) {
    const starts = new Set(group.map((bl) => bl.start));
    const entries = plan.entries.filter((e) => starts.has(e));
    if (entries.length === 0) continue; // every block was reached from an entry: not expected
    out.push({
      blocks: group,
      entries,
      lo: Math.min(...group.map((bl) => bl.start)),
      hi: Math.max(...group.map((bl) => bl.end)),
      insns: group.reduce((n, bl) => n + bl.insns.length, 0),
    });
  }
  return out;
}

// A page function's locals: its three parameters, scratch, then the guest registers it uses. (They
// were all parameters once, to spare Liftoff's zero-fill of declared locals, when the entry
// function loaded every register; passing zeros as arguments costs about what the fill does.)
const L_BUDGET = 0;
const L_DCTX = 1;
const L_NEXT = 2; // block to dispatch to: the entry's block
const L_FCTX = 3; // the fetch-TLB context (for inlined callees' pages)
const L_N = 4; // instructions completed so far (blocks add their length on entry)
const L_PO = 5; // page offset of the access
const L_TI = 6; // TLB index * 8
const L_ST = 7; // slow-path status
const L_LO = 8; // low word of the address
const L_EPC = 9; // i64: the pc to return
const L_DCTX64 = 10; // the data-TLB context as i64
const L_A = 11; // the address
const L_T = 12; // scratch
const L_REGS = 13; // the guest registers the function uses, in ascending order (RegionEmitter.regs)
const SCRATCH_LOCALS: [number, number][] = [
  [L_EPC - L_N, I32],
  [L_REGS - L_EPC, I64],
];

const MIN64 = -9223372036854775808;

/** The ALU operations that are one wasm instruction on i64 (isa.ts AluOp). */
const ALU64: Partial<Record<AluOp, number>> = {
  add: OP.i64Add, sub: OP.i64Sub, sll: OP.i64Shl, slt: OP.i64LtS, sltu: OP.i64LtU, xor: OP.i64Xor,
  srl: OP.i64ShrU, sra: OP.i64ShrS, or: OP.i64Or, and: OP.i64And, mul: OP.i64Mul,
};
/** ... and on i32, for the W forms. */
const ALU32: Partial<Record<AluOp, number>> = {
  add: OP.i32Add, sub: OP.i32Sub, sll: OP.i32Shl, srl: OP.i32ShrU, sra: OP.i32ShrS, mul: OP.i32Mul,
};
/** One operand width's wasm opcodes, for the operations emitted the same way at both. */
interface Width {
  ops: Partial<Record<AluOp, number>>;
  eqz: number;
  eq: number;
  divS: number;
  divU: number;
  remS: number;
  remU: number;
  min: number;
}
const WIDE: Width = { ops: ALU64, eqz: OP.i64Eqz, eq: OP.i64Eq, divS: OP.i64DivS, divU: OP.i64DivU, remS: OP.i64RemS, remU: OP.i64RemU, min: MIN64 };
const WORD: Width = { ops: ALU32, eqz: OP.i32Eqz, eq: OP.i32Eq, divS: OP.i32DivS, divU: OP.i32DivU, remS: OP.i32RemS, remU: OP.i32RemU, min: -0x80000000 };
/** The wasm loads and stores by access size in bytes (isa.ts bytes, load). */
const LOAD_SIGNED: Record<number, number> = { 1: OP.i64Load8s, 2: OP.i64Load16s, 4: OP.i64Load32s };
const LOAD_UNSIGNED: Record<number, number> = { 1: OP.i64Load8u, 2: OP.i64Load16u, 4: OP.i64Load32u };
const STORE: Record<number, number> = { 1: OP.i64Store8, 2: OP.i64Store16, 4: OP.i64Store32, 8: OP.i64Store };
/** The i64 compare that takes each conditional branch (isa.ts Cond). */
const BRANCH_COMPARE: Record<Cond, number> = { eq: OP.i64Eq, ne: OP.i64Ne, lt: OP.i64LtS, ge: OP.i64GeS, ltu: OP.i64LtU, geu: OP.i64GeU };

// The page function's outer structure (emit), as br levels counted from the outside.
const LEVEL_EXIT = 0;
const LEVEL_STATUS = 1;
const LEVEL_DISPATCH = 2;
/** Block k's label ($Bk, whose end is where block k's code starts) is at LEVEL_BLOCKS + m - 1 - k
 *  for a plan of m blocks. */
const LEVEL_BLOCKS = 3;

/** Emits the body of one region function. */
class RegionEmitter {
  readonly b = new Bytes();
  /** Open blocks/loops/ifs; labels are addressed relative to it. */
  private depth = 0;
  private block = 0;
  /** Bit r set: x_r's local holds x_r's value here (registerFlow: on entry to a block, what every
   *  way into it leaves valid; then each instruction loads what it reads). */
  private valid = 0;
  /** Bit r set: x_r's local holds a value the hart's register file does not have yet; stored
   *  before control leaves the block or the function. */
  private dirty = 0;
  private readonly flow: RegisterFlow;
  private blockLen = 0;
  /** Nesting level of the current block's own loop label, or -1 when it has none (see emit). */
  private blockLoop = -1;
  /** Local of each guest register (0 = not used), from `regs`. */
  private readonly localOf = new Int32Array(32);

  constructor(
    private readonly plan: RegionPlan,
    /** Virtual address of the page (a double holding the signed 64-bit value). */
    private readonly pageVa: number,
    private readonly stateAt: number,
    /** The guest registers the code may use (ascending): each gets a local in this order. */
    readonly regs: number[],
  ) {
    regs.forEach((r, i) => (this.localOf[r] = L_REGS + i));
    this.flow = registerFlow(plan);
  }

  private op(o: number): void {
    this.b.byte(o);
  }

  private i32(v: number): void {
    this.b.byte(OP.i32Const);
    this.b.sleb(v | 0);
  }

  private i64(v: number): void {
    this.b.byte(OP.i64Const);
    this.b.sleb(v);
  }

  private get(l: number): void {
    this.b.byte(OP.localGet);
    this.b.u32(l);
  }

  private set(l: number): void {
    this.b.byte(OP.localSet);
    this.b.u32(l);
  }

  private tee(l: number): void {
    this.b.byte(OP.localTee);
    this.b.u32(l);
  }

  /** A memory access with byte alignment and a constant offset. */
  private mem(o: number, offset: number): void {
    this.b.byte(o);
    this.b.u32(0);
    this.b.u32(offset);
  }

  private open(o: number, type: number): void {
    this.b.byte(o);
    this.b.byte(type);
    this.depth++;
  }

  private close(): void {
    this.b.byte(OP.end);
    this.depth--;
  }

  /** Branch to the label opened at nesting level `level` (0 = the exit block, 1 = the dispatch loop). */
  private br(level: number): void {
    this.b.byte(OP.br);
    this.b.u32(this.depth - 1 - level);
  }

  private x(r: number): void {
    if (r === 0) {
      this.i64(0);
    } else {
      if ((this.valid & (1 << r)) === 0) throw new Error(`translator: x${r} read before it was loaded`);
      this.get(this.local(r));
    }
  }

  /** x_r's local (registersOf lists every register an instruction names; anything else is a bug
   *  that would otherwise read another local). */
  private local(r: number): number {
    const l = this.localOf[r]!;
    if (l === 0) throw new Error(`translator: x${r} has no local in this region`);
    return l;
  }

  /** Load into their locals the registers in `mask` not valid yet (at the block's top level, so
   *  the load dominates every later use in the block). */
  private load64(mask: number): void {
    for (let r = 1; r < 32; r++) {
      if ((mask & (1 << r)) === 0 || (this.valid & (1 << r)) !== 0) continue;
      this.i32(0);
      this.mem(OP.i64Load, this.stateAt + HS_X + 8 * r);
      this.set(this.local(r));
      this.valid |= 1 << r;
    }
  }

  /** Store the dirty registers into the hart's register file (not clearing `dirty`: called on
   *  each way out, and the code after an exit's `if` continues with the same locals). */
  private storeDirty(): void {
    for (let r = 1; r < 32; r++) {
      if ((this.dirty & (1 << r)) === 0) continue;
      this.i32(0);
      this.get(this.local(r));
      this.mem(OP.i64Store, this.stateAt + HS_X + 8 * r);
    }
  }

  /** Pop the value on the stack into x_r (dropped for x0). */
  private setX(r: number): void {
    if (r === 0) {
      this.op(OP.drop);
    } else {
      this.set(this.local(r));
      this.valid |= 1 << r;
      this.dirty |= 1 << r;
    }
  }

  /** x_r's low word as i32. */
  private x32(r: number): void {
    this.x(r);
    this.op(OP.i32WrapI64);
  }

  /** Leave the region: `pc` (a number, or null when L_EPC is already set), reason, and how many
   *  instructions of the current block did not complete. */
  private exit(code: number, pc: number | null, notDone: number): void {
    if (notDone !== 0) {
      this.get(L_N);
      this.i32(notDone);
      this.op(OP.i32Sub);
      this.set(L_N);
    }
    if (pc !== null) {
      this.i64(pc);
      this.set(L_EPC);
    }
    if (code !== EXIT_JUMP) {
      this.i32(0);
      this.i32(code);
      this.mem(OP.i32Store, this.stateAt + HS_EXIT_CODE);
    }
    this.storeDirty();
    this.br(LEVEL_EXIT);
  }

  /** Continue at page offset `t`: inside the region (forward by a branch out to its block, back
   *  through the dispatch loop), else leave. */
  private goto(t: number, canFall = false): void {
    const j = this.plan.blocks.findIndex((bl) => bl.start === t);
    const pc = this.pageVa + t;
    if (j === this.block && this.blockLoop >= 0) {
      this.br(this.blockLoop); // a loop onto itself: straight back to its head, no dispatch
      return; // (its locals stay valid, and what is dirty stays so: see emit)
    }
    if (j < 0) {
      this.exit(EXIT_JUMP, pc, 0);
      return;
    }
    this.storeDirty();
    if (j === this.block + 1 && canFall) {
      return; // falls into the next block
    }
    if (j > this.block) {
      // Forward: out of the blocks around this code to the end of $Bj, where block j's code starts.
      // No dispatch, and no loop header, where V8's baseline compiler spills every local.
      this.br(LEVEL_BLOCKS + this.plan.blocks.length - 1 - j);
      return;
    }
    this.i32(j);
    this.set(L_NEXT);
    this.br(LEVEL_DISPATCH);
  }

  /** Compute rs1 + imm into L_A, its low word into L_LO, the page offset into L_PO and the TLB
   *  index * 8 into L_TI; leave "the tag matches and the access stays in the page" on the stack. */
  private access(rs1: number, imm: number, size: number, tagAt: number): void {
    this.x(rs1);
    if (imm !== 0) {
      this.i64(imm);
      this.op(OP.i64Add);
    }
    this.tee(L_A);
    this.op(OP.i32WrapI64);
    this.tee(L_LO);
    this.i32(0xfff);
    this.op(OP.i32And);
    this.set(L_PO);
    // TLB index * 8 = ((lo >>> 12) & TLB_MASK) << 3, in two operations
    this.get(L_LO);
    this.i32(9);
    this.op(OP.i32ShrU);
    this.i32(TLB_MASK << 3);
    this.op(OP.i32And);
    this.tee(L_TI);
    this.mem(OP.i64Load, this.stateAt + HS_TLB + tagAt);
    // The tag is compared with the page of the access's last byte: an access that crosses into the
    // next page cannot match, as the next page's entry sits at the next index. One compare for
    // both tests, no flag arithmetic.
    this.get(L_A);
    if (size > 1) {
      this.i64(size - 1);
      this.op(OP.i64Add);
    }
    this.i64(-4096);
    this.op(OP.i64And);
    this.get(L_DCTX64);
    this.op(OP.i64Or);
    this.op(OP.i64Eq);
  }

  /** RAM byte address of the access whose TLB entry matched (entry's page offset + L_PO). */
  private hostAddr(offAt: number): void {
    this.get(L_TI);
    this.i32(1);
    this.op(OP.i32ShrU);
    this.mem(OP.i32Load, this.stateAt + HS_TLB + offAt);
    this.get(L_PO);
    this.op(OP.i32Add);
  }

  /** The address's high word, for the slow paths. */
  private hiWord(): void {
    this.get(L_A);
    this.i64(32);
    this.op(OP.i64ShrU);
    this.op(OP.i32WrapI64);
  }

  /** After a call-out left its CALL_* status in L_ST, with its effects (a loaded register) already
   *  in place: unless CALL_OK, leave through the function's one status exit (emit: $status), with
   *  the instruction's pc, the block's instructions from it on taken back, and its length in L_PO.
   *  One shared exit rather than one per status at each call site keeps memory accesses small,
   *  and V8's compile time goes with a module's size. */
  private statusExit(pc: number, index: number, len: number): void {
    this.get(L_ST);
    this.i32(CALL_OK);
    this.op(OP.i32Ne);
    this.open(OP.if, VOID);
    this.i64(pc);
    this.set(L_EPC);
    this.get(L_N);
    this.i32(this.blockLen - index);
    this.op(OP.i32Sub);
    this.set(L_N);
    this.i32(len);
    this.set(L_PO);
    this.storeDirty();
    this.br(LEVEL_STATUS);
    this.close();
  }

  /** The status exit's code, reached with L_EPC, L_N and L_PO as statusExit left them: a trap or an
   *  instruction for the interpreter leave at the instruction, nothing of it done; CALL_SERVICE
   *  leaves after it, done. */
  private statusEpilogue(): void {
    this.get(L_ST);
    this.i32(CALL_SERVICE);
    this.op(OP.i32Eq);
    this.open(OP.if, VOID);
    this.get(L_EPC);
    this.get(L_PO);
    this.op(OP.i64ExtendI32u);
    this.op(OP.i64Add);
    this.set(L_EPC);
    this.get(L_N);
    this.i32(1);
    this.op(OP.i32Add);
    this.set(L_N);
    this.i32(0);
    this.i32(EXIT_SERVICE);
    this.mem(OP.i32Store, this.stateAt + HS_EXIT_CODE);
    this.b.byte(OP.else);
    this.i32(0);
    this.i32(EXIT_INTERPRET);
    this.i32(EXIT_TRAP);
    this.get(L_ST);
    this.i32(CALL_INTERPRET);
    this.op(OP.i32Eq);
    this.op(OP.select);
    this.mem(OP.i32Store, this.stateAt + HS_EXIT_CODE);
    this.close();
  }

  /** Leave the region unless the data-TLB test `access` left on the stack passed: the instruction
   *  at `pc` goes to the interpreter (nothing of it done), whose slow path handles the miss, MMIO,
   *  a page-crossing access or a fault, and whatever that access asks for (an interrupt, a store
   *  into translated code). An exit rather than a call into JavaScript keeps the hit path free of
   *  calls and merges, so V8 keeps the guest registers' locals in machine registers across it;
   *  misses are rare (the profile counts them: "loads and stores off the inline TLB path"). */
  private missExit(pc: number, index: number): void {
    this.op(OP.i32Eqz);
    this.open(OP.if, VOID);
    this.exit(EXIT_INTERPRET, pc, this.blockLen - index);
    this.close();
  }

  /** An integer load of the width and extension the instruction table gives (isa.ts bytes, load;
   *  the interpreter's LOAD case comes from the same entries, interpreter-codegen.ts). */
  private load(d: Insn, pc: number, index: number): void {
    const insn = d.insn;
    const size = d.spec!.bytes;
    const signed = d.spec!.load === 'sign';
    this.access((insn >>> 15) & 31, insn >> 20, size, TLB_LOAD_TAG);
    this.missExit(pc, index);
    this.hostAddr(TLB_LOAD_OFF);
    this.mem(size === 8 ? OP.i64Load : (signed ? LOAD_SIGNED : LOAD_UNSIGNED)[size]!, 0);
    this.setX((insn >>> 7) & 31);
  }

  /** An integer store of the width the instruction table gives (isa.ts bytes). */
  private store(d: Insn, pc: number, index: number): void {
    const insn = d.insn;
    const size = d.spec!.bytes;
    const imm = ((insn >> 25) << 5) | ((insn >>> 7) & 0x1f);
    this.access((insn >>> 15) & 31, imm, size, TLB_STORE_TAG);
    this.missExit(pc, index);
    this.hostAddr(TLB_STORE_OFF);
    this.x((insn >>> 20) & 31);
    this.mem(STORE[size]!, 0);
  }

  /**
   * FLW, FLD, FSW, FSD (spec 11.5, 12.3): raw bits between memory and f[rd] / f[rs2] in the hart's
   * state block (HS_F), FLW NaN-boxing its 32 bits. With mstatus.FS off they are illegal: the
   * region leaves them to the interpreter, which raises the trap. A load marks FS dirty, as the
   * interpreter does. The data-TLB hit path is inline; anything else calls the slow paths.
   */
  private fpAccess(d: Insn, pc: number, index: number): void {
    const insn = d.insn;
    const store = (insn & 0x7f) === 0x27;
    const size = d.spec!.bytes;
    const fAt = this.stateAt + HS_F + 8 * (store ? (insn >>> 20) & 31 : (insn >>> 7) & 31);
    this.i32(0);
    this.mem(OP.i32Load, this.stateAt + HS_MSTATUS);
    this.i32(MSTATUS_FS);
    this.op(OP.i32And);
    this.op(OP.i32Eqz);
    this.open(OP.if, VOID);
    this.exit(EXIT_INTERPRET, pc, this.blockLen - index);
    this.close();
    const imm = store ? ((insn >> 25) << 5) | ((insn >>> 7) & 0x1f) : insn >> 20;
    this.access((insn >>> 15) & 31, imm, size, store ? TLB_STORE_TAG : TLB_LOAD_TAG);
    this.missExit(pc, index);
    if (store) {
      this.hostAddr(TLB_STORE_OFF);
      this.i32(0);
      this.mem(size === 8 ? OP.i64Load : OP.i32Load, fAt);
      this.mem(size === 8 ? OP.i64Store : OP.i32Store, 0);
    } else {
      this.i32(0);
      this.hostAddr(TLB_LOAD_OFF);
      this.mem(size === 8 ? OP.i64Load : OP.i64Load32u, 0);
      if (size === 4) this.nanBox();
      this.mem(OP.i64Store, fAt);
      this.markFsDirty();
    }
  }

  /**
   * An AMO other than LR/SC (spec 8.4): on a data-TLB store hit at an aligned address, the read,
   * the operation and the write inline, rd = the old value (sign-extended for .W). A store-TLB entry
   * means RAM, writable, and no other hart's reservation or translated code in the page
   * (domain.ts storeCacheable), so nothing else has to see the store. Anything else (a miss,
   * misalignment, MMIO) leaves the region for the interpreter (amo.ts), which traps as the spec says.
   */
  private amo(d: Insn, pc: number, index: number): void {
    const insn = d.insn;
    const size = d.spec!.bytes;
    const f5 = insn >>> 27;
    const rd = (insn >>> 7) & 31;
    const rs2 = (insn >>> 20) & 31;
    this.access((insn >>> 15) & 31, 0, size, TLB_STORE_TAG);
    this.get(L_LO);
    this.i32(size - 1);
    this.op(OP.i32And);
    this.op(OP.i32Eqz);
    this.op(OP.i32And);
    this.missExit(pc, index);
    this.hostAddr(TLB_STORE_OFF);
    this.set(L_PO);
    this.get(L_PO);
    this.mem(size === 8 ? OP.i64Load : OP.i64Load32s, 0);
    this.set(L_A);
    this.get(L_PO);
    const wide = size === 8;
    const a = (): void => {
      this.get(L_A);
      if (!wide) this.op(OP.i32WrapI64);
    };
    const b = (): void => (wide ? this.x(rs2) : this.x32(rs2));
    const pick = (less: number): void => {
      a();
      b();
      a();
      b();
      this.op(less);
      this.op(OP.select);
    };
    switch (f5) {
      case 0x01: // AMOSWAP
        b();
        break;
      case 0x00: // AMOADD
        a();
        b();
        this.op(wide ? OP.i64Add : OP.i32Add);
        break;
      case 0x04: // AMOXOR
        a();
        b();
        this.op(wide ? OP.i64Xor : OP.i32Xor);
        break;
      case 0x0c: // AMOAND
        a();
        b();
        this.op(wide ? OP.i64And : OP.i32And);
        break;
      case 0x08: // AMOOR
        a();
        b();
        this.op(wide ? OP.i64Or : OP.i32Or);
        break;
      case 0x10: // AMOMIN: a when a < b
        pick(wide ? OP.i64LtS : OP.i32LtS);
        break;
      case 0x14: // AMOMAX
        pick(wide ? OP.i64GtS : OP.i32GtS);
        break;
      case 0x18: // AMOMINU
        pick(wide ? OP.i64LtU : OP.i32LtU);
        break;
      default: // AMOMAXU
        pick(wide ? OP.i64GtU : OP.i32GtU);
    }
    this.mem(wide ? OP.i64Store : OP.i32Store, 0);
    if (rd !== 0) {
      this.get(L_A);
      this.setX(rd);
    }
  }

  /** mstatus.FS = Dirty (an FP register was written). */
  private markFsDirty(): void {
    this.i32(0);
    this.i32(0);
    this.mem(OP.i32Load, this.stateAt + HS_MSTATUS);
    this.i32(MSTATUS_FS);
    this.op(OP.i32Or);
    this.mem(OP.i32Store, this.stateAt + HS_MSTATUS);
  }

  /** The i64 on the stack (32 bits, zero-extended) with its upper half all ones: a NaN-boxed single. */
  private nanBox(): void {
    this.i64(-4294967296);
    this.op(OP.i64Or);
  }

  /** `if (cond on stack) then a else b` with an i64 result, where a/b emit their value. */
  private select64(a: () => void, b: () => void): void {
    this.open(OP.if, I64);
    a();
    this.b.byte(OP.else);
    b();
    this.close();
  }

  private select32(a: () => void, b: () => void): void {
    this.open(OP.if, I32);
    a();
    this.b.byte(OP.else);
    b();
    this.close();
  }

  /**
   * An integer ALU instruction, from what the instruction table says it computes (isa.ts Alu; the
   * interpreter's cases come from the same description, interpreter-codegen.ts): the operation on
   * i64 operands, or for the W forms on their low words with the i32 result sign-extended.
   */
  private alu(alu: Alu, insn: number): void {
    const rd = (insn >>> 7) & 31;
    if (rd === 0) return; // hints and nops; no ALU instruction traps, so nothing else happens
    const rs1 = (insn >>> 15) & 31;
    const rs2 = (insn >>> 20) & 31;
    const imm = insn >> 20;
    const shift = alu.op === 'sll' || alu.op === 'srl' || alu.op === 'sra';
    if (alu.word) {
      const b = alu.src2 === 'rs2' ? (): void => this.x32(rs2) : (): void => this.i32(shift ? imm & 31 : imm);
      this.alu32(alu.op, () => this.x32(rs1), b);
      this.op(OP.i64ExtendI32s);
    } else {
      const b = alu.src2 === 'rs2' ? (): void => this.x(rs2) : (): void => this.i64(shift ? imm & 63 : imm);
      this.alu64(alu.op, () => this.x(rs1), b);
    }
    this.setX(rd);
  }

  /** `op` on two i64 operands (wasm's shifts take the amount modulo 64, as RISC-V does). */
  private alu64(op: AluOp, a: () => void, b: () => void): void {
    switch (op) {
      case 'mulh':
      case 'mulhsu':
      case 'mulhu':
        a();
        b();
        this.b.byte(OP.call);
        this.b.u32(op === 'mulh' ? FN_MULH : op === 'mulhsu' ? FN_MULHSU : FN_MULHU);
        return;
      default:
        this.aluOn(WIDE, op, a, b);
        if (op === 'slt' || op === 'sltu') this.op(OP.i64ExtendI32u);
    }
  }

  /** `op` on two i32 operands (the W forms; wasm's shifts take the amount modulo 32, as RISC-V's). */
  private alu32(op: AluOp, a: () => void, b: () => void): void {
    this.aluOn(WORD, op, a, b);
  }

  /**
   * `op` at one width. Division by zero and overflow have defined results in RISC-V (spec 7.2),
   * where wasm's division traps: by zero gives all ones (div, divu) or the dividend (rem, remu),
   * MIN / -1 gives MIN; wasm's rem_s of MIN by -1 is already 0, as RISC-V's.
   */
  private aluOn(w: Width, op: AluOp, a: () => void, b: () => void): void {
    const select = (x: () => void, y: () => void): void => (w === WIDE ? this.select64(x, y) : this.select32(x, y));
    const konst = (v: number): void => (w === WIDE ? this.i64(v) : this.i32(v));
    const binary = (code: number) => (): void => {
      a();
      b();
      this.op(code);
    };
    switch (op) {
      case 'div':
        b();
        this.op(w.eqz);
        select(
          () => konst(-1),
          () => {
            a();
            konst(w.min);
            this.op(w.eq);
            b();
            konst(-1);
            this.op(w.eq);
            this.op(OP.i32And);
            select(a, binary(w.divS));
          },
        );
        return;
      case 'divu':
        b();
        this.op(w.eqz);
        select(() => konst(-1), binary(w.divU));
        return;
      case 'rem':
      case 'remu':
        b();
        this.op(w.eqz);
        select(a, binary(op === 'rem' ? w.remS : w.remU));
        return;
      default: {
        const code = w.ops[op];
        if (code === undefined) throw new Error(`translator: no ${w === WIDE ? 'i64' : 'W'} form of ${op}`);
        binary(code)();
      }
    }
  }

  /** Call the interpreter's handler for `d` (translate.ts interpretOne). The integer registers the
   *  instruction names that are dirty go to memory first, where the others already are (an FP
   *  instruction's fields name FP registers: storing the integer ones of the same numbers is
   *  harmless), and rd comes back after. */
  private callOut(d: Insn, pc: number, index: number): void {
    const insn = d.insn;
    const named = (1 << ((insn >>> 15) & 31)) | (1 << ((insn >>> 20) & 31)) | (1 << ((insn >>> 7) & 31));
    const dirty = this.dirty;
    this.dirty &= named;
    this.storeDirty();
    this.dirty = dirty & ~named;
    this.i32(insn);
    this.b.byte(OP.call);
    this.b.u32(FN_EX);
    this.set(L_ST);
    // The handler wrote rd to the register file only if it ran (CALL_OK, CALL_SERVICE); otherwise
    // the file still holds what it held, so reading it back is right either way, and the file and
    // the local agree after.
    const rd = (insn >>> 7) & 31;
    if (rd !== 0) {
      this.i32(0);
      this.mem(OP.i64Load, this.stateAt + HS_X + 8 * rd);
      this.set(this.local(rd));
      this.valid |= 1 << rd;
    }
    this.statusExit(pc, index, d.len);
  }

  /** One instruction, the `index`th of the current block. */
  private insn(d: Insn, index: number): void {
    const insn = d.insn;
    this.load64(this.flow.reads(d));
    if (this.blockLoop < 0 && (d.kind === K_BRANCH || d.kind === K_JAL || d.kind === K_JALR)) {
      // The block ends here: store what it wrote once, rather than on each way out.
      this.storeDirty();
      this.dirty = 0;
    }
    const pc = (d.va ?? this.pageVa) + d.off;
    if (d.kind === K_CALL) {
      this.callOut(d, pc, index);
      return;
    }
    const alu = d.spec?.alu;
    if (alu) {
      this.alu(alu, insn);
      return;
    }
    const rd = (insn >>> 7) & 31;
    const rs1 = (insn >>> 15) & 31;
    const rs2 = (insn >>> 20) & 31;
    switch (insn & 0x7f) {
      case 0x37:
        if (rd === 0) return;
        this.i64(insn & -4096);
        this.setX(rd);
        return;
      case 0x17:
        if (rd === 0) return;
        this.i64(pc + (insn & -4096));
        this.setX(rd);
        return;
      case 0x03:
        this.load(d, pc, index);
        return;
      case 0x23:
        this.store(d, pc, index);
        return;
      case 0x07:
      case 0x27:
        this.fpAccess(d, pc, index);
        return;
      case 0x2f:
        this.amo(d, pc, index);
        return;
      case 0x0f:
        return;
      case 0x63: {
        this.x(rs1);
        this.x(rs2);
        this.op(BRANCH_COMPARE[d.spec!.branch!]);
        this.open(OP.if, VOID);
        this.goto(d.off + branchImm(insn));
        this.close();
        this.goto(d.off + d.len, true);
        return;
      }
      case 0x6f: {
        if (rd !== 0) {
          this.i64(pc + d.len);
          this.setX(rd);
        }
        if (d.callee !== undefined) {
          this.inlined(d, d.callee, index);
          return;
        }
        this.goto(d.off + jalImm(insn));
        return;
      }
      case 0x67: {
        // JALR: target = (rs1 + imm) & ~1. A target beyond +-2^53 (it can only fault) goes to the
        // interpreter, which keeps such a pc exactly (pc.ts).
        this.x(rs1);
        this.i64(insn >> 20);
        this.op(OP.i64Add);
        this.i64(-2);
        this.op(OP.i64And);
        this.tee(L_T);
        this.i64(2 ** 53);
        this.op(OP.i64Add);
        this.i64(2 ** 54);
        this.op(OP.i64GtU);
        this.open(OP.if, VOID);
        this.exit(EXIT_INTERPRET, pc, this.blockLen - index);
        this.close();
        if (rd !== 0) {
          this.i64(pc + d.len);
          this.setX(rd);
        }
        this.get(L_T);
        this.set(L_EPC);
        this.exit(EXIT_JUMP, null, 0);
        return;
      }
    }
  }

  /**
   * The callee of the call `d` (the `index`th instruction of the block, its link already set), run
   * inline: unless the fetch TLB still maps the callee's page where it was translated from, under
   * the current fetch context, the call leaves to the callee's address as a plain jump; else its
   * instructions run as the block's next ones, and its `ret` continues after the call.
   */
  private inlined(d: Insn, callee: Callee, index: number): void {
    const target = this.pageVa + d.off + jalImm(d.insn);
    const ti = Math.floor(callee.pageVa / 4096) & TLB_MASK;
    this.i32(0);
    this.mem(OP.i64Load, this.stateAt + HS_TLB + TLB_FETCH_TAG + 8 * ti);
    this.i64(callee.pageVa);
    this.get(L_FCTX);
    this.op(OP.i64ExtendI32u);
    this.op(OP.i64Or);
    this.op(OP.i64Ne);
    this.i32(0);
    this.mem(OP.i32Load, this.stateAt + HS_TLB + TLB_FETCH_OFF + 4 * ti);
    this.i32(callee.pageRo);
    this.op(OP.i32Ne);
    this.op(OP.i32Or);
    this.open(OP.if, VOID);
    this.exit(EXIT_JUMP, target, this.blockLen - index - 1);
    this.close();
    callee.insns.forEach((c, j) => {
      if (c.insn !== RET) this.insn(c, index + 1 + j);
    });
    this.goto(d.off + d.len, true);
  }

  /** The function body. */
  emit(): Uint8Array {
    const body = new Bytes();
    const blocks = this.plan.blocks;
    const checks = budgetChecks(this.plan);
    // Structure: block $exit { block $status { loop $dispatch { block $Bm-1 ... block $B0 { br_table }
    // code0 } code1 ... } } statusEpilogue }
    this.open(OP.block, VOID); // LEVEL_EXIT
    this.open(OP.block, VOID); // LEVEL_STATUS
    this.open(OP.loop, VOID); // LEVEL_DISPATCH
    for (let i = blocks.length - 1; i >= 0; i--) this.open(OP.block, VOID);
    this.get(L_NEXT);
    this.b.byte(OP.brTable);
    this.b.u32(blocks.length);
    for (let i = 0; i < blocks.length; i++) this.b.u32(i);
    this.b.u32(0);
    for (let k = 0; k < blocks.length; k++) {
      this.close(); // end of $Bk: block k's code follows
      const bl = blocks[k]!;
      this.block = k;
      this.blockLen = blockInsns(bl).length;
      // A block that branches back to its own start (the inner loops of memcpy, checksums, string
      // scans) sits in its own `loop`, so that branch is a direct `br` rather than a br_table
      // dispatch. Only those: Liftoff spills every register-cached local and checks the stack at
      // each loop header.
      const selfLoop = loopsToItself(bl);
      this.valid = this.flow.validAt[k]!;
      this.dirty = 0;
      // A loop's registers are loaded once, before its head, and stored only on the ways out: on
      // every way out, whatever the block writes may be dirty from the turn before.
      if (selfLoop) this.load64(this.flow.used[k]!);
      this.open(selfLoop ? OP.loop : OP.block, VOID);
      this.blockLoop = selfLoop ? this.depth - 1 : -1;
      if (selfLoop) this.dirty = this.flow.writes[k]!;
      // At a budget check (budgetChecks), leave before the block unless everything that can run
      // until the next check fits the budget: run(budget) never overruns, and every loop returns
      // to the service point in bounded time. Then count the block in.
      if (checks.maxRun[k]! > 0) {
        this.get(L_N);
        this.i32(checks.maxRun[k]!);
        this.op(OP.i32Add);
        this.get(L_BUDGET);
        this.op(OP.i32GtS);
        this.open(OP.if, VOID);
        this.exit(EXIT_JUMP, this.pageVa + bl.start, 0);
        this.close();
      }
      this.get(L_N);
      this.i32(this.blockLen);
      this.op(OP.i32Add);
      this.set(L_N);
      bl.insns.forEach((d, i) => this.insn(d, i));
      const last = bl.insns[bl.insns.length - 1]!;
      if (last.kind === K_PLAIN || last.kind === K_CALL) {
        // Ran into the next block's start, an untranslated instruction or the page end.
        const next = decodeNext(bl.end, blocks);
        if (next) this.goto(bl.end, true);
        else this.exit(bl.end < 4096 && !bl.cut ? EXIT_INTERPRET : EXIT_JUMP, this.pageVa + bl.end, 0);
      }
      if (k === blocks.length - 1) this.op(OP.unreachable);
      this.close(); // the block's loop or block
    }
    this.close(); // loop
    this.close(); // status block
    this.statusEpilogue();
    this.close(); // exit block
    // Epilogue: say how many instructions completed (every way out stored its dirty registers).
    this.i32(0);
    this.get(L_N);
    this.mem(OP.i32Store, this.stateAt + HS_EXIT_DONE);
    this.get(L_EPC);
    // Prologue: reset the exit code to EXIT_JUMP (exits that differ write theirs), and widen the
    // data-TLB context once for the tag compares.
    const pro = new Bytes();
    pro.byte(OP.i32Const);
    pro.sleb(0);
    pro.byte(OP.i32Const);
    pro.sleb(EXIT_JUMP);
    pro.byte(OP.i32Store);
    pro.u32(0);
    pro.u32(this.stateAt + HS_EXIT_CODE);
    pro.byte(OP.localGet);
    pro.u32(L_DCTX);
    pro.byte(OP.i64ExtendI32u);
    pro.byte(OP.localSet);
    pro.u32(L_DCTX64);
    body.bytes(pro.view());
    body.bytes(this.b.view());
    return body.view().slice();
  }
}

function decodeNext(end: number, blocks: Block[]): boolean {
  return blocks.some((bl) => bl.start === end);
}

/**
 * Where a page function checks its budget: at its entry blocks and at every block a branch or
 * jump reaches from the same or a later offset (the heads of its loops). Every other edge goes
 * forward in the page, so from a check, the instructions that can run before the next check are
 * bounded: maxRun[k] is that bound for a checked block k, 0 for a block without a check (a check
 * only as often as loops turn, rather than one compare and branch per block).
 */
export function budgetChecks(plan: RegionPlan): { maxRun: number[] } {
  const { blocks } = plan;
  const index = new Map(blocks.map((bl, i) => [bl.start, i]));
  const checked = blocks.map((bl) => plan.entries.includes(bl.start));
  const successors = blocks.map((bl) => {
    const last = bl.insns[bl.insns.length - 1]!;
    const at = bl.end - last.len;
    const targets: number[] = [];
    if (last.kind === K_PLAIN || last.kind === K_CALL) targets.push(bl.end);
    else if (last.kind === K_BRANCH) targets.push(bl.end, at + branchImm(last.insn));
    else if (last.kind === K_JAL) targets.push(jalTarget(bl));
    return targets.map((t) => index.get(t)).filter((j): j is number => j !== undefined);
  });
  successors.forEach((succ, i) => {
    for (const j of succ) if (blocks[j]!.start <= blocks[i]!.start) checked[j] = true;
  });
  // Longest run from each block's start to the next check, in decreasing offset order (forward
  // edges only lead to higher offsets, so those are known).
  const run = new Array<number>(blocks.length).fill(0);
  const order = blocks.map((_, i) => i).sort((a, b) => blocks[b]!.start - blocks[a]!.start);
  for (const i of order) {
    let next = 0;
    for (const j of successors[i]!) if (!checked[j] && blocks[j]!.start > blocks[i]!.start) next = Math.max(next, run[j]!);
    run[i] = blockInsns(blocks[i]!).length + next;
  }
  return { maxRun: run.map((n, i) => (checked[i] ? n : 0)) };
}

/** Which registers each block reads and writes, and which locals are valid on entry to it. */
interface RegisterFlow {
  /** The integer registers (a bit each) instruction `d` reads from its locals. */
  reads(d: Insn): number;
  /** Per block: the registers valid in their locals wherever control enters it. */
  validAt: number[];
  /** Per block: the registers it reads or writes. */
  used: number[];
  /** Per block: the registers it writes. */
  writes: number[];
}

/** The registers an instruction reads from its locals and the ones whose locals it sets (an
 *  instruction run by the interpreter's handler reads from the register file: RegionEmitter.callOut). */
function readsOf(d: Insn): number {
  if (d.kind === K_CALL) return 0;
  let mask = 0;
  for (const op of d.spec!.operands) {
    if (op === 'xs1') mask |= 1 << ((d.insn >>> 15) & 31);
    else if (op === 'xs2') mask |= 1 << ((d.insn >>> 20) & 31);
  }
  return mask & ~1;
}

function writesOf(d: Insn): number {
  const rd = 1 << ((d.insn >>> 7) & 31);
  if (d.kind === K_CALL) return rd & ~1;
  return d.spec!.operands.includes('xd') ? rd & ~1 : 0;
}

/**
 * Registers live in locals only within what the page function knows: the hart's register file is
 * the truth wherever control enters a block, and a block stores what it wrote before it leaves
 * (RegionEmitter.storeDirty). A block's locals are valid on entry when they are valid at the end
 * of every block that leads to it inside the function; an entry block can also be entered from the
 * dispatcher, with nothing valid. So a region run loads only what its blocks read (an entry loaded
 * every register of the page function when they were its parameters; cross-page calls and returns
 * made most runs a few blocks long).
 */
function registerFlow(plan: RegionPlan): RegisterFlow {
  const { blocks } = plan;
  const index = new Map(blocks.map((bl, i) => [bl.start, i]));
  const used = blocks.map((bl) => blockInsns(bl).reduce((m, d) => m | readsOf(d) | writesOf(d), 0));
  const writes = blocks.map((bl) => blockInsns(bl).reduce((m, d) => m | writesOf(d), 0));
  const preds: number[][] = blocks.map(() => []);
  blocks.forEach((bl, i) => {
    for (const t of successorsOf(bl)) {
      const j = index.get(t);
      if (j !== undefined) preds[j]!.push(i);
    }
  });
  const entry = blocks.map((bl) => plan.entries.includes(bl.start));
  const validAt = blocks.map((_, i): number => (entry[i] ? 0 : -1));
  for (let changed = true; changed; ) {
    changed = false;
    blocks.forEach((_, j) => {
      if (entry[j]) return;
      let v = -1;
      for (const p of preds[j]!) v &= validAt[p]! | used[p]!;
      if (v !== validAt[j]) {
        validAt[j] = v;
        changed = true;
      }
    });
  }
  return { reads: readsOf, validAt: validAt.map((v) => v & ~1), used, writes };
}

/** Page offsets control can go to from the end of `bl` (fall-through, branch and jal targets). */
function successorsOf(bl: Block): number[] {
  const last = bl.insns[bl.insns.length - 1]!;
  const at = bl.end - last.len;
  if (last.kind === K_PLAIN || last.kind === K_CALL) return [bl.end];
  if (last.kind === K_BRANCH) return [bl.end, at + branchImm(last.insn)];
  if (last.kind === K_JAL) return [jalTarget(bl)];
  return [];
}

/** Does the block end in a branch or jump back to its own start? */
function loopsToItself(bl: Block): boolean {
  const last = bl.insns[bl.insns.length - 1]!;
  const at = bl.end - last.len;
  if (last.kind === K_BRANCH) return at + branchImm(last.insn) === bl.start;
  if (last.kind === K_JAL) return jalTarget(bl) === bl.start;
  return false;
}

/** The integer registers the plan's instructions name (from the instruction table's operands;
 *  an instruction the region calls the interpreter for syncs its rs1, rs2 and rd fields whatever
 *  they name: RegionEmitter.callOut), ascending. */
function registersOf(plan: RegionPlan): number[] {
  const regs = new Set<number>();
  for (const bl of plan.blocks) {
    for (const d of blockInsns(bl)) {
      const rd = (d.insn >>> 7) & 31;
      const rs1 = (d.insn >>> 15) & 31;
      const rs2 = (d.insn >>> 20) & 31;
      if (d.kind === K_CALL) {
        regs.add(rd).add(rs1).add(rs2);
        continue;
      }
      for (const op of decode(d.insn)!.operands) {
        if (op === 'xd') regs.add(rd);
        else if (op === 'xs1') regs.add(rs1);
        else if (op === 'xs2') regs.add(rs2);
      }
    }
  }
  regs.delete(0);
  return [...regs].sort((a, b) => a - b);
}

/** The page function for `plan`, for the hart whose state is at `stateAt`. */
export function pageFunc(plan: RegionPlan, pageVa: number, stateAt: number): DefinedFunc {
  const emitter = new RegionEmitter(plan, pageVa, stateAt, registersOf(plan));
  const body = emitter.emit();
  return { type: REGION_TYPE, locals: [...SCRATCH_LOCALS, [emitter.regs.length, I64]], body };
}

/** The block of `plan` where the region of entry point `entry` (a page offset) starts: the page
 *  function's third argument. */
export function entryBlock(plan: RegionPlan, entry: number): number {
  return plan.blocks.findIndex((bl) => bl.start === entry);
}

/** 64x64 -> high 64 bits, unsigned, from 32-bit halves (wasm has no wide multiply); mulh and
 *  mulhsu correct it for negative operands (a - 2^64 for a < 0). */
export function mulHelpers(): DefinedFunc[] {
  const M = 0xffffffff;
  const f = new Bytes();
  const g = (l: number): void => {
    f.byte(OP.localGet);
    f.u32(l);
  };
  const c = (v: number): void => {
    f.byte(OP.i64Const);
    f.sleb(v);
  };
  const s = (l: number): void => {
    f.byte(OP.localSet);
    f.u32(l);
  };
  // p01 = (a & M) * (b >>> 32)
  g(0), c(M), f.byte(OP.i64And), g(1), c(32), f.byte(OP.i64ShrU), f.byte(OP.i64Mul), s(2);
  // p10 = (a >>> 32) * (b & M)
  g(0), c(32), f.byte(OP.i64ShrU), g(1), c(M), f.byte(OP.i64And), f.byte(OP.i64Mul), s(3);
  // mid = ((a & M) * (b & M) >>> 32) + (p01 & M) + (p10 & M)
  g(0), c(M), f.byte(OP.i64And), g(1), c(M), f.byte(OP.i64And), f.byte(OP.i64Mul), c(32), f.byte(OP.i64ShrU);
  g(2), c(M), f.byte(OP.i64And), f.byte(OP.i64Add), g(3), c(M), f.byte(OP.i64And), f.byte(OP.i64Add), s(4);
  // (a >>> 32) * (b >>> 32) + (p01 >>> 32) + (p10 >>> 32) + (mid >>> 32)
  g(0), c(32), f.byte(OP.i64ShrU), g(1), c(32), f.byte(OP.i64ShrU), f.byte(OP.i64Mul);
  g(2), c(32), f.byte(OP.i64ShrU), f.byte(OP.i64Add), g(3), c(32), f.byte(OP.i64ShrU), f.byte(OP.i64Add);
  g(4), c(32), f.byte(OP.i64ShrU), f.byte(OP.i64Add);
  const mulhu: DefinedFunc = { type: { params: [I64, I64], results: [I64] }, locals: [[3, I64]], body: f.view().slice(), name: 'mulhu' };

  const signed = (both: boolean): DefinedFunc => {
    const h = new Bytes();
    const hg = (l: number): void => {
      h.byte(OP.localGet);
      h.u32(l);
    };
    const minusIfNeg = (sign: number, other: number): void => {
      hg(sign);
      h.byte(OP.i64Const);
      h.sleb(63);
      h.byte(OP.i64ShrS);
      hg(other);
      h.byte(OP.i64And);
      h.byte(OP.i64Sub);
    };
    hg(0);
    hg(1);
    h.byte(OP.call);
    h.u32(FN_MULHU);
    minusIfNeg(0, 1);
    if (both) minusIfNeg(1, 0);
    return { type: { params: [I64, I64], results: [I64] }, locals: [], body: h.view().slice(), name: both ? 'mulh' : 'mulhsu' };
  };
  return [mulhu, signed(true), signed(false)];
}
