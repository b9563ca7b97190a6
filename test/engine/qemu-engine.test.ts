// The qemu engine end to end on the riscv64 tiny box under TCG, driven through the Engine interface
// as the lifecycle drives it: prepare (qcow2 overlay), start (detached, sockets), the ready marker on
// console.sock, a console command, the agent, QMP query-status, a forwarded port, what
// system_powerdown does on riscv64 virt, halt, restart with the disk's contents kept, the box image
// untouched, a start failure with qemu's own message, destroyDisks. Skipped when qemu is missing.
import { connect, createServer } from 'node:net';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForAgent } from '../../src/core/agent/client.js';
import { QemuEngine } from '../../src/engines/qemu/qemu-engine.js';
import { QmpClient } from '../../src/engines/qmp-client.js';
import { ROOT_OVERLAY_FILE } from '../../src/engines/qemu/qemu-img.js';
import { isAlive } from '../../src/core/machines/process-identity.js';
import {
  BOOT_TIMEOUT_MS, ConsoleClient, Started, cleanup, machineFor, qemuVersion, sha256File, tempProject, unpackBox, waitGone,
  type TestMachine, type UnpackedBox,
} from './qemu-harness.js';

const version = qemuVersion('qemu-system-riscv64');
const imgVersion = qemuVersion('qemu-img');
const title = version && imgVersion ? `qemu engine, tiny box on ${version}` : 'qemu engine (skipped: qemu-system-riscv64 or qemu-img is not installed)';

/** A free TCP port on 127.0.0.1 (bound then released). */
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

describe.skipIf(!version || !imgVersion)(title, () => {
  const engine = new QemuEngine();
  const started = new Started();
  let project = '';
  let box: UnpackedBox;
  let m: TestMachine;
  let guestPort = 0;
  let hostPort = 0;

  beforeAll(async () => {
    project = tempProject('vm-qemu-engine-');
    box = unpackBox('tiny', project);
    hostPort = await freePort();
    guestPort = 7777;
    m = machineFor(box, project, 'web', { cpus: 2, forwards: [{ guest: guestPort, host: hostPort, hostIp: '127.0.0.1', protocol: 'tcp' }] });
  });

  afterAll(async () => {
    await started.killAll();
    if (m) cleanup(m.paths.runDir);
    if (project) cleanup(project);
  });

  it('is available, and prepare makes a qcow2 overlay on the box image', async () => {
    const a = await engine.availability(m.config);
    expect(a).toEqual({ ok: true, detail: version });
    await engine.prepare(m.config);
    const overlay = join(m.config.project.stateDir, ROOT_OVERLAY_FILE);
    expect(readFileSync(overlay).subarray(0, 4).toString('latin1')).toBe('QFI\xfb');
    // sparse and small: only metadata until the guest writes
    expect(statSync(overlay).size).toBeLessThan(1024 * 1024);
    const before = statSync(overlay).mtimeMs;
    await engine.prepare(m.config); // existing overlay left alone
    expect(statSync(overlay).mtimeMs).toBe(before);
  });

  it('starts detached under TCG, boots to the ready marker, runs console and agent commands, answers QMP', async () => {
    const t0 = performance.now();
    const proc = await engine.start(m.config, m.paths);
    const who = started.add(proc);
    expect(proc.accel).toBe('tcg'); // accel auto, riscv64 guest on an x86_64 host: no KVM
    expect(proc.argv?.[0]).toMatch(/qemu-system-riscv64$/);
    expect(statSync(m.paths.runDir).mode & 0o777).toBe(0o700);
    // its own process group and session: a Ctrl-C on the CLI does not reach it
    const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect(Number(fields[2])).toBe(proc.pid); // pgrp
    expect(Number(fields[3])).toBe(proc.pid); // session

    const con = await ConsoleClient.connect(m.paths.consoleSocket);
    await con.waitFor('vm: root on /dev/vda');
    await con.waitFor('vm: ready');
    const readyMs = performance.now() - t0;
    console.log(`qemu engine (TCG, 2 harts): start + boot to ready in ${readyMs.toFixed(0)} ms`);
    // the relay writes console.log asynchronously: give the disk a moment
    for (let i = 0; i < 50 && !readFileSync(m.paths.consoleLog, 'utf8').includes('vm: ready'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(m.paths.consoleLog, 'utf8')).toContain('vm: ready');

    con.type('\necho $((6*7)); hostname\n');
    const out = await con.waitFor(/^web\r?$/m, 30_000);
    expect(out).toMatch(/^42\r?$/m);

    const agent = await waitForAgent(m.paths.agentSocket, { timeoutMs: 60_000 });
    try {
      const r = await agent.run({ argv: ['sh', '-c', 'uname -m; cat /proc/cmdline; echo persisted > /root/mark; sync'] });
      expect(r.status).toEqual({ code: 0 });
      expect(r.stdout.toString()).toMatch(/^riscv64\n.*vm\.hostname=web/);
      // a one-shot TCP server behind the forwarded port
      const srv = await agent.run({ argv: ['sh', '-c', `(echo hello through the forward | nc -l -p ${guestPort} >/dev/null 2>&1 &) ; sleep 1`] });
      expect(srv.status).toEqual({ code: 0 });
    } finally {
      agent.close();
    }
    const reply = await new Promise<string>((resolve, reject) => {
      let data = '';
      const s = connect(hostPort, '127.0.0.1');
      s.on('data', (d: Buffer) => (data += d.toString()));
      s.on('end', () => resolve(data));
      s.on('error', reject);
      setTimeout(() => {
        s.destroy();
        resolve(data);
      }, 10_000);
    });
    expect(reply).toBe('hello through the forward\n');

    const qmp = await QmpClient.connect(m.paths.qmpSocket);
    try {
      expect(qmp.greeting?.QMP.version.qemu.major).toBeGreaterThanOrEqual(7);
      expect(await qmp.queryStatus()).toMatchObject({ status: 'running', running: true });
      // riscv64 virt has no power button: qemu reports the request, the guest cannot see it
      await qmp.execute('system_powerdown');
      await qmp.waitForEvent('POWERDOWN', 5000);
      await new Promise((r) => setTimeout(r, 3000));
      expect(await qmp.queryStatus()).toMatchObject({ status: 'running' });
      expect(isAlive(who)).toBe(true);
    } finally {
      qmp.close();
    }

    // a console client that never reads neither stalls the guest nor the other clients
    const idle = connect(m.paths.consoleSocket);
    await new Promise((r) => idle.once('connect', r));
    idle.pause();
    const watcher = await ConsoleClient.connect(m.paths.consoleSocket);
    const flood = await waitForAgent(m.paths.agentSocket, { timeoutMs: 30_000 });
    try {
      const t = performance.now();
      const r = await flood.run({ argv: ['sh', '-c', "head -c 1000000 /dev/zero | tr '\\0' x > /dev/console; echo flood-done > /dev/console; echo ok"] });
      expect(r.stdout.toString()).toBe('ok\n');
      console.log(`1 MB through the serial console with a client that never reads: ${(performance.now() - t).toFixed(0)} ms`);
    } finally {
      flood.close();
    }
    await watcher.waitFor('flood-done', 30_000);
    watcher.close();
    idle.destroy();
    // console.log is bounded and rotated (8 MiB), not qemu's unbounded logfile
    expect(statSync(m.paths.consoleLog).size).toBeLessThan(9 * 1024 * 1024);

    // halt through the guest (what the agent's poweroff does): qemu exits by itself, the relay too
    con.type('poweroff\n');
    await con.waitFor('vm: poweroff', 30_000);
    expect(await waitGone(who, 30_000)).toBe(true);
    con.close();
    for (let i = 0; i < 50 && existsSync(m.paths.consoleSocket); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(m.paths.consoleSocket)).toBe(false);
    expect(existsSync(join(m.paths.runDir, 'qemu-serial.sock'))).toBe(false);
  }, BOOT_TIMEOUT_MS * 2);

  it('keeps the guest disk across restarts in the overlay, never writing the box image', async () => {
    const proc = await engine.start(m.config, m.paths);
    const who = started.add(proc);
    const agent = await waitForAgent(m.paths.agentSocket, { timeoutMs: BOOT_TIMEOUT_MS });
    try {
      const r = await agent.run({ argv: ['cat', '/root/mark'] });
      expect(r.stdout.toString()).toBe('persisted\n');
    } finally {
      agent.close();
    }
    // forced stop: by pid, after checking it is still the process we started
    expect(isAlive(who)).toBe(true);
    process.kill(who.pid, 'SIGKILL');
    expect(await waitGone(who, 10_000)).toBe(true);
    expect(sha256File(box.ref.rootDisk!.path)).toBe(box.ref.rootDisk!.sha256);
  }, BOOT_TIMEOUT_MS * 2);

  it('fails to start with qemu\'s own message when a forwarded port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      const busy = { ...m.config, forwards: [{ guest: 22, host: port, hostIp: '127.0.0.1', protocol: 'tcp' as const }] };
      const err = await engine.start(busy, m.paths).then(
        () => null,
        (e: unknown) => e as Error & { logTail?: string },
      );
      expect(err?.message).toMatch(/^qemu ended while starting \(exit code 1\)$/);
      expect(err?.logTail).toContain(`Could not set up host forwarding rule 'tcp:127.0.0.1:${port}-:22'`);
    } finally {
      taken.close();
    }
  });

  it('refuses to start without the overlay rather than silently starting over, and destroyDisks removes it', async () => {
    await engine.destroyDisks(m.config);
    expect(existsSync(join(m.config.project.stateDir, ROOT_OVERLAY_FILE))).toBe(false);
    await expect(engine.start(m.config, m.paths)).rejects.toThrow(`the root disk overlay is missing: ${join(m.config.project.stateDir, ROOT_OVERLAY_FILE)}`);
    await engine.destroyDisks(m.config); // nothing left: fine
    expect(sha256File(box.ref.rootDisk!.path)).toBe(box.ref.rootDisk!.sha256);
  });
});
