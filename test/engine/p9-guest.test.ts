// Synced folders seen from inside a guest: the tiny box boots on the builtin engine with two
// virtio-9p shares (read-write and read-only), its init mounts them from `vm.mount=` parameters, and
// shell commands typed on the console work on files the host checks (and edits) directly.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBox } from '../../src/core/boxes/catalog.js';
import { startBuiltinMachine, type BuiltinMachine } from '../../src/engines/builtin/builtin-machine.js';
import { createSyncedFolderDevices, type SyncedFolderDevice } from '../../src/engines/builtin/p9/synced-folders.js';
import { syncedFolderParams } from '../../src/engines/builtin/guest-params.js';
import type { SyncedFolderConfig } from '../../src/model/machine-config.js';

const BOXES = join(import.meta.dirname, '../../boxes');
const HAVE_BOX = existsSync(join(BOXES, 'tiny', 'box.json'));
const BIG = 50 * 1024 * 1024;

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe.skipIf(!HAVE_BOX)('synced folders inside a guest (builtin engine)', () => {
  let base: string;
  let rw: string;
  let ro: string;
  let devices: SyncedFolderDevice[];
  let vm: BuiltinMachine;
  const logs: string[] = [];
  let console_ = '';
  let seq = 0;

  /** Run `cmd` in the guest shell; its output (stdout+stderr, \r removed) and exit status. */
  async function sh(cmd: string, ms = 60_000): Promise<{ out: string; rc: number }> {
    const n = ++seq;
    const from = console_.length;
    // The markers are computed by the shell, so the echoed command line never matches them.
    vm.write(`echo "@@B$((${n}))@@"; { ${cmd} ; } 2>&1; echo "@@E$((${n})) rc=$?@@"\n`);
    const end = new RegExp(`@@B${n}@@\\r?\\n([\\s\\S]*?)@@E${n} rc=(\\d+)@@`);
    const started = Date.now();
    for (;;) {
      const m = end.exec(console_.slice(from));
      if (m) return { out: m[1]!.replace(/\r/g, ''), rc: Number(m[2]) };
      if (Date.now() - started > ms) throw new Error(`timed out running \`${cmd}\`; console tail:\n${console_.slice(-2000)}`);
      if (vm.machine.exitEvent) throw new Error(`machine ended: ${JSON.stringify(vm.machine.exitEvent)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'vm-p9-guest-'));
    rw = join(base, 'project');
    ro = join(base, 'readonly');
    mkdirSync(rw);
    mkdirSync(ro);
    writeFileSync(join(rw, 'from-host.txt'), 'v1\n');
    writeFileSync(join(ro, 'keep.txt'), 'do not touch\n');
    const box = await resolveBox('tiny', undefined, { loc: { home: join(base, 'store'), bundledDir: BOXES } });
    const folders: SyncedFolderConfig[] = [
      { hostPath: rw, guestPath: '/vagrant', readOnly: false, tag: 'vagrant' },
      { hostPath: ro, guestPath: '/opt/ro', readOnly: true, tag: 'ro' },
    ];
    devices = await createSyncedFolderDevices({ syncedFolders: folders }, { onLog: (m) => logs.push(m) });
    vm = await startBuiltinMachine(
      {
        kernel: box.kernel,
        initrd: box.initrd,
        memoryBytes: 256 * 1024 * 1024,
        cpus: 1,
        cmdline: `${box.cmdline} vm.root=none ${syncedFolderParams(folders).join(' ')}`,
        devices: { console: false, rng: false, extra: devices },
      },
      { onLog: (m) => logs.push(m) },
    );
    vm.output.on('data', (c: Buffer) => (console_ += c.toString('latin1')));
    const ok = await Promise.race([vm.ready.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 150_000))]);
    if (!ok) throw new Error(`no ready marker; console tail:\n${vm.consoleTail()}`);
  }, 200_000);

  afterAll(async () => {
    vm?.stop();
    await vm?.exit;
    rmSync(base, { recursive: true, force: true });
  });

  it('mounts both shares at boot, the read-only one read-only', async () => {
    expect(console_).toContain('vm: mounted vagrant on /vagrant');
    expect(console_).toContain('vm: mounted ro on /opt/ro (ro)');
    const { out } = await sh('grep 9p /proc/mounts');
    expect(out).toMatch(/^vagrant \/vagrant 9p rw,.*msize=262144.*trans=virtio/m);
    expect(out).toMatch(/^ro \/opt\/ro 9p ro,/m);
  }, 60_000);

  it('creates, writes, appends, renames and deletes files the host sees at once', async () => {
    expect((await sh('echo one > /vagrant/new.txt && echo two >> /vagrant/new.txt')).rc).toBe(0);
    expect(readFileSync(join(rw, 'new.txt'), 'utf8')).toBe('one\ntwo\n');
    expect((await sh('mv /vagrant/new.txt /vagrant/renamed.txt')).rc).toBe(0);
    expect(existsSync(join(rw, 'new.txt'))).toBe(false);
    expect(readFileSync(join(rw, 'renamed.txt'), 'utf8')).toBe('one\ntwo\n');
    expect((await sh('rm /vagrant/renamed.txt')).rc).toBe(0);
    expect(existsSync(join(rw, 'renamed.txt'))).toBe(false);
    expect((await sh('mkdir -p /vagrant/a/b/c && touch /vagrant/a/b/c/leaf')).rc).toBe(0);
    expect(statSync(join(rw, 'a', 'b', 'c', 'leaf')).isFile()).toBe(true);
    expect((await sh('rm -r /vagrant/a/b && ls /vagrant/a | wc -l')).out.trim()).toBe('0');
    expect(existsSync(join(rw, 'a', 'b'))).toBe(false);
  }, 120_000);

  it('makes symlinks the host stores verbatim, and follows links in its own view', async () => {
    expect((await sh('mkdir -p /vagrant/d/e && echo inside > /vagrant/d/e/f && ln -s d/e /vagrant/rel && cat /vagrant/rel/f')).out).toBe('inside\n');
    expect(readlinkSync(join(rw, 'rel'))).toBe('d/e');
    expect((await sh('ln -s /etc /vagrant/abs && readlink /vagrant/abs')).out).toBe('/etc\n');
    expect(lstatSync(join(rw, 'abs')).isSymbolicLink()).toBe(true);
    // A link the host planted to its own /etc resolves inside the guest, to the guest's files.
    symlinkSync('/etc', join(rw, 'host-etc'));
    const { out } = await sh('cat /vagrant/host-etc/os-release');
    expect(out).toBe(readFileSync(join(BOXES, 'tiny', 'rootfs', 'etc', 'os-release'), 'utf8'));
  }, 120_000);

  it('shows files as root-owned with the host mode bits, and chmod round-trips', async () => {
    writeFileSync(join(rw, 'mode.sh'), '#!/bin/sh\necho ran\n', { mode: 0o640 });
    const { out } = await sh('ls -ln /vagrant/mode.sh');
    expect(out).toMatch(/^-rw-r-----\s+1\s+0\s+0\s+19 /);
    expect((await sh('chmod 751 /vagrant/mode.sh && /vagrant/mode.sh')).out).toBe('ran\n');
    expect(statSync(join(rw, 'mode.sh')).mode & 0o7777).toBe(0o751);
    expect((await sh('ls -l --color=never /vagrant/mode.sh')).out).toMatch(/^-rwxr-x--x\s+1 root\s+root /);
    const chown = await sh('chown 1000:1000 /vagrant/mode.sh');
    expect(chown.rc).not.toBe(0);
    expect(chown.out).toMatch(/Operation not permitted/);
  }, 120_000);

  it('sees a host-side edit at its next read', async () => {
    expect((await sh('cat /vagrant/from-host.txt')).out).toBe('v1\n');
    writeFileSync(join(rw, 'from-host.txt'), 'version two, longer\n');
    expect((await sh('cat /vagrant/from-host.txt')).out).toBe('version two, longer\n');
    writeFileSync(join(rw, 'appeared.txt'), 'new on host\n');
    expect((await sh('ls -1 --color=never /vagrant')).out.split('\n')).toContain('appeared.txt');
  }, 120_000);

  it('moves a 50 MB file both ways with equal sha256 on each side', async () => {
    writeFileSync(join(rw, 'big.bin'), randomBytes(BIG));
    const hostSum = sha256(join(rw, 'big.bin'));
    const t0 = performance.now();
    const { out, rc } = await sh('sha256sum /vagrant/big.bin && dd if=/vagrant/big.bin of=/vagrant/copy.bin bs=1M 2>/dev/null', 480_000);
    const seconds = (performance.now() - t0) / 1000;
    expect(rc).toBe(0);
    expect(out).toBe(`${hostSum}  /vagrant/big.bin\n`);
    expect(statSync(join(rw, 'copy.bin')).size).toBe(BIG);
    expect(sha256(join(rw, 'copy.bin'))).toBe(hostSum);
    console.log(`50 MB: guest sha256sum + copy through 9p in ${seconds.toFixed(1)} s`);
  }, 600_000);

  it('refuses writes on the read-only share and leaves its files as they were', async () => {
    expect((await sh('cat /opt/ro/keep.txt')).out).toBe('do not touch\n');
    for (const cmd of ['touch /opt/ro/new', 'echo x >> /opt/ro/keep.txt', 'rm -f /opt/ro/keep.txt', 'mkdir /opt/ro/d', 'mv /opt/ro/keep.txt /opt/ro/moved', 'chmod 777 /opt/ro/keep.txt']) {
      const r = await sh(cmd);
      expect(r.rc, cmd).not.toBe(0);
      expect(r.out, cmd).toMatch(/Read-only file system/);
    }
    expect(readFileSync(join(ro, 'keep.txt'), 'utf8')).toBe('do not touch\n');
    expect(statSync(join(ro, 'keep.txt')).mode & 0o777).toBe(0o644);
    expect(existsSync(join(ro, 'new'))).toBe(false);
  }, 120_000);

  it('left no device broken and logged no server bug', () => {
    expect(vm.stats().brokenDevices).toEqual([]);
    expect(logs).toEqual([]);
    expect(devices.map((d) => d.device.stats.oversized)).toEqual([0, 0]);
  });
});
