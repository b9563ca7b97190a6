// The committed tiny-x86_64 box: it installs through the verified `vm box add` path (every file
// matches box.json), and its initramfs carries the tiny box's current init unchanged, the module
// list with every module it names, the x86_64 guest agent and the power-button hook. A stale box
// (boxes/tiny/rootfs changed since the last build) fails here: rebuild with boxes/tiny-x86_64/build.sh.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { addBox } from '../../../src/core/boxes/store.js';

const BOXES = fileURLToPath(new URL('../../../boxes/', import.meta.url));
const ARCHIVE = join(BOXES, 'tiny-x86_64', 'tiny-x86_64.box');

/** Entries of a newc cpio archive: name -> { mode, data }. */
function readCpio(buf: Buffer): Map<string, { mode: number; data: Buffer }> {
  const out = new Map<string, { mode: number; data: Buffer }>();
  let off = 0;
  const align = (n: number): number => (n + 3) & ~3;
  while (off + 110 <= buf.length) {
    const magic = buf.toString('latin1', off, off + 6);
    if (magic !== '070701') throw new Error(`bad cpio magic at ${off}: ${magic}`);
    const field = (i: number): number => parseInt(buf.toString('latin1', off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const name = buf.toString('utf8', off + 110, off + 110 + nameSize - 1);
    const dataStart = align(off + 110 + nameSize);
    if (name === 'TRAILER!!!') break;
    out.set(name.replace(/^\.\//, ''), { mode, data: buf.subarray(dataStart, dataStart + size) });
    off = align(dataStart + size);
  }
  return out;
}

describe('tiny-x86_64 box', () => {
  const home = mkdtempSync(join(tmpdir(), 'vm-x86-box-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('installs through the verified add, and carries the current tiny init, modules, agent and acpid hook', async () => {
    const added = await addBox(ARCHIVE, { loc: { home, bundledDir: null } });
    const m = added.box.manifest;
    expect(m).toMatchObject({ name: 'tiny-x86_64', architecture: 'x86_64', engines: ['qemu'], kernel: 'vmlinuz', initrd: 'initrd.gz', cmdline: 'console=ttyS0 quiet' });
    expect(readFileSync(join(BOXES, 'tiny-x86_64', 'box.json'), 'utf8')).toBe(readFileSync(join(added.box.dir, 'box.json'), 'utf8'));
    expect(readFileSync(join(added.box.dir, 'vmlinuz')).subarray(0x202, 0x206).toString('latin1')).toBe('HdrS'); // bzImage

    const initrd = readCpio(gunzipSync(readFileSync(join(added.box.dir, 'initrd.gz'))));
    const tinyInit = readFileSync(join(BOXES, 'tiny', 'rootfs', 'init'));
    const stale = 'the box is stale: rebuild it with boxes/tiny-x86_64/build.sh';
    expect(initrd.get('lib/vm/tiny-init')?.data.equals(tinyInit), stale).toBe(true);
    expect(initrd.get('init')?.data.toString()).toBe(readFileSync(join(BOXES, 'tiny-x86_64', 'rootfs', 'init'), 'utf8'));
    expect((initrd.get('init')!.mode & 0o111) !== 0).toBe(true);
    const modules = initrd.get('lib/modules/vm-modules.list')!.data.toString().trim().split('\n');
    for (const mod of ['virtio_pci.ko', 'virtio_blk.ko', 'virtio_net.ko', 'virtio_console.ko', '9pnet_virtio.ko', '9p.ko', 'ext4.ko', 'button.ko', 'evdev.ko']) {
      expect(modules.some((p) => p.endsWith(`/${mod}`)), mod).toBe(true);
    }
    for (const p of modules) expect(initrd.get(`lib/modules/${p}`)?.data.subarray(0, 4).toString('latin1'), p).toBe('\x7fELF');
    const agent = initrd.get('usr/sbin/vm-agent')!;
    expect(agent.data.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(agent.data.readUInt16LE(18)).toBe(62); // e_machine EM_X86_64
    expect(initrd.get('etc/acpi/PWRF/00000080')?.data.toString()).toContain('exec poweroff');
    expect(initrd.get('bin/busybox')?.data.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  });
});
