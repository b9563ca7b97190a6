// Listening Unix sockets for the engine process: 0600 from the start (the process umask is 077),
// a stale socket from a crashed engine replaced, anything else at the path refused.
import { lstatSync, unlinkSync } from 'node:fs';
import { lstat, unlink, chmod } from 'node:fs/promises';
import net from 'node:net';

export class SocketPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SocketPathError';
  }
}

/** Whether something accepts connections at `path` (only ECONNREFUSED/ENOENT count as "nobody"). */
export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    const done = (v: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(true), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', (err: NodeJS.ErrnoException) => done(!(err.code === 'ECONNREFUSED' || err.code === 'ENOENT')));
  });
}

/** Listens on `path`; a leftover socket nobody answers on is removed first, a live one is an error. */
export async function listenUnix(path: string, onConnection: (s: net.Socket) => void): Promise<net.Server> {
  const st = await lstat(path).catch(() => undefined);
  if (st) {
    if (!st.isSocket()) throw new SocketPathError(`${path} exists and is not a socket; refusing to replace it`);
    if (await socketAnswers(path)) throw new SocketPathError(`${path} is in use by another running engine`);
    await unlink(path);
  }
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
