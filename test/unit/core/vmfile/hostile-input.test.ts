// Untrusted-looking Vmfile text must never hang or crash the loader: every string field gets
// long pathological values (the shapes that make backtracking regexes quadratic).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileVmfile } from '../../../../src/core/vmfile/project.js';
import { folderResolver, makeBox, tempDir } from './helpers.js';

const N = 200_000;
const SHAPES = {
  spaces: `1${' '.repeat(N)}y`,
  slashes: `/${'/'.repeat(N)}x`,
  dashes: `a${'-'.repeat(N)}!`,
  commas: `1${', '.repeat(N / 2)}y`,
  digits: `${'9'.repeat(N)}Q`,
  dots: `a${'.a'.repeat(N / 2)}.`,
};

const q = (s: string) => JSON.stringify(s);

function vmfiles(s: string): string[] {
  return [
    `box: ${q(s)}`,
    `box: {name: tiny, version: ${q(s)}}`,
    `box: tiny\nhostname: ${q(s)}`,
    `box: tiny\nmemory: ${q(s)}`,
    `box: tiny\nboot_timeout: ${q(s)}`,
    `box: tiny\ncmdline: ${q(s)}`,
    `box: tiny\nsynced_folders: [{host: ${q(s)}, guest: ${q(s)}, tag: ${q(s)}}]`,
    `box: tiny\nsynced_folders: [{host: ., guest: ${q(`/${s}`)}}]`,
    `box: tiny\nprovision: [{type: shell, name: ${q(s)}, path: ${q(s)}}]`,
    `box: tiny\nprovision: [{type: ${q(s)}}]`,
    `box: tiny\nenv: {${q(s)}: x}`,
    `box: tiny\n${q(s)}: 1`,
    `machines: {${q(s)}: {box: tiny}}`,
    `box: tiny\nforwards: [{guest: 1, host: 2, host_ip: ${q(s)}}]`,
    `box: tiny\nnics: [{type: private, network: ${q(s)}, ip: ${q(s)}, mac: ${q(s)}}]`,
    `box: tiny\nengine: ${q(s)}`,
  ];
}

describe('hostile strings in every field', () => {
  const root = tempDir();
  makeBox(root);
  const resolveBox = folderResolver(root);
  const project = tempDir('vmfile-hostile-');

  for (const [shape, s] of Object.entries(SHAPES)) {
    it(`${shape}: each field is rejected or accepted quickly`, async () => {
      for (const text of vmfiles(s)) {
        const start = performance.now();
        const p = await compileVmfile(join(project, 'Vmfile'), `${text}\n`, { resolveBox });
        const ms = performance.now() - start;
        expect(ms, `${shape}: ${text.slice(0, 40)}`).toBeLessThan(1500);
        // Messages stay readable: long values are cut, not echoed whole.
        for (const e of p.errors) expect(e.message.length, e.message.slice(0, 80)).toBeLessThan(N / 10);
      }
    });
  }
});
