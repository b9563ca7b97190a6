// The commands built on MachinesCommand (src/cli/base-command.ts): plan, port, ssh-config and snapshot
// list take several machine names (none: every machine), -f/--file and --json, through the real CLI
// on the tsc build. oclif copies only a command class's own statics when parsing, so an inherited
// `strict = false` or argument list that did not reach the parser shows here as "Unexpected argument".
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeBox, tempDir } from '../core/vmfile/helpers.js';
import { ensureDist } from '../../support/dist.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin', 'run.js');
let env: NodeJS.ProcessEnv;
let project: string;

beforeAll(() => {
  ensureDist();
  const bundled = tempDir('machines-cmd-bundled-');
  makeBox(bundled);
  env = { ...process.env, NO_COLOR: '1', VM_HOME: tempDir('machines-cmd-home-'), VM_BUNDLED_BOXES_DIR: bundled, VM_FILE: undefined, VM_DEBUG: undefined };
  project = tempDir('machines-cmd-project-');
  writeFileSync(join(project, 'Vmfile'), 'machines:\n  web:\n    box: tiny\n    forwards:\n      - {guest: 80, host: 18080}\n  db:\n    box: tiny\n  cache:\n    box: tiny\n');
}, 180_000);

function vm(args: string[], cwd = project) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const names = (json: string, pick: (x: unknown) => unknown[]): string[] => pick(JSON.parse(json)).map((m) => (m as { name: string }).name);

describe('commands over named machines', () => {
  it('plan: several names in the order given, --json, -f from elsewhere', () => {
    const r = vm(['plan', 'db', 'web', '--json']);
    expect(r.err).toBe('');
    expect(names(r.out, (x) => (x as { machines: unknown[] }).machines)).toEqual(['db', 'web']);
    const all = vm(['plan', '-f', project], tempDir());
    expect([all.code, all.out.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0])]).toEqual([0, ['web', 'db', 'cache']]);
  });

  it('port: every machine without names, the named ones with them', () => {
    expect(vm(['port']).out).toBe('web  127.0.0.1:18080 -> 80/tcp  (machine not running)\ndb: no forwards\ncache: no forwards\n');
    const r = vm(['port', 'cache', 'web', '--json']);
    expect(names(r.out, (x) => x as unknown[])).toEqual(['cache', 'web']);
  });

  it('snapshot list and ssh-config take several names too; an unknown one is named with the choices', () => {
    expect(vm(['snapshot', 'list', 'web', 'db'])).toEqual({ code: 0, out: 'web: no snapshots\ndb: no snapshots\n', err: '' });
    const ssh = vm(['ssh-config', 'web', 'db']);
    // The test box runs no SSH server: the first machine named says so (exit 5, not supported).
    expect([ssh.code, ssh.err]).toEqual([5, expect.stringMatching(/^Error: machine 'web' cannot be reached with ssh: /)]);
    expect(vm(['port', 'web', 'nosuch'])).toEqual({ code: 1, out: '', err: `Error: no machine named 'nosuch' in ${join(project, 'Vmfile')}\nHint: machines: web, db, cache\n` });
  });
});
