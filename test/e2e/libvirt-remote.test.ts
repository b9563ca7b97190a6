// `engine: libvirt` on a remote hypervisor host through the real CLI: the "remote" host is this
// one's system libvirt reached as qemu+ssh://root@127.0.0.1 through a throwaway sshd
// (test/support/throwaway-sshd.ts), so everything goes through ssh as it would to another host.
// A forward is served on this host's 127.0.0.1 by the ssh tunnel the machine's engine keeps: `vm up`
// and `vm port` say so, bytes go through, a killed tunnel is back once `vm status` ran, `vm halt`
// ends it. `vm global-status` lists the machine with its domain, and still finds the domain by its
// metadata once the project's .vm/ folder and then the project are gone. One boot. Runs once (the
// engine is libvirt whatever VM_E2E_ENGINE says).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainName } from '../../src/engines/libvirt/names.js';
import { httpGet } from '../support/http-get.js';
import { freePort, releaseRemoteLibvirt, remoteLibvirtSkipReason, startThrowawaySshd, systemVirsh as virsh, type ThrowawaySshd } from '../support/throwaway-sshd.js';
import { alive, BIN, BUILT, ENGINE, Project, show } from './helpers/vm-cli.js';

const reason = ENGINE !== 'builtin' ? 'runs once, in the builtin pass of the e2e suite (its engine is libvirt)' : !BUILT ? 'dist/ is not built (npm run build)' : remoteLibvirtSkipReason();
const BOOT = 300_000;

interface GlobalRow {
  project: string;
  name: string;
  engine: string;
  status: string;
  detail?: string;
  stale: boolean;
  libvirt?: { uri: string; domain: string; state: string };
  indexed?: false;
}

describe.skipIf(reason !== undefined)(reason ? `libvirt on a remote host through the CLI (skipped: ${reason})` : 'libvirt on qemu+ssh://root@127.0.0.1 through the CLI: forwards over an ssh tunnel, global-status', () => {
  const pool = `vm-e2e-ssh-${process.pid}`;
  let sshd: ThrowawaySshd;
  let p: Project;
  let port = 0;
  let domain = '';
  const tunnelPid = (): number | undefined => {
    const f = join(p.machineDir('default'), 'forward-tunnel.pid');
    return existsSync(f) ? Number(readFileSync(f, 'utf8')) : undefined;
  };
  const globalStatus = async (): Promise<GlobalRow[]> => {
    const r = await p.run(['global-status', '--json']);
    expect(r.code, show(r)).toBe(0);
    return JSON.parse(r.stdout) as GlobalRow[];
  };

  beforeAll(async () => {
    sshd = await startThrowawaySshd();
    port = await freePort();
    p = new Project('libvirt-ssh', '');
    writeFileSync(
      join(p.dir, 'Vmfile'),
      `engine: libvirt
libvirt: {uri: "${sshd.uri}", pool: ${pool}}
box: tiny
memory: 256M
boot_timeout: 4m
forwards:
  - {guest: 80, host: ${port}}
provision:
  - type: shell
    run: always
    inline: mkdir -p /www && echo served-by-$((6*7)) > /www/index.html && httpd -p 80 -h /www
`,
    );
    domain = domainName({ name: 'default', project: { dir: p.dir, vmfile: join(p.dir, 'Vmfile'), stateDir: p.machineDir('default') } });
  });

  afterAll(async () => {
    if (p && existsSync(p.dir)) await p.cleanup();
    releaseRemoteLibvirt({ sshd, pool, domain: domain || undefined });
    if (p) rmSync(p.runtime, { recursive: true, force: true });
  });

  it('up says the ssh tunnel serves the forward; bytes go through it; vm port says so too', async () => {
    const r = await p.run(['up'], { timeoutMs: BOOT });
    expect(r.code, show(r)).toBe(0);
    const via = new RegExp(`127\\.0\\.0\\.1:${port} -> 80/tcp\\s+\\(ssh tunnel \\(pid (\\d+)\\) through ssh root@127\\.0\\.0\\.1:${sshd.port} to 127\\.0\\.0\\.1:(\\d+) there\\)`);
    const m = via.exec(r.stdout);
    expect(m, show(r)).not.toBeNull();
    expect(Number(m![1])).toBe(tunnelPid());
    expect(await httpGet(port)).toBe('served-by-42\n');
    const ports = await p.run(['port']);
    expect(ports.stdout, show(ports)).toMatch(via);
    const json = JSON.parse((await p.run(['port', '--json'])).stdout) as { forwards: { servedBy?: string }[] }[];
    expect(json[0]!.forwards[0]!.servedBy).toMatch(/^ssh tunnel \(pid \d+\) through ssh root@127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+ there$/);
  }, BOOT);

  it('a killed tunnel is back once vm status ran', async () => {
    const first = tunnelPid()!;
    process.kill(first, 'SIGKILL');
    for (let i = 0; i < 50 && alive(first); i++) await new Promise((r) => setTimeout(r, 20));
    const [m] = await p.status();
    expect(m).toMatchObject({ name: 'default', status: 'running' });
    const again = tunnelPid();
    expect(again).toBeGreaterThan(0);
    expect(again).not.toBe(first);
    expect(alive(again!)).toBe(true);
    expect(await httpGet(port)).toBe('served-by-42\n');
  });

  it('global-status lists the machine with its domain on the remote host', async () => {
    const rows = await globalStatus();
    expect(rows).toEqual([expect.objectContaining({ project: p.dir, name: 'default', engine: 'libvirt', status: 'running', libvirt: { uri: sshd.uri, domain, state: 'running' } })]);
    const table = await p.run(['global-status']);
    expect(table.stdout).toContain(`libvirt qemu+ssh://root@127.0.0.1:${sshd.port}/system`);
    expect(table.stdout).not.toContain('keyfile');
  });

  it('suspend is refused up front, saying why; the machine and its tunnel keep running', async () => {
    const tunnel = tunnelPid()!;
    const r = await p.run(['suspend']);
    expect(r.code, show(r)).toBe(5);
    expect(r.stderr).toContain(
      "cannot suspend machine 'default': a riscv64 guest restored by qemu before 10.2 loses its armed timer (every sleep in it would hang); vm re-arms it through qemu's gdbstub, whose socket would be on the hypervisor host 127.0.0.1, out of vm's reach: suspend works with libvirt on this host",
    );
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    const [m] = await p.status();
    expect(m).toMatchObject({ name: 'default', status: 'running' });
    expect(alive(tunnel)).toBe(true);
  });

  it('halt ends the tunnel with the machine', async () => {
    const tunnel = tunnelPid()!;
    const r = await p.run(['halt'], { timeoutMs: 120_000 });
    expect(r.code, show(r)).toBe(0);
    expect(alive(tunnel)).toBe(false);
    expect(tunnelPid()).toBeUndefined();
    expect(existsSync(join(p.machineDir('default'), 'forward-tunnel.json'))).toBe(false);
    expect(virsh('domstate', domain).stdout.trim()).toBe('shut off');
    const ports = await p.run(['port']);
    expect(ports.stdout).toBe(`default  127.0.0.1:${port} -> 80/tcp  (machine not running)\n`);
  }, 120_000);

  it('global-status finds the domain when the .vm/ folder is lost, then when the project is gone', async () => {
    rmSync(join(p.dir, '.vm'), { recursive: true, force: true });
    const lost = await globalStatus();
    expect(lost).toEqual([
      expect.objectContaining({ project: p.dir, name: 'default', status: 'not created', stale: false, libvirt: { uri: sshd.uri, domain, state: 'shut off' } }),
    ]);
    expect(lost[0]!.detail).toBe(`its state folder is gone, but its domain ${domain} is shut off on ${sshd.uri}`);

    // the project goes, with the VM_HOME inside it: keep that index elsewhere and ask from elsewhere
    const dir = p.dir;
    const keep = join(p.runtime, 'home');
    expect(spawnSync('cp', ['-a', p.home, keep]).status).toBe(0);
    rmSync(dir, { recursive: true, force: true });
    const gone = spawnSync(process.execPath, [BIN, 'global-status', '--json'], { cwd: p.runtime, env: p.env({ VM_HOME: keep }), encoding: 'utf8' });
    expect(gone.status, gone.stderr).toBe(0);
    const rows = JSON.parse(gone.stdout) as GlobalRow[];
    expect(rows).toEqual([expect.objectContaining({ project: dir, name: 'default', status: 'missing', stale: false, libvirt: { uri: sshd.uri, domain, state: 'shut off' } })]);
    expect(rows[0]!.detail).toBe(`project folder is gone; its domain ${domain} is shut off on ${sshd.uri}`);
  });
});
