// The real bundled box (boxes/tiny) goes through the store's verified add on first use.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listBoxes, resolveBox } from '../../../../src/core/boxes/catalog.js';
import { packageRoot } from '../../../../src/core/paths.js';

const tiny = join(packageRoot(), 'boxes', 'tiny', 'box.json');
const home = mkdtempSync(join(tmpdir(), 'vm-tiny-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe.skipIf(!existsSync(tiny))('bundled box tiny', () => {
  it('is listed as bundled, and resolving it installs a verified, sparse copy', async () => {
    const loc = { home };
    const rows = await listBoxes(loc);
    expect(rows.find((r) => r.name === 'tiny')).toMatchObject({ source: 'bundled', stored: false, architecture: 'riscv64' });
    const started = Date.now();
    const ref = await resolveBox('tiny', undefined, { loc });
    const took = Date.now() - started;
    expect(ref.dir).toBe(join(home, 'boxes', 'tiny', ref.version));
    expect(statSync(ref.kernel).isFile()).toBe(true);
    const disk = statSync(ref.rootDisk!.path);
    expect(disk.blocks * 512).toBeLessThan(disk.size);
    console.log(`tiny ${ref.version}: installed in ${took} ms; root disk ${disk.size} bytes, ${disk.blocks * 512} allocated`);
    expect((await listBoxes(loc)).find((r) => r.name === 'tiny')).toMatchObject({ source: 'bundled', stored: true });
  });
});
