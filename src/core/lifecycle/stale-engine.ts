// An engine left running by a command killed between starting it and recording it (the state file
// does not name it) is found by its QMP socket in the machine's private runtime dir and told to quit.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimePaths } from '../../engines/engine.js';
import { UserError } from '../errors.js';
import { QmpClient } from '../../engines/qmp-client.js';
import { removeIfSocket } from './runtime-dir.js';
import { socketInUse } from '../../engines/shared/unix-socket.js';

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
