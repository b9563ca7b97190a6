// `npm run bench -- ROW...` (bench/run.js select): words pick rows by key, or every row of a module
// by its name; an unknown word is refused with the list of rows, before anything is measured.
import { describe, expect, it } from 'vitest';
// @ts-ignore bench/ is plain JavaScript without type declarations
import { select } from '../../../bench/run.js';

const mods = [
  { path: './boot.js', mod: { name: 'boot' }, keys: ['boot'] },
  { path: './qemu.js', mod: { name: 'qemu' }, keys: ['ready', 'ash', 'sha'] },
  { path: './status.js', mod: { name: 'status' }, keys: ['status'] },
];
const picked = (words: string[]) => select(mods, words).map((m: { mod: { name: string }; only?: Set<string> }) => [m.mod.name, m.only && [...m.only]]);

describe('bench row selection', () => {
  it('runs every module with no words', () => {
    expect(picked([])).toEqual([
      ['boot', undefined],
      ['qemu', undefined],
      ['status', undefined],
    ]);
  });

  it('keeps only the modules and rows named', () => {
    expect(picked(['boot', 'ash'])).toEqual([
      ['boot', ['boot']],
      ['qemu', ['ash']],
    ]);
    expect(picked(['qemu'])).toEqual([['qemu', ['ready', 'ash', 'sha']]]);
  });

  it('refuses an unknown row, naming the rows there are', () => {
    expect(() => picked(['boot', 'nope'])).toThrow("no bench row 'nope'; rows: boot (boot), qemu (ready ash sha), status (status)");
  });
});
