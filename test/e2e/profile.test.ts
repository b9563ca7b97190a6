// VM_PROFILE=1 through the real CLI: `vm up` hands the environment to the builtin engine process,
// which writes the hot-path profile of the boot into the machine's engine.log when the machine ends
// (here at `vm halt`), with real non-zero counts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_READY, ENGINE, Project, show } from './helpers/vm-cli.js';

describe.skipIf(!E2E_READY || ENGINE !== 'builtin')('VM_PROFILE=1 on `vm up` (builtin engine, compiled CLI)', () => {
  let p: Project;
  beforeAll(() => {
    p = new Project('profile', 'box: tiny\nmemory: 256M\nboot_timeout: 4m\n');
  });
  afterAll(async () => p.cleanup());

  it('writes the profile of the boot into engine.log when the machine ends', async () => {
    // A threshold low enough that boot code gets translated whatever the shipped default is.
    const env = { VM_PROFILE: '1', VM_JIT_THRESHOLD: '256' };
    const up = await p.run(['up', '--no-provision'], { env, timeoutMs: 300_000 });
    expect(up.code, show(up)).toBe(0);
    const halt = await p.run(['halt'], { timeoutMs: 120_000 });
    expect(halt.code, show(halt)).toBe(0);
    const log = readFileSync(join(p.machineDir('default'), 'engine.log'), 'utf8');
    const n = (re: RegExp): number => {
      const m = re.exec(log);
      expect(m, `${re} in engine.log:\n${log}`).not.toBeNull();
      return Number(m![1]);
    };
    expect(n(/profile: ([\d.]+) M guest instructions/)).toBeGreaterThan(10);
    expect(n(/translated code ran ([\d.]+) M instructions/)).toBeGreaterThan(0);
    expect(n(/regions compiled: (\d+) in/)).toBeGreaterThan(0);
    expect(n(/region runs: (\d+)/)).toBeGreaterThan(0);
    expect(log).toMatch(/threshold 256/);
  }, 480_000);
});
