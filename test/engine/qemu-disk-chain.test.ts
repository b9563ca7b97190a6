// The qemu engine's root disk chain with the real qemu-img: layers are qcow2 images backed by the
// layer below (bare file names, resolved beside the image), the lowest on the box's raw image;
// freeze, restore and delete-by-collapse (qemu-img rebase) keep every snapshot's contents, a new
// top costs a few clusters, and a merge stopped part-way is finished by recovery. Writes go in
// through qemu-io, contents come out through qemu-img convert.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskChain, type ChainManifest } from '../../src/engines/shared/disk-chain.js';
import { qemuLayerOps } from '../../src/engines/qemu/qemu-img.js';

const onPath = (p: string): boolean => {
  try {
    execFileSync('which', [p], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const READY = onPath('qemu-img') && onPath('qemu-io');

const root = mkdtempSync(join(tmpdir(), 'vm-qchain-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const MiB = 1024 * 1024;

describe.skipIf(!READY)('qemu disk chains', () => {
  let n = 0;
  const setup = (): { dir: string; top: string; chain: (step?: (s: string) => void) => DiskChain } => {
    const dir = join(root, `m${n++}`);
    mkdirSync(dir);
    const base = join(dir, 'box.raw');
    writeFileSync(base, Buffer.alloc(16 * MiB, 0x5a));
    const top = join(dir, 'qemu-root.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', top]);
    return { dir, top, chain: (step) => new DiskChain(top, qemuLayerOps({ path: base, format: 'raw' }, async () => 'qemu-img'), { step }) };
  };
  const write = (top: string, v: number, off: number, len: number): void => {
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', `write -P ${v} ${off} ${len}`, top], { stdio: 'ignore' });
  };
  const view = (dir: string, top: string): string => {
    const out = join(dir, 'view.raw');
    execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', top, out]);
    const h = createHash('sha256').update(readFileSync(out)).digest('hex');
    rmSync(out);
    return h;
  };
  const manifest = (dir: string): ChainManifest => JSON.parse(readFileSync(join(dir, 'qemu-root.chain.json'), 'utf8')) as ChainManifest;
  const layers = (dir: string): string[] => readdirSync(dir).filter((f) => /^qemu-root\.l.*\.qcow2$/.test(f)).sort();

  it('freezes, restores and collapses a qcow2 chain, keeping every snapshot', async () => {
    const { dir, top, chain } = setup();
    write(top, 0xa1, 0, 4 * MiB);
    await chain().freeze('la');
    const a = view(dir, top);
    // A fresh top over an unchanged 16 MiB disk holds no data clusters.
    expect(statSync(top).blocks * 512).toBeLessThan(MiB);
    write(top, 0xb2, 2 * MiB, 64 * 1024);
    await chain().freeze('lb');
    const b = view(dir, top);
    write(top, 0xc3, 8 * MiB, MiB);
    await chain().restore('la');
    expect(view(dir, top)).toBe(a);
    write(top, 0xd4, 0, 4096);
    const live = view(dir, top);
    // Deleting 'la' (two lie on it: 'lb' and the top) keeps it; then the top goes to 'lb'.
    await chain().collapse(new Set(['lb']));
    expect(layers(dir)).toEqual(['qemu-root.la.qcow2', 'qemu-root.lb.qcow2']);
    expect(view(dir, top)).toBe(live);
    await chain().restore('lb');
    await chain().collapse(new Set(['lb']));
    // 'la' was merged into 'lb' by a rebase: 'lb' now lies on the box's image and reads the same.
    expect(layers(dir)).toEqual(['qemu-root.lb.qcow2']);
    expect(manifest(dir).layers.lb!.parent).toBeNull();
    expect(execFileSync('qemu-img', ['info', '-U', '--output=json', join(dir, 'qemu-root.lb.qcow2')], { encoding: 'utf8' })).toContain('box.raw');
    expect(view(dir, top)).toBe(b);
    await chain().collapse(new Set());
    expect(layers(dir)).toEqual([]);
    expect(view(dir, top)).toBe(b);
  });

  it('a merge stopped after its intent, or after the rebase, is finished by recovery', async () => {
    for (const at of ['merge-committed', 'absorbed']) {
      const { dir, top, chain } = setup();
      write(top, 0x11, 0, MiB);
      await chain().freeze('la');
      write(top, 0x22, MiB / 2, MiB);
      const before = view(dir, top);
      const stopped = await chain((s) => {
        if (s === at) throw new Error(`stop at ${s}`);
      })
        .collapse(new Set())
        .catch((e: unknown) => e);
      expect(String(stopped)).toContain(`stop at ${at}`);
      expect(manifest(dir).intent).toEqual({ kind: 'merge', layer: 'la', into: 'top' });
      expect(view(dir, top)).toBe(before); // qemu reads the same before recovery, too
      await chain().recover();
      expect(manifest(dir)).toMatchObject({ layers: {}, top: { parent: null } });
      expect(layers(dir)).toEqual([]);
      expect(view(dir, top)).toBe(before);
    }
  });

  // An extra disk is a qcow2 of its own: its chain has nothing below the lowest layer, and a merge
  // into the top makes the top stand alone again.
  it('an extra disk (a qcow2 with no backing file) freezes, restores and collapses', async () => {
    const dir = join(root, `x${n++}`);
    mkdirSync(dir);
    const top = join(dir, 'data.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', top, String(16 * MiB)]);
    const chain = (): DiskChain => new DiskChain(top, qemuLayerOps(null, async () => 'qemu-img'), { label: 'disk data' });
    write(top, 0x31, 0, 4 * MiB);
    await chain().freeze('la');
    const a = view(dir, top);
    expect(statSync(top).blocks * 512).toBeLessThan(MiB);
    write(top, 0x42, MiB, MiB);
    const b = view(dir, top);
    await chain().restore('la');
    expect(view(dir, top)).toBe(a);
    write(top, 0x53, 0, 4096);
    const live = view(dir, top);
    await chain().collapse(new Set());
    expect(readdirSync(dir).filter((f) => /^data\.l.*\.qcow2$/.test(f))).toEqual([]);
    expect(view(dir, top)).toBe(live);
    expect(execFileSync('qemu-img', ['info', '-U', '--output=json', top], { encoding: 'utf8' })).not.toContain('backing-filename');
    expect(b).not.toBe(a);
  });
});
