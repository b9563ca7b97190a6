// The agent multiplexer's process (see mux.ts): `node mux-main.js AGENT_SOCKET MUX_SOCKET [WAIT_MS]`,
// started detached by the first command that talks to a machine's agent, or with the engine of a
// resuming machine (then it waits WAIT_MS for the engine's socket) (mux-connect.ts). It holds the one
// connection to agent.sock and serves MUX_SOCKET to any number of commands; it ends when the engine
// closes agent.sock (the machine stopped) or when no command used it for IDLE_MS. Its stdout and
// stderr are the machine's engine.log.
import { createServer, type Server, type Socket } from 'node:net';
import { linkSync, lstatSync, unlinkSync } from 'node:fs';
import { connectSocket } from './client.js';
import { AgentError } from './errors.js';
import { AgentMux } from './mux.js';
import { socketInUse } from '../../engines/shared/unix-socket.js';
import { startTrace } from '../../engines/shared/start-trace.js';

/** A mux no command has used for this long lets the agent connection go. */
const IDLE_MS = 15_000;
/** How often a mux started with its engine tries the agent socket until it is there. */
const UPSTREAM_RETRY_MS = 10;

const log = (m: string): void => {
  process.stderr.write(`${new Date().toISOString()} agent mux ${process.pid}: ${m}\n`);
};

/** Listens on `path` only if no live mux does: bind a private name, then link it into place (atomic). */
async function listenExclusive(server: Server, path: string): Promise<number | null> {
  const tmp = `${path}.${process.pid}`;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(tmp, () => {
      server.off('error', reject);
      resolve();
    });
  });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(tmp, path);
        return lstatSync(path).ino;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (await socketInUse(path, 1000)) return null; // another mux serves it
        unlinkSync(path); // left by a mux that died
      }
    }
    return null;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
}

/**
 * The engine's agent socket; with `waitMs`, a mux started with its engine (mux-connect.ts
 * startMuxWithEngine) waits that long for the socket to be there and accept.
 */
async function connectUpstream(agentSocket: string, waitMs: number): Promise<Socket> {
  const deadline = Date.now() + (Number.isFinite(waitMs) ? waitMs : 0);
  for (;;) {
    try {
      return await connectSocket(agentSocket, 10_000);
    } catch (err) {
      if (Date.now() >= deadline || !(err instanceof AgentError) || err.kind !== 'channel') throw err;
    }
    await new Promise((r) => setTimeout(r, UPSTREAM_RETRY_MS));
  }
}

async function main(): Promise<number> {
  const [agentSocket, muxSocket, wait] = process.argv.slice(2);
  if (!agentSocket || !muxSocket) {
    log('usage: mux-main.js AGENT_SOCKET MUX_SOCKET [WAIT_MS]');
    return 2;
  }
  process.umask(0o077);
  startTrace('mux', 'process start', performance.timeOrigin);
  startTrace('mux', 'main');
  const upstream = await connectUpstream(agentSocket, Number(wait ?? 0));
  startTrace('mux', 'agent socket connected');
  const mux = new AgentMux(upstream, { log });
  const server = createServer((s) => mux.attach(s));
  const ino = await listenExclusive(server, muxSocket);
  if (ino === null) {
    upstream.destroy();
    server.close();
    return 0;
  }
  startTrace('mux', 'listening');
  // Only our own socket is removed: a successor may already have linked its own in place.
  const unlinkOurs = (): void => {
    try {
      if (lstatSync(muxSocket).ino === ino) unlinkSync(muxSocket);
    } catch {
      /* gone already */
    }
  };
  process.on('exit', unlinkOurs);
  return new Promise<number>((resolve) => {
    let idle: NodeJS.Timeout | undefined;
    let leaving = false;
    const arm = (): void => {
      clearTimeout(idle);
      if (mux.clientCount > 0) return;
      if (leaving) {
        mux.close();
        resolve(0);
        return;
      }
      idle = setTimeout(() => {
        // New commands start a new mux from now on; one that connected just before is still served.
        log('idle: letting the agent connection go');
        leaving = true;
        unlinkOurs();
        server.close();
        arm();
      }, IDLE_MS);
    };
    mux.onClientsChanged(arm);
    upstream.once('close', () => {
      log('the engine closed the agent socket');
      unlinkOurs();
      server.close();
      mux.close();
      resolve(0);
    });
    arm();
  });
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    log(`cannot serve: ${err.message}`);
    process.exit(1);
  },
);
