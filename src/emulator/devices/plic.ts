// Platform-Level Interrupt Controller, SiFive layout as on QEMU `virt`.
// Spec: RISC-V PLIC Specification v1.0.0 (riscv-plic-spec), "Memory Map" and "Interrupt Gateways";
// cross-checked with QEMU hw/intc/sifive_plic.c. Sources are level-triggered: a gateway forwards a
// new request only after the previous one was completed.

import type { MmioDevice } from '../memory/bus.js';
import { bytesOf, type StateObject, type StateReader } from '../snapshot/state-value.js';

const PLIC_PRIORITY_BASE = 0x0;
const PLIC_PENDING_BASE = 0x1000;
const PLIC_ENABLE_BASE = 0x2000;
const PLIC_ENABLE_STRIDE = 0x80;
const PLIC_CONTEXT_BASE = 0x20_0000;
const PLIC_CONTEXT_STRIDE = 0x1000;
const PLIC_CONTEXT_THRESHOLD = 0x0;
const PLIC_CONTEXT_CLAIM = 0x4;

/** Span of the register file for `contexts` contexts (QEMU maps 0x60_0000 for up to 8 harts). */
export function plicSize(contexts: number): number {
  return PLIC_CONTEXT_BASE + contexts * PLIC_CONTEXT_STRIDE;
}

export interface PlicOptions {
  /** Number of interrupt sources, not counting source 0 (which does not exist). */
  sources: number;
  /** Number of contexts (on `virt`: 2 per hart, M then S). */
  contexts: number;
  /** Priority bits implemented: priorities range 0 .. 2^bits - 1. */
  priorityBits?: number;
  /** Drive a context's external-interrupt line (MEIP or SEIP of some hart). */
  contextIrq: (context: number, level: boolean) => void;
}

export class Plic implements MmioDevice {
  private readonly n: number; // sources + 1, source 0 reserved
  private readonly words: number;
  private readonly priority: Uint32Array;
  private readonly level: Uint8Array; // the source's line as the device drives it
  private readonly pending: Uint32Array; // gateway output bits
  private readonly claimed: Uint32Array; // claimed and not yet completed
  private readonly enable: Uint32Array; // contexts * words
  private readonly threshold: Uint32Array;
  private readonly outLevel: Uint8Array;
  private readonly priorityMask: number;

  constructor(private readonly opts: PlicOptions) {
    this.n = opts.sources + 1;
    this.words = Math.ceil(this.n / 32);
    this.priority = new Uint32Array(this.n);
    this.level = new Uint8Array(this.n);
    this.pending = new Uint32Array(this.words);
    this.claimed = new Uint32Array(this.words);
    this.enable = new Uint32Array(opts.contexts * this.words);
    this.threshold = new Uint32Array(opts.contexts);
    this.outLevel = new Uint8Array(opts.contexts);
    this.priorityMask = (1 << (opts.priorityBits ?? 3)) - 1;
  }

  saveState(): StateObject {
    return {
      priority: bytesOf(this.priority),
      level: bytesOf(this.level),
      pending: bytesOf(this.pending),
      claimed: bytesOf(this.claimed),
      enable: bytesOf(this.enable),
      threshold: bytesOf(this.threshold),
      out: bytesOf(this.outLevel),
    };
  }

  /** Sets the registers and output levels without driving the lines (the harts' mip is restored with them). */
  restoreState(r: StateReader): void {
    r.fill('priority', this.priority);
    r.fill('level', this.level);
    r.fill('pending', this.pending);
    r.fill('claimed', this.claimed);
    r.fill('enable', this.enable);
    r.fill('threshold', this.threshold);
    r.fill('out', this.outLevel);
  }

  /** A device's interrupt line for `source` (1 .. sources). */
  line(source: number): (level: boolean) => void {
    if (source < 1 || source >= this.n) throw new Error(`PLIC has no interrupt source ${source}`);
    return (level) => this.setLevel(source, level);
  }

  setLevel(source: number, level: boolean): void {
    this.level[source] = level ? 1 : 0;
    if (level) this.gateway(source);
    else this.setBit(this.pending, source, false);
    this.update();
  }

  private gateway(source: number): void {
    if (this.level[source] && !this.bit(this.claimed, source)) this.setBit(this.pending, source, true);
  }

  private bit(a: Uint32Array, i: number, base = 0): boolean {
    return ((a[base + (i >>> 5)]! >>> (i & 31)) & 1) !== 0;
  }

  private setBit(a: Uint32Array, i: number, v: boolean): void {
    if (v) a[i >>> 5]! |= 1 << (i & 31);
    else a[i >>> 5]! &= ~(1 << (i & 31));
  }

  /** The best pending, enabled source for `ctx` above its threshold, or 0. */
  private best(ctx: number): number {
    let best = 0;
    let bestPrio = this.threshold[ctx]!;
    const base = ctx * this.words;
    for (let w = 0; w < this.words; w++) {
      let bits = this.pending[w]! & this.enable[base + w]!;
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const src = w * 32 + b;
        const p = this.priority[src]!;
        if (p > bestPrio) {
          best = src;
          bestPrio = p;
        }
      }
    }
    return best;
  }

  private update(): void {
    for (let c = 0; c < this.opts.contexts; c++) {
      const level = this.best(c) !== 0 ? 1 : 0;
      if (level !== this.outLevel[c]) {
        this.outLevel[c] = level;
        this.opts.contextIrq(c, level === 1);
      }
    }
  }

  read(offset: number, size: 1 | 2 | 4): number {
    if (size !== 4 || offset & 3) return 0;
    if (offset < PLIC_PENDING_BASE) {
      const src = (offset - PLIC_PRIORITY_BASE) >>> 2;
      return src < this.n ? this.priority[src]! : 0;
    }
    if (offset < PLIC_ENABLE_BASE) {
      const w = (offset - PLIC_PENDING_BASE) >>> 2;
      return w < this.words ? this.pending[w]! : 0;
    }
    if (offset < PLIC_CONTEXT_BASE) {
      const ctx = Math.floor((offset - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE);
      const w = ((offset - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE) >>> 2;
      return ctx < this.opts.contexts && w < this.words ? this.enable[ctx * this.words + w]! : 0;
    }
    const ctx = Math.floor((offset - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE);
    if (ctx >= this.opts.contexts) return 0;
    const reg = (offset - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
    if (reg === PLIC_CONTEXT_THRESHOLD) return this.threshold[ctx]!;
    if (reg === PLIC_CONTEXT_CLAIM) return this.claim(ctx);
    return 0;
  }

  private claim(ctx: number): number {
    const src = this.best(ctx);
    if (src !== 0) {
      this.setBit(this.pending, src, false);
      this.setBit(this.claimed, src, true);
      this.update();
    }
    return src;
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size !== 4 || offset & 3) return;
    if (offset < PLIC_PENDING_BASE) {
      const src = (offset - PLIC_PRIORITY_BASE) >>> 2;
      if (src > 0 && src < this.n) this.priority[src] = value & this.priorityMask;
    } else if (offset < PLIC_ENABLE_BASE) {
      return; // pending bits are read-only
    } else if (offset < PLIC_CONTEXT_BASE) {
      const ctx = Math.floor((offset - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE);
      const w = ((offset - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE) >>> 2;
      if (ctx >= this.opts.contexts || w >= this.words) return;
      // Source 0 does not exist; bits past the last source are hardwired to zero.
      let mask = 0xffffffff;
      if (w === 0) mask &= ~1;
      const top = this.n - w * 32;
      if (top < 32) mask &= (1 << top) - 1;
      this.enable[ctx * this.words + w] = value & mask;
    } else {
      const ctx = Math.floor((offset - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE);
      if (ctx >= this.opts.contexts) return;
      const reg = (offset - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
      if (reg === PLIC_CONTEXT_THRESHOLD) {
        this.threshold[ctx] = value & this.priorityMask;
      } else if (reg === PLIC_CONTEXT_CLAIM) {
        // Completion: a source not enabled for this context is ignored (spec, "Interrupt Completion").
        const src = value >>> 0;
        if (src === 0 || src >= this.n || !this.bit(this.enable, src, ctx * this.words)) return;
        this.setBit(this.claimed, src, false);
        this.gateway(src);
      } else {
        return;
      }
    }
    this.update();
  }
}
