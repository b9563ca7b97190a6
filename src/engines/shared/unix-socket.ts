// Connecting to a Unix socket with a time limit (the QMP and gdbstub clients). Listening Unix
// sockets for the engine process: 0600 from the start (the process umask is 077),
// a stale socket from a crashed engine replaced, anything else at the path refused.
import { lstatSync, unlinkSync } from 'node:fs';
import { lstat, unlink, chmod } from 'node:fs/promises';
import net from 'node:net';
import { EngineStartError } from '../errors.js';

/** A socket path that is taken; thrown from Engine.start, so an EngineStartError. */
export class SocketPathError extends EngineStartError {
  constructor(message: string, hint?: string) {
    super(message, '', hint);
  }
}

/** What one connection attempt to a Unix socket found. */
export type SocketProbe =
  /** A server accepted the connection. */
  | 'accepts'
  /** Nothing listens there: no file (ENOENT) or a socket nobody serves (ECONNREFUSED). */
  | 'nobody'
  /** Neither within the time limit, or another error (EACCES...): something may hold it. */
  | 'unclear';

export function probeSocket(path: string, timeoutMs: number): Promise<SocketProbe> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    const done = (v: SocketProbe): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done('unclear'), timeoutMs);
    s.once('connect', () => done('accepts'));
    s.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? 'nobody' : 'unclear'));
  });
}

/**
 * Whether a process may hold `path`: for "may I replace this socket?" and "is that server gone?",
 * where a busy server that does not answer in time still counts (only 'nobody' is free).
 */
export async function socketInUse(path: string, timeoutMs = 1000): Promise<boolean> {
  return (await probeSocket(path, timeoutMs)) !== 'nobody';
}

/** Whether `path` accepted a connection within `timeoutMs`: for "is the server up yet?" */
export async function socketAccepts(path: string, timeoutMs = 1000): Promise<boolean> {
  return (await probeSocket(path, timeoutMs)) === 'accepts';
}

/**
 * A path a server is about to bind must be free or hold a stale socket (the caller removes it): a
 * regular file would be lost, a live server's socket stolen.
 */
export async function checkSocketPath(path: string): Promise<void> {
  const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!st) return;
  if (!st.isSocket()) throw new SocketPathError(`${path} exists and is not a socket; refusing to replace it`, 'move the file away, or point VM_RUNTIME_DIR elsewhere');
  if (await socketInUse(path)) throw new SocketPathError(`${path} is in use by another running engine`);
}

/** Listens on `path`; a leftover socket nobody answers on is removed first, a live one is an error. */
export async function listenUnix(path: string, onConnection: (s: net.Socket) => void): Promise<net.Server> {
  await checkSocketPath(path);
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  const server = net.createServer({ pauseOnConnect: false }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o600);
  return server;
}

/** Removes `path` when it is a socket; synchronous, for exit handlers. */
export function removeIfSocketSync(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * Connects to the Unix socket at `path` within `timeoutMs`; on failure rejects with the error
 * `fail` makes from what went wrong (`timedOut`, or the connection error's message).
 */
export function connectUnix(path: string, timeoutMs: number, fail: (why: { timedOut: boolean; message: string }) => Error): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    const timer = setTimeout(() => {
      s.destroy();
      reject(fail({ timedOut: true, message: `within ${timeoutMs} ms` }));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(fail({ timedOut: false, message: err.message }));
    });
  });
}
