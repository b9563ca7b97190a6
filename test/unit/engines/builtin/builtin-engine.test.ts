// Which file the builtin engine's process starts from (src/engines/builtin/builtin-engine.ts): the
// one-file bundle `npm run build` makes (scripts/bundle-engine.js) when it is there and not older
// than engine-main.js, else engine-main.js itself.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleOrModules } from '../../../../src/engines/builtin/builtin-engine.js';

const dir = mkdtempSync(join(tmpdir(), 'vm-engine-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bundleOrModules', () => {
  const main = join(dir, 'engine-main.js');
  const bundle = join(dir, 'engine-main.bundle.js');
  const at = (path: string, seconds: number): void => utimesSync(path, seconds, seconds);

  it('is the modules when there is no bundle', () => {
    writeFileSync(main, '');
    expect(bundleOrModules(main)).toBe(main);
  });

  it('is the bundle when it is as new as engine-main.js or newer', () => {
    writeFileSync(bundle, '');
    at(main, 1_000_000);
    at(bundle, 1_000_000);
    expect(bundleOrModules(main)).toBe(bundle);
    at(bundle, 1_000_100);
    expect(bundleOrModules(main)).toBe(bundle);
  });

  it('is the modules when the bundle is older (left from an earlier build)', () => {
    at(bundle, 999_000);
    expect(bundleOrModules(main)).toBe(main);
  });
});
