// The qemu engine's disk files with the real qemu-img: the root overlay names its backing image and
// format explicitly; extra disks are qcow2, grown when the Vmfile declares them larger and never shrunk;
// a qcow2 box image that refers to other files is refused; links are not followed; nothing half made
// is left behind. Skipped when qemu-img is not installed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { destroyQemuDisks, diskPlan, prepareQemuDisks } from '../../src/engines/qemu/qemu-img.js';
import { riscvConfig } from '../unit/engines/qemu/machine-fixture.js';
import { cleanup, qemuVersion, tempProject } from './qemu-harness.js';
import type { MachineConfig } from '../../src/model/machine-config.js';

const version = qemuVersion('qemu-img');
const GiB = 1024 ** 3;

function info(path: string): Record<string, unknown> {
  const r = spawnSync('qemu-img', ['info', '-U', '--output=json', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe.skipIf(!version)(`qemu disks (${version ?? 'skipped: qemu-img is not installed'})`, () => {
  const project = tempProject('vm-qemu-disks-');
  afterAll(() => cleanup(project));
  const boxDir = join(project, 'box');
  mkdirSync(boxDir);
  const base = join(boxDir, 'root.img');
  writeFileSync(base, Buffer.alloc(4 * 1024 * 1024));

  function config(over: Partial<MachineConfig> = {}, name = 'm'): MachineConfig {
    const c = riscvConfig();
    const stateDir = join(project, '.vm', 'machines', name);
    return riscvConfig({
      project: { dir: project, vmfile: join(project, 'Vmfile'), stateDir },
      box: { ...c.box, dir: boxDir, rootDisk: { path: base, format: 'raw', sha256: '0'.repeat(64) } },
      disks: [{ name: 'data', sizeBytes: GiB, path: join(stateDir, 'disks', 'data.raw'), format: 'raw' }],
      ...over,
    });
  }

  it('creates the overlay on the raw box image with an explicit backing format, and qcow2 extra disks', async () => {
    const c = config();
    await prepareQemuDisks(c, 'qemu-img');
    const plan = diskPlan(c);
    const root = info(plan.root!.path);
    expect(root).toMatchObject({ format: 'qcow2', 'backing-filename': base, 'backing-filename-format': 'raw', 'virtual-size': 4 * 1024 * 1024 });
    expect(plan.extra[0]!.path).toBe(join(c.project.stateDir, 'disks', 'data.qcow2'));
    expect(info(plan.extra[0]!.path)).toMatchObject({ format: 'qcow2', 'virtual-size': GiB });
    expect(readdirSync(c.project.stateDir).sort()).toEqual(['disks', 'qemu-root.qcow2']);
  });

  it('grows an extra disk declared larger, refuses to shrink one', async () => {
    const c = config();
    const bigger = config({ disks: [{ ...c.disks[0]!, sizeBytes: 2 * GiB }] });
    await prepareQemuDisks(bigger, 'qemu-img');
    expect(info(diskPlan(c).extra[0]!.path)['virtual-size']).toBe(2 * GiB);
    await expect(prepareQemuDisks(c, 'qemu-img')).rejects.toMatchObject({
      name: 'DiskError',
      message: `disk data (${diskPlan(c).extra[0]!.path}) is ${2 * GiB} bytes, larger than the ${GiB} the Vmfile now declares; disks cannot shrink`,
    });
  });

  it('gives the root overlay the Vmfile\'s disk_size, grows it when disk_size grows, refuses to shrink it, and never writes the box', async () => {
    const c = config({ disks: [], rootDiskBytes: GiB }, 'sized');
    await prepareQemuDisks(c, 'qemu-img');
    const overlay = diskPlan(c).root!.path;
    expect(info(overlay)).toMatchObject({ 'virtual-size': GiB, 'backing-filename': base, 'backing-filename-format': 'raw' });
    await prepareQemuDisks({ ...c, rootDiskBytes: 2 * GiB }, 'qemu-img');
    expect(info(overlay)['virtual-size']).toBe(2 * GiB);
    await expect(prepareQemuDisks(c, 'qemu-img')).rejects.toMatchObject({
      name: 'DiskError',
      message: `the root disk (${overlay}) is ${2 * GiB} bytes, larger than the ${GiB} the Vmfile now declares; disks cannot shrink`,
      hint: 'declare disk_size at least as large as it is, or destroy the machine to recreate its disks',
    });
    // without disk_size an existing overlay is left as it is
    await prepareQemuDisks({ ...c, rootDiskBytes: undefined }, 'qemu-img');
    expect(info(overlay)['virtual-size']).toBe(2 * GiB);
    expect(info(base)['virtual-size']).toBe(4 * 1024 * 1024);
  });

  it('refuses a qcow2 box image that has a backing file, leaving nothing behind', async () => {
    const evil = join(boxDir, 'evil.qcow2');
    const r = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', '/etc/hostname', '-F', 'raw', evil], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const c = config({ disks: [] }, 'evil');
    const bad = { ...c, box: { ...c.box, rootDisk: { path: evil, format: 'qcow2' as const, sha256: '0'.repeat(64) } } };
    await expect(prepareQemuDisks(bad, 'qemu-img')).rejects.toThrow(
      `box tiny 0.1.0's root disk ${evil} refers to another file (a backing file); vm refuses images that could make qemu read other host files`,
    );
    // and a "qcow2" that is not one
    const fake = { ...c, box: { ...c.box, rootDisk: { path: base, format: 'qcow2' as const, sha256: '0'.repeat(64) } } };
    await expect(prepareQemuDisks(fake, 'qemu-img')).rejects.toThrow(`box tiny 0.1.0 says its root disk is qcow2, but ${base} is not a qcow2 image`);
    expect(readdirSync(c.project.stateDir)).toEqual([]);
  });

  it('a self-contained qcow2 box image gets a qcow2-backed overlay', async () => {
    const good = join(boxDir, 'good.qcow2');
    expect(spawnSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', base, good]).status).toBe(0);
    const c = config({ disks: [] }, 'q');
    await prepareQemuDisks({ ...c, box: { ...c.box, rootDisk: { path: good, format: 'qcow2', sha256: '0'.repeat(64) } } }, 'qemu-img');
    expect(info(diskPlan(c).root!.path)).toMatchObject({ 'backing-filename': good, 'backing-filename-format': 'qcow2' });
  });

  it('refuses a link where the overlay should be, and a missing box image', async () => {
    const c = config({ disks: [] }, 'link');
    mkdirSync(c.project.stateDir, { recursive: true });
    symlinkSync('/etc/passwd', diskPlan(c).root!.path);
    await expect(prepareQemuDisks(c, 'qemu-img')).rejects.toThrow(`the root disk overlay is a symbolic link, which vm refuses to follow: ${diskPlan(c).root!.path}`);
    const gone = config({ disks: [] }, 'gone');
    await expect(prepareQemuDisks({ ...gone, box: { ...gone.box, rootDisk: { path: join(boxDir, 'nope.img'), format: 'raw', sha256: '' } } }, 'qemu-img')).rejects.toThrow(
      `box tiny 0.1.0's root disk is missing: ${join(boxDir, 'nope.img')}`,
    );
  });

  it('destroyDisks removes the overlay and disks and nothing else', async () => {
    const c = config();
    writeFileSync(join(c.project.stateDir, 'state.json'), '{}');
    await destroyQemuDisks(c);
    expect(readdirSync(c.project.stateDir).sort()).toEqual(['disks', 'state.json']);
    expect(readdirSync(join(c.project.stateDir, 'disks'))).toEqual([]);
    expect(readdirSync(boxDir).sort()).toEqual(['evil.qcow2', 'good.qcow2', 'root.img']);
  });
});
