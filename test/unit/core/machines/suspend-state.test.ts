// What `vm status` makes of a suspend's traces: a CLI killed after the engine saved the machine (state
// still 'running', engine gone, suspend.state present) shows suspended; a machine recorded suspended
// whose saved state is gone shows aborted (it boots afresh), never resumed from nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectMachine, saveMachineState, type MachineState } from '../../../../src/core/machines/state.js';
import { suspendStatePath } from '../../../../src/core/machines/suspend-file.js';

let project: string;
beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'vm-suspend-state-'));
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

const state = (over: Partial<MachineState>): MachineState => ({
  format: 1,
  name: 'default',
  engine: 'builtin',
  state: 'halted',
  sockets: {},
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  box: { name: 'tiny', version: '0.1.0', checksum: 'c'.repeat(64) },
  configHash: 'h'.repeat(64),
  ...over,
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

describe('suspended machines', () => {
  it('a dead engine that left suspend.state is suspended, not aborted', async () => {
    await saveMachineState(project, state({ state: 'running', pid: await deadPid() }), { index: false });
    expect((await inspectMachine(project, 'default', 'builtin')).status).toBe('aborted');
    writeFileSync(suspendStatePath(project, 'default'), 'state');
    const view = await inspectMachine(project, 'default', 'builtin');
    expect(view.status).toBe('suspended');
    expect(view.detail).toBe(`saved in ${suspendStatePath(project, 'default')}`);
  });

  it('recorded suspended: suspended while the file is there, aborted once it is gone', async () => {
    await saveMachineState(project, state({ state: 'suspended' }), { index: false });
    writeFileSync(suspendStatePath(project, 'default'), 'state');
    expect((await inspectMachine(project, 'default', 'builtin')).status).toBe('suspended');
    rmSync(suspendStatePath(project, 'default'));
    const view = await inspectMachine(project, 'default', 'builtin');
    expect(view.status).toBe('aborted');
    expect(view.detail).toBe(`it was suspended but its saved state ${suspendStatePath(project, 'default')} is gone`);
  });
});
