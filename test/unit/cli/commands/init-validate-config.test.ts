// The real CLI (node bin/run.js on the tsc build): `vm init`, `vm validate`, `vm config` with exit
// codes, exact output and never a stack trace.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, makeBox, tempDir } from '../../core/vmfile/helpers.js';
import { ensureDist } from '../../../support/dist.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const BIN = join(ROOT, 'bin', 'run.js');
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  ensureDist();
  for (const f of ['init', 'validate', 'config']) expect(existsSync(join(ROOT, 'dist', 'cli', 'commands', `${f}.js`))).toBe(true);
  const bundled = tempDir('vmfile-cli-bundled-');
  makeBox(bundled);
  env = { ...process.env, NO_COLOR: '1', VM_HOME: tempDir('vmfile-cli-home-'), VM_BUNDLED_BOXES_DIR: bundled, VM_FILE: undefined, VM_DEBUG: undefined };
}, 180_000);

function vm(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  // A trace would show as "    at fn (file:line)" lines; none may ever reach the user.
  expect(`${r.stdout}${r.stderr}`).not.toMatch(/^\s+at .+[:(]/m);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('vm init, validate, config', () => {
  it('initializes, validates and compiles a new project', () => {
    const dir = tempDir('vmfile-cli-project-');
    expect(vm(['init'], dir)).toEqual({ code: 0, out: 'Wrote Vmfile (box tiny). Next: `vm up`.\n', err: '' });
    expect(vm(['init'], dir)).toEqual({ code: 1, out: '', err: `Error: ${join(dir, 'Vmfile')} already exists\nHint: pass --force to replace it\n` });
    expect(vm(['validate'], dir)).toEqual({ code: 0, out: 'Vmfile is valid (1 machine: default)\n', err: '' });

    const all = vm(['config', '--json'], dir);
    expect(all.code).toBe(0);
    const machines = JSON.parse(all.out);
    expect(machines).toHaveLength(1);
    expect(machines[0]).toMatchObject({ name: 'default', engine: 'builtin', cpus: 1, memoryBytes: 512 * 1024 * 1024, bootTimeoutMs: 120_000 });
    expect(machines[0].box).toMatchObject({ name: 'tiny', version: '0.1.0', dir: join(env.VM_HOME!, 'boxes', 'tiny', '0.1.0') });
    expect(machines[0].project.stateDir).toBe(join(dir, '.vm', 'machines', 'default'));
    expect(JSON.parse(vm(['config', 'default', '--json'], dir).out)).toEqual(machines[0]);
    expect(vm(['config', 'defualt'], dir)).toEqual({
      code: 1,
      out: '',
      err: `Error: no machine named "defualt" in ${join(dir, 'Vmfile')}; did you mean "default"?\nHint: machines: default\n`,
    });
    expect(vm(['config'], dir).out).toMatch(/^- name: default\n {2}project:\n/);
  });

  it('lists every error with its place and exits 1', () => {
    const r = vm(['validate', '-f', 'bad/typo-nested-key.Vmfile'], FIXTURES);
    expect(r).toEqual({
      code: 1,
      out: '',
      err: [
        'Error: bad/typo-nested-key.Vmfile has 2 errors:',
        'bad/typo-nested-key.Vmfile:5:9: error: machines.web.forwards[0] is missing the required key "host"',
        '    5 |       - guest: 80',
        '      |         ^',
        'bad/typo-nested-key.Vmfile:6:9: error: unknown key "hots" in machines.web.forwards[0]; did you mean "host"?',
        '    6 |         hots: 8080',
        '      |         ^',
        '',
      ].join('\n'),
    });
  });

  it('reports as JSON for tools', () => {
    const r = vm(['validate', '--json', '-f', 'bad/bad-port.Vmfile'], FIXTURES);
    expect(r.code).toBe(1);
    const res = JSON.parse(r.out);
    expect([res.valid, res.machines, res.errors.map((e: { line: number; col: number; path: string }) => [e.line, e.col, e.path])]).toEqual([
      false,
      ['default'],
      [
        [4, 11, 'forwards[0].host'],
        [5, 12, 'forwards[1].guest'],
      ],
    ]);
  });

  it('prints warnings and still succeeds; counts several machines', () => {
    const dir = tempDir('vmfile-cli-warn-');
    vm(['init'], dir);
    const text = readFileSync(join(dir, 'Vmfile'), 'utf8').replace('# forwards:\n#   - guest: 80\n#     host: 8080', 'forwards: [{guest: 80, host: 8080, host_ip: 0.0.0.0}]');
    writeFileSync(join(dir, 'Vmfile'), text);
    const r = vm(['validate'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toBe('Vmfile is valid (1 machine: default)\n');
    expect(r.err).toMatch(/^Vmfile:\d+:\d+: warning: host port 8080 listens on 0\.0\.0\.0/);
    expect(vm(['validate', '-f', 'good/multi'], FIXTURES).out).toBe('good/multi/Vmfile is valid (3 machines: web, db, worker_1)\n');
  });

  it('explains a missing Vmfile and a missing box', () => {
    const dir = tempDir('vmfile-cli-empty-');
    expect(vm(['validate'], dir)).toEqual({
      code: 1,
      out: '',
      err: `Error: no Vmfile in ${dir} or any folder above it\nHint: run \`vm init\` to write one here, or point at one with \`-f PATH\`\n`,
    });
    vm(['init', '--box', 'nosuch'], dir);
    const r = vm(['validate'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: Vmfile has 1 error:\nVmfile:\d+:6: error: box 'nosuch' is not installed/);
  });

  it('refuses an alias bomb fast', () => {
    const start = Date.now();
    const r = vm(['validate', '-f', 'bad/alias-bomb.Vmfile'], FIXTURES);
    expect(r.code).toBe(1);
    expect(r.err).toContain('alias bomb');
    expect(Date.now() - start).toBeLessThan(10_000);
  });
});
