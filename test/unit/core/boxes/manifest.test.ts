// box.json: the schema documents every key, the fast check for stored copies still refuses escaping
// paths, and a damaged stored box is reported instead of used.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest, BOX_SCHEMA_PATH } from '../../../../src/core/boxes/manifest.js';
import { addBox } from '../../../../src/core/boxes/store.js';
import { resolveBox } from '../../../../src/core/boxes/catalog.js';
import { boxJson } from './tar-writer.js';
import { demoFiles, tempEnv, writeBoxFolder, type TempEnv } from './fixtures.js';

let env: TempEnv;
beforeEach(() => {
  env = tempEnv();
});
afterEach(() => env.cleanup());

describe('box.json', () => {
  it('the schema describes every property', () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      for (const [k, v] of Object.entries((n.properties as Record<string, unknown>) ?? {})) {
        if (!(v as { description?: string }).description) missing.push(`${path}.${k}`);
        walk(v, `${path}.${k}`);
      }
      if (n.additionalProperties && typeof n.additionalProperties === 'object') walk(n.additionalProperties, `${path}.*`);
    };
    walk(JSON.parse(readFileSync(BOX_SCHEMA_PATH(), 'utf8')), '');
    expect(missing).toEqual([]);
  });

  it('the fast check used for stored copies agrees with the schema on paths and enums', () => {
    const good = boxJson({ Image: 'k' });
    for (const trusted of [true, false]) expect(parseManifest(good, 's', { trusted }).name).toBe('demo');
    const bad = (over: Record<string, unknown>): string => JSON.stringify({ ...JSON.parse(good), ...over });
    expect(() => parseManifest(bad({ kernel: '../../etc/passwd' }), 'S', { trusted: true })).toThrow(
      'invalid box.json (S): kernel must be a relative path inside the box',
    );
    expect(() => parseManifest(bad({ files: { '/abs': { sha256: 'a', size: 1 } }, kernel: '/abs' }), 'S', { trusted: true })).toThrow(
      'invalid box.json (S): kernel must be a relative path inside the box; files["/abs"] must be a relative path inside the box',
    );
    expect(() => parseManifest(bad({ architecture: 'mips' }), 'S', { trusted: true })).toThrow('invalid box.json (S): architecture must be one of: riscv64, x86_64');
    expect(() => parseManifest(bad({ engines: ['builtin'], architecture: 'x86_64' }), 'S', { trusted: true })).toThrow(
      'invalid box.json (S): engines lists builtin, which runs riscv64 only (architecture is x86_64)',
    );
  });

  it('a stored box whose files were damaged or whose box.json was tampered with is reported, not used', async () => {
    const files = demoFiles();
    const { box } = await addBox(writeBoxFolder(join(env.root, 'src'), files), { loc: env.loc });
    const img = join(box.dir, 'Image');
    chmodSync(img, 0o644);
    writeFileSync(img, 'short');
    await expect(resolveBox('demo', undefined, { loc: env.loc })).rejects.toThrow(
      `stored box 'demo' 1.0.0 is damaged: Image is 5 bytes, box.json says ${files.Image!.length}`,
    );
    const manifestPath = join(box.dir, 'box.json');
    chmodSync(manifestPath, 0o644);
    writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), kernel: '../../../../etc/passwd' }));
    await expect(resolveBox('demo', undefined, { loc: env.loc })).rejects.toThrow(
      `box 'demo' 1.0.0 in the store is damaged: invalid box.json (${manifestPath}): kernel must be a relative path inside the box`,
    );
  });
});
