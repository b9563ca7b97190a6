// Machine state files: atomic writes, 0700/0600 whatever the umask, links refused, damage reported
// with the file's name, missing state beside disks reported, dead engines shown as aborted.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectMachine, readMachineState, saveMachineState, type MachineState } from '../../../../src/core/machines/state.js';
import { identify } from '../../../../src/core/machines/process-identity.js';
import { readIndex } from '../../../../src/core/machines/global-index.js';
import { UserError } from '../../../../src/core/errors.js';

let root: string;
let project: string;
let home: string;
let oldUmask: number;
beforeAll(() => {
  oldUmask = process.umask(0o000);
});
afterAll(() => {
  process.umask(oldUmask);
});
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vm-state-'));
  project = join(root, 'project');
  home = join(root, 'home');
  mkdirSync(project);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const state = (over: Partial<MachineState> = {}): MachineState => ({
  format: 1,
  name: 'default',
  engine: 'builtin',
  state: 'halted',
  sockets: { control: '/run/vm/x.sock' },
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  box: { name: 'tiny', version: '0.1.0', checksum: 'c'.repeat(64) },
  configHash: 'h'.repeat(64),
  ...over,
});
const stateFile = (): string => join(project, '.vm', 'machines', 'default', 'state.json');
const mode = (p: string): number => statSync(p).mode & 0o777;

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

describe('machine state', () => {
  it('writes state.json atomically as 0600 in 0700 folders under umask 000, and records it in the index', async () => {
    expect(await saveMachineState(project, state(), { index: { home }, vmfile: join(project, 'Vmfile') })).toEqual({});
    expect(mode(join(project, '.vm'))).toBe(0o700);
    expect(mode(join(project, '.vm', 'machines'))).toBe(0o700);
    expect(mode(join(project, '.vm', 'machines', 'default'))).toBe(0o700);
    expect(mode(stateFile())).toBe(0o600);
    expect(readdirSync(join(project, '.vm', 'machines', 'default'))).toEqual(['state.json']);
    const back = await readMachineState(project, 'default');
    expect(back).toMatchObject({ ...state(), updatedAt: expect.any(String) });
    expect(mode(join(home, 'index.json'))).toBe(0o600);
    expect(await readIndex({ home })).toEqual([
      { project, vmfile: join(project, 'Vmfile'), name: 'default', engine: 'builtin', state: 'halted', box: { name: 'tiny', version: '0.1.0' }, updatedAt: expect.any(String) },
    ]);
  });

  it('tightens an existing .vm folder created with loose permissions', async () => {
    mkdirSync(join(project, '.vm'));
    chmodSync(join(project, '.vm'), 0o777);
    await saveMachineState(project, state(), { index: false });
    expect(mode(join(project, '.vm'))).toBe(0o700);
  });

  it('refuses a symlink where a state folder or the state file is expected', async () => {
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(project, '.vm'));
    await expect(saveMachineState(project, state(), { index: false })).rejects.toThrow(
      new UserError(`refusing to use ${join(project, '.vm')}: it is a symlink where a directory is expected`),
    );
    expect(readdirSync(elsewhere)).toEqual([]);
    rmSync(join(project, '.vm'));

    await saveMachineState(project, state(), { index: false });
    rmSync(stateFile());
    writeFileSync(join(root, 'planted.json'), JSON.stringify(state()));
    symlinkSync(join(root, 'planted.json'), stateFile());
    await expect(readMachineState(project, 'default')).rejects.toThrow(`refusing to use ${stateFile()}: it is a symlink where a file is expected`);
  });

  it('a garbage, truncated, empty or wrong-typed state file is an error naming the file', async () => {
    await saveMachineState(project, state(), { index: false });
    const full = readFileSync(stateFile(), 'utf8');
    writeFileSync(stateFile(), full.slice(0, 40));
    const err = await readMachineState(project, 'default').catch((e: Error) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(new RegExp(`^state file ${stateFile().replace(/[.]/g, '\\.')} is not valid JSON \\(.+\\)$`));
    const view = await inspectMachine(project, 'default', 'builtin');
    expect(view.status).toBe('broken');
    expect(view.detail).toBe((err as Error).message);

    writeFileSync(stateFile(), '');
    await expect(readMachineState(project, 'default')).rejects.toThrow(`state file ${stateFile()} is empty (truncated by a crash?)`);
    writeFileSync(stateFile(), '\u0000\u0000\u0000garbage');
    await expect(readMachineState(project, 'default')).rejects.toThrow(`state file ${stateFile()} is not valid JSON`);
    writeFileSync(stateFile(), JSON.stringify({ ...state(), engine: 'vmware' }));
    await expect(readMachineState(project, 'default')).rejects.toThrow(`state file ${stateFile()}: 'engine' must be 'builtin', 'qemu' or 'libvirt'`);
    writeFileSync(stateFile(), JSON.stringify({ ...state(), pid: -4 }));
    await expect(readMachineState(project, 'default')).rejects.toThrow(`state file ${stateFile()}: 'pid' must be a non-negative integer`);
    writeFileSync(stateFile(), '[]');
    await expect(readMachineState(project, 'default')).rejects.toThrow(`state file ${stateFile()}: '(top level)' must be an object`);
  });

  it('not created: no folder, or an empty one; a missing state file beside disks is reported, not fixed', async () => {
    expect(await inspectMachine(project, 'default', 'qemu')).toEqual({ name: 'default', engine: 'qemu', status: 'not created' });
    mkdirSync(join(project, '.vm', 'machines', 'default'), { recursive: true });
    expect((await inspectMachine(project, 'default', 'builtin')).status).toBe('not created');
    writeFileSync(join(project, '.vm', 'machines', 'default', 'overlay.qcow2'), 'disk');
    writeFileSync(join(project, '.vm', 'machines', 'default', 'data.img'), 'disk');
    expect(await inspectMachine(project, 'default', 'builtin')).toEqual({
      name: 'default',
      engine: 'builtin',
      status: 'broken',
      detail: `state file ${stateFile()} is missing but the machine folder holds data.img, overlay.qcow2; vm will not recreate the machine over them (restore the state file, or delete the folder to start over)`,
    });
    expect(readdirSync(join(project, '.vm', 'machines', 'default')).sort()).toEqual(['data.img', 'overlay.qcow2']);
  });

  it('running while the engine lives; aborted when its pid is dead, from another boot, or reused', async () => {
    const me = identify();
    await saveMachineState(project, state({ state: 'running', pid: me.pid, bootId: me.bootId, pidStartTime: me.startTime }), { index: false });
    expect(await inspectMachine(project, 'default', 'builtin')).toMatchObject({ status: 'running', pid: me.pid });

    const dead = await deadPid();
    await saveMachineState(project, state({ state: 'running', pid: dead, bootId: me.bootId }), { index: false });
    expect(await inspectMachine(project, 'default', 'builtin')).toMatchObject({ status: 'aborted', detail: `engine process ${dead} is gone` });

    // A live pid (ours) recorded under another boot id, or with another start time, is not our engine.
    await saveMachineState(project, state({ state: 'running', pid: me.pid, bootId: 'another-boot' }), { index: false });
    expect((await inspectMachine(project, 'default', 'builtin')).status).toBe('aborted');
    await saveMachineState(project, state({ state: 'running', pid: me.pid, bootId: me.bootId, pidStartTime: (me.startTime ?? 0) + 1 }), { index: false });
    expect((await inspectMachine(project, 'default', 'builtin')).status).toBe('aborted');

    await saveMachineState(project, state({ state: 'halted' }), { index: false });
    expect((await inspectMachine(project, 'default', 'builtin')).status).toBe('halted');
  });

  it('refuses machine names that could leave .vm/machines', async () => {
    await expect(saveMachineState(project, state({ name: '../../etc' }), { index: false })).rejects.toThrow(
      "invalid machine name '../../etc': use letters, digits, '.', '_' and '-' (at most 63), starting with a letter or digit",
    );
  });

  it('a damaged index does not undo the state write; it comes back as a warning', async () => {
    mkdirSync(home);
    writeFileSync(join(home, 'index.json'), '{"format":1,"machines":[');
    const res = await saveMachineState(project, state(), { index: { home } });
    expect(res.indexWarning).toMatch(/^the global machine index was not updated: machine index .*index\.json is not valid JSON/);
    expect(await readMachineState(project, 'default')).toBeDefined();
  });
});
