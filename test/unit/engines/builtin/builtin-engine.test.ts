// Which file the builtin engine's process starts from (src/engines/builtin/builtin-engine.ts): the
// starter of the one-file bundle `npm run build` makes (scripts/bundle-engine.js) when both are
// there and the bundle is not older than engine-main.js, else engine-main.js itself; and that the
// built starter runs the bundle, with its code cache when that was made from the same bytes.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleOrModules } from '../../../../src/engines/builtin/builtin-engine.js';

const dir = mkdtempSync(join(tmpdir(), 'vm-engine-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bundleOrModules', () => {
  const main = join(dir, 'engine-main.js');
  const bundle = join(dir, 'engine-main.bundle.cjs');
  const start = join(dir, 'engine-main.start.cjs');
  const at = (path: string, seconds: number): void => utimesSync(path, seconds, seconds);

  it('is the modules when there is no bundle', () => {
    writeFileSync(main, '');
    expect(bundleOrModules(main)).toBe(main);
  });

  it('is the modules when there is a bundle but no starter', () => {
    writeFileSync(bundle, '');
    at(main, 1_000_000);
    at(bundle, 1_000_000);
    expect(bundleOrModules(main)).toBe(main);
  });

  it("is the bundle's starter when the bundle is as new as engine-main.js or newer", () => {
    writeFileSync(start, '');
    expect(bundleOrModules(main)).toBe(start);
    at(bundle, 1_000_100);
    expect(bundleOrModules(main)).toBe(start);
  });

  it('is the modules when the bundle is older (left from an earlier build)', () => {
    at(bundle, 999_000);
    expect(bundleOrModules(main)).toBe(main);
  });
});

describe('the bundle starter (scripts/engine-start.cjs)', () => {
  const repo = join(import.meta.dirname, '../../../..');
  const at = join(dir, 'starter');
  const start = join(at, 'engine-main.start.cjs');
  const bundle = join(at, 'engine-main.bundle.cjs');
  const run = (...args: string[]): string => {
    const r = spawnSync(process.execPath, [start, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  };

  it('runs the bundle as CommonJS with the arguments, with or without its code cache, and never with a cache of other bytes', () => {
    mkdirSync(at);
    copyFileSync(join(repo, 'scripts/engine-start.cjs'), start);
    const bundleOf = (word: string): string => `process.stdout.write(JSON.stringify({ word: '${word}', args: process.argv.slice(2), dir: __dirname, req: typeof require('node:fs').readFileSync }));\n`;
    writeFileSync(bundle, bundleOf('one'));
    const expected = (word: string): string => JSON.stringify({ word, args: ['a', 'b'], dir: at, req: 'function' });
    expect(run('a', 'b')).toBe(expected('one')); // no cache yet
    expect(run('--make-code-cache')).toBe('');
    expect(existsSync(join(at, 'engine-main.bundle.cache'))).toBe(true);
    expect(run('a', 'b')).toBe(expected('one'));
    // the same length, other bytes: V8 alone would take the cache (it checks the length)
    writeFileSync(bundle, bundleOf('two'));
    expect(run('a', 'b')).toBe(expected('two'));
  });
});
