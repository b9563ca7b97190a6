// Block translation: a run of instructions in one RAM page, from a hot entry point up to the first
// control transfer, an instruction codegen.ts does not translate, the page end or MAX_BLOCK
// instructions, becomes one JavaScript function (built with `new Function`, so V8 compiles it to
// machine code once it is hot). Blocks read and write the hart's state in place (x, TLB, RAM view),
// so leaving a block anywhere leaves the hart exactly as the interpreter would.
//
// Off by default (cache.ts DEFAULT_THRESHOLD = 0); the builtin engine sets a high threshold once the
// guest is ready (JIT_AFTER_READY in engines/builtin/builtin-machine.ts). Measured on 2-core machines:
// a tight loop runs ~4x faster (bench/cpu-loop.js, ~100 -> ~400 M instr/s) and guest sha256sum ~2x
// once warm, but every block is its own JS function that V8 must tier up separately: a Linux boot
// (tens of thousands of blocks) took 2.6 s of CPU interpreted and 3.8 s even with threshold 4096,
// 12 s with 32; a busybox shell loop (~2,400 hot blocks of ~4 instructions) ran at half speed for its
// first ~85 M instructions and ~25% faster after. Use it for long CPU-bound guest work.

import type { Hart } from '../hart.js';
import { expanded } from '../compressed.js';
import { loadSlow, storeSlow } from '../../mmu/access.js';
import { pairToPc } from '../pc.js';
import { div64, divu64, divw, mul64, mulh64, mulhsu64, mulhu64, rem64, remu64 } from '../muldiv.js';
import { emit } from './codegen.js';
import type { BlockFn } from './cache.js';

export const MAX_BLOCK = 64;

const HELPERS = { loadSlow, storeSlow, pairToPc, mul64, mulh64, mulhsu64, mulhu64, div64, divu64, rem64, remu64, divw };
const HELPER_NAMES = Object.keys(HELPERS);
const STATE_NAMES = ['h', 'x', 'view', 'lTagLo', 'lTagHi', 'lOffs', 'sTagLo', 'sTagHi', 'sOffs'];

export interface Block {
  fn: BlockFn;
  /** Instructions in the block. */
  len: number;
  /** The bytes it was translated from. */
  bytes: Uint8Array;
}

/** Decode from RAM offset `ro` (virtual `pc`) and translate; null if the first instruction is not translatable. */
export function compileBlock(h: Hart, pc: number, ro: number): Block | null {
  const view = h.ram.view;
  const pageEnd = ro - (ro & 0xfff) + 4096;
  const parts: string[] = [];
  let off = ro;
  let at = pc;
  let n = 0;
  let ended = false;
  while (n < MAX_BLOCK && off + 2 <= pageEnd) {
    const half = view.getUint16(off, true);
    let insn: number;
    let len: number;
    if ((half & 3) !== 3) {
      insn = expanded(half);
      len = 2;
    } else {
      if (off + 4 > pageEnd) break; // straddles the page: leave it to the interpreter
      insn = view.getInt32(off, true);
      len = 4;
    }
    const e = emit(insn, at, len, n);
    if (e === null) break;
    parts.push(e.code);
    n++;
    off += len;
    at += len;
    if (e.ends) {
      ended = true;
      break;
    }
  }
  if (n === 0) return null;
  const body = `${parts.join('\n')}\n${ended ? '' : `return ${at};`}`;
  const tlb = h.tlb;
  const factory = new Function(
    ...STATE_NAMES,
    ...HELPER_NAMES,
    `"use strict"; return function block(dctx) {\n${body}\n};`,
  ) as (...args: unknown[]) => BlockFn;
  const fn = factory(
    h,
    h.x,
    view,
    tlb.loadTagLo,
    tlb.loadTagHi,
    tlb.loadOff,
    tlb.storeTagLo,
    tlb.storeTagHi,
    tlb.storeOff,
    ...HELPER_NAMES.map((k) => HELPERS[k as keyof typeof HELPERS]),
  );
  return { fn, len: n, bytes: h.ram.bytes.slice(ro, off) };
}
