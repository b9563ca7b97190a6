// How commands reach a machine's agent: through the agent multiplexer (mux.ts) on the `agent.mux`
// socket beside agent.sock, started on first use, so any number of commands share the guest at once.
import { lstat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectSocket } from './client.js';
import { AgentError } from './errors.js';
import { detachedNodeEnv, spawnDetached } from '../../engines/shared/detached.js';

export const MUX_SOCKET = 'agent.mux';
/** sun_path holds 107 bytes and a NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
/** Between tries for a mux socket that is coming: a try is a failed connect() to a missing path, cheap; `vm up` of a resumed machine waits on it. */
const RETRY_MS = 10;

export function muxSocketPath(agentSocket: string): string {
  return join(dirname(agentSocket), MUX_SOCKET);
}

/** The compiled mux entry: beside this file when built, under dist/ when this runs from src/ (tests). */
export function muxMainPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return fileURLToPath(new URL('./mux-main.js', import.meta.url));
  return fileURLToPath(new URL('../../../dist/core/agent/mux-main.js', import.meta.url));
}

const isSocket = (path: string): Promise<boolean> =>
  lstat(path).then(
    (s) => s.isSocket(),
    () => false,
  );

/**
 * A connect function for AgentClient that goes through the machine's mux, starting it when none
 * runs. `logPath` gets the mux's output (the machine's engine.log).
 */
export function viaMux(agentSocket: string, logPath: string): (timeoutMs: number) => Promise<Socket> {
  return async (timeoutMs) => {
    const mux = muxSocketPath(agentSocket);
    // A runtime dir too deep for one more name (agent.mux is shorter than console.sock, so not in
    // practice): talk to the engine directly, one command at a time.
    if (Buffer.byteLength(mux) > MAX_SOCKET_PATH_BYTES) return connectSocket(agentSocket, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    try {
      return await connectSocket(mux, timeoutMs);
    } catch {
      // no mux yet (or one that just left): start one below
    }
    // A mux this process started with the engine is coming: wait for it rather than start another.
    const early = started.get(mux);
    const coming = early && early() === '' ? early : undefined;
    // Without the engine's socket there is no machine to talk to: say so as a direct connect would.
    if (!coming && !(await isSocket(agentSocket))) return connectSocket(agentSocket, timeoutMs);
    const ended = coming ?? startMux(agentSocket, mux, logPath);
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        return await connectSocket(mux, left);
      } catch (err) {
        if (err instanceof AgentError && err.kind === 'timeout') throw err;
      }
      const why = ended();
      // A mux that lost the race to another one exits 0 at once: the winner's socket appears.
      if (why && why !== 'exit code 0') {
        throw new AgentError(`the agent multiplexer of this machine could not start (${why}); see its engine.log`, 'channel');
      }
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
    throw new AgentError(`the agent multiplexer socket ${mux} did not appear within ${timeoutMs} ms`, 'timeout');
  };
}

/** Muxes this process started with their engine, by mux socket: how each ended, '' while it runs. */
const started = new Map<string, () => string>();

/** Spawns the mux detached (it outlives this command); returns how it ended, '' while it runs. */
function startMux(agentSocket: string, mux: string, logPath: string, waitMs?: number): () => string {
  const args = [muxMainPath(), agentSocket, mux, ...(waitMs !== undefined ? [String(waitMs)] : [])];
  return spawnDetached(process.execPath, args, { log: logPath, cwd: dirname(agentSocket), env: detachedNodeEnv() }).exited;
}

/**
 * Start the machine's mux together with its engine, before the engine's agent socket is there (it
 * waits up to `waitMs` for it): its process starts while the engine does, instead of after, for a
 * resume, where the agent answers as soon as the engine runs. The first command's connect waits for it.
 */
export function startMuxWithEngine(agentSocket: string, logPath: string, waitMs: number): void {
  const mux = muxSocketPath(agentSocket);
  if (Buffer.byteLength(mux) > MAX_SOCKET_PATH_BYTES) return;
  started.set(mux, startMux(agentSocket, mux, logPath, waitMs));
}
