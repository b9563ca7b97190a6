// The start-up plumbing of the qemu engine: detached processes with their output in engine.log,
// the log's tail for error messages, and checks on the runtime dir's sockets.

import { spawn } from 'node:child_process';
import { constants as C } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { EngineStartError } from '../errors.js';
import { QmpClient } from '../qmp-client.js';



export function socketAccepts(path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** The compiled relay entry: beside this file when built, under dist/ when this runs from src/ (tests). */
export function consoleRelayMainPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return fileURLToPath(new URL('./console-relay-main.js', import.meta.url));
  return fileURLToPath(new URL('../../../dist/engines/qemu/console-relay-main.js', import.meta.url));
}

export interface Detached {
  pid: number;
  /** How it ended ("exit code 1", "signal SIGKILL"), or '' while it runs. */
  exited(): string;
}

/** Spawns a process in its own session and process group, stdout/stderr appended to `logPath`. */
export async function spawnDetached(program: string, args: string[], logPath: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Detached> {
  const logFh = await open(logPath, C.O_WRONLY | C.O_CREAT | C.O_APPEND | C.O_NOFOLLOW, 0o600);
  let child;
  try {
    // detached: own session and process group, so a Ctrl-C on the CLI does not reach the machine
    child = spawn(program, args, { detached: true, stdio: ['ignore', logFh.fd, logFh.fd], cwd, env });
  } finally {
    await logFh.close();
  }
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new EngineStartError(`cannot start ${program}: ${err.message}`);
  }
  let ended = '';
  child.once('exit', (code, signal) => (ended = signal ? `signal ${signal}` : `exit code ${code}`));
  child.unref();
  return { pid, exited: () => ended };
}

export async function fileSize(path: string): Promise<number> {
  return lstat(path).then(
    (s) => s.size,
    () => 0,
  );
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

/**
 * A socket path must be free or hold a stale socket: qemu unlinks whatever is there before it binds,
 * so a regular file would be lost and a live engine's socket stolen.
 */
export async function checkSocketPath(path: string): Promise<void> {
  let socket: boolean;
  try {
    socket = (await lstat(path)).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!socket) throw new EngineStartError(`${path} exists and is not a socket; refusing to replace it`, '', 'move the file away, or point VM_RUNTIME_DIR elsewhere');
  if (await socketAccepts(path, 1000)) throw new EngineStartError(`something already serves ${path}: is this machine's engine still running?`, '');
}
