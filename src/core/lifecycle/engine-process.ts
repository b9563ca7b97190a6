// Finding and stopping a machine's engine process. A pid is only ever signalled after its identity
// (pid + boot id + start time, recorded at start) is confirmed, so a reused pid is never hit.
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, type ProcessIdentity } from '../machines/process-identity.js';
import type { MachineState } from '../machines/state.js';
import { QmpClient } from '../../engines/qmp-client.js';

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
