// Where a builtin machine's host time goes: guest instructions retired, how many ran in translated
// WebAssembly regions and how many in the interpreter, what translation cost, and why regions handed
// control back. `vm debug boot --profile` and VM_PROFILE=1 (for `vm up`'s engine, into engine.log)
// print it when the machine ends. The counters are the cpu layer's own (emulator/cpu/jit/cache.ts
// JitStats); this file only adds a host clock around each hart's run slices, and only when asked,
// so a machine that is not profiled runs exactly the shipped hot path.

import type { Hart } from '../../emulator/cpu/hart.js';
import { EXIT_INTERPRET, EXIT_JUMP, EXIT_SERVICE, EXIT_TRAP } from '../../emulator/cpu/jit/region.js';
import { decode, disassemble } from '../../emulator/cpu/isa.js';
import { CROSSES_PAGE } from '../../emulator/cpu/jit/cache.js';

export interface HartProfile {
  /** Host seconds since the machine started. */
  wallSeconds: number;
  /** This process's CPU seconds (user + system) since the machine started, devices and GC included. */
  cpuSeconds: number;
  /** Host seconds spent inside the harts' run slices: interpreting, running regions and compiling them. */
  guestSeconds: number;
  /** Guest instructions retired by all harts. */
  instructions: number;
  /** Of those, completed inside translated regions; the rest were interpreted. */
  translatedInstructions: number;
  interpretedInstructions: number;
  /** Instructions per second of guestSeconds, in millions. */
  mips: number;
  /** Instructions per second of cpuSeconds, in millions: steadier than `mips` on a shared machine. */
  cpuMips: number;
  jit: {
    /** Executions that make an entry point hot (0 = the interpreter only). */
    threshold: number;
    regions: number;
    batches: number;
    /** Guest instructions inside the regions compiled. */
    regionInstructions: number;
    compileSeconds: number;
    /** Regions entered, of them entered straight from another region (chained in wasm), and why
     *  they returned to the interpreter's loop. */
    runs: number;
    chained: number;
    exits: { jump: number; trap: number; service: number; interpret: number };
    /** Regions dropped because the code they came from changed (stores into code pages, fence.i). */
    invalidated: number;
    /** Loads and stores of translated code that missed the inline TLB path (cpu/jit/cache.ts). */
    slowAccesses: number;
    /** The instructions regions most often left to the interpreter, most frequent first. */
    untranslated: { instruction: string; count: number }[];
  };
}

/** A readable name for an untranslated-instruction key (cpu/jit/cache.ts noteUntranslated: the
 *  instruction table's entry, with the CSR number for CSR instructions). */
export function untranslatedName(key: number): string {
  if (key === CROSSES_PAGE) return 'an instruction crossing a page';
  const spec = decode(key);
  if (spec === null) return disassemble(key);
  return spec.operands.includes('csr') ? `${spec.name} 0x${(key >>> 20).toString(16).padStart(3, '0')}` : spec.name;
}

/** Host clock around each hart's run slices; reads the cpu layer's counters when asked. */
export class HartProfiler {
  private readonly harts: Hart[] = [];
  private guestMs = 0;
  private readonly t0 = performance.now();
  private readonly cpu0 = process.cpuUsage();

  /** Times every `run` of `hart` from now on. */
  attach(hart: Hart): void {
    this.harts.push(hart);
    const run = hart.run.bind(hart);
    hart.run = (budget: number): number => {
      const t = performance.now();
      try {
        return run(budget);
      } finally {
        this.guestMs += performance.now() - t;
      }
    };
  }

  /** The figures so far; `instructions` is the scheduler's count of retired instructions. */
  snapshot(instructions: number): HartProfile {
    const jit = {
      threshold: 0,
      regions: 0,
      batches: 0,
      regionInstructions: 0,
      compileSeconds: 0,
      runs: 0,
      chained: 0,
      exits: { jump: 0, trap: 0, service: 0, interpret: 0 },
      invalidated: 0,
      slowAccesses: 0,
      untranslated: [] as { instruction: string; count: number }[],
    };
    let translated = 0;
    const untranslated = new Map<string, number>();
    for (const h of this.harts) {
      for (const [key, n] of h.jit.untranslated) {
        const name = untranslatedName(key);
        untranslated.set(name, (untranslated.get(name) ?? 0) + n);
      }
      const s = h.jit.stats;
      jit.threshold = h.jit.threshold;
      jit.regions += s.regions;
      jit.batches += s.batches;
      jit.regionInstructions += s.regionInsns;
      jit.compileSeconds += s.compileMs / 1000;
      jit.runs += s.runs;
      jit.chained += s.chained;
      jit.exits.jump += s.exits[EXIT_JUMP];
      jit.exits.trap += s.exits[EXIT_TRAP];
      jit.exits.service += s.exits[EXIT_SERVICE];
      jit.exits.interpret += s.exits[EXIT_INTERPRET];
      jit.invalidated += s.invalidated;
      jit.slowAccesses += s.slowAccesses;
      translated += s.translatedInsns;
    }
    jit.untranslated = [...untranslated].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([instruction, count]) => ({ instruction, count }));
    const cpu = process.cpuUsage(this.cpu0);
    const guestSeconds = this.guestMs / 1000;
    return {
      wallSeconds: (performance.now() - this.t0) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      guestSeconds,
      instructions,
      translatedInstructions: translated,
      interpretedInstructions: Math.max(0, instructions - translated),
      mips: guestSeconds > 0 ? instructions / guestSeconds / 1e6 : 0,
      cpuMips: cpu.user + cpu.system > 0 ? instructions / ((cpu.user + cpu.system) / 1e6) / 1e6 : 0,
      jit,
    };
  }
}

const millions = (n: number): string => `${(n / 1e6).toFixed(1)} M`;
const share = (part: number, whole: number): string => (whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : '-');

/** The profile as the lines `vm debug boot --profile` and engine.log show. */
export function formatProfile(p: HartProfile): string[] {
  const j = p.jit;
  const e = j.exits;
  return [
    `profile: ${millions(p.instructions)} guest instructions in ${p.guestSeconds.toFixed(2)} s of guest execution: ${p.mips.toFixed(1)} M instructions/s (wall ${p.wallSeconds.toFixed(2)} s; process CPU ${p.cpuSeconds.toFixed(2)} s, ${p.cpuMips.toFixed(1)} M instructions per CPU second)`,
    `  translated code ran ${millions(p.translatedInstructions)} instructions (${share(p.translatedInstructions, p.instructions)}), the interpreter ${millions(p.interpretedInstructions)} (${share(p.interpretedInstructions, p.instructions)})`,
    j.threshold === 0
      ? '  translation off (VM_JIT_THRESHOLD=0): every instruction interpreted'
      : `  regions compiled: ${j.regions} in ${j.batches} batches (${j.regionInstructions} guest instructions), compile time ${(j.compileSeconds * 1000).toFixed(0)} ms (${share(j.compileSeconds, p.guestSeconds)} of guest execution); ${j.invalidated} dropped as their code changed; threshold ${j.threshold}`,
    `  region runs: ${j.runs} (${j.chained} entered from another region without leaving wasm), ${j.runs > 0 ? (p.translatedInstructions / j.runs).toFixed(1) : '-'} instructions each; exits: jump ${e.jump}, trap ${e.trap}, service ${e.service}, interpret ${e.interpret} (an instruction left to the interpreter)`,
    `  loads and stores off the inline TLB path: ${j.slowAccesses} (${share(j.slowAccesses, p.translatedInstructions)} of translated instructions)`,
    ...(j.untranslated.length > 0 ? [`  left to the interpreter most: ${j.untranslated.map((u) => `${u.instruction} ×${u.count}`).join(', ')}`] : []),
  ];
}
