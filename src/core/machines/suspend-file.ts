// Where a suspended machine's saved state lives: <project>/.vm/machines/<name>/suspend.state. The
// engine writes it atomically and deletes it once a resume has loaded it, so its existence is the
// truth: a machine whose engine ended after writing it is suspended, whatever the last command recorded.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { machineDir } from '../paths.js';

export const SUSPEND_STATE_FILE = 'suspend.state';

export const suspendStatePath = (projectDir: string, name: string): string => join(machineDir(projectDir, name), SUSPEND_STATE_FILE);

/** Whether a saved state is waiting for a resume (a regular file; a link is not followed). */
export async function hasSuspendState(projectDir: string, name: string): Promise<boolean> {
  const st = await lstat(suspendStatePath(projectDir, name)).catch(() => undefined);
  return st?.isFile() === true;
}
