// Finding and stopping a machine's engine process. A pid is only ever signalled after its identity
// (pid + boot id + start time, recorded at start) is confirmed, so a reused pid is never hit. An
// engine left running by a command killed between starting it and recording it (the state file
// does not name it) is found by its QMP socket in the machine's private runtime dir and told to quit.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimePaths } from '../../../engines/engine.js';
import { QmpClient } from '../../../engines/qmp-client.js';
import { socketInUse } from '../../../engines/shared/unix-socket.js';
import { UserError } from '../../errors.js';
import { isAlive, type ProcessIdentity } from '../../machines/process-identity.js';
import type { MachineState } from '../../machines/state.js';
import { removeIfSocket } from './runtime-dir.js';

export function engineIdentity(state: MachineState): ProcessIdentity | undefined {
  if (state.pid === undefined) return undefined;
  return { pid: state.pid, bootId: state.bootId ?? '', startTime: state.pidStartTime };
}

/** Waits until the process is gone; true when it went within `timeoutMs`. */
export async function waitForExit(who: ProcessIdentity, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(who)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Sends `signal` to the engine's process group (it leads its own), or to the pid when it has no group. */
export function signalEngine(who: ProcessIdentity, signal: NodeJS.Signals): void {
  if (!isAlive(who)) return;
  try {
    process.kill(-who.pid, signal);
  } catch {
    try {
      process.kill(who.pid, signal);
    } catch {
      // gone in between
    }
  }
}

/**
 * Stops an engine without the guest's cooperation: QMP `quit`, then SIGTERM, then SIGKILL, each
 * given its share of `timeoutMs`. Resolves true once the process is gone.
 */
export async function stopEngine(who: ProcessIdentity, qmpSocket: string | undefined, timeoutMs = 10_000): Promise<boolean> {
  if (!isAlive(who)) return true;
  const share = Math.max(500, Math.floor(timeoutMs / 3));
  if (qmpSocket) {
    try {
      const qmp = await QmpClient.connect(qmpSocket, share);
      await qmp.execute('quit', undefined, share).catch(() => undefined);
      qmp.close();
      if (await waitForExit(who, share)) return true;
    } catch {
      // no QMP: fall through to signals
    }
  }
  signalEngine(who, 'SIGTERM');
  if (await waitForExit(who, share)) return true;
  signalEngine(who, 'SIGKILL');
  return waitForExit(who, 5000);
}

/** Stops an unrecorded engine still serving `paths`; returns whether there was one. */
export async function sweepStaleEngine(name: string, paths: RuntimePaths, timeoutMs = 10_000): Promise<boolean> {
  if (!(await socketInUse(paths.qmpSocket))) {
    for (const s of [paths.consoleSocket, paths.agentSocket, paths.qmpSocket]) await removeIfSocket(s);
    return false;
  }
  try {
    const qmp = await QmpClient.connect(paths.qmpSocket, 3000);
    await qmp.execute('quit', undefined, 3000).catch(() => undefined);
    qmp.close();
  } catch {
    // it answers but does not speak QMP: the check below reports it
  }
  const deadline = Date.now() + timeoutMs;
  while (await socketInUse(paths.qmpSocket)) {
    if (Date.now() > deadline) {
      throw new UserError(`an engine process of machine '${name}' that vm has no record of still serves ${paths.qmpSocket} and did not stop`, {
        hint: `find it with \`fuser ${paths.qmpSocket}\` and stop it, then try again`,
      });
    }
    await sleep(100);
  }
  return true;
}
