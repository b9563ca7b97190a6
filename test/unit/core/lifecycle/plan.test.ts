// `vm plan`'s decision for each kind of machine and change, on real state files: create, boot,
// nothing, apply at reload (with the settings named), re-create, and the provisioners up would run.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MachineConfig } from '../../../../src/model/machine-config.js';
import { newState, runningState, stoppedState } from '../../../../src/core/lifecycle/machine-record.js';
import { markProvisioned } from '../../../../src/core/lifecycle/provision.js';
import { planMachine } from '../../../../src/core/lifecycle/plan.js';
import { runtimePathsFor } from '../../../../src/core/lifecycle/engine/runtime-dir.js';
import { saveMachineState, type MachineState } from '../../../../src/core/machines/state.js';
import { compileVmfile } from '../../../../src/core/vmfile/project.js';
import type { BoxResolver } from '../../../../src/core/vmfile/resolvers.js';
import { folderResolver, makeBox, tempDir } from '../vmfile/helpers.js';

let resolveBox: BoxResolver;

beforeAll(() => {
  const boxes = tempDir();
  makeBox(boxes);
  makeBox(boxes, { name: 'tiny2', version: '0.2.0' });
  resolveBox = folderResolver(boxes);
});

const VMFILE = `box: tiny
memory: 128M
provision:
  - {type: shell, name: setup, inline: "true"}
  - {type: shell, name: start, run: always, inline: "true"}
  - {type: shell, name: manual, run: never, inline: "true"}
`;

async function machine(dir: string, text: string): Promise<MachineConfig> {
  const p = await compileVmfile(join(dir, 'Vmfile'), text, { resolveBox });
  expect(p.errors).toEqual([]);
  return p.machines[0]!;
}

async function save(dir: string, state: MachineState): Promise<void> {
  await saveMachineState(dir, state, { index: false });
}

describe('planMachine', () => {
  it('creates a machine that does not exist, with its first provisioners', async () => {
    const dir = tempDir('plan-');
    expect(await planMachine(dir, await machine(dir, VMFILE))).toEqual({ name: 'default', status: 'not created', action: 'create', provisioners: ['setup', 'start'] });
  });

  it('has nothing to do for a running machine as written, and names what changed otherwise', async () => {
    const dir = tempDir('plan-');
    const config = await machine(dir, VMFILE);
    await save(dir, runningState(config, newState(config, 'created'), process.pid, runtimePathsFor(config.project.stateDir)));
    await markProvisioned(config.project.stateDir);
    expect(await planMachine(dir, config)).toEqual({ name: 'default', status: 'running', action: 'none', provisioners: [] });
    const edited = await machine(dir, VMFILE.replace('memory: 128M', 'memory: 256M\ncpus: 2\nforwards: [{guest: 80, host: 8080}]'));
    expect(await planMachine(dir, edited)).toEqual({ name: 'default', status: 'running', action: 'reload', changed: ['cpus', 'memory', 'forwards'], provisioners: [] });
    // orchestration and provisioners are not the machine: nothing to reload
    expect((await planMachine(dir, await machine(dir, `${VMFILE}ready: {tcp: 22}\n`))).action).toBe('none');
  });

  it('boots a halted machine with its always provisioners, or its first ones when they never finished', async () => {
    const dir = tempDir('plan-');
    const config = await machine(dir, VMFILE);
    const running = runningState(config, newState(config, 'created'), process.pid, runtimePathsFor(config.project.stateDir));
    await save(dir, stoppedState(running));
    expect(await planMachine(dir, config)).toEqual({ name: 'default', status: 'halted', action: 'boot', provisioners: ['setup', 'start'] });
    await markProvisioned(config.project.stateDir);
    const edited = await machine(dir, VMFILE.replace('memory: 128M', 'memory: 64M'));
    expect(await planMachine(dir, edited)).toEqual({ name: 'default', status: 'halted', action: 'boot', changed: ['memory'], provisioners: ['start'] });
  });

  it('requires re-creating for another box build, with the reason and the way out', async () => {
    const dir = tempDir('plan-');
    const config = await machine(dir, VMFILE);
    await save(dir, newState(config, 'created'));
    const plan = await planMachine(dir, await machine(dir, VMFILE.replace('box: tiny', 'box: tiny2')));
    expect(plan).toMatchObject({ action: 'recreate', status: 'created', provisioners: [] });
    expect(plan.changed).toEqual(expect.arrayContaining(['box']));
    expect(plan.reason).toBe("machine 'default' was created from box tiny 0.1.0, but the Vmfile now gives tiny2 0.2.0 (a different build): its disks only work on the box they were made from");
  });

  it('says changed without naming settings for a state written before they were recorded', async () => {
    const dir = tempDir('plan-');
    const config = await machine(dir, VMFILE);
    const { configFields: _f, ...old } = runningState(config, newState(config, 'created'), process.pid, runtimePathsFor(config.project.stateDir));
    await save(dir, old);
    await markProvisioned(config.project.stateDir);
    expect(await planMachine(dir, await machine(dir, VMFILE.replace('memory: 128M', 'memory: 256M')))).toEqual({ name: 'default', status: 'running', action: 'reload', provisioners: [] });
  });
});
