// Two machines of one Vmfile on a private network reach each other (static addresses from the
// Vmfile, frames over the loopback multicast group both engines use), booted with --parallel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_READY, Project, show } from './helpers/vm-cli.js';

const BOOT = 400_000;

describe.skipIf(!E2E_READY)('private networks (compiled CLI; run `npm run build` first; skipped when the engine under test is missing)', () => {
  let p: Project;
  // A network name unique to this run, so a parallel run elsewhere on the host never joins it.
  const network = `e2e-${process.pid}`;

  beforeAll(() => {
    p = new Project('pnet', '');
    p.writeMultiVmfile(`defaults:
  box: tiny
  memory: 128M
  boot_timeout: 5m
machines:
  web:
    nics: [{type: nat}, {type: private, network: ${network}, ip: 192.168.77.10}]
  db:
    nics: [{type: private, network: ${network}, ip: 192.168.77.11}]
`);
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  it('machines naming the same network ping each other', async () => {
    const up = await p.run(['up', '--parallel'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stdout).toContain('eth1 192.168.77.10/24');
    expect(up.stdout).toContain('eth0 192.168.77.11/24');
    const a = await p.run(['ssh', 'web', '-c', 'ping -c 2 -W 5 192.168.77.11']);
    expect(a.code, show(a)).toBe(0);
    expect(a.stdout).toContain('2 packets received');
    const b = await p.run(['ssh', 'db', '-c', 'ping -c 1 -W 5 192.168.77.10']);
    expect(b.code, show(b)).toBe(0);
    const which = await p.run(['ssh', '-c', 'true']);
    expect(which.code).toBe(1);
    expect(which.stderr).toContain('this Vmfile has 2 machines (web, db): name the one for `vm ssh`');
  }, BOOT);
});
