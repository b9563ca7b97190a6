// The hot-path profile of a real boot (engines/builtin/hart-profile.ts): after the tiny box boots
// and runs a shell loop, the counters the cpu layer keeps come back through BuiltinMachine.profile()
// as real, consistent, non-zero figures, and formatProfile prints them. A machine not asked to
// profile has no profile (its harts run unwrapped); VM_PROFILE=1 asks for one.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBox } from '../../src/core/boxes/catalog.js';
import { startBuiltinMachine, type BuiltinBootSpec, type BuiltinMachine } from '../../src/engines/builtin/builtin-machine.js';
import { formatProfile } from '../../src/engines/builtin/hart-profile.js';
import type { BoxRef } from '../../src/model/machine-config.js';

const BOX_DIR = join(import.meta.dirname, '../../boxes/tiny');
const HAVE_BOX = existsSync(join(BOX_DIR, 'box.json'));

/** Resolves with the console text once it matches `re`; rejects after `ms` with the console tail. */
function consoleMatch(vm: BuiltinMachine, re: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (c: Buffer): void => {
      seen += c.toString('latin1');
      if (re.test(seen)) finish(() => resolve(seen));
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`no ${re} on the console; tail:\n${vm.consoleTail().slice(-1500)}`))), ms);
    const finish = (then: () => void): void => {
      clearTimeout(timer);
      vm.output.off('data', onData);
      then();
    };
    vm.output.on('data', onData);
  });
}

describe.skipIf(!HAVE_BOX)('profile of a builtin boot', () => {
  let home: string;
  let box: BoxRef;
  const spec = (over: Partial<BuiltinBootSpec> = {}): BuiltinBootSpec => ({
    kernel: box.kernel,
    initrd: box.initrd,
    memoryBytes: 256 * 1024 * 1024,
    cpus: 1,
    cmdline: box.cmdline,
    ...over,
  });

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'vm-profile-store-'));
    box = await resolveBox('tiny', undefined, { loc: { home, bundledDir: join(BOX_DIR, '..') } });
  }, 120_000);
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('counts instructions, translated and interpreted, regions, compile time and exits after a boot and a shell loop', async () => {
    // A threshold low enough that boot code gets translated whatever the shipped default is.
    const vm = await startBuiltinMachine(spec({ profile: true, jitThreshold: 256 }));
    vm.output.resume();
    await consoleMatch(vm, /vm: ready/, 120_000);
    const loop = consoleMatch(vm, /done=3000/, 60_000);
    vm.write('i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; echo done=$i\n');
    await loop;
    vm.write('poweroff\n');
    expect((await vm.exit).kind).toBe('poweroff');

    const p = vm.profile()!;
    expect(p).not.toBeNull();
    // The tiny box needs tens of millions of instructions to reach its shell.
    expect(p.instructions).toBeGreaterThan(10_000_000);
    expect(p.instructions).toBe(vm.stats().instructions);
    expect(p.translatedInstructions).toBeGreaterThan(0);
    expect(p.interpretedInstructions).toBeGreaterThan(0);
    expect(p.translatedInstructions + p.interpretedInstructions).toBe(p.instructions);
    expect(p.guestSeconds).toBeGreaterThan(0);
    expect(p.mips).toBeCloseTo(p.instructions / p.guestSeconds / 1e6, 6);
    expect(p.cpuSeconds).toBeGreaterThan(0);
    expect(p.cpuMips).toBeCloseTo(p.instructions / p.cpuSeconds / 1e6, 0);
    const j = p.jit;
    expect(j.threshold).toBe(256);
    expect(j.regions).toBeGreaterThan(0);
    expect(j.batches).toBeGreaterThan(0);
    expect(j.batches).toBeLessThanOrEqual(j.regions);
    expect(j.regionInstructions).toBeGreaterThanOrEqual(j.regions);
    expect(j.compileSeconds).toBeGreaterThan(0);
    expect(j.runs).toBeGreaterThan(0);
    expect(j.exits.jump).toBeGreaterThan(0);
    // A kernel's regions hand over to the interpreter for CSR and SYSTEM instructions.
    expect(j.exits.interpret).toBeGreaterThan(0);
    expect(j.exits.jump + j.exits.trap + j.exits.service + j.exits.interpret).toBe(j.runs);
    expect(j.chained).toBeLessThan(j.runs);
    // ...and those instructions are named, most frequent first (csrr*, sret, ecall... in a kernel).
    expect(j.untranslated.length).toBeGreaterThan(0);
    expect(j.untranslated.map((u) => u.count)).toEqual([...j.untranslated.map((u) => u.count)].sort((a, b) => b - a));
    expect(j.untranslated.some((u) => /^(csrr|sret|ecall|wfi|sfence|fence\.i)/.test(u.instruction))).toBe(true);

    const text = formatProfile(p).join('\n');
    expect(text).toContain(`${(p.instructions / 1e6).toFixed(1)} M guest instructions`);
    expect(text).toContain(`regions compiled: ${j.regions} in ${j.batches} batches`);
    expect(text).toContain(`exits: jump ${j.exits.jump}, trap ${j.exits.trap}, service ${j.exits.service}, interpret ${j.exits.interpret}`);
    expect(text).toContain(`left to the interpreter most: ${j.untranslated[0]!.instruction} ×${j.untranslated[0]!.count}`);
  }, 240_000);

  it('is null unless asked for; VM_PROFILE=1 asks for it', async () => {
    const saved = process.env.VM_PROFILE;
    try {
      delete process.env.VM_PROFILE;
      const plain = await startBuiltinMachine(spec());
      plain.stop();
      await plain.exit;
      expect(plain.profile()).toBeNull();
      process.env.VM_PROFILE = '1';
      const viaEnv = await startBuiltinMachine(spec());
      viaEnv.output.resume();
      await new Promise((r) => setTimeout(r, 300));
      viaEnv.stop();
      await viaEnv.exit;
      expect(viaEnv.profile()!.instructions).toBeGreaterThan(0);
    } finally {
      if (saved === undefined) delete process.env.VM_PROFILE;
      else process.env.VM_PROFILE = saved;
    }
  }, 60_000);
});
