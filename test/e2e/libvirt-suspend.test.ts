// `vm suspend` / `vm resume` on `engine: libvirt` (this host's qemu:///system) through the real CLI:
// the CLI killed right after libvirt saved the machine still leaves it suspended (suspend.state is the
// truth), `vm resume` brings the same guest back (a process of its own alive, its sleeps returning), a
// halt from suspended makes the next `vm up` boot afresh, and `vm destroy` takes libvirt's saved
// image along. One boot plus one. Runs once (the engine is libvirt whatever VM_E2E_ENGINE says).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePool, virshAt } from '../../bench/lib/libvirt-pool.js';
import { domainName } from '../../src/engines/libvirt/names.js';
import { BUILT, ENGINE, Project, show } from './helpers/vm-cli.js';

const URI = 'qemu:///system';
const virsh = (...args: string[]) => virshAt(URI, ...args);

function skipReason(): string | undefined {
  if (ENGINE !== 'builtin') return 'runs once, in the builtin pass of the e2e suite (its engine is libvirt)';
  if (!BUILT) return 'dist/ is not built (npm run build)';
  const v = virsh('domcapabilities', '--arch', 'riscv64', '--virttype', 'qemu');
  if (v.error || v.status !== 0) return `no libvirt daemon with qemu-system-riscv64 at ${URI}`;
  return undefined;
}
const reason = skipReason();
const BOOT = 300_000;

describe.skipIf(reason !== undefined)(reason ? `libvirt suspend through the CLI (skipped: ${reason})` : `libvirt suspend and resume through the CLI on ${URI}`, () => {
  const pool = `vm-e2e-suspend-${process.pid}`;
  let p: Project;
  let domain = '';
  let guestPid = '';
  const managedSave = (): string => /^Managed save:\s+(\S+)/m.exec(virsh('dominfo', domain).stdout)?.[1] ?? '';

  beforeAll(() => {
    p = new Project('libvirt-suspend', '');
    writeFileSync(join(p.dir, 'Vmfile'), `engine: libvirt\nlibvirt: {uri: "${URI}", pool: ${pool}}\nbox: tiny\nmemory: 256M\nboot_timeout: 4m\n`);
    domain = domainName({ name: 'default', project: { dir: p.dir, vmfile: join(p.dir, 'Vmfile'), stateDir: p.machineDir('default') } });
  });

  afterAll(async () => {
    if (p) await p.cleanup();
    if (domain) {
      virsh('destroy', domain);
      virsh('undefine', domain, '--managed-save');
    }
    deletePool(URI, pool);
  });

  it('a CLI killed once libvirt saved the machine leaves it suspended; resume brings the same guest back, its timer running', async () => {
    const up = await p.run(['up'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    const bg = await p.run(['ssh', '-c', '(sleep 100000 </dev/null >/dev/null 2>&1 &) ; sleep 0.2; pidof sleep']);
    expect(bg.code, show(bg)).toBe(0);
    guestPid = bg.stdout.trim();
    expect(guestPid).toMatch(/^\d+$/);

    const killed = await p.run(['suspend'], { env: { VM_TEST_KILL_AT: 'after-suspend-saved' }, timeoutMs: BOOT });
    expect(killed.signal, show(killed)).toBe('SIGKILL');
    expect(managedSave()).toBe('yes');
    const [m] = await p.status();
    expect(m).toMatchObject({ name: 'default', status: 'suspended' });

    const resumed = await p.run(['resume'], { timeoutMs: BOOT });
    expect(resumed.code, show(resumed)).toBe(0);
    expect(resumed.stdout + resumed.stderr).toMatch(/resumed/);
    expect(existsSync(join(p.machineDir('default'), 'suspend.state'))).toBe(false);
    // a lost guest timer would hang the sleep: the command's own timeout then fails the test
    const after = await p.run(['ssh', '-c', `kill -0 ${guestPid} && sleep 1 && echo still here`], { timeoutMs: 60_000 });
    expect(after.code, show(after)).toBe(0);
    expect(after.stdout).toBe('still here\n');
  }, BOOT * 2);

  it('halt from suspended discards the saved state: the next up boots afresh', async () => {
    const s = await p.run(['suspend'], { timeoutMs: BOOT });
    expect(s.code, show(s)).toBe(0);
    const h = await p.run(['halt'], { timeoutMs: BOOT });
    expect(h.code, show(h)).toBe(0);
    expect(h.stdout + h.stderr).toMatch(/discarded/);
    const up = await p.run(['up'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stdout + up.stderr).toMatch(/booted/);
    expect(managedSave()).toBe('no');
    const gone = await p.run(['ssh', '-c', 'if ps | grep -q "[s]leep 100000"; then echo alive; else echo gone; fi']);
    expect(gone.stdout).toBe('gone\n');
  }, BOOT * 2);

  it('destroy of a suspended machine removes the domain with libvirt\'s saved image', async () => {
    const s = await p.run(['suspend'], { timeoutMs: BOOT });
    expect(s.code, show(s)).toBe(0);
    expect(managedSave()).toBe('yes');
    const d = await p.run(['destroy', '--force'], { timeoutMs: BOOT });
    expect(d.code, show(d)).toBe(0);
    expect(virsh('dominfo', domain).status).not.toBe(0);
    expect(existsSync(`/var/lib/libvirt/qemu/save/${domain}.save`)).toBe(false);
  }, BOOT);
});
