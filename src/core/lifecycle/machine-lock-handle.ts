// A machine's lock as a handle (take now, release later), for commands whose work is driven by a
// front end step by step (`up` as a task list). Same file and rules as withMachineLock.
import { EXIT } from '../errors.js';
import { acquireLock, type Lock } from '../machines/lock.js';
import { ensurePrivateDirs } from '../machines/safe-fs.js';
import { assertMachineName } from '../machines/state.js';
import { PROJECT_LOCKS_DIR, PROJECT_STATE_DIR, machineLockFile } from '../paths.js';

export async function lockMachine(projectDir: string, name: string, command: string): Promise<Lock> {
  assertMachineName(name);
  await ensurePrivateDirs(projectDir, PROJECT_STATE_DIR, PROJECT_LOCKS_DIR);
  return acquireLock(machineLockFile(projectDir, name), command, { what: `machine '${name}'`, exitCode: EXIT.locked });
}
