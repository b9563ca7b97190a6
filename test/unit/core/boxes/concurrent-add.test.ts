// Concurrent `vm box add --force` of one box, in one process (vm up --parallel installing a bundled
// box) and in separate processes: every add succeeds, the store ends with one intact copy, nothing
// is left in tmp/, and a reader never finds the box missing while it is being replaced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { distModule, ensureDist } from '../../../support/dist.js';
import { addBox, readStoredBox, removeBox, sweepStaleTemp } from '../../../../src/core/boxes/store.js';
import { resolveBox } from '../../../../src/core/boxes/catalog.js';
import { boxItems, demoFiles, demoManifest, tempEnv, writeArchive, type TempEnv } from './fixtures.js';

let t: TempEnv;
let archives: string[];
const files = demoFiles();

beforeAll(() => {
  ensureDist();
  t = tempEnv();
  // Two builds of the same NAME/VERSION, so a replacement really changes the content.
  archives = ['a', 'b'].map((v) => {
    const f = { ...files, Image: Buffer.from(`kernel build ${v}`) };
    return writeArchive(join(t.root, `demo-${v}.box`), boxItems(f, demoManifest(f)));
  });
}, 180_000);
afterAll(() => t.cleanup());

/** The stored copy is whole: its box.json and every file it lists, with the right content. */
async function intact(): Promise<void> {
  const ref = await resolveBox('demo', '1.0.0', { loc: t.loc });
  expect(readFileSync(ref.kernel, 'utf8')).toMatch(/^kernel build [ab]$/);
  expect(readFileSync(ref.rootDisk!.path).equals(files['disk/root.img']!)).toBe(true);
  expect(readdirSync(join(t.loc.home, 'tmp'))).toEqual([]);
  expect(readdirSync(join(t.loc.home, 'boxes'))).toEqual(['demo']);
}

const CHILD = `const { addBox } = await import(process.env.MOD);
for (let i = 0; i < Number(process.argv[3]); i++) await addBox(process.argv[1], { force: true, loc: { home: process.argv[2], bundledDir: null } });
console.log('done');`;

function child(archive: string, rounds: number): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawn(process.execPath, ['--input-type=module', '-e', CHILD, archive, t.loc.home, String(rounds)], { env: { ...process.env, MOD: distModule('core/boxes/store.js') } });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((r) => p.on('close', (code) => r({ code, out, err })));
}

describe('concurrent box add --force of one NAME/VERSION', () => {
  it('in one process: eight at once all succeed and leave one intact copy', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => addBox(archives[i % 2]!, { force: true, loc: t.loc })));
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    await intact();
  });

  it('in four processes, round after round, while a reader checks the box is always there', async () => {
    await addBox(archives[0]!, { force: true, loc: t.loc });
    let running = true;
    let reads = 0;
    const missing: string[] = [];
    const reader = (async () => {
      while (running) {
        const box = await readStoredBox('demo', '1.0.0', t.loc);
        if (!box || box.error) missing.push(box?.error ?? 'absent');
        reads++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const runs = await Promise.all([0, 1, 2, 3].map((i) => child(archives[i % 2]!, 5)));
    running = false;
    await reader;
    expect(runs.map((r) => [r.code, r.out, r.err])).toEqual(runs.map(() => [0, 'done\n', '']));
    expect(reads).toBeGreaterThan(0);
    expect(missing.slice(0, 3)).toEqual([]);
    await intact();
    // The content in use was placed by a process now dead: the sweep keeps it, and only removes
    // what such a process left unreferenced (killed between placing its content and its link).
    const nameDir = join(t.loc.home, 'boxes', 'demo');
    const inUse = readlinkSync(join(nameDir, '1.0.0'));
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const orphan = inUse.replace(/\.box-\d+-/, `.box-${dead}-`).replace(/[0-9a-f]+$/, 'ab12');
    mkdirSync(join(nameDir, orphan));
    writeFileSync(join(nameDir, orphan, 'Image'), 'half');
    expect(await sweepStaleTemp(t.loc)).toEqual([`demo/${orphan}`]);
    expect(readdirSync(nameDir).sort()).toEqual([inUse, '1.0.0'].sort());
    await intact();
  }, 120_000);

  it('a store written before links (a plain NAME/VERSION folder) is replaced and removed as before', async () => {
    const nameDir = join(t.loc.home, 'boxes', 'demo');
    rmSync(nameDir, { recursive: true });
    await addBox(archives[0]!, { loc: t.loc });
    const content = readlinkSync(join(nameDir, '1.0.0'));
    rmSync(join(nameDir, '1.0.0'));
    renameSync(join(nameDir, content), join(nameDir, '1.0.0'));
    expect(lstatSync(join(nameDir, '1.0.0')).isDirectory()).toBe(true);
    await intact();
    expect((await addBox(archives[1]!, { force: true, loc: t.loc })).replaced).toBe(true);
    expect(lstatSync(join(nameDir, '1.0.0')).isSymbolicLink()).toBe(true);
    await intact();
    expect(readFileSync(join(nameDir, '1.0.0', 'Image'), 'utf8')).toBe('kernel build b');
    await removeBox('demo', { loc: t.loc });
    expect(readdirSync(join(t.loc.home, 'boxes'))).toEqual([]);
    expect(readdirSync(join(t.loc.home, 'tmp'))).toEqual([]);
  });
});
