// kill -9 of a process in the middle of a disk chain operation, at each of its steps (the child
// SIGKILLs itself there: nothing of it runs after): the next operation's recovery brings the
// machine's root disk to the old state or the new one, never anything else, with no stray files.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OverlayDisk, type BaseImage } from '../../src/engines/builtin/disk/overlay-disk.js';
import { chainAt, LayeredDisk } from '../../src/engines/builtin/disk/layered-disk.js';
import type { ChainManifest } from '../../src/engines/shared/disk-chain.js';

const CHILD = join(import.meta.dirname, 'disk-chain-kill-child.mjs');
const root = mkdtempSync(join(tmpdir(), 'vm-chain-kill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const BS = 4096;
const SIZE = 256 * BS;
const STEPS = ['linked', 'top-made', 'swap-committed', 'top-swapped', 'drop-committed', 'merge-committed', 'absorbed', 'merged'];

describe('disk chain under kill -9', () => {
  let n = 0;
  for (const op of ['freeze', 'restore', 'collapse']) {
    for (const at of STEPS) {
      it(`${op}, killed at '${at}'`, async () => {
        const dir = join(root, `k${n++}`);
        mkdirSync(dir);
        const bytes = Uint8Array.from({ length: SIZE }, (_, i) => (i * 13) & 0xff);
        writeFileSync(join(dir, 'base.img'), bytes);
        const base: BaseImage = { path: join(dir, 'base.img'), sha256: createHash('sha256').update(bytes).digest('hex') };
        writeFileSync(join(dir, 'base.json'), JSON.stringify(base));
        const top = join(dir, 'root.overlay');
        await OverlayDisk.create(top, base);
        const write = async (b: number, v: number): Promise<void> => {
          const d = await LayeredDisk.open(top, { base });
          await d.write(b * BS, new Uint8Array(BS * 3).fill(v));
          await d.close();
        };
        const view = async (): Promise<string> => {
          const d = await LayeredDisk.open(top, { base }); // opening recovers first
          const h = createHash('sha256').update(await d.read(0, SIZE)).digest('hex');
          await d.close();
          return h;
        };
        await write(1, 1);
        await chainAt(top, { base }).freeze('la');
        const a = await view();
        await write(2, 2);
        await chainAt(top, { base }).freeze('lb');
        const b = await view();
        await write(7, 3);
        const before = await view();

        const r = spawnSync(process.execPath, [CHILD, dir, op, at], { encoding: 'utf8' });
        const killed = r.signal === 'SIGKILL';
        if (!killed) expect(r.stdout, r.stderr).toBe('finished\n'); // the operation has no such step

        const after = await view();
        const m = JSON.parse(readFileSync(join(dir, 'root.chain.json'), 'utf8')) as ChainManifest;
        expect(m.intent).toBeUndefined();
        if (op === 'restore') expect([before, a]).toContain(after);
        else expect(after).toBe(before);
        if (op === 'restore') expect(m.top.parent).toBe(after === a ? 'la' : 'lb');
        if (op === 'freeze') expect(m.top.parent).toBe('lc' in m.layers ? 'lc' : 'lb');
        const files = readdirSync(dir).filter((f) => f !== 'base.img' && f !== 'base.json').sort();
        expect(files).toEqual(['root.chain.json', ...Object.keys(m.layers).map((id) => `root.${id}.overlay`), 'root.overlay'].sort());
        // What was kept still restores to what it held.
        await chainAt(top, { base }).restore('lb');
        expect(await view()).toBe(b);
      });
    }
  }
});
