// The libvirt engine against a "remote" hypervisor host for real: qemu+ssh://root@127.0.0.1 through a
// throwaway sshd on a free port with a key made for the test (no_verify: the host key is new each
// run). Everything goes through ssh as it would to another host: the box upload (vol-upload), the
// domain, `virsh console`, and the agent relayed by `ssh HOST socat`. Skipped, with the reason, when
// sshd, ssh, socat or a libvirt daemon with qemu-system-riscv64 is missing.
import { spawnSync, type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForAgent } from '../../src/core/agent/client.js';
import { LibvirtEngine, keeperMainPath } from '../../src/engines/libvirt/libvirt-engine.js';
import { domainName } from '../../src/engines/libvirt/names.js';
import { BOOT_TIMEOUT_MS, ConsoleClient, Started, cleanup, machineFor, tempProject, unpackBox, waitGone, type TestMachine } from './qemu-harness.js';

const SSHD = '/usr/sbin/sshd';
const have = (p: string, args: string[]) => spawnSync(p, args).error === undefined;

function skipReason(): string | undefined {
  if (!existsSync(SSHD)) return 'sshd is not installed (apt-get install openssh-server)';
  if (!have('ssh', ['-V'])) return 'ssh is not installed';
  if (!have('socat', ['-V'])) return 'socat is not installed (the agent relay on the hypervisor host)';
  const v = spawnSync('virsh', ['-c', 'qemu:///system', 'domcapabilities', '--arch', 'riscv64', '--virttype', 'qemu'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return 'no libvirt daemon with qemu-system-riscv64 on this host';
  if (spawnSync('id', ['-u'], { encoding: 'utf8' }).stdout.trim() !== '0') return 'needs root (sshd for root@127.0.0.1)';
  if (!existsSync(keeperMainPath())) return 'dist/ is not built (npm run build)';
  return undefined;
}
const reason = skipReason();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(reason !== undefined)(reason ? `libvirt engine over qemu+ssh (skipped: ${reason})` : 'libvirt engine over qemu+ssh://root@127.0.0.1 (throwaway sshd)', () => {
  const engine = new LibvirtEngine();
  const started = new Started();
  const pool = `vm-test-ssh-${process.pid}`;
  let dir = '';
  let sshd: ChildProcess | undefined;
  let uri = '';
  let project = '';
  let m: TestMachine;
  const virsh = (...args: string[]) => spawnSync('virsh', ['-q', '-c', 'qemu:///system', ...args], { encoding: 'utf8' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vm-sshd-'));
    for (const k of ['host', 'user']) expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, k)]).status).toBe(0);
    copyFileSync(join(dir, 'user.pub'), join(dir, 'authorized_keys'));
    chmodSync(join(dir, 'authorized_keys'), 0o600);
    spawnSync('mkdir', ['-p', '/run/sshd']);
    const port = await freePort();
    // -D: stays in the foreground as our child, so the test ends exactly the sshd it started
    sshd = spawn(SSHD, ['-D', '-f', '/dev/null', '-h', join(dir, 'host'), '-p', String(port), '-o', 'ListenAddress=127.0.0.1', '-o', `AuthorizedKeysFile=${join(dir, 'authorized_keys')}`,
      '-o', 'PermitRootLogin=prohibit-password', '-o', 'PasswordAuthentication=no', '-o', 'StrictModes=no', '-o', 'UsePAM=no', '-o', `PidFile=${join(dir, 'sshd.pid')}`], { stdio: 'ignore' });
    uri = `qemu+ssh://root@127.0.0.1:${port}/system?keyfile=${join(dir, 'user')}&no_verify=1`;
    for (let i = 0; i < 50; i++) {
      if (spawnSync('virsh', ['-c', uri, 'version']).status === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    project = tempProject('vm-libvirt-ssh-');
    const box = unpackBox('tiny', project);
    m = machineFor(box, project, 'far', { engine: 'libvirt', engineRequested: 'libvirt', libvirt: { uri, pool } });
  });

  afterAll(async () => {
    await started.killAll();
    if (m) {
      virsh('destroy', domainName(m.config));
      virsh('undefine', domainName(m.config));
    }
    const vols = virsh('vol-list', pool).stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter(Boolean);
    for (const v of vols) virsh('vol-delete', '--pool', pool, v);
    virsh('pool-destroy', pool);
    virsh('pool-undefine', pool);
    spawnSync('rmdir', [`/var/lib/libvirt/${pool}`]);
    sshd?.kill('SIGTERM');
    if (m) cleanup(m.paths.runDir);
    if (project) cleanup(project);
    if (dir) cleanup(dir);
  });

  it('uploads the box, boots, and reaches console and agent through ssh', async () => {
    expect(await engine.availability(m.config)).toMatchObject({ ok: true });
    const t0 = performance.now();
    await engine.prepare(m.config);
    const t1 = performance.now();
    const proc = await engine.start(m.config, m.paths);
    const t2 = performance.now();
    const who = started.add(proc);
    const con = await ConsoleClient.connect(m.paths.consoleSocket);
    await con.waitFor('vm: ready');
    const t3 = performance.now();
    console.log(`libvirt engine over qemu+ssh: prepare ${(t1 - t0).toFixed(0)} ms, start ${(t2 - t1).toFixed(0)} ms, boot to ready ${(t3 - t2).toFixed(0)} ms`);
    expect(readFileSync(m.paths.consoleLog, 'utf8').slice(0, 1200)).toMatch(/^\s*OpenSBI v/);
    const agent = await waitForAgent(m.paths.agentSocket, { timeoutMs: 60_000 });
    try {
      const r = await agent.run({ argv: ['sh', '-c', 'hostname; uname -m'] });
      expect(r.stdout.toString()).toBe('far\nriscv64\n');
    } finally {
      agent.close();
    }
    process.kill(-who.pid, 'SIGTERM');
    expect(await waitGone(who, 20_000)).toBe(true);
    expect(virsh('domstate', domainName(m.config)).stdout.trim()).toBe('shut off');
    await engine.destroyDisks(m.config);
    expect(virsh('domstate', domainName(m.config)).status).not.toBe(0);
  }, BOOT_TIMEOUT_MS * 2);
});
