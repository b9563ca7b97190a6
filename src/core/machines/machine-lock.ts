// The per-machine lock: one command at a time acts on a machine (.vm/locks/<name>.lock). Taken
// around a function (withMachineLock), or as a handle (lockMachine) for commands whose work a front
// end drives step by step (`up` as a task list).
import { EXIT } from '../errors.js';
import { PROJECT_LOCKS_DIR, PROJECT_STATE_DIR, machineLockFile } from '../paths.js';
import { acquireLock, type Lock, type LockOptions } from './lock.js';
import { ensurePrivateDirs } from './safe-fs.js';
import { assertMachineName } from './state.js';

/**
 * Takes machine `name`'s lock. `command` is what the user ran ("vm up"): a second command waits
 * (VM_LOCK_TIMEOUT seconds, default 5) and then fails with EXIT.locked naming it.
 */
export async function lockMachine(projectDir: string, name: string, command: string, opts: Partial<Pick<LockOptions, 'timeoutMs'>> = {}): Promise<Lock> {
  assertMachineName(name);
  await ensurePrivateDirs(projectDir, PROJECT_STATE_DIR, PROJECT_LOCKS_DIR);
  return acquireLock(machineLockFile(projectDir, name), command, { what: `machine '${name}'`, exitCode: EXIT.locked, ...opts });
}

/** Runs `fn` holding machine `name`'s lock (see lockMachine). */
export async function withMachineLock<T>(
  projectDir: string,
  name: string,
  command: string,
  fn: () => Promise<T>,
  opts: Partial<Pick<LockOptions, 'timeoutMs'>> = {},
): Promise<T> {
  const lock = await lockMachine(projectDir, name, command, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
