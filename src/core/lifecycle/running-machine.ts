// The running machine a command talks to (ssh, provision, logs --follow), or a clear "not running" error.
import type { RuntimePaths } from '../../engines/engine.js';
import type { MachineConfig } from '../../engines/machine-config.js';
import { EXIT, UserError } from '../errors.js';
import { inspectMachine, type MachineState } from '../machines/state.js';
import { recordedPaths } from './machine-record.js';
import { runtimePathsFor } from './runtime-dir.js';

export interface RunningMachine {
  config: MachineConfig;
  state: MachineState;
  paths: RuntimePaths;
}

export async function requireRunning(projectDir: string, config: MachineConfig): Promise<RunningMachine> {
  const view = await inspectMachine(projectDir, config.name, config.engine);
  if (view.status !== 'running') {
    const why =
      view.status === 'aborted'
        ? `its engine stopped unexpectedly (${view.detail}); \`vm up ${config.name}\` boots it again`
        : view.status === 'broken'
          ? `it is broken: ${view.detail}`
          : `it is ${view.status}; \`vm up ${config.name}\` boots it`;
    throw new UserError(`machine '${config.name}' is not running: ${why}`, { exitCode: EXIT.wrongState });
  }
  return { config, state: view.state!, paths: recordedPaths(view.state!, runtimePathsFor(config.project.stateDir)) };
}
