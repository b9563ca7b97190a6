// The interpreter warm-up (src/emulator/machine/warmup.ts): its program must really run through every
// phase (traps handled, interrupts taken, WFI reached) and must leave real harts untouched.

import { describe, expect, it } from 'vitest';
import { runWarmUp, warmUpInterpreter } from '../../../../src/emulator/machine/warmup.js';
import { PRIV_M, PRIV_S, PRIV_U } from '../../../../src/emulator/cpu/hart-api.js';
import * as A from '../cpu/asm.js';
import { makeMachine, RAM_BASE } from '../cpu/machine.js';

describe('interpreter warm-up', () => {
  it('runs its program to the final WFI in M and S, and through its budget in U', () => {
    const { phases } = runWarmUp();
    expect(phases.map((p) => p.priv)).toEqual([PRIV_M, PRIV_S, PRIV_U, PRIV_S]);
    const counts = phases.map((p, i) => p.instret - (i === 0 ? 0 : phases[i - 1].instret));
    // The body is over 2,000 instructions; a handler that failed to skip a trapping instruction would
    // spin on it until the budget ran out instead of reaching the WFI.
    expect(phases[0].waiting).toBe(true);
    expect(phases[1].waiting).toBe(true);
    expect(phases[3].waiting).toBe(true);
    for (const i of [0, 1, 3]) expect(counts[i]).toBeGreaterThan(2000);
    for (const i of [0, 1, 3]) expect(counts[i]).toBeLessThan(4000);
    // U-mode cannot execute WFI (illegal, skipped by the S handler): it loops until its budget.
    expect(phases[2].waiting).toBe(false);
    expect(counts[2]).toBeGreaterThan(3000); // 4,000 run, less the trapping ones (which retire nothing)
    // Deterministic: a second run takes exactly the same paths.
    expect(runWarmUp().phases).toEqual(phases);
    // Its interpreter part alone (a resume runs the translator part later) takes them too.
    expect(runWarmUp({ translator: false }).phases).toEqual(phases);
    expect(runWarmUp({ interpreter: false }).phases).toEqual([]);
  });

  it('runs entry points at a real threshold too: some left below it, some queued by their heat', () => {
    // Threshold 1 queues every entry point at its first run, so without this part the loop's paths
    // for an entry point not yet hot had no type feedback and deoptimized it early in a boot.
    const { heat } = runWarmUp({ interpreter: false });
    expect(heat.warm).toBeGreaterThan(10);
    expect(heat.queued).toBeGreaterThan(0);
    expect(heat.queued).toBeLessThan(64); // no batch filled: nothing compiled for it
    expect(runWarmUp({ translator: false }).heat).toEqual({ queued: 0, warm: 0 });
  });

  it('leaves harts built afterwards in their reset state and computing correctly', () => {
    warmUpInterpreter();
    const m = makeMachine();
    expect(m.hart.instret).toBe(0);
    expect(m.hart.tmpLo).toBe(0);
    expect(m.hart.trapCause).toBe(-1);
    const data = RAM_BASE + 0x10000;
    m.run([A.li(5, 0x1234_5678_9abc_def0n), A.li(10, data), A.slli(6, 5, 4), A.srai(7, 5, 60), A.sd(6, 10, 8), A.ld(8, 10, 8)]);
    expect(m.x(6)).toBe(0x2345_6789_abcd_ef00n);
    expect(m.x(7)).toBe(1n);
    expect(m.x(8)).toBe(0x2345_6789_abcd_ef00n);
    expect(m.read64(data + 8)).toBe(0x2345_6789_abcd_ef00n);
  });
});
