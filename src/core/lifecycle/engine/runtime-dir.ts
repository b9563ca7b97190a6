// A running machine's short private runtime directory for its sockets: $XDG_RUNTIME_DIR/vm/<8-hex> or
// /tmp/vm-<uid>/<8-hex> (the hex names the machine's state folder), 0700, refused when it is a link
// or someone else's. Unix socket paths hold at most 107 bytes (sun_path is 108 with its NUL).
import { createHash } from 'node:crypto';
import { lstat, mkdir, chmod, readdir, readFile, unlink, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RuntimePaths } from '../../../engines/engine.js';
import { UserError } from '../../errors.js';

/** Env var naming the folder under which runtime dirs are made (tests; hosts with long temp paths). */
export const VM_RUNTIME_DIR_ENV = 'VM_RUNTIME_DIR';
/** sun_path is 108 bytes on Linux, one of them the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;
export const CONSOLE_SOCKET = 'console.sock';
export const AGENT_SOCKET = 'agent.sock';
export const QMP_SOCKET = 'qmp.sock';
export const CONSOLE_LOG = 'console.log';
export const ENGINE_LOG = 'engine.log';
/** Inside the runtime dir: which state folder it belongs to, so a hash collision is never shared. */
const OWNER_FILE = 'owner';
/** How long removeRuntimeDir keeps sweeping a folder a process that is ending still writes in. */
const RMDIR_SETTLE_MS = 1000;

const uid = (): number => (typeof process.getuid === 'function' ? process.getuid() : -1);

/** Where runtime dirs go: $VM_RUNTIME_DIR, else $XDG_RUNTIME_DIR/vm, else /tmp/vm-<uid>. */
export function runtimeBase(): string {
  const forced = process.env[VM_RUNTIME_DIR_ENV];
  if (forced) return forced;
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg && xdg.startsWith('/')) return join(xdg, 'vm');
  return `/tmp/vm-${uid()}`;
}

/** The runtime paths of a machine, computed only (nothing is created). */
export function runtimePathsFor(stateDir: string, base = runtimeBase()): RuntimePaths {
  const runDir = join(base, createHash('sha256').update(stateDir).digest('hex').slice(0, 8));
  return {
    runDir,
    consoleSocket: join(runDir, CONSOLE_SOCKET),
    agentSocket: join(runDir, AGENT_SOCKET),
    qmpSocket: join(runDir, QMP_SOCKET),
    consoleLog: join(stateDir, CONSOLE_LOG),
    engineLog: join(stateDir, ENGINE_LOG),
  };
}

/** Fails with a clear message when a socket path would not fit in sun_path. */
export function checkSocketPaths(p: RuntimePaths): void {
  for (const s of [p.consoleSocket, p.agentSocket, p.qmpSocket]) {
    const n = Buffer.byteLength(s);
    if (n > MAX_SOCKET_PATH_BYTES) {
      throw new UserError(`the socket path ${s} is ${n} bytes, more than the ${MAX_SOCKET_PATH_BYTES} a Unix socket path may hold`, {
        hint: `set ${VM_RUNTIME_DIR_ENV} to a short folder of yours (such as /tmp/vm-$(id -u))`,
      });
    }
  }
}

/** Makes `dir` a 0700 directory of ours (creating it, and its parent when `parents`); refuses links and other users' dirs. */
async function ensureOwnDir(dir: string, parents: boolean): Promise<void> {
  try {
    await mkdir(dir, { recursive: parents, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      throw new UserError(`cannot create the runtime folder ${dir}: ${code ?? (err as Error).message}`, {
        hint: `set ${VM_RUNTIME_DIR_ENV} to a folder you can write`,
      });
    }
  }
  const st = await lstat(dir);
  if (st.isSymbolicLink()) throw new UserError(`refusing to use the runtime folder ${dir}: it is a symlink`, { hint: 'remove it; vm creates it again' });
  if (!st.isDirectory()) throw new UserError(`refusing to use the runtime folder ${dir}: it is not a directory`, { hint: 'remove it; vm creates it again' });
  if (uid() >= 0 && st.uid !== uid()) {
    throw new UserError(`refusing to use the runtime folder ${dir}: it belongs to user ${st.uid}, not to you`, {
      hint: `another user may have created it to intercept your machines' sockets; set ${VM_RUNTIME_DIR_ENV} to a folder of yours`,
    });
  }
  if ((st.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
}

/**
 * Creates (or checks) the machine's runtime dir and returns its paths. Stale sockets are left for the
 * engine, which removes a path only when it is a socket.
 */
export async function prepareRuntimeDir(stateDir: string): Promise<RuntimePaths> {
  const base = runtimeBase();
  const paths = runtimePathsFor(stateDir, base);
  checkSocketPaths(paths);
  await ensureOwnDir(base, true);
  await ensureOwnDir(paths.runDir, false);
  const owner = join(paths.runDir, OWNER_FILE);
  const recorded = await readFile(owner, 'utf8').catch(() => undefined);
  if (recorded !== undefined && recorded !== stateDir) {
    throw new UserError(`the runtime folder ${paths.runDir} belongs to another machine (${recorded})`, {
      hint: `two state folders hash alike; set ${VM_RUNTIME_DIR_ENV} to another folder for one of them`,
    });
  }
  if (recorded === undefined) {
    const st = await lstat(owner).catch(() => undefined);
    if (st) await unlink(owner);
    await writeFile(owner, stateDir, { mode: 0o600, flag: 'wx' });
  }
  return paths;
}

/** Removes a path only when it is a socket (never a file someone put there). */
export async function removeIfSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (st?.isSocket()) await unlink(path).catch(() => undefined);
}

/** After a machine is gone for good: its sockets and the runtime dir, if nothing else is in it.
 *  Every socket in the folder goes, not only the known ones: the agent multiplexer ends on its own
 *  once the engine's socket closes, but on a loaded host it may not have yet, and its socket (or the
 *  private name it binds before linking it into place) would keep the folder. So a folder that is
 *  not empty is swept again for a moment before it is left; anything not a socket stays. */
export async function removeRuntimeDir(paths: RuntimePaths): Promise<void> {
  for (const s of [paths.consoleSocket, paths.agentSocket, paths.qmpSocket]) await removeIfSocket(s);
  const st = await lstat(paths.runDir).catch(() => undefined);
  if (!st || !st.isDirectory() || st.isSymbolicLink()) return;
  await unlink(join(paths.runDir, OWNER_FILE)).catch(() => undefined);
  const deadline = Date.now() + RMDIR_SETTLE_MS;
  for (;;) {
    for (const name of await readdir(paths.runDir).catch(() => [] as string[])) await removeIfSocket(join(paths.runDir, name));
    const code = await rmdir(paths.runDir).then(
      () => undefined,
      (err: NodeJS.ErrnoException) => err.code,
    );
    if (code !== 'ENOTEMPTY' || Date.now() >= deadline) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
