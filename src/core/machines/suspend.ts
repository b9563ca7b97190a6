// `vm suspend`: the engine saves the running machine's whole state (memory, CPU, devices) to
// suspend.state in the machine's folder and ends; `vm up`/`vm resume` continue from it, `vm halt`
// discards it. The engine is asked first whether it can (exit 5 before anything is touched when not).
import { unlink } from 'node:fs/promises';
import type { MachineConfig } from '../../model/machine-config.js';
import { EXIT, UserError } from '../errors.js';
import { engineFor } from '../lifecycle/engine/engine-for.js';
import { engineIdentity, stopEngine, waitForExit } from '../lifecycle/engine/process.js';
import { recordedPaths, saveState, suspendedState } from '../lifecycle/machine-record.js';
import { removeRuntimeDir, runtimePathsFor } from '../lifecycle/engine/runtime-dir.js';
import { killPoint } from '../lifecycle/test-hooks.js';
import type { RuntimePaths } from '../../engines/engine.js';
import { withAgent } from '../lifecycle/guest/agent.js';
import { withMachineLock } from './machine-lock.js';
import { inspectMachine } from './state.js';
import { suspendStatePath } from './suspend-file.js';
import { finishPendingRestore } from './restore-journal.js';

/** How long the engine gets to end once its state file is written. */
const EXIT_AFTER_SAVE_MS = 30_000;

export interface SuspendResult {
  name: string;
  outcome: 'suspended' | 'already suspended';
  /** Size of the state file written. */
  stateBytes?: number;
}

export { suspendedState };

/** Delete a suspended machine's saved state (halt from suspended; its disks stay). */
export async function discardSuspendState(projectDir: string, name: string): Promise<void> {
  await unlink(suspendStatePath(projectDir, name)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw new UserError(`cannot delete the saved state ${suspendStatePath(projectDir, name)}: ${err.message}`);
  });
}

export async function suspendMachine(projectDir: string, config: MachineConfig, o: { command?: string } = {}): Promise<SuspendResult> {
  return withMachineLock(projectDir, config.name, o.command ?? 'vm suspend', async () => {
    await finishPendingRestore(projectDir, config);
    const view = await inspectMachine(projectDir, config.name, config.engine);
    if (view.status === 'suspended') return { name: config.name, outcome: 'already suspended' };
    if (view.status !== 'running') {
      throw new UserError(`machine '${config.name}' is ${view.status}${view.detail ? ` (${view.detail})` : ''}: only a running machine can be suspended`, {
        exitCode: EXIT.wrongState,
        hint: view.status === 'broken' ? `\`vm destroy --force ${config.name}\` removes it` : '`vm up` starts it',
      });
    }
    const state = view.state!;
    const engine = await engineFor({ ...config, engine: state.engine });
    const refusal = engine.suspendRefusal(config);
    if (refusal) {
      throw new UserError(`cannot suspend machine '${config.name}': ${refusal}`, { exitCode: EXIT.unsupported, hint: '`vm halt` powers it off instead (its disks are kept)' });
    }
    const paths = recordedPaths(state, runtimePathsFor(config.project.stateDir));
    const file = suspendStatePath(projectDir, config.name);
    try {
      await engine.suspend(config, paths, file);
    } catch (err) {
      throw new UserError(`machine '${config.name}' could not be suspended: ${(err as Error).message}`, { hint: 'it keeps running; see `vm logs` and the engine log' });
    }
    killPoint('after-suspend-saved');
    const who = engineIdentity(state)!;
    // The state is safely on disk: an engine that does not end by itself is stopped.
    if (!(await waitForExit(who, EXIT_AFTER_SAVE_MS))) await stopEngine(who, undefined, 10_000);
    await saveState(projectDir, suspendedState(state), { vmfile: config.project.vmfile });
    await removeRuntimeDir(paths);
    return { name: config.name, outcome: 'suspended' };
  });
}

/**
 * After a resume the guest's clocks continue from the moment of suspend. Its wall clock is stepped to
 * the host's through the agent (busybox `date -u -s @SECONDS`); monotonic time stays continuous, as
 * after a suspend to disk on hardware. Returns a note when the guest could not be set.
 */
export async function stepGuestClock(config: MachineConfig, paths: RuntimePaths): Promise<string | undefined> {
  try {
    const r = await withAgent(config.name, paths, 10_000, (agent) => agent.run({ argv: ['date', '-u', '-s', `@${Math.round(Date.now() / 1000)}`] }));
    if (!('code' in r.status) || r.status.code !== 0) {
      return `the guest clock of '${config.name}' was not set to the host's time: date failed (${JSON.stringify(r.status)}): ${r.stderr.toString().trim()}`;
    }
    return undefined;
  } catch (err) {
    return `the guest clock of '${config.name}' was not set to the host's time: ${(err as Error).message}`;
  }
}
