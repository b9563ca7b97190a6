// `vm status` and `vm global-status` as a user runs them (node bin/run.js): output, exit codes, no
// stack traces, nothing written, and an import graph free of engine/emulator code and listr2/ora.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, ensureDist } from '../../../support/dist.js';
import { saveMachineState, type MachineState } from '../../../../src/core/machines/state.js';
import { identify } from '../../../../src/core/machines/process-identity.js';
import { demoFiles, demoManifest, writeBoxFolder } from '../../core/boxes/fixtures.js';

let root: string;
let env: NodeJS.ProcessEnv;
const STACK = /\n\s+at .+[:(]\d+:\d+/;

beforeAll(() => {
  ensureDist();
  root = mkdtempSync(join(tmpdir(), 'vm-status-cli-'));
  const bundled = join(root, 'bundled');
  const files = demoFiles();
  writeBoxFolder(join(bundled, 'tiny'), files, demoManifest(files, { name: 'tiny', version: '0.1.0' }));
  env = { ...process.env, VM_HOME: join(root, 'home'), VM_BUNDLED_BOXES_DIR: bundled, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
}, 180_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function vm(args: string[], cwd: string, extraNode: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [...extraNode, join(REPO, 'bin/run.js'), ...args], { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function newProject(name: string, vmfile = 'box: tiny\n'): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'Vmfile'), vmfile);
  return dir;
}

const state = (over: Partial<MachineState>): MachineState => ({
  format: 1,
  name: 'default',
  engine: 'builtin',
  state: 'running',
  sockets: {},
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
  box: { name: 'tiny', version: '0.1.0', checksum: 'c'.repeat(64) },
  configHash: 'h',
  ...over,
});

describe('vm status', () => {
  it('a fresh project: "default  not created (builtin)", exit 0, nothing written anywhere', () => {
    const dir = newProject('fresh');
    const r = vm(['status'], dir);
    expect(r.out).toBe('default  not created (builtin)\n');
    expect(r.code).toBe(0);
    expect(r.err).not.toMatch(STACK);
    expect(existsSync(join(dir, '.vm'))).toBe(false);
    expect(existsSync(join(root, 'home'))).toBe(false);
  });

  it('several machines, a name filter, -f, --json, and an unknown name', () => {
    const dir = newProject('multi', 'defaults:\n  box: tiny\nmachines:\n  web: {}\n  db:\n    engine: qemu\n');
    expect(vm(['status'], dir).out).toBe('web  not created (builtin)\ndb   not created (qemu)\n');
    expect(vm(['status', 'db'], root).code).not.toBe(0); // no Vmfile in root
    expect(vm(['status', 'db', '-f', join(dir, 'Vmfile')], root).out).toBe('db  not created (qemu)\n');
    const json = JSON.parse(vm(['status', '--json'], dir).out);
    expect(json).toEqual({
      vmfile: join(dir, 'Vmfile'),
      machines: [
        { name: 'web', status: 'not created', engine: 'builtin' },
        { name: 'db', status: 'not created', engine: 'qemu' },
      ],
    });
    const bad = vm(['status', 'cache'], dir);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe(`Error: no machine named 'cache' in ${join(dir, 'Vmfile')}\nHint: machines: web, db\n`);
  });

  it('running, then aborted once the engine pid dies', async () => {
    const dir = newProject('running');
    const engine = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    await new Promise((r) => setTimeout(r, 100));
    const who = identify(engine.pid!);
    await saveMachineState(dir, state({ pid: who.pid, bootId: who.bootId, pidStartTime: who.startTime }), { index: false });
    expect(vm(['status'], dir).out).toBe(`default  running (builtin, pid ${who.pid})\n`);
    engine.kill('SIGKILL');
    await new Promise((r) => engine.on('exit', r));
    expect(vm(['status'], dir).out).toBe(`default  aborted (builtin): engine process ${who.pid} is gone\n`);
  });

  it('a garbage state file: the machine is shown broken with the file named, exit 1, no stack trace', async () => {
    const dir = newProject('garbage');
    await saveMachineState(dir, state({ state: 'halted' }), { index: false });
    const file = join(dir, '.vm/machines/default/state.json');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 30));
    const r = vm(['status'], dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^default  broken \\(builtin\\): state file ${file.replace(/\./g, '\\.')} is not valid JSON \\(.+\\)\\n$`));
    expect(r.err).not.toMatch(STACK);
  });

  it('an invalid Vmfile is reported with file:line:col, exit 1, no stack trace', () => {
    const dir = newProject('invalid', 'box: tiny\nmemroy: 1G\n');
    const r = vm(['status'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${join(dir, 'Vmfile')}:2:1`);
    expect(r.err).not.toMatch(STACK);
  });

  const traceModules = (name: string, args: string[]): { out: string; loaded: string[] } => {
    const dir = newProject(name);
    const trace = join(root, `${name}.txt`);
    const hooks = join(root, `${name}-hooks.mjs`);
    writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function load(url, ctx, next) { appendFileSync(${JSON.stringify(trace)}, url + '\\n'); return next(url, ctx); }\n`);
    const register = join(root, `${name}-register.mjs`);
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
    const r = vm(args, dir, ['--import', register]);
    return { out: r.out, loaded: readFileSync(trace, 'utf8').trim().split('\n') };
  };
  // Engine code and the emulator stay out; the two engine-layer leaves every layer shares (the engine
  // error classes, the atomic file write: no imports beyond node's own) are a few hundred bytes.
  const SHARED_LEAVES = /\/dist\/engines\/(errors|shared\/atomic-file)\.js$/;
  const ENGINE_OR_HEAVY = /\/dist\/(engines|emulator)\/|\/node_modules\/(listr2|ora)\//;
  const FORBIDDEN = { test: (u: string): boolean => ENGINE_OR_HEAVY.test(u) && !SHARED_LEAVES.test(u) };

  it('the plain forms skip oclif: no oclif, engine or emulator code, no listr2/ora (traced through a module loader hook)', () => {
    const { out, loaded } = traceModules('trace-fast', ['status', '--json', 'default']);
    expect(JSON.parse(out).machines).toEqual([{ name: 'default', status: 'not created', engine: 'builtin' }]);
    expect(loaded.some((u) => u.endsWith('/dist/cli/fast-status.js')), 'the trace works').toBe(true);
    expect(loaded.filter((u) => FORBIDDEN.test(u) || u.includes('/node_modules/@oclif/'))).toEqual([]);
  });

  it('other forms go through oclif, print the same, and still load no engine or emulator code', () => {
    const { out, loaded } = traceModules('trace-oclif', ['status', '--', 'default']);
    expect(out).toBe('default  not created (builtin)\n');
    expect(loaded.some((u) => u.endsWith('/dist/cli/commands/status.js')), 'the trace works').toBe(true);
    // Without an oclif.manifest.json, oclif imports every command file at startup: a command importing
    // engine code at its top level drags it into `vm status` too.
    const commands = loaded.filter((u) => u.includes('/dist/cli/commands/')).map((u) => u.replace(/^.*\/dist\/cli\/commands\//, ''));
    expect(loaded.filter((u) => FORBIDDEN.test(u)), `modules \`vm status\` must not load; command files loaded: ${commands.join(', ')}`).toEqual([]);
  });

  it('flags it does not know fall back to oclif: help, and an unknown flag is exit 1 like any bad input', () => {
    const dir = newProject('fallback');
    const help = vm(['status', '--help'], dir);
    expect(help.code).toBe(0);
    expect(help.out).toContain('USAGE');
    expect(vm(['status', '-h'], dir).out).toBe(help.out);
    const bad = vm(['status', '--jsn'], dir);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('Nonexistent flag: --jsn');
    expect(bad.err).not.toMatch(STACK);
    const unknown = vm(['stauts'], dir);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('stauts');
  });
});

describe('vm global-status', () => {
  it('lists indexed machines with fresh state; --prune drops those whose project is gone', async () => {
    const home = join(root, 'gs-home');
    const a = newProject('gs-a');
    const b = newProject('gs-b');
    await saveMachineState(a, state({ state: 'halted' }), { index: { home } });
    await saveMachineState(b, state({ state: 'running', pid: 999_999_999 }), { index: { home } });
    const json = JSON.parse(vm(['global-status', '--json'], root, [], { VM_HOME: home }).out);
    expect(json.map((m: { project: string; status: string }) => [m.project, m.status])).toEqual([
      [a, 'halted'],
      [b, 'aborted'],
    ]);
    const table = vm(['global-status'], root, [], { VM_HOME: home }).out.split('\n');
    expect(table[0]).toMatch(/^NAME\s+ENGINE\s+STATE\s+PROJECT$/);
    expect(table[1]).toMatch(new RegExp(`^default\\s+builtin\\s+halted\\s+${a}$`));
    rmSync(b, { recursive: true });
    const pruned = vm(['global-status', '--prune'], root, [], { VM_HOME: home });
    expect(pruned.out.split('\n')[0]).toBe(`Pruned default in ${b} (project folder is gone)`);
    expect(JSON.parse(vm(['global-status', '--json'], root, [], { VM_HOME: home }).out).map((m: { project: string }) => m.project)).toEqual([a]);
  });

  it('a damaged index is an error naming the file', () => {
    const home = join(root, 'gs-bad');
    mkdirSync(home);
    writeFileSync(join(home, 'index.json'), '{"format":1,');
    const r = vm(['global-status'], root, [], { VM_HOME: home });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^Error: machine index ${join(home, 'index.json').replace(/\./g, '\\.')} is not valid JSON`));
    expect(r.err).not.toMatch(STACK);
  });
});

describe('vm global-status with a project folder moved while its machine runs', () => {
  it('follows the running engine to the new folder; --prune moves the entry and never drops a live engine', async () => {
    const home = join(root, 'mv-home');
    const before = newProject('mv-before');
    const stuck = newProject('mv-stuck');
    // Engines: one running in its machine folder (as the builtin engine does), one whose paths say nothing.
    const machineFolder = join(before, '.vm/machines/default');
    mkdirSync(machineFolder, { recursive: true });
    const engines = [
      spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { cwd: machineFolder }),
      spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { cwd: root }),
    ];
    try {
      await new Promise((r) => setTimeout(r, 200));
      const [a, b] = engines.map((e) => identify(e.pid!));
      await saveMachineState(before, state({ pid: a!.pid, bootId: a!.bootId, pidStartTime: a!.startTime }), { index: { home } });
      await saveMachineState(stuck, state({ pid: b!.pid, bootId: b!.bootId, pidStartTime: b!.startTime }), { index: { home } });
      const after = join(root, 'mv-after');
      renameSync(before, after);
      rmSync(stuck, { recursive: true });

      const json = JSON.parse(vm(['global-status', '--json'], root, [], { VM_HOME: home }).out);
      expect(json.map((m: { project: string; status: string; movedFrom?: string; stale: boolean }) => [m.project, m.status, m.movedFrom, m.stale])).toEqual([
        [after, 'running', before, false],
        [stuck, 'missing', undefined, false],
      ]);
      const pruned = vm(['global-status', '--prune'], root, [], { VM_HOME: home });
      expect(pruned.out.split('\n')[0]).toBe(`Moved default: ${before} -> ${after}`);
      const index = JSON.parse(readFileSync(join(home, 'index.json'), 'utf8')).machines.map((e: { project: string }) => e.project);
      expect(index.sort()).toEqual([after, stuck].sort());
    } finally {
      for (const e of engines) e.kill('SIGKILL');
    }
  });
});

describe('vm status when a box is not installed', () => {
  it('shows every machine, saying which box is missing, instead of failing', async () => {
    const dir = newProject('nobox', 'machines:\n  web: {box: tiny}\n  db: {box: gone}\n  cache: {box: gone}\n');
    await saveMachineState(dir, state({ name: 'cache', state: 'halted', box: { name: 'gone', version: '1.0.0', checksum: 'c'.repeat(64) } }), { index: false });
    const r = vm(['status'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'web    not created (builtin)',
        "db     not created (auto): box 'gone' is not installed; run `vm box add PATH --name gone` to add it",
        "cache  halted (builtin): its box 'gone' is not installed",
        '',
      ].join('\n'),
    );
    // Any other error still fails as before.
    writeFileSync(join(dir, 'Vmfile'), 'machines:\n  web: {box: tiny, memroy: 1G}\n  db: {box: gone}\n');
    expect(vm(['status'], dir).code).toBe(1);
  });
});
