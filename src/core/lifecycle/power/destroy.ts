// `vm destroy`: stop the machine, delete its disks, overlays and state, forget it in the global
// index. The box it was made from is never touched.
import { lstat, rm } from 'node:fs/promises';
import type { MachineConfig } from '../../../model/machine-config.js';
import { UserError } from '../../errors.js';
import { forgetMachine } from '../../machines/global-index.js';
import { withMachineLock } from '../../machines/machine-lock.js';
import { inspectMachine } from '../../machines/state.js';
import { machineDir, type StoreLocation } from '../../paths.js';
import { engineFor } from '../engine/engine-for.js';
import { engineUserError } from '../../engine-errors.js';
import { stopRunning } from './halt.js';
import { recordedPaths } from '../machine-record.js';
import { removeRuntimeDir, runtimePathsFor } from '../engine/runtime-dir.js';
import { sweepStaleEngine } from '../engine/process.js';
import { stopTunnel } from '../../machines/forward-tunnel.js';

export interface DestroyResult {
  name: string;
  outcome: 'destroyed' | 'not created';
  notes: string[];
}

export async function destroyMachine(projectDir: string, config: MachineConfig, o: { command?: string; loc?: StoreLocation } = {}): Promise<DestroyResult> {
  return withMachineLock(projectDir, config.name, o.command ?? 'vm destroy', async () => {
    const view = await inspectMachine(projectDir, config.name, config.engine);
    const notes: string[] = [];
    const computed = runtimePathsFor(config.project.stateDir);
    if (view.status === 'running') {
      // The disks are about to go: there is nothing for a graceful shutdown to save.
      await stopRunning(config, view.state!, recordedPaths(view.state!, computed), { force: true });
    }
    if (await sweepStaleEngine(config.name, computed)) notes.push(`stopped an engine of '${config.name}' left by an interrupted command`);
    stopTunnel(config.project.stateDir);
    if (view.state) await removeRuntimeDir(recordedPaths(view.state, computed));
    await removeRuntimeDir(computed);
    const dir = machineDir(projectDir, config.name);
    const st = await lstat(dir).catch(() => undefined);
    if (view.status === 'not created' && !st) {
      await forgetMachine(projectDir, config.name, o.loc).catch(() => undefined);
      return { name: config.name, outcome: 'not created', notes };
    }
    // The engine deletes what it made outside the state folder; the folder itself goes next.
    const engine = await engineFor({ ...config, engine: view.state?.engine ?? config.engine }).catch(() => undefined);
    await engine?.destroyDisks(config).catch((err: unknown) => {
      throw engineUserError(err);
    });
    if (st) {
      if (st.isSymbolicLink()) throw new UserError(`refusing to delete ${dir}: it is a symlink`, { hint: 'remove the link yourself' });
      await rm(dir, { recursive: true, force: true });
    }
    try {
      await forgetMachine(projectDir, config.name, o.loc);
    } catch (err) {
      notes.push(`the global machine index was not updated: ${(err as Error).message}`);
    }
    return { name: config.name, outcome: 'destroyed', notes };
  });
}
