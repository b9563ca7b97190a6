// Crash safety of the overlay format: a writer process (disk-crash-child.mjs) is killed with SIGKILL
// in the middle of writing. Everything it had flushed reads back exactly; anything after is either
// the old contents or the new, never a mix inside a sector or garbage; the overlay still opens, stays
// inside its size bound, and the base image is untouched.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OverlayDisk } from '../../src/engines/builtin/disk/overlay-disk.js';
import { overlayBound } from '../../src/engines/builtin/disk/overlay-format.js';
import { plan, WRITES } from './disk-crash-child.mjs';

const dir = mkdtempSync(join(tmpdir(), 'vm-disk-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE_SIZE = 64 * 1024 * 1024;
const VIRTUAL_SIZE = 256 * 1024 * 1024;
/** Kill once at least this many writes are durable (the pass has WRITES). */
const KILL_AFTER = 4096;

const CHILD = join(import.meta.dirname, 'disk-crash-child.mjs');

describe('overlay crash safety', () => {
  it('keeps every flushed write across SIGKILL of the writer, and nothing torn', async () => {
    const basePath = join(dir, 'base.img');
    const base = new Uint8Array(BASE_SIZE);
    for (let i = 0; i < BASE_SIZE; i += 4) new DataView(base.buffer).setUint32(i, (i * 2654435761) >>> 0, true);
    writeFileSync(basePath, base);
    const sha = createHash('sha256').update(base).digest('hex');
    const overlay = join(dir, 'root.overlay');
    await OverlayDisk.create(overlay, { path: basePath, sha256: sha }, { virtualSize: VIRTUAL_SIZE });
    const script = CHILD;

    const child = spawn(process.execPath, [script, overlay, basePath, sha], { env: { ...process.env, VM_DISK_CRASH_CHILD: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let durable = 0;
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const all = [...out.matchAll(/durable (\d+)/g)];
        durable = Number(all.at(-1)?.[1] ?? 0);
        if (durable >= KILL_AFTER) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`writer exited early: ${err}`)));
    });
    expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(out).not.toContain('pass complete');
    // `durable` is a lower bound: the last line may have been printed after the kill was decided.
    const disk = await OverlayDisk.open(overlay, { path: basePath, sha256: sha }, { readOnly: true });
    let newer = 0;
    for (let i = 0; i < WRITES; i++) {
      const p = plan(i);
      const block = await disk.read(p.block * 4096, 4096);
      const old = p.block * 4096 < BASE_SIZE ? base.subarray(p.block * 4096, p.block * 4096 + 4096) : new Uint8Array(4096);
      const updated = old.slice();
      updated.fill(p.value, p.whole ? 0 : p.sector * 512, p.whole ? 4096 : p.sector * 512 + 512);
      const isNew = Buffer.compare(block, updated) === 0;
      const isOld = Buffer.compare(block, old) === 0;
      if (i < durable) expect(isNew, `write ${i} was flushed but reads back otherwise`).toBe(true);
      else expect(isNew || isOld, `write ${i} (not flushed) reads back torn`).toBe(true);
      if (isNew && i >= durable) newer++;
    }
    await disk.close();
    expect(statSync(overlay).size).toBeLessThanOrEqual(overlayBound(disk.header));
    expect(createHash('sha256').update(readFileSync(basePath)).digest('hex')).toBe(sha);
    console.log(`killed after ${durable} durable writes of ${WRITES}; ${newer} later unflushed writes also survived`);
  }, 120_000);
});
