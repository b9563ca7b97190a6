// primary, depends_on and ready: what they compile to, and each mistake with its message and place.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileVmfile, type Project } from '../../../../src/core/vmfile/project.js';
import type { BoxResolver } from '../../../../src/core/vmfile/resolvers.js';
import { machineConfigHash } from '../../../../src/core/machines/state.js';
import { folderResolver, makeBox, tempDir } from './helpers.js';

let project: string;
let resolveBox: BoxResolver;

beforeAll(() => {
  const boxes = tempDir();
  makeBox(boxes);
  resolveBox = folderResolver(boxes);
  project = tempDir('vmfile-orch-');
});

const compile = (text: string): Promise<Project> => compileVmfile(join(project, 'Vmfile'), text, { resolveBox });
const errors = async (text: string): Promise<[number, number, string][]> => (await compile(text)).errors.map((e) => [e.line, e.col, e.message]);

describe('primary', () => {
  it('marks one machine', async () => {
    const p = await compile('defaults: {box: tiny}\nmachines:\n  db:\n  web:\n    primary: true\n');
    expect(p.errors).toEqual([]);
    expect(p.machines.map((m) => [m.name, m.primary])).toEqual([['db', undefined], ['web', true]]);
  });

  it('refuses a second primary, pointing at both', async () => {
    expect(await errors('defaults: {box: tiny}\nmachines:\n  db: {primary: true}\n  web:\n    primary: true\n')).toEqual([
      [5, 5, 'machine "db" is already the primary one (line 3:17); at most one machine can be'],
    ]);
  });

  it('refuses primary and depends_on under defaults, and at the top level', async () => {
    expect(await errors('defaults: {box: tiny, primary: true, depends_on: [a]}\nmachines:\n  a:\n  b:\n')).toEqual([
      [1, 23, '"primary" cannot go under defaults: it is about one machine'],
      [1, 38, '"depends_on" cannot go under defaults: it is about one machine'],
    ]);
    expect((await errors('box: tiny\nprimary: true\n'))[0]![2]).toBe('unknown key "primary"');
  });
});

describe('depends_on', () => {
  it('compiles names in order, duplicates once', async () => {
    const p = await compile('defaults: {box: tiny}\nmachines:\n  db:\n  cache:\n  web:\n    depends_on: [db, cache, db]\n');
    expect(p.errors).toEqual([]);
    expect(p.machines.find((m) => m.name === 'web')!.dependsOn).toEqual(['db', 'cache']);
    expect(p.machines.find((m) => m.name === 'db')!.dependsOn).toBeUndefined();
  });

  it('refuses unknown names and the machine itself, at the item', async () => {
    const p = await compile('defaults: {box: tiny}\nmachines:\n  db:\n  web:\n    depends_on:\n      - dbb\n      - web\n');
    expect(p.errors.map((e) => [e.line, e.col, e.message, e.hint])).toEqual([
      [6, 9, 'machine "web" depends on "dbb", which is not a machine of this Vmfile', 'machines: db, web'],
      [7, 9, 'machine "web" cannot depend on itself', undefined],
    ]);
  });

  it('refuses a cycle once, at the edge in its first machine', async () => {
    expect(await errors('defaults: {box: tiny}\nmachines:\n  a: {depends_on: [b]}\n  b: {depends_on: [c]}\n  c: {depends_on: [a]}\n  d: {depends_on: [a]}\n')).toEqual([
      [3, 20, 'depends_on makes a cycle: a -> b -> c -> a'],
    ]);
    expect(await errors('defaults: {box: tiny}\nmachines:\n  a:\n  x: {depends_on: [y]}\n  y: {depends_on: [x]}\n')).toEqual([
      [4, 20, 'depends_on makes a cycle: x -> y -> x'],
    ]);
  });
});

describe('ready', () => {
  it('compiles a tcp probe and a command probe with their timeouts', async () => {
    const p = await compile('defaults: {box: tiny}\nmachines:\n  db:\n    ready: {tcp: 5432, timeout: 2m}\n  web:\n    ready: {command: "wget -q -O- localhost"}\n');
    expect(p.errors).toEqual([]);
    expect(p.machines.map((m) => m.ready)).toEqual([{ tcp: 5432, timeoutMs: 120_000 }, { command: 'wget -q -O- localhost', timeoutMs: 60_000 }]);
    expect((await compile('box: tiny\nready: {tcp: 80}\n')).machines[0]!.ready).toEqual({ tcp: 80, timeoutMs: 60_000 });
  });

  it('needs exactly one of tcp and command', async () => {
    expect(await errors('box: tiny\nready: {timeout: 5}\n')).toEqual([[2, 1, '`ready` needs `tcp: PORT` or `command: "..."`']]);
    expect(await errors('box: tiny\nready: {tcp: 1, command: "true"}\n')).toEqual([[2, 1, '`ready` takes either `tcp` or `command`, not both']]);
    expect(await errors('box: tiny\nready: {tcp: 1, timeout: 0}\n')).toEqual([[2, 26, 'ready.timeout must be between 1s and 24h; got 0']]);
    expect((await errors('box: tiny\nready: {tcp: 70000}\n'))[0]!.slice(0, 2)).toEqual([2, 14]);
  });
});

describe('the config hash', () => {
  it('leaves orchestration out: editing it never asks for a reload', async () => {
    const a = await compile('defaults: {box: tiny}\nmachines:\n  db:\n  web:\n');
    const b = await compile('defaults: {box: tiny}\nmachines:\n  db: {ready: {tcp: 5432}}\n  web: {primary: true, depends_on: [db]}\n');
    expect(b.machines.map(machineConfigHash)).toEqual(a.machines.map(machineConfigHash));
  });
});
