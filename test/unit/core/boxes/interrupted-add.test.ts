// An add interrupted by a signal (SIGTERM: cleaned at once) or killed outright (SIGKILL: swept by the
// next add) never leaves a half box in the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { distModule, ensureDist } from '../../../support/dist.js';
import { boxJson, tar } from './tar-writer.js';
import { demoFiles, tempEnv, type TempEnv, writeArchive, boxItems } from './fixtures.js';
import { addBox, sweepStaleTemp } from '../../../../src/core/boxes/store.js';

let t: TempEnv;
let archive: string;
const BIG = 160 << 20;

beforeAll(() => {
  ensureDist();
  t = tempEnv();
  // A box whose disk is 160 MiB of non-zero data: slow enough to interrupt mid-extraction.
  const block = randomBytes(1 << 20);
  const hash = createHash('sha256');
  for (let i = 0; i < BIG >> 20; i++) hash.update(block);
  const manifest = boxJson({ Image: 'k' }, { root_disk: { path: 'root.img', format: 'raw' } });
  const m = JSON.parse(manifest);
  m.files['root.img'] = { sha256: hash.digest('hex'), size: BIG };
  const head = tar([{ name: 'box.json', data: JSON.stringify(m) }, { name: 'Image', data: 'k' }, { name: 'root.img', size: BIG }], { end: false });
  archive = join(t.root, 'big.box');
  const fd = openSync(archive, 'w');
  writeSync(fd, head);
  for (let i = 0; i < BIG >> 20; i++) writeSync(fd, block);
  writeSync(fd, Buffer.alloc(1024));
  closeSync(fd);
}, 180_000);
afterAll(() => t.cleanup());

const CHILD = `const { addBox } = await import(process.env.MOD);
await addBox(process.argv[1], { loc: { home: process.argv[2], bundledDir: null } });
console.log('done');`;

async function interrupt(signal: NodeJS.Signals): Promise<{ code: number | null; sig: NodeJS.Signals | null; out: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, archive, t.loc.home], { env: { ...process.env, MOD: distModule('core/boxes/store.js') } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (c, s) => r([c, s])));
  const tmp = join(t.loc.home, 'tmp');
  // Wait until the disk image is partly written in the stage.
  for (let i = 0; i < 2000; i++) {
    const stage = (() => { try { return readdirSync(tmp).find((n) => n.startsWith('add-')); } catch { return undefined; } })();
    const size = stage ? (() => { try { return statSync(join(tmp, stage, 'root.img')).size; } catch { return 0; } })() : 0;
    if (size > 8 << 20) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill(signal);
  const [code, sig] = await exited;
  return { code, sig, out };
}

describe('interrupted box add', () => {
  it('SIGTERM mid-extraction: exit 143, stage removed, no box', async () => {
    const r = await interrupt('SIGTERM');
    expect(r.out).toBe('');
    expect(r.code).toBe(143);
    expect(readdirSync(join(t.loc.home, 'tmp'))).toEqual([]);
    expect(readdirSync(join(t.loc.home, 'boxes'))).toEqual([]);
  });

  it('SIGKILL mid-extraction: no box; the leftover stage is swept by the next add', async () => {
    const r = await interrupt('SIGKILL');
    expect(r.sig).toBe('SIGKILL');
    expect(readdirSync(join(t.loc.home, 'boxes'))).toEqual([]);
    const left = readdirSync(join(t.loc.home, 'tmp'));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^add-\d+-[0-9a-f]{8}-/);
    await addBox(writeArchive(join(t.root, 'small.box'), boxItems(demoFiles())), { loc: t.loc });
    expect(readdirSync(join(t.loc.home, 'tmp'))).toEqual([]);
    expect(await sweepStaleTemp(t.loc)).toEqual([]);
    expect(readdirSync(join(t.loc.home, 'boxes'))).toEqual(['demo']);
  });
});
