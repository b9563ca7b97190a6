// `vm halt`: ask the guest to power off, wait, then make sure the engine is gone: QMP quit, SIGTERM,
// SIGKILL. The guest is asked through its agent when it answers (the guest stops its programs, syncs
// and unmounts), else through the engine's QMP system_powerdown (a power button, where the machine
// has one; the builtin engine has none and says so). The graceful wait is shorter than the whole
// stop, so the forced stop always gets its turn (nested timeouts, cf. Lima). The agent is reached
// through its multiplexer, so a command running in the guest (`vm ssh -c 'sleep 60'`) does not keep
// halt from asking: the guest is stopped by force only when it cannot be asked or does not power off
// in time, and that outcome ('forced') is never reported as a clean halt.
import type { RuntimePaths } from '../../../engines/engine.js';
import type { MachineConfig } from '../../../model/machine-config.js';
import { QmpClient } from '../../../engines/qmp-client.js';
import { connectAgent } from '../../agent/index.js';
import { EXIT, UserError } from '../../errors.js';
import { stopTunnel } from '../../machines/forward-tunnel.js';
import { withMachineLock } from '../../machines/machine-lock.js';
import { inspectMachine, type MachineState } from '../../machines/state.js';
import { discardSuspendState } from '../../machines/suspend.js';
import { engineIdentity, stopEngine, sweepStaleEngine, waitForExit } from '../engine/process.js';
import { removeRuntimeDir, runtimePathsFor } from '../engine/runtime-dir.js';
import { machineAgent } from '../guest/agent.js';
import { recordedPaths, saveState, stoppedState } from '../machine-record.js';
import { killPoint } from '../test-hooks.js';
import { finishPendingRestore } from '../../machines/restore-journal.js';

/** How long the guest gets to power off by itself, by default. */
export const DEFAULT_HALT_TIMEOUT_MS = 30_000;
/** How long the forced stop (quit, TERM, KILL) gets after that. */
const FORCE_STOP_MS = 10_000;

export interface HaltOptions {
  force?: boolean;
  /** Graceful wait; the forced stop comes after it. */
  timeoutMs?: number;
  command?: string;
}

export interface HaltResult {
  name: string;
  /** 'forced': the engine was stopped without the guest powering off (asked for with `force`, or the guest could not be asked or did not comply). */
  outcome: 'halted' | 'forced' | 'not running' | 'was aborted' | 'was suspended';
  /** How the guest was asked to stop, or why it was not. */
  detail?: string;
}

/** Stops a running machine's engine (graceful first unless `force`); returns how it went. */
export async function stopRunning(config: MachineConfig, state: MachineState, paths: RuntimePaths, o: HaltOptions): Promise<{ forced: boolean; detail: string }> {
  const who = engineIdentity(state)!;
  let detail = 'stopped without asking the guest (--force)';
  if (!o.force) {
    const asked = await requestGuestPoweroff(paths);
    if (asked.ok) {
      if (await waitForExit(who, o.timeoutMs ?? DEFAULT_HALT_TIMEOUT_MS)) {
        // the engine ends its forward tunnel; one it could not (killed) goes here
        stopTunnel(config.project.stateDir);
        return { forced: false, detail: `the guest powered off when asked through ${asked.via}` };
      }
      detail = `asked through ${asked.via}, the guest did not power off within ${Math.round((o.timeoutMs ?? DEFAULT_HALT_TIMEOUT_MS) / 1000)} s; stopped it`;
    } else {
      detail = `${asked.reason}; stopped it without the guest's help`;
    }
  }
  const gone = await stopEngine(who, paths.qmpSocket, FORCE_STOP_MS);
  if (!gone) {
    throw new UserError(`could not stop the engine of machine '${config.name}' (pid ${who.pid})`, { hint: `kill it by hand: kill -9 ${who.pid}` });
  }
  stopTunnel(config.project.stateDir);
  return { forced: true, detail };
}

export async function haltMachine(projectDir: string, config: MachineConfig, o: HaltOptions = {}): Promise<HaltResult> {
  return withMachineLock(projectDir, config.name, o.command ?? 'vm halt', async () => {
    await finishPendingRestore(projectDir, config);
    const view = await inspectMachine(projectDir, config.name, config.engine);
    const computed = runtimePathsFor(config.project.stateDir);
    switch (view.status) {
      case 'not created':
        throw new UserError(`machine '${config.name}' is not created`, { exitCode: EXIT.wrongState, hint: '`vm up` creates and boots it' });
      case 'broken':
        throw new UserError(`machine '${config.name}' is broken: ${view.detail}`, { hint: `\`vm destroy --force ${config.name}\` removes it` });
      case 'created':
      case 'halted':
        await sweepStaleEngine(config.name, computed);
        return { name: config.name, outcome: 'not running' };
      case 'suspended': {
        // Halting a suspended machine powers it off for good: its saved state goes, its disks stay.
        await sweepStaleEngine(config.name, computed);
        await discardSuspendState(projectDir, config.name);
        await saveState(projectDir, stoppedState(view.state!), { vmfile: config.project.vmfile });
        return { name: config.name, outcome: 'was suspended', detail: 'its saved memory state was discarded; `vm up` boots it afresh with its disks' };
      }
      case 'aborted': {
        await sweepStaleEngine(config.name, computed);
        stopTunnel(config.project.stateDir);
        await saveState(projectDir, stoppedState(view.state!), { vmfile: config.project.vmfile });
        await removeRuntimeDir(recordedPaths(view.state!, computed));
        return { name: config.name, outcome: 'was aborted', detail: view.detail };
      }
      case 'running': {
        const paths = recordedPaths(view.state!, computed);
        const r = await stopRunning(config, view.state!, paths, o);
        killPoint('before-halted');
        await saveState(projectDir, stoppedState(view.state!), { vmfile: config.project.vmfile });
        await removeRuntimeDir(paths);
        return { name: config.name, outcome: r.forced ? 'forced' : 'halted', detail: r.detail };
      }
    }
  });
}

export type PowerRequest = { ok: true; via: string } | { ok: false; reason: string };

/** Asks the guest to power itself off: through its agent, else the power button (QMP). */
export async function requestGuestPoweroff(paths: RuntimePaths): Promise<PowerRequest> {
  let agentWhy = '';
  try {
    const agent = await connectAgent(paths.agentSocket, { ...machineAgent(paths), connectTimeoutMs: 5000, helloTimeoutMs: 5000 });
    try {
      await agent.poweroff(5000);
      return { ok: true, via: 'its agent' };
    } finally {
      agent.close();
    }
  } catch (err) {
    agentWhy = `the guest agent did not answer: ${(err as Error).message}`;
  }
  let qmp: QmpClient | undefined;
  try {
    qmp = await QmpClient.connect(paths.qmpSocket, 3000);
    await qmp.execute('system_powerdown', undefined, 3000);
    return { ok: true, via: 'the power button (QMP system_powerdown)' };
  } catch (err) {
    return { ok: false, reason: `${agentWhy}; the power button did not work either: ${(err as Error).message}` };
  } finally {
    qmp?.close();
  }
}
