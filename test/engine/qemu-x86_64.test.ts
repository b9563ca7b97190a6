// The tiny-x86_64 box on the qemu engine: installed from boxes/ through the same verified add as any
// bundled box, then prepare + start (q35, TCG here: the KVM probe fails on nested hosts), ready on
// the console, a shell command on the console and commands through the agent (what `vm ssh` uses),
// rw and ro 9p folders, QMP, and a graceful halt through QMP system_powerdown (ACPI power button ->
// acpid -> poweroff). Skipped when qemu-system-x86_64 is not installed.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForAgent } from '../../src/core/agent/client.js';
import { isBroken, listBundled, materializeBundled } from '../../src/core/boxes/bundled.js';
import { toBoxRef } from '../../src/core/boxes/manifest.js';
import { QemuEngine } from '../../src/engines/qemu/qemu-engine.js';
import { QmpClient } from '../../src/engines/qmp-client.js';
import { BOOT_TIMEOUT_MS, ConsoleClient, Started, cleanup, machineFor, qemuVersion, sha256File, tempProject, waitGone, type UnpackedBox } from './qemu-harness.js';

const version = qemuVersion('qemu-system-x86_64');
const imgVersion = qemuVersion('qemu-img');
const BOXES = fileURLToPath(new URL('../../boxes/', import.meta.url));

describe.skipIf(!version || !imgVersion)(`tiny-x86_64 box on the qemu engine (${version ?? 'skipped: qemu-system-x86_64 is not installed'})`, () => {
  const engine = new QemuEngine();
  const started = new Started();
  const project = tempProject('vm-qemu-x86-');
  let runDir = '';
  afterAll(async () => {
    await started.killAll();
    if (runDir) cleanup(runDir);
    cleanup(project);
  });

  it('installs, boots, runs commands on the console and through the agent, shares folders, halts through the power button', async () => {
    const bundled = (await listBundled({ bundledDir: BOXES })).find((b) => (isBroken(b) ? b.folder.endsWith('/tiny-x86_64') : b.name === 'tiny-x86_64'));
    if (!bundled || isBroken(bundled)) throw new Error(`bundled box tiny-x86_64 is missing or broken: ${JSON.stringify(bundled)}`);
    const added = await materializeBundled(bundled, { loc: { home: join(project, 'home'), bundledDir: BOXES } });
    const ref = toBoxRef(added.box.manifest, added.box.dir, added.box.checksum);
    expect(ref).toMatchObject({ arch: 'x86_64', engines: ['qemu'], cmdline: 'console=ttyS0 quiet' });
    const box: UnpackedBox = { dir: ref.dir, json: JSON.parse(readFileSync(join(ref.dir, 'box.json'), 'utf8')), ref };

    const rw = join(project, 'src');
    const ro = join(project, 'docs');
    mkdirSync(rw);
    mkdirSync(ro);
    writeFileSync(join(ro, 'readme.txt'), 'read-only share\n');
    const m = machineFor(box, project, 'x86', {
      syncedFolders: [
        { hostPath: rw, guestPath: '/vagrant', readOnly: false, tag: 'vm0' },
        { hostPath: ro, guestPath: '/srv/docs', readOnly: true, tag: 'vm1' },
      ],
    });
    runDir = m.paths.runDir;
    expect(await engine.availability(m.config)).toEqual({ ok: true, detail: version });
    await engine.prepare(m.config);

    const t0 = performance.now();
    const proc = await engine.start(m.config, m.paths);
    const who = started.add(proc);
    const probe = await engine.probe(m.config);
    expect(proc.accel).toBe(probe.usable ? 'kvm' : 'tcg');
    const con = await ConsoleClient.connect(m.paths.consoleSocket);
    await con.waitFor('vm: root on /dev/vda');
    await con.waitFor('vm: mounted vm0 on /vagrant');
    await con.waitFor('vm: mounted vm1 on /srv/docs (ro)');
    await con.waitFor('vm: ready');
    console.log(`tiny-x86_64 on qemu (${proc.accel}): start + boot to ready in ${(performance.now() - t0).toFixed(0)} ms`);

    con.type('\necho console says $((6*7))\n');
    await con.waitFor(/^console says 42\r?$/m, 30_000);

    const agent = await waitForAgent(m.paths.agentSocket, { timeoutMs: BOOT_TIMEOUT_MS });
    try {
      const r = await agent.run({ argv: ['sh', '-c', 'uname -m; hostname; cat /srv/docs/readme.txt; echo from the guest > /vagrant/out.txt; touch /srv/docs/nope 2>&1 || echo ro-refused'] });
      expect(r.status).toEqual({ code: 0 });
      const out = r.stdout.toString();
      expect(out).toMatch(/^x86_64\nx86\nread-only share\n/);
      expect(out + r.stderr.toString()).toMatch(/Read-only file system/);
      expect(out).toMatch(/ro-refused\n$/);
    } finally {
      agent.close();
    }
    expect(readFileSync(join(rw, 'out.txt'), 'utf8')).toBe('from the guest\n');

    const qmp = await QmpClient.connect(m.paths.qmpSocket);
    try {
      expect(await qmp.queryStatus()).toMatchObject({ status: 'running', running: true });
      await qmp.execute('system_powerdown');
      await qmp.waitForEvent('POWERDOWN', 5000);
      // acpid sees the button, the init powers off cleanly; qemu reports the guest's shutdown
      const down = await qmp.waitForEvent('SHUTDOWN', 60_000);
      expect(down.data).toMatchObject({ guest: true });
    } finally {
      qmp.close();
    }
    await con.waitFor('vm: poweroff', 10_000).catch(() => undefined);
    expect(con.tail()).toContain('vm: poweroff');
    expect(await waitGone(who, 30_000)).toBe(true);
    con.close();
    expect(sha256File(ref.rootDisk!.path)).toBe(ref.rootDisk!.sha256);
  }, BOOT_TIMEOUT_MS * 2);
});
