// The fast `vm status` parser takes only the forms it fully understands and leaves the rest to oclif.
import { describe, expect, it } from 'vitest';
import { parseStatusArgs } from '../../../src/cli/fast-status.js';

describe('parseStatusArgs', () => {
  it('reads names, --json and every spelling of -f/--file', () => {
    expect(parseStatusArgs([])).toEqual({ names: [], json: false });
    expect(parseStatusArgs(['web', 'db', '--json'])).toEqual({ names: ['web', 'db'], json: true });
    expect(parseStatusArgs(['-f', '../other', 'web'])).toEqual({ names: ['web'], file: '../other', json: false });
    expect(parseStatusArgs(['--file', 'x/Vmfile'])).toEqual({ names: [], file: 'x/Vmfile', json: false });
    expect(parseStatusArgs(['--file=x/Vmfile', '--json'])).toEqual({ names: [], file: 'x/Vmfile', json: true });
  });

  it('leaves help, unknown or repeated flags, a missing value and `--` to oclif', () => {
    for (const argv of [['--help'], ['-h'], ['--jsn'], ['--json', '--json'], ['-f'], ['-f', '--json'], ['--file='], ['-f', 'a', '-f', 'b'], ['--', 'web'], ['-fx']]) {
      expect(parseStatusArgs(argv), argv.join(' ')).toBeUndefined();
    }
  });
});
