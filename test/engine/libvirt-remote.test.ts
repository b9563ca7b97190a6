// The libvirt engine against a "remote" hypervisor host for real: qemu+ssh://root@127.0.0.1 through a
// throwaway sshd on a free port with a key made for the test (no_verify: the host key is new each
// run). Everything goes through ssh as it would to another host: the box upload (vol-upload), the
// domain, `virsh console`, the agent relayed by `ssh HOST socat`, and a port forward served here on
// 127.0.0.1 by the keeper's `ssh -N -L` tunnel to qemu's listener on that host's loopback. Skipped,
// with the reason, when sshd, ssh, socat or a libvirt daemon with qemu-system-riscv64 is missing.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForAgent } from '../../src/core/agent/client.js';
import { LibvirtEngine, keeperMainPath } from '../../src/engines/libvirt/libvirt-engine.js';
import { domainName } from '../../src/engines/libvirt/names.js';
import { LibvirtError } from '../../src/engines/libvirt/errors.js';
import { readTunnel, TUNNEL_PID_FILE } from '../../src/engines/shared/forward-tunnel-record.js';
import { ensureTunnel } from '../../src/core/machines/forward-tunnel.js';
import { httpGet } from '../support/http-get.js';
import { freePort, releaseRemoteLibvirt, remoteLibvirtSkipReason, startThrowawaySshd, systemVirsh as virsh, type ThrowawaySshd } from '../support/throwaway-sshd.js';
import { BOOT_TIMEOUT_MS, ConsoleClient, Started, cleanup, machineFor, tempProject, unpackBox, waitGone, type TestMachine } from './qemu-harness.js';

const reason = remoteLibvirtSkipReason() ?? (existsSync(keeperMainPath()) ? undefined : 'dist/ is not built (npm run build)');

describe.skipIf(reason !== undefined)(reason ? `libvirt engine over qemu+ssh (skipped: ${reason})` : 'libvirt engine over qemu+ssh://root@127.0.0.1 (throwaway sshd)', () => {
  const engine = new LibvirtEngine();
  const started = new Started();
  const pool = `vm-test-ssh-${process.pid}`;
  let sshd: ThrowawaySshd | undefined;
  let uri = '';
  let sshPort = 0;
  let project = '';
  let m: TestMachine;
  let hostPort = 0;

  beforeAll(async () => {
    sshd = await startThrowawaySshd();
    uri = sshd.uri;
    sshPort = sshd.port;
    project = tempProject('vm-libvirt-ssh-');
    const box = unpackBox('tiny', project);
    hostPort = await freePort();
    m = machineFor(box, project, 'far', { engine: 'libvirt', engineRequested: 'libvirt', libvirt: { uri, pool }, forwards: [{ guest: 80, host: hostPort, hostIp: '127.0.0.1', protocol: 'tcp' }] });
  });

  afterAll(async () => {
    await started.killAll();
    releaseRemoteLibvirt({ sshd, pool, domain: m ? domainName(m.config) : undefined });
    if (m) cleanup(m.paths.runDir);
    if (project) cleanup(project);
  });

  it('uploads the box, boots, reaches console and agent through ssh, and serves a forward through its tunnel', async () => {
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
      const www = await agent.run({ argv: ['sh', '-c', 'mkdir -p /www && echo served-by-$((6*7)) > /www/index.html && httpd -p 80 -h /www'] });
      expect(www.status).toEqual({ code: 0 });
    } finally {
      agent.close();
    }

    // the forward: this host's 127.0.0.1:hostPort, through the keeper's ssh tunnel, to qemu's
    // listener on the hypervisor host's loopback, to the guest's httpd
    const stateDir = m.config.project.stateDir;
    const first = readTunnel(stateDir)!;
    expect(first).toMatchObject({ keeperPid: who.pid, via: `ssh root@127.0.0.1:${sshPort}`, forwards: [{ hostIp: '127.0.0.1', host: hostPort, guest: 80, protocol: 'tcp' }] });
    expect(first.forwards[0]!.remote).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(first.pid).toBeGreaterThan(0);
    expect(readFileSync(`/proc/${first.pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(['ssh', '-N', '-L', `127.0.0.1:${hostPort}:${first.forwards[0]!.remote}`]));
    expect(await httpGet(hostPort)).toBe('served-by-42\n');
    // qemu listens on the hypervisor host's loopback, on the port the record names (that host is this one here)
    const remotePort = Number(first.forwards[0]!.remote.split(':')[1]);
    expect(await httpGet(remotePort)).toBe('served-by-42\n');

    // a tunnel that dies is started again; asked by a command (vm status does), at once
    process.kill(first.pid!, 'SIGKILL');
    for (let i = 0; i < 50 && readTunnel(stateDir)?.pid === first.pid; i++) await new Promise((r) => setTimeout(r, 20));
    const again = await ensureTunnel(stateDir, who.pid);
    expect(again?.pid).toBeGreaterThan(0);
    expect(again?.pid).not.toBe(first.pid);
    expect(await httpGet(hostPort)).toBe('served-by-42\n');

    process.kill(-who.pid, 'SIGTERM');
    expect(await waitGone(who, 20_000)).toBe(true);
    // the tunnel went with the keeper, and its record with it
    expect(existsSync(`/proc/${again!.pid}`)).toBe(false);
    expect(readTunnel(stateDir)).toBeUndefined();
    expect(existsSync(join(stateDir, TUNNEL_PID_FILE))).toBe(false);
    expect(virsh('domstate', domainName(m.config)).stdout.trim()).toBe('shut off');
    await engine.destroyDisks(m.config);
    expect(virsh('domstate', domainName(m.config)).status).not.toBe(0);
  }, BOOT_TIMEOUT_MS * 2);

  it('a forward whose host port is taken here fails the start with ssh\'s words, leaving no domain running and no tunnel', async () => {
    await engine.prepare(m.config);
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(hostPort, '127.0.0.1', r));
    try {
      const err = await engine.start(m.config, m.paths).then(
        () => undefined,
        (e: unknown) => e as LibvirtError,
      );
      expect(err).toBeInstanceOf(LibvirtError);
      expect(err!.exitCode).toBe(4);
      expect(err!.logTail).toMatch(new RegExp(`the ssh tunnel for the port forwards ended \\(exit 255\\): .*127\\.0\\.0\\.1\\]?:${hostPort}: Address already in use`));
    } finally {
      squatter.close();
    }
    expect(virsh('domstate', domainName(m.config)).stdout.trim()).toBe('shut off');
    expect(readTunnel(m.config.project.stateDir)).toBeUndefined();
    await engine.destroyDisks(m.config);
  }, BOOT_TIMEOUT_MS);
});
