// The root disk's chain of copy-on-write layers on real overlay files (builtin engine): freeze,
// restore and collapse keep every snapshot's contents, in every order of deletion; the depth bound
// refuses a save with a hint; stopping an operation between any two of its steps (standing for a
// kill -9 there) leaves, once recovered, the old state or the new one; stray files are swept; a
// live freeze carries on writing into the new top while the frozen layer keeps its contents.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { OverlayDisk, overlayAllocatedBlocks, type BaseImage } from '../../../../src/engines/builtin/disk/overlay-disk.js';
import { chainAt, LayeredDisk } from '../../../../src/engines/builtin/disk/layered-disk.js';
import { DiskChainError, TOP, type ChainManifest } from '../../../../src/engines/shared/disk-chain.js';

const root = mkdtempSync(join(tmpdir(), 'vm-chain-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const BS = 4096;
const BLOCKS = 64;
const baseBytes = Uint8Array.from({ length: BLOCKS * BS }, (_, i) => (i * 7 + (i >> 12)) & 0xff);
let dir: string;
let base: BaseImage;
let top: string;
let n = 0;

beforeEach(async () => {
  dir = join(root, `m${n++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'base.img'), baseBytes);
  base = { path: join(dir, 'base.img'), sha256: createHash('sha256').update(baseBytes).digest('hex') };
  top = join(dir, 'root.overlay');
  await OverlayDisk.create(top, base);
});

/** Write block `b` (whole) with byte `v`, or a partial write of 100 bytes at 10 into the block. */
async function write(blocks: [number, number][], partial = false): Promise<void> {
  const d = await LayeredDisk.open(top, { base });
  for (const [b, v] of blocks) {
    if (partial) await d.write(b * BS + 10, new Uint8Array(100).fill(v));
    else await d.write(b * BS, new Uint8Array(BS).fill(v));
  }
  await d.close();
}

async function view(): Promise<string> {
  const d = await LayeredDisk.open(top, { base });
  const all = await d.read(0, BLOCKS * BS);
  await d.close();
  return createHash('sha256').update(all).digest('hex');
}

const chain = (step?: (s: string) => void, maxDepth?: number) => chainAt(top, { base }, { step, maxDepth });
const manifest = (): ChainManifest => JSON.parse(readFileSync(join(dir, 'root.chain.json'), 'utf8')) as ChainManifest;
const layerFiles = (): string[] => readdirSync(dir).filter((f) => /^root\.l.*\.overlay$/.test(f)).sort();
const strays = (): string[] => readdirSync(dir).filter((f) => f.includes('.new-') || f.includes('.tmp-'));

describe('disk chain', () => {
  it('a root disk larger than the image (disk_size) keeps its size through save and restore', async () => {
    rmSync(top);
    const size = BLOCKS * BS * 4;
    await OverlayDisk.create(top, base, { virtualSize: size });
    const sizeOf = async (): Promise<number> => {
      const d = await LayeredDisk.open(top, { base });
      const n = d.sizeBytes;
      await d.close();
      return n;
    };
    await chain().freeze('la');
    expect(await sizeOf()).toBe(size);
    await chain().restore('la');
    expect(await sizeOf()).toBe(size);
  });

  it('save freezes the top, restore starts a new top on a layer, later writes are discarded', async () => {
    const fresh = await view();
    await write([[1, 0xaa]]);
    const a = await view();
    await chain().freeze('la');
    expect(await view()).toBe(a);
    expect(await overlayAllocatedBlocks(top)).toBe(0); // the new top is empty: the snapshot cost nothing more
    await write([[1, 0xbb], [2, 0xcc]], true);
    const b = await view();
    await chain().freeze('lb');
    await write([[3, 0xdd]]);
    await chain().restore('la');
    expect(await view()).toBe(a);
    await write([[5, 0x11]]);
    await chain().restore('lb');
    expect(await view()).toBe(b);
    expect(manifest().layers).toEqual({ la: expect.objectContaining({ parent: null }), lb: expect.objectContaining({ parent: 'la' }) });
    expect(manifest().top.parent).toBe('lb');
    // Nothing kept: everything collapses into the top, which still reads as b.
    await chain().collapse(new Set());
    expect(await view()).toBe(b);
    expect(layerFiles()).toEqual([]);
    expect(manifest()).toMatchObject({ layers: {}, top: { parent: null } });
    expect(b).not.toBe(fresh);
  });

  it('deleting snapshots in every order keeps the others intact and leaves no layer behind', async () => {
    const orders = [
      ['la', 'lb', 'lc'],
      ['la', 'lc', 'lb'],
      ['lb', 'la', 'lc'],
      ['lb', 'lc', 'la'],
      ['lc', 'la', 'lb'],
      ['lc', 'lb', 'la'],
    ];
    for (const order of orders) {
      rmSync(top, { force: true });
      rmSync(join(dir, 'root.chain.json'), { force: true });
      for (const f of layerFiles()) rmSync(join(dir, f));
      await OverlayDisk.create(top, base);
      const want: Record<string, string> = {};
      // la: blocks 1,2; lb: overwrites 2, adds 3; then a restore to la and a branch lc from it.
      await write([[1, 1], [2, 1]]);
      await chain().freeze('la');
      want.la = await view();
      await write([[2, 2], [3, 2]], true);
      await chain().freeze('lb');
      want.lb = await view();
      await chain().restore('la');
      await write([[4, 3], [1, 3]]);
      await chain().freeze('lc');
      want.lc = await view();
      await write([[9, 9]]);
      // What the top reads: the live writes until a restore replaces them.
      let current = await view();
      const keep = new Set(['la', 'lb', 'lc']);
      for (const gone of order) {
        keep.delete(gone);
        await chain().collapse(keep);
        expect(await view(), `top after deleting ${gone} (order ${order.join(',')})`).toBe(current);
        for (const k of keep) {
          await chain().restore(k);
          expect(await view(), `${k} after deleting ${gone} (order ${order.join(',')})`).toBe(want[k]);
          current = want[k]!;
        }
        // As `vm snapshot restore` does after a restore: then every layer left is kept by a
        // snapshot or has two or more things on it.
        await chain().collapse(keep);
        expect(await view()).toBe(current);
        const m = manifest();
        for (const id of Object.keys(m.layers)) {
          const kids = Object.values(m.layers).filter((l) => l.parent === id).length + (m.top.parent === id ? 1 : 0);
          expect(keep.has(id) || kids >= 2, `layer ${id} after deleting ${gone}`).toBe(true);
        }
      }
      await chain().collapse(keep);
      expect(await view()).toBe(current);
      expect(layerFiles()).toEqual([]);
      expect(strays()).toEqual([]);
    }
  });

  it('a layer two others lie on stays after its snapshot is deleted, and goes when one of them does', async () => {
    await write([[1, 1]]);
    await chain().freeze('la');
    await write([[2, 2]]);
    await chain().freeze('lb');
    await chain().restore('la');
    await write([[3, 3]]);
    const live = await view();
    await chain().collapse(new Set(['lb']));
    expect(Object.keys(manifest().layers).sort()).toEqual(['la', 'lb']); // la: lb and the top lie on it
    await chain().restore('lb'); // the top on la is dropped: la has one child left, merged into lb
    await chain().collapse(new Set(['lb']));
    expect(Object.keys(manifest().layers)).toEqual(['lb']);
    expect(manifest().layers.lb!.parent).toBeNull();
    expect(layerFiles()).toEqual(['root.lb.overlay']);
    expect(live).not.toBe(await view());
  });

  it('bounds the depth: a save past it is refused with a hint, collapsing makes room', async () => {
    for (const id of ['l1', 'l2', 'l3']) {
      await write([[Number(id[1]), Number(id[1])]]);
      await chain(undefined, 3).freeze(id);
    }
    const err = await chain(undefined, 3).freeze('l4').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskChainError);
    expect((err as DiskChainError).message).toBe('the root disk already lies on 3 snapshot layers, the most vm stacks');
    expect((err as DiskChainError).hint).toContain('vm snapshot delete');
    expect(layerFiles()).toHaveLength(3);
    await chain().collapse(new Set(['l3']));
    await chain(undefined, 3).freeze('l4');
    expect(Object.keys(manifest().layers).sort()).toEqual(['l3', 'l4']);
  });

  // Each operation, stopped after each of its steps: recovery yields exactly the old or the new state.
  const STEPS = ['linked', 'top-made', 'swap-committed', 'top-swapped', 'drop-committed', 'merge-committed', 'absorbed', 'merged'];
  class Stop extends Error {}

  async function setup(): Promise<{ a: string; b: string }> {
    await write([[1, 1], [2, 1]]);
    await chain().freeze('la');
    const a = await view();
    await write([[2, 2], [5, 2]], true);
    await chain().freeze('lb');
    const b = await view();
    await write([[6, 3]]);
    return { a, b };
  }

  for (const op of ['freeze', 'restore', 'collapse'] as const) {
    for (const at of STEPS) {
      it(`${op} stopped after '${at}' recovers to the old or the new state`, async () => {
        const { a } = await setup();
        const before = await view();
        let reached = false;
        const stopping = chain((s) => {
          if (s === at) {
            reached = true;
            throw new Stop(s);
          }
        });
        const run = (c: ReturnType<typeof chain>): Promise<unknown> =>
          op === 'freeze' ? c.freeze('lc') : op === 'restore' ? c.restore('la') : c.collapse(new Set(['lb']));
        const r = await run(stopping).then(
          () => null,
          (e: unknown) => e,
        );
        if (!reached) {
          expect(r).toBeNull(); // this operation has no such step
          return;
        }
        expect(r).toBeInstanceOf(Stop);
        await chain().recover();
        const after = await view();
        const m = manifest();
        if (op === 'freeze') {
          expect(after).toBe(before); // freezing never changes what the disk reads
          expect(m.top.parent).toBe('lc' in m.layers ? 'lc' : 'lb');
        } else if (op === 'restore') {
          expect([before, a]).toContain(after);
          expect(m.top.parent).toBe(after === a ? 'la' : 'lb');
        } else {
          expect(after).toBe(before);
          // what is kept still restores to its contents
          await chain().restore('lb');
        }
        expect(m.intent).toBeUndefined();
        expect(strays()).toEqual([]);
        expect(layerFiles()).toEqual(Object.keys(m.layers).map((id) => `root.${id}.overlay`).sort());
      });
    }
  }

  it('a live freeze goes on writing into the new top; the frozen layer keeps its contents', async () => {
    await write([[1, 1]]);
    const d = await LayeredDisk.open(top, { base });
    await d.write(2 * BS, new Uint8Array(BS).fill(2));
    await d.freezeAs('la');
    const frozen = await view();
    await d.write(3 * BS + 5, new Uint8Array(7).fill(3)); // partial: copies its block up through the layer
    expect((await d.read(3 * BS, 16)).slice(0, 12)).toEqual(Uint8Array.from([...baseBytes.subarray(3 * BS, 3 * BS + 5), 3, 3, 3, 3, 3, 3, 3]));
    expect(d.topAllocatedBlocks).toBe(1);
    await d.close();
    expect(await view()).not.toBe(frozen);
    await chain().restore('la');
    expect(await view()).toBe(frozen);
  });

  it('refuses a damaged manifest with a clear message', async () => {
    writeFileSync(join(dir, 'root.chain.json'), '{"format":"vm-disk-chain","version":9}');
    await expect(chain().recover()).rejects.toThrow(`the disk chain ${join(dir, 'root.chain.json')} cannot be used: it has version 9; this vm reads version 1`);
    writeFileSync(join(dir, 'root.chain.json'), '{"format":"vm-disk-chain","version":1,"layers":{"la":{"parent":"lb"},"lb":{"parent":"la"}},"top":{"parent":"la"}}');
    await expect(chain().recover()).rejects.toThrow(/is missing or part of a loop/);
  });

  it('adopts a full copy made by an older vm as the top', async () => {
    await write([[1, 7]]);
    const old = await view();
    writeFileSync(join(dir, 'copy.overlay'), readFileSync(top));
    await chain().freeze('la');
    await write([[1, 8]]);
    await chain().adoptTop(join(dir, 'copy.overlay'));
    expect(await view()).toBe(old);
    expect(manifest().top.parent).toBeNull();
    expect(existsSync(join(dir, 'copy.overlay'))).toBe(false);
    await chain().collapse(new Set());
    expect(layerFiles()).toEqual([]);
    expect(statSync(top).isFile()).toBe(true);
    expect(TOP).toBe('top');
  });

  it("starts a new machine's chain on another machine's overlay (a warm image): shared read-only, writes go to its own top", async () => {
    await write([[1, 0x42]]);
    const image = await view();
    const shared = join(root, `warm-${n}.overlay`);
    writeFileSync(shared, readFileSync(top));
    const sharedBytes = readFileSync(shared);
    rmSync(top);
    await chain().adoptLayer('warm-1', shared);
    expect(await view()).toBe(image);
    expect(manifest()).toMatchObject({ layers: { 'warm-1': { parent: null } }, top: { parent: 'warm-1' } });
    expect(statSync(join(dir, 'root.warm-1.overlay')).ino).toBe(statSync(shared).ino); // a link, not a copy
    await write([[2, 0x43]]);
    expect(await view()).not.toBe(image);
    expect(readFileSync(shared).equals(sharedBytes)).toBe(true);
    // A machine's chain that has layers already is refused, and collapsing it never writes the shared file.
    await expect(chain().adoptLayer('warm-2', shared)).rejects.toThrow(/is not empty/);
    await chain().collapse(new Set());
    expect(readFileSync(shared).equals(sharedBytes)).toBe(true);
    expect(strays()).toEqual([]);
  });
});

// An extra disk: its raw file is the disk until the first snapshot, then the image under an
// overlay top; the same chain freezes, restores and collapses it.
describe('disk chain of an extra disk (written in place until its first snapshot)', () => {
  const SIZE = BLOCKS * BS;
  let raw: string;
  let rawTop: string;
  const b = (): Parameters<typeof chainAt>[1] => ({ base: { path: raw, sha256: 'ab'.repeat(32) }, inPlace: true, label: 'disk data' });
  const readAll = async (): Promise<string> => {
    const d = await LayeredDisk.open(rawTop, b());
    const all = await d.read(0, SIZE);
    await d.close();
    return createHash('sha256').update(all).digest('hex');
  };
  const put = async (blk: number, v: number): Promise<void> => {
    const d = await LayeredDisk.open(rawTop, b());
    await d.write(blk * BS, new Uint8Array(BS).fill(v));
    await d.close();
  };
  beforeEach(() => {
    raw = join(dir, 'data.raw');
    rawTop = join(dir, 'data.overlay');
    writeFileSync(raw, new Uint8Array(SIZE));
  });

  it('a halted freeze makes the top on the raw file, which is never written again; restore and collapse keep the contents', async () => {
    await put(1, 1); // in place
    expect(readFileSync(raw)[BS]).toBe(1);
    expect(existsSync(rawTop)).toBe(false);
    const rawBefore = readFileSync(raw);
    await chainAt(rawTop, b()).freeze('la');
    const a = await readAll();
    expect(existsSync(rawTop)).toBe(true);
    await put(2, 2);
    expect(readFileSync(raw).equals(rawBefore)).toBe(true);
    // The layer of an unchanged disk costs its header and map only.
    expect(statSync(join(dir, 'data.la.overlay')).blocks * 512).toBeLessThanOrEqual(2 * BS);
    const withTwo = await readAll();
    await chainAt(rawTop, b()).freeze('lb');
    await put(3, 3);
    await chainAt(rawTop, b()).restore('la');
    expect(await readAll()).toBe(a);
    await chainAt(rawTop, b()).restore('lb');
    expect(await readAll()).toBe(withTwo);
    await chainAt(rawTop, b()).collapse(new Set());
    expect(await readAll()).toBe(withTwo);
    expect(readdirSync(dir).filter((f) => f.startsWith('data.l'))).toEqual([]);
    expect(readFileSync(raw).equals(rawBefore)).toBe(true);
  });

  it('a live freeze of the open raw disk switches it to an overlay top without the device noticing', async () => {
    const d = await LayeredDisk.open(rawTop, b());
    expect(d.conflictUnit).toBe(BS);
    await d.write(4 * BS, new Uint8Array(BS).fill(4));
    await d.freezeAs('la');
    const frozen = await readAll();
    await d.write(5 * BS + 3, new Uint8Array(9).fill(5));
    expect(d.topAllocatedBlocks).toBe(1);
    expect((await d.read(4 * BS, 4))).toEqual(new Uint8Array(4).fill(4));
    await d.close();
    expect(readFileSync(raw)[5 * BS + 3]).toBe(0); // written to the top, not the raw file
    expect(await readAll()).not.toBe(frozen);
    await chainAt(rawTop, b()).restore('la');
    expect(await readAll()).toBe(frozen);
    expect(manifestOf(join(dir, 'data.chain.json')).top.parent).toBe('la');
  });
});

const manifestOf = (p: string): ChainManifest => JSON.parse(readFileSync(p, 'utf8')) as ChainManifest;
