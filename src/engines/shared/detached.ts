// Starting a process that outlives the command that starts it (an engine, qemu's console relay, the
// libvirt domain keeper, core's agent multiplexer and port watcher): its own session and process
// group, so a Ctrl-C on the CLI does not reach it; stdout and stderr appended to a log file; not
// waited for.
import { spawn } from 'node:child_process';
import { closeSync, constants as C, openSync } from 'node:fs';
import { EngineStartError } from '../errors.js';

export interface Detached {
  /** undefined when the process could not be started (`ended` says why). */
  pid: number | undefined;
  /** How it ended ("exit code 1", "signal SIGKILL", or why it could not start), '' while it runs. */
  exited(): string;
  /** Resolves with exited() once it is known. */
  ended: Promise<string>;
}

export interface DetachedOptions {
  /** Appended to (0600, never through a symbolic link). */
  log: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

export function spawnDetached(program: string, args: string[], o: DetachedOptions): Detached {
  const fd = openSync(o.log, C.O_WRONLY | C.O_CREAT | C.O_APPEND | C.O_NOFOLLOW, 0o600);
  let how = '';
  let child;
  try {
    child = spawn(program, args, { detached: true, stdio: ['ignore', fd, fd], cwd: o.cwd, env: o.env ?? process.env });
  } finally {
    closeSync(fd);
  }
  const ended = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve((how ||= err.message)));
    child.once('exit', (code, signal) => resolve((how ||= signal ? `signal ${signal}` : `exit code ${code}`)));
  });
  child.unref();
  return { pid: child.pid, exited: () => how, ended };
}

/** spawnDetached for Engine.start: rejects with an EngineStartError when the process cannot start. */
export async function startDetached(program: string, args: string[], o: DetachedOptions): Promise<Detached & { pid: number }> {
  const d = spawnDetached(program, args, o);
  if (d.pid === undefined) throw new EngineStartError(`cannot start ${program}: ${await d.ended}`);
  return { ...d, pid: d.pid };
}

/**
 * The environment of a detached Node process of vm (process.execPath running one of its compiled
 * entries): the CLI's NODE_OPTIONS (a debugger, a test runner's loader) must not ride along into a
 * process that outlives it.
 */
export function detachedNodeEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, NODE_OPTIONS: '' };
}
