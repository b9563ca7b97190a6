// Without qemu on PATH the engine says which Debian package to install, and for riscv64 boxes that
// `engine: builtin` works without it; boxes that do not list qemu are refused.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QemuEngine } from '../../../../src/engines/qemu/qemu-engine.js';
import { riscvConfig, x86Config } from './machine-fixture.js';

describe('qemu engine availability', () => {
  const empty = mkdtempSync(join(tmpdir(), 'vm-no-qemu-'));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));
  const engine = new QemuEngine({ env: { PATH: empty } });

  it('names qemu-system-misc and qemu-utils for riscv64, and the builtin engine', async () => {
    expect(await engine.availability(riscvConfig())).toEqual({
      ok: false,
      reason: 'qemu-system-riscv64 is not installed (not found on PATH); qemu-img is not installed (not found on PATH)',
      hint: 'install it: sudo apt-get install qemu-system-misc qemu-utils (Debian/Ubuntu packages qemu-system-misc qemu-utils); or use `engine: builtin`, which needs no qemu',
    });
  });

  it('names qemu-system-x86 for x86_64, and only the emulator when no disk needs qemu-img', async () => {
    const c = x86Config();
    expect(await engine.availability(x86Config({ box: { ...c.box, rootDisk: undefined } }))).toEqual({
      ok: false,
      reason: 'qemu-system-x86_64 is not installed (not found on PATH)',
      hint: 'install it: sudo apt-get install qemu-system-x86 (Debian/Ubuntu package qemu-system-x86); the builtin engine runs riscv64 boxes only, so x86_64 boxes need qemu',
    });
  });

  it('refuses a box that does not list qemu', async () => {
    const c = riscvConfig();
    expect(await engine.availability(riscvConfig({ box: { ...c.box, engines: ['builtin'] } }))).toEqual({
      ok: false,
      reason: 'box tiny 0.1.0 does not list qemu among the engines it boots on',
      hint: 'use the engine the box names, or another box',
    });
  });

  it('start fails with the same install hint', async () => {
    await expect(engine.start(riscvConfig(), {} as never)).rejects.toMatchObject({
      message: 'qemu-system-riscv64 is not installed (not found on PATH)',
      hint: 'install it: sudo apt-get install qemu-system-misc (Debian/Ubuntu package qemu-system-misc); or use `engine: builtin`, which needs no qemu',
    });
  });
});
