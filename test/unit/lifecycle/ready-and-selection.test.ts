// Readiness from the console (current boot only) and what a boot or `vm provision` runs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MachineConfig, ProvisionerConfig } from '../../../src/engines/machine-config.js';
import { pickProvisioners, provisionersFor } from '../../../src/core/lifecycle/provision.js';
import { waitReady } from '../../../src/core/lifecycle/ready.js';

// The console rule itself (a line of its own, the current boot only): test/unit/engines/guest-console.test.ts.
describe('console readiness', () => {
  it('a timeout names the machine and shows the console tail; a dead engine is reported at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-ready-'));
    try {
      const log = join(dir, 'console.log');
      writeFileSync(log, 'line one\r\nKernel panic - not syncing: VFS\r\n');
      const paths = { runDir: dir, consoleSocket: '', agentSocket: '', qmpSocket: '', consoleLog: log, engineLog: join(dir, 'engine.log') };
      const me = { pid: process.pid, bootId: '' };
      const t = await waitReady({ name: 'web', paths, engine: me, timeoutMs: 300 }).catch((e: Error) => e);
      expect((t as Error).message).toBe("machine 'web' was not ready within its boot timeout (0 s); it is still running. The console's last lines:\n  | line one\n  | Kernel panic - not syncing: VFS");
      const dead = await waitReady({ name: 'web', paths, engine: { pid: 2 ** 22 + 1, bootId: '' }, timeoutMs: 60_000 }).catch((e: Error) => e);
      expect((dead as Error).message).toMatch(/^machine 'web' stopped while booting \(its engine process \d+ ended\)/);
      writeFileSync(log, 'x\nvm: ready\n');
      await waitReady({ name: 'web', paths, engine: me, timeoutMs: 5000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const shell = (name: string, run: ProvisionerConfig['run']): ProvisionerConfig => ({ type: 'shell', name, run, script: 'true', args: [], env: {} });

describe('which provisioners run', () => {
  const all = [shell('a', 'once'), shell('b', 'always'), shell('c', 'never')];
  it('on up: first boot once+always, later boots always, running none, --provision once+always', () => {
    const names = (l: ProvisionerConfig[]): string[] => l.map((p) => p.name);
    expect(names(provisionersFor(all, 'first'))).toEqual(['a', 'b']);
    expect(names(provisionersFor(all, 'boot'))).toEqual(['b']);
    expect(names(provisionersFor(all, 'none'))).toEqual([]);
    expect(names(provisionersFor(all, 'forced'))).toEqual(['a', 'b']);
  });
  it('on vm provision: all but never, or the named ones (never included); unknown names fail', () => {
    const config = { name: 'm', provision: all } as unknown as MachineConfig;
    expect(pickProvisioners(config, undefined).map((p) => p.name)).toEqual(['a', 'b']);
    expect(pickProvisioners(config, ['c', 'a']).map((p) => p.name)).toEqual(['a', 'c']);
    expect(() => pickProvisioners(config, ['zz'])).toThrow("machine 'm' has no provisioner named 'zz'");
  });
});
