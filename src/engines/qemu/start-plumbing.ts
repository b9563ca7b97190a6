// The start-up plumbing of the qemu engine (the libvirt engine shares it): engine.log notes and
// offsets, socket and QMP checks. Detached processes: shared/detached.ts; socket paths: shared/unix-socket.ts.

import { constants as C } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { QmpClient } from '../qmp-client.js';


/** The compiled relay entry: beside this file when built, under dist/ when this runs from src/ (tests). */
export function consoleRelayMainPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return fileURLToPath(new URL('./console-relay-main.js', import.meta.url));
  return fileURLToPath(new URL('../../../dist/engines/qemu/console-relay-main.js', import.meta.url));
}

export async function appendLog(path: string, text: string): Promise<void> {
  const fh = await open(path, C.O_WRONLY | C.O_CREAT | C.O_APPEND | C.O_NOFOLLOW, 0o600);
  try {
    await fh.write(text);
  } finally {
    await fh.close();
  }
}

export const isSocket = (path: string): Promise<boolean> =>
  lstat(path).then(
    (s) => s.isSocket(),
    () => false,
  );

/** Whether QMP greets and answers query-status (whatever the status). */
export async function qmpStatus(path: string, timeoutMs: number): Promise<boolean> {
  let qmp: QmpClient | undefined;
  try {
    qmp = await QmpClient.connect(path, timeoutMs);
    await qmp.queryStatus(timeoutMs);
    return true;
  } catch {
    return false;
  } finally {
    qmp?.close();
  }
}
