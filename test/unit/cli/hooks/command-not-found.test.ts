// Unknown commands (src/cli/hooks/command-not-found.ts) through the real CLI: vm's Error:/Hint: lines
// and exit status 1, never oclif's own format; the command other tools call it by; a typo's nearest
// command; `vm help [COMMAND]` shows the help.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from '../../../support/dist.js';
import { unknownCommandError } from '../../../../src/cli/hooks/command-not-found.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const BIN = join(ROOT, 'bin', 'run.js');

beforeAll(() => ensureDist(), 180_000);

function vm(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('unknown commands', () => {
  it("`vm exec` names vm's way to run a command in a machine, in vm's error style, exit 1", () => {
    const r = vm(['exec', 'default', 'ls']);
    expect(r.code).toBe(1);
    expect(r.err).toBe("Error: 'exec' is not a vm command\nHint: vm does this with `vm ssh [NAME] -- COMMAND` (`vm help` lists every command)\n");
    expect(r.out).toBe('');
  });

  it('a typo gets the nearest command, also under a topic', () => {
    expect(vm(['stauts']).err).toContain('Hint: did you mean `vm status`?');
    const box = vm(['box', 'lst']);
    expect(box.code).toBe(1);
    expect(box.err).toContain("Error: 'box lst' is not a vm command");
    expect(box.err).toContain('did you mean `vm box list`?');
  });

  it('nothing near: only the pointer to the list', () => {
    expect(unknownCommandError('frobnicate', ['up', 'halt', 'status']).options.hint).toBe('`vm help` lists every command');
  });

  it('`vm help` and `vm help COMMAND` show the help', () => {
    const all = vm(['help']);
    expect(all.code).toBe(0);
    expect(all.out).toContain('COMMANDS');
    const up = vm(['help', 'up']);
    expect(up.code).toBe(0);
    expect(up.out).toContain('$ vm up [NAME...]');
  });
});
