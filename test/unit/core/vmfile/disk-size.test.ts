// `disk_size`: the root disk's size, checked at `vm validate` against the box's root image (a raw
// image's file size, a qcow2 image's header) with both sizes named at the disk_size line; a box
// without a root disk, a size past the builtin overlay's limit and sizes that are not whole sectors
// are errors there too. What the engines do with it: test/engine/qemu-disks.test.ts and
// test/unit/engines/builtin/builtin-machine.test.ts; the guest's growth: test/e2e/debian-box.test.ts.
import { openSync, closeSync, ftruncateSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rootImageBytes } from '../../../../src/core/boxes/root-image.js';
import { compileVmfile, type Project } from '../../../../src/core/vmfile/project.js';
import type { BoxResolver } from '../../../../src/core/vmfile/resolvers.js';
import { MAX_VIRTUAL_SIZE } from '../../../../src/engines/builtin/disk/overlay-format.js';
import type { BoxRef } from '../../../../src/model/machine-config.js';
import { configChange } from '../../../../src/core/machines/config-change.js';
import { machineConfigFields, machineConfigHash, type MachineState } from '../../../../src/core/machines/state.js';
import { folderResolver, makeBox, tempDir } from './helpers.js';

const GiB = 1024 ** 3;
let project: string;
let resolveBox: BoxResolver;

/** A qcow2 v3 header (QEMU docs/interop/qcow2.txt) saying `size` bytes, no backing file. */
function qcow2Header(size: bigint): Buffer {
  const h = Buffer.alloc(104);
  h.writeUInt32BE(0x514649fb, 0);
  h.writeUInt32BE(3, 4);
  h.writeBigUInt64BE(size, 24);
  h.writeUInt32BE(104, 100); // header_length
  return h;
}

beforeAll(() => {
  const boxes = tempDir();
  makeBox(boxes, { name: 'initramfs-only' });
  const plain = folderResolver(boxes);
  const dir = join(boxes, 'imgs');
  mkdirSync(dir);
  // A 2 GiB raw image, sparse: what debian-13's recipe makes.
  const raw = join(dir, 'root.img');
  const fd = openSync(raw, 'w');
  ftruncateSync(fd, 2 * GiB);
  closeSync(fd);
  const qcow = join(dir, 'root.qcow2');
  writeFileSync(qcow, qcow2Header(BigInt(3 * GiB)));
  const withDisk = (name: string, rootDisk: BoxRef['rootDisk'], engines: BoxRef['engines'] = ['builtin', 'qemu']): BoxRef => ({
    name,
    version: '13.0.0',
    dir,
    arch: 'riscv64',
    engines,
    kernel: join(dir, 'Image'),
    rootDisk,
    cmdline: '',
    checksum: 'c'.repeat(64),
  });
  resolveBox = (name, constraint) => {
    if (name === 'debian-13') return withDisk(name, { path: raw, format: 'raw', sha256: 'a'.repeat(64) });
    if (name === 'cloud') return withDisk(name, { path: qcow, format: 'qcow2', sha256: 'b'.repeat(64) }, ['qemu']);
    return plain(name, constraint);
  };
  project = tempDir('vmfile-disk-size-');
});

const compile = (text: string): Promise<Project> => compileVmfile(join(project, 'Vmfile'), text, { resolveBox });
const errors = async (text: string) => (await compile(text)).errors.map((e) => [e.line, e.col, e.message, e.hint]);

describe('disk_size', () => {
  it('compiles to rootDiskBytes; without it the config has none (the image size, and the same config hash as before)', async () => {
    const p = await compile('box: debian-13\ndisk_size: 20G\n');
    expect(p.errors).toEqual([]);
    expect(p.machines[0]!.rootDiskBytes).toBe(20 * GiB);
    const plain = await compile('box: debian-13\n');
    expect('rootDiskBytes' in plain.machines[0]!).toBe(false);
    // equal to the image is allowed (and changes nothing)
    expect(await errors(`box: debian-13\ndisk_size: ${2 * GiB}\n`)).toEqual([]);
    // from defaults:, per machine
    const multi = await compile('defaults: {box: debian-13, disk_size: 8G}\nmachines:\n  a:\n  b: {disk_size: 4G}\n');
    expect(multi.machines.map((m) => m.rootDiskBytes)).toEqual([8 * GiB, 4 * GiB]);
  });

  it('smaller than the box image is an error at the disk_size value naming both sizes', async () => {
    expect(await errors('box: debian-13\nengine: qemu\ndisk_size: 1G\n')).toEqual([
      [3, 12, 'disk_size: 1G is smaller than the root image of box "debian-13" 13.0.0 (2G); the disk must hold the whole image', 'use at least 2G, or remove disk_size to get the image\'s size'],
    ]);
    // a qcow2 image is measured by its virtual size, not its file size
    expect(await errors('box: cloud\ndisk_size: 2G\n')).toEqual([
      [2, 12, 'disk_size: 2G is smaller than the root image of box "cloud" 13.0.0 (3G); the disk must hold the whole image', 'use at least 3G, or remove disk_size to get the image\'s size'],
    ]);
    expect(await errors('box: cloud\ndisk_size: 3G\n')).toEqual([]);
  });

  it('a box without a root disk, sizes that are not whole sectors, and sizes past the builtin overlay are errors', async () => {
    expect(await errors('box: initramfs-only\ndisk_size: 4G\n')).toEqual([
      [2, 12, 'disk_size sizes the box\'s root disk, and box "initramfs-only" 0.1.0 has none (it runs from its initramfs)', 'remove disk_size; for space of its own give the machine a disk under `disks:`'],
    ]);
    expect(await errors('box: debian-13\ndisk_size: 4294967297\n')).toEqual([[2, 12, 'disk_size must be a multiple of 512 bytes; got 4294967297', undefined]]);
    expect(await errors('box: debian-13\ndisk_size: 100T\n')).toEqual([[2, 12, 'disk_size must be between 1M and 64T; got "100T"', undefined]]);
    expect(await errors('box: debian-13\ndisk_size: lots\n')).toHaveLength(1);
    expect(await errors('box: debian-13\nengine: builtin\ndisk_size: 4T\n')).toEqual([
      [3, 12, `disk_size: 4T is more than the builtin engine's root disk overlay holds (at most 2T)`, 'use at most 2T, or `engine: qemu`'],
    ]);
    expect(MAX_VIRTUAL_SIZE).toBe(2 * 1024 * GiB);
    expect(await errors('box: debian-13\nengine: qemu\ndisk_size: 4T\n')).toEqual([]);
  });

  it('rootImageBytes: a raw image by its file, a qcow2 image by its header; unreadable is unknown', () => {
    const r = resolveBox('debian-13', undefined) as BoxRef;
    const q = resolveBox('cloud', undefined) as BoxRef;
    expect(rootImageBytes(r)).toBe(2 * GiB);
    expect(rootImageBytes(q)).toBe(3 * GiB);
    expect(rootImageBytes({ rootDisk: { ...r.rootDisk!, path: join(project, 'missing.img') } })).toBeUndefined();
    expect(rootImageBytes({ rootDisk: { ...r.rootDisk!, format: 'qcow2' } })).toBeUndefined(); // raw bytes are no qcow2 header
    expect(rootImageBytes({})).toBeUndefined();
  });
});

describe('a changed disk_size on an existing machine', () => {
  const stateFor = async (text: string, engine: 'builtin' | 'qemu'): Promise<MachineState> => {
    const c = (await compile(`${text}engine: ${engine}\n`)).machines[0]!;
    return {
      format: 1,
      name: c.name,
      engine,
      state: 'halted',
      sockets: {},
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      box: { name: c.box.name, version: c.box.version, checksum: c.box.checksum },
      configHash: machineConfigHash(c),
      configFields: machineConfigFields(c),
    } as MachineState;
  };

  it('is a reload on qemu (it grows the overlay), a re-creation on builtin (the overlay keeps its size)', async () => {
    const bigger = async (engine: 'builtin' | 'qemu') => (await compile(`box: debian-13\ndisk_size: 20G\nengine: ${engine}\n`)).machines[0]!;
    expect(configChange(await stateFor('box: debian-13\n', 'qemu'), await bigger('qemu'))).toEqual({ kind: 'reload' });
    const change = configChange(await stateFor('box: debian-13\n', 'builtin'), await bigger('builtin'));
    expect(change).toEqual({
      kind: 'recreate',
      why: "machine 'default' has the root disk it was created with; the builtin engine cannot resize it to the Vmfile's disk_size",
      hint: 'set disk_size back to what it was, or `vm destroy default` and `vm up` again to recreate it (its changes to the disk are lost)',
    });
    expect(configChange(await stateFor('box: debian-13\ndisk_size: 20G\n', 'builtin'), await bigger('builtin'))).toEqual({ kind: 'none' });
  });
});
