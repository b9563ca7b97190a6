// Good Vmfiles compile to normalized MachineConfigs: every default applied, sizes in bytes,
// paths absolute, defaults merged, MACs stable, tags and hostnames derived.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BoxRef, MachineConfig } from '../../../../src/model/machine-config.js';
import { compileVmfile, loadProject } from '../../../../src/core/vmfile/project.js';
import type { BoxResolver } from '../../../../src/core/vmfile/resolvers.js';
import { deriveMac } from '../../../../src/core/vmfile/mac-address.js';
import { FIXTURES, folderResolver, makeBox, tempDir } from './helpers.js';

const GOOD = join(FIXTURES, 'good');
const MiB = 1024 * 1024;
let resolveBox: BoxResolver;
let box: BoxRef;

beforeAll(async () => {
  const root = tempDir();
  makeBox(root);
  resolveBox = folderResolver(root);
  box = await resolveBox('tiny', undefined);
});

async function load(rel: string) {
  const p = await loadProject({ file: join(GOOD, rel), resolveBox });
  expect(p.errors).toEqual([]);
  return p;
}

describe('compiling good Vmfiles', () => {
  it('fills every default for the minimal Vmfile', async () => {
    const p = await load('minimal.Vmfile');
    expect(p.warnings).toEqual([]);
    expect(p.machines).toEqual<MachineConfig[]>([
      {
        name: 'default',
        project: { dir: GOOD, vmfile: join(GOOD, 'minimal.Vmfile'), stateDir: join(GOOD, '.vm', 'machines', 'default') },
        engine: 'builtin',
        engineRequested: 'auto',
        accel: 'auto',
        arch: 'riscv64',
        cpus: 1,
        memoryBytes: 512 * MiB,
        hostname: 'default',
        box,
        cmdline: 'console=ttyS0 earlycon=sbi',
        firmware: 'sbi',
        disks: [],
        nics: [{ type: 'nat', mac: deriveMac(GOOD, 'default', 0) }],
        forwards: [],
        syncedFolders: [],
        provision: [],
        env: {},
        bootTimeoutMs: 120_000,
      },
    ]);
  });

  it('normalizes every key of the full single-machine Vmfile', async () => {
    const dir = join(GOOD, 'full');
    const p = await load('full');
    const m = p.machines[0]!;
    expect(p.machineNames).toEqual(['default']);
    expect(m).toEqual<MachineConfig>({
      name: 'default',
      project: { dir, vmfile: join(dir, 'Vmfile'), stateDir: join(dir, '.vm', 'machines', 'default') },
      engine: 'builtin',
      engineRequested: 'builtin',
      accel: 'auto',
      arch: 'riscv64',
      cpus: 2,
      memoryBytes: 1024 * MiB,
      hostname: 'devbox.local',
      box,
      cmdline: 'console=ttyS0 earlycon=sbi loglevel=7',
      firmware: 'sbi',
      disks: [{ name: 'data', sizeBytes: 2048 * MiB, path: join(dir, '.vm', 'machines', 'default', 'disks', 'data.raw'), format: 'raw' }],
      nics: [
        { type: 'nat', mac: deriveMac(dir, 'default', 0) },
        { type: 'private', network: 'lab', ip: '192.168.56.10', mac: '52:54:00:aa:bb:cc' },
      ],
      forwards: [
        { guest: 80, host: 8080, hostIp: '127.0.0.1', protocol: 'tcp' },
        { guest: 53, host: 5353, hostIp: '127.0.0.1', protocol: 'udp' },
      ],
      syncedFolders: [
        { hostPath: dir, guestPath: '/vagrant', readOnly: false, tag: 'vagrant' },
        { hostPath: join(dir, 'site'), guestPath: '/srv/www', readOnly: true, tag: 'srv_www' },
      ],
      provision: [
        { type: 'shell', name: 'greet', run: 'once', script: 'echo "hello from $(hostname)"', args: [], env: {} },
        {
          type: 'shell',
          name: 'shell-2',
          run: 'always',
          script: readFileSync(join(dir, 'scripts', 'setup.sh'), 'utf8'),
          path: join(dir, 'scripts', 'setup.sh'),
          args: ['--port', '8080', 'two words'],
          env: { DEBUG: 'true' },
        },
        { type: 'file', name: 'file-3', run: 'once', source: join(dir, 'site', 'index.html'), destination: '/srv/www/index.html' },
      ],
      env: { APP_ENV: 'development', WORKERS: '4' },
      bootTimeoutMs: 90_000,
    });
  });

  it('merges defaults into each machine of the multi-machine Vmfile', async () => {
    const dir = join(GOOD, 'multi');
    const p = await load('multi');
    expect(p.machineNames).toEqual(['web', 'db', 'worker_1']);
    const [web, db, worker] = p.machines as [MachineConfig, MachineConfig, MachineConfig];

    expect([web.cpus, web.memoryBytes, db.cpus, db.memoryBytes, worker.memoryBytes]).toEqual([2, 256 * MiB, 1, 1024 * MiB, 256 * MiB]);
    // Maps merge key by key; lists run the defaults' entries first.
    expect(web.env).toEqual({ REGION: 'local', ROLE: 'web' });
    expect(db.env).toEqual({ REGION: 'local' });
    expect(web.provision.map((x) => x.name)).toEqual(['base', 'shell-2']);
    expect(web.provision[1]).toMatchObject({ path: join(dir, 'provision', 'web.sh'), script: '#!/bin/sh\necho "web provisioning"\n' });
    expect(db.provision.map((x) => x.name)).toEqual(['base']);
    expect(web.nics.map((n) => n.type)).toEqual(['nat', 'private']);
    expect(worker.nics.map((n) => n.type)).toEqual(['nat']);
    expect(db.disks).toEqual([{ name: 'pgdata', sizeBytes: 10 * 1024 * MiB, path: join(dir, '.vm', 'machines', 'db', 'disks', 'pgdata.raw'), format: 'raw' }]);
    expect(worker.hostname).toBe('worker-1');
    expect(worker.project.stateDir).toBe(join(dir, '.vm', 'machines', 'worker_1'));
    const macs = p.machines.flatMap((m) => m.nics.map((n) => n.mac));
    expect(new Set(macs).size).toBe(macs.length);
    for (const mac of macs) expect(mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
  });

  it('derives the same MACs every time, and others for another project folder', async () => {
    const text = readFileSync(join(GOOD, 'multi', 'Vmfile'), 'utf8').replace(/path: provision\/web.sh/, 'inline: echo');
    const a1 = await compileVmfile('/projects/a/Vmfile', text, { resolveBox });
    const a2 = await compileVmfile('/projects/a/Vmfile', text, { resolveBox });
    const b = await compileVmfile('/projects/b/Vmfile', text, { resolveBox });
    const macs = (p: typeof a1) => p.machines.flatMap((m) => m.nics.map((n) => n.mac));
    expect(a1.errors).toEqual([]);
    expect(macs(a1)).toEqual(macs(a2));
    expect(macs(b)).not.toEqual(macs(a1));
  });

  it('derives unique tags, yielding to the ones written out', async () => {
    const dir = tempDir('vmfile-tags-');
    const text = [
      'box: tiny',
      'synced_folders:',
      '  - {host: ., guest: /srv/app}',
      '  - {host: ., guest: /srv_app, tag: other}',
      '  - {host: ., guest: /x, tag: srv_app}',
      '  - {host: ., guest: /}',
      '  - {host: ., guest: /home/someone/projects/a-rather-long-project-name/src}',
      '',
    ].join('\n');
    const p = await compileVmfile(join(dir, 'Vmfile'), text, { resolveBox });
    expect(p.errors).toEqual([]);
    expect(p.machines[0]!.syncedFolders.map((f) => [f.guestPath, f.tag])).toEqual([
      ['/srv/app', 'srv_app_2'],
      ['/srv_app', 'other'],
      ['/x', 'srv_app'],
      ['/', 'root'],
      ['/home/someone/projects/a-rather-long-project-name/src', 'a-rather-long-project-name_src'],
    ]);
    for (const f of p.machines[0]!.syncedFolders) expect(f.tag.length).toBeLessThanOrEqual(31);
  });

  it('keeps default provisioner names clear of names written out', async () => {
    const dir = tempDir('vmfile-names-');
    const text = 'box: tiny\nprovision:\n  - {type: shell, inline: a}\n  - {type: shell, name: shell-1, inline: b}\n';
    const p = await compileVmfile(join(dir, 'Vmfile'), text, { resolveBox });
    expect(p.errors).toEqual([]);
    expect(p.machines[0]!.provision.map((x) => x.name)).toEqual(['shell-1-2', 'shell-1']);
  });

  it('accepts sizes and durations in every documented spelling', async () => {
    const dir = tempDir('vmfile-units-');
    const cases: [string, string, number, number][] = [
      ['512M', '120', 512 * MiB, 120_000],
      ['1.5G', '1h', 1536 * MiB, 3_600_000],
      ['2GiB', '1m30s', 2048 * MiB, 90_000],
      ['1073741824', '45s', 1024 * MiB, 45_000],
      ['64mb', '2m', 64 * MiB, 120_000],
    ];
    for (const [memory, timeout, bytes, ms] of cases) {
      const p = await compileVmfile(join(dir, 'Vmfile'), `box: tiny\nmemory: ${memory}\nboot_timeout: ${timeout}\n`, { resolveBox });
      expect(p.errors).toEqual([]);
      expect([p.machines[0]!.memoryBytes, p.machines[0]!.bootTimeoutMs]).toEqual([bytes, ms]);
    }
  });

  it('appends cmdline lists from defaults and machine after the box\'s own', async () => {
    const dir = tempDir('vmfile-cmdline-');
    const text = 'defaults:\n  box: tiny\n  cmdline: [quiet]\nmachines:\n  a:\n    cmdline: "loglevel=7  debug "\n';
    const p = await compileVmfile(join(dir, 'Vmfile'), text, { resolveBox });
    expect(p.machines[0]!.cmdline).toBe('console=ttyS0 earlycon=sbi quiet loglevel=7  debug');
  });

  it('uses the box firmware when it names one, and qemu when the box only boots there', async () => {
    const dir = tempDir('vmfile-fw-');
    const withFw: BoxResolver = async (n, c) => ({ ...(await resolveBox(n, c)), firmware: '/boxes/tiny/fw.bin', engines: ['qemu'] });
    const p = await compileVmfile(join(dir, 'Vmfile'), 'box: tiny\n', { resolveBox: withFw });
    expect([p.machines[0]!.firmware, p.machines[0]!.engine]).toEqual(['/boxes/tiny/fw.bin', 'qemu']);
  });

  it('uses an injected engine resolver', async () => {
    const dir = tempDir('vmfile-engine-');
    const seen: string[] = [];
    const p = await compileVmfile(join(dir, 'Vmfile'), 'box: tiny\n', {
      resolveBox,
      resolveEngine: (requested, b) => {
        seen.push(`${requested}:${b.name}`);
        return 'qemu';
      },
    });
    expect(seen).toEqual(['auto:tiny']);
    expect(p.machines[0]!.engine).toBe('qemu');
  });
});
