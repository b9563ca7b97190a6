// The per-machine lock: one command at a time acts on a machine (.vm/locks/<name>.lock).
import { EXIT } from '../errors.js';
import { PROJECT_LOCKS_DIR, PROJECT_STATE_DIR, machineLockFile } from '../paths.js';
import { withLock, type LockOptions } from './lock.js';
import { ensurePrivateDirs } from './safe-fs.js';
import { assertMachineName } from './state.js';

/**
 * Runs `fn` holding machine `name`'s lock. `command` is what the user ran ("vm up"): a second command
 * waits (VM_LOCK_TIMEOUT seconds, default 5) and then fails with EXIT.locked naming it.
 */
export async function withMachineLock<T>(
  projectDir: string,
  name: string,
  command: string,
  fn: () => Promise<T>,
  opts: Partial<Pick<LockOptions, 'timeoutMs'>> = {},
): Promise<T> {
  assertMachineName(name);
  await ensurePrivateDirs(projectDir, PROJECT_STATE_DIR, PROJECT_LOCKS_DIR);
  return withLock(machineLockFile(projectDir, name), command, { what: `machine '${name}'`, exitCode: EXIT.locked, ...opts }, fn);
}
