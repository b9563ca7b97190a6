// `auto_forwards: true`: a TCP port the guest starts listening on is forwarded to the same port on
// the host's 127.0.0.1 while it listens (as Lima and OrbStack do), when that host port is free.
// Engine-neutral: the guest's listening sockets come from its kernel table through the agent
// (../ready.ts), and each connection is tunnelled through the agent to `nc 127.0.0.1 PORT` in
// the guest, so it works the same on every engine and needs no network card. One watcher process
// per running machine (auto-forward-main.ts) does it; AUTO_FORWARDS_FILE in the machine's runtime
// dir says what it forwards, for `vm port`.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimePaths } from '../../../engines/engine.js';
import { detachedNodeEnv, spawnDetached } from '../../../engines/shared/detached.js';
import type { AgentClient } from '../../agent/index.js';
import { writeFileAtomic } from '../../machines/safe-fs.js';

export const AUTO_FORWARDS_FILE = 'auto-forwards.json';
export const AUTO_FORWARD_HOST_IP = '127.0.0.1';

export interface AutoForward {
  guest: number;
  host: number;
  hostIp: string;
}

export interface AutoForwardsRecord {
  /** The watcher process. */
  pid: number;
  forwards: AutoForward[];
  /** Guest ports listening but not forwarded, with why (the host port is taken). */
  skipped: { guest: number; why: string }[];
}

/** What a machine's watcher forwards now; undefined when none runs. */
export function readAutoForwards(runDir: string): AutoForwardsRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(runDir, AUTO_FORWARDS_FILE), 'utf8')) as AutoForwardsRecord;
    if (!Number.isInteger(r.pid) || !Array.isArray(r.forwards)) return undefined;
    process.kill(r.pid, 0);
    return r;
  } catch {
    return undefined;
  }
}

export async function writeAutoForwards(runDir: string, record: AutoForwardsRecord): Promise<void> {
  await writeFileAtomic(join(runDir, AUTO_FORWARDS_FILE), `${JSON.stringify(record)}\n`);
}

/** One guest port's host listener; each accepted connection becomes `nc 127.0.0.1 PORT` in the guest. */
function listen(agent: AgentClient, port: number, log: (m: string) => void): Promise<net.Server | string> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => tunnel(agent, port, socket, log));
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' ? `host port ${port} is in use` : `host port ${port}: ${err.message}`));
    server.listen({ host: AUTO_FORWARD_HOST_IP, port, exclusive: true }, () => resolve(server));
  });
}

function tunnel(agent: AgentClient, port: number, socket: net.Socket, log: (m: string) => void): void {
  let handle;
  try {
    handle = agent.exec({ argv: ['nc', '127.0.0.1', String(port)], stdin: socket as AsyncIterable<Uint8Array> });
  } catch (err) {
    log(`port ${port}: ${(err as Error).message}`);
    socket.destroy();
    return;
  }
  const h = handle;
  h.stdout.on('data', (c: Buffer) => {
    if (!socket.write(c)) {
      h.stdout.pause();
      socket.once('drain', () => h.stdout.resume());
    }
  });
  h.stdout.once('end', () => socket.end());
  socket.once('close', () => h.kill('SIGKILL'));
  socket.on('error', () => undefined);
  h.exit.then(
    () => socket.end(),
    (err: Error) => {
      log(`port ${port}: ${err.message}`);
      socket.destroy();
    },
  );
}

/** Keeps host listeners in step with the guest's listening ports. */
export class AutoForwarder {
  private readonly servers = new Map<number, net.Server>();
  private skipped = new Map<number, string>();

  constructor(
    private readonly agent: AgentClient,
    /** Guest ports the Vmfile forwards already (they keep their own forwards). */
    private readonly exclude: Set<number>,
    private readonly log: (m: string) => void,
  ) {}

  /** Opens listeners for new guest ports, closes those of ports that stopped listening; true when something changed. */
  async sync(listening: number[]): Promise<boolean> {
    let changed = false;
    const want = new Set(listening.filter((p) => !this.exclude.has(p)));
    for (const [port, server] of this.servers) {
      if (want.has(port)) continue;
      server.close();
      this.servers.delete(port);
      this.log(`guest port ${port} no longer listens: stopped forwarding it`);
      changed = true;
    }
    for (const port of want) {
      if (this.servers.has(port)) continue;
      const r = await listen(this.agent, port, this.log);
      if (typeof r === 'string') {
        if (this.skipped.get(port) !== r) changed = true;
        this.skipped.set(port, r);
        continue;
      }
      this.skipped.delete(port);
      this.servers.set(port, r);
      this.log(`guest port ${port} listens: forwarding ${AUTO_FORWARD_HOST_IP}:${port}`);
      changed = true;
    }
    for (const port of this.skipped.keys()) {
      if (!want.has(port)) {
        this.skipped.delete(port);
        changed = true;
      }
    }
    return changed;
  }

  record(pid: number): AutoForwardsRecord {
    return {
      pid,
      forwards: [...this.servers.keys()].sort((a, b) => a - b).map((p) => ({ guest: p, host: p, hostIp: AUTO_FORWARD_HOST_IP })),
      skipped: [...this.skipped].sort((a, b) => a[0] - b[0]).map(([guest, why]) => ({ guest, why })),
    };
  }

  close(): void {
    for (const s of this.servers.values()) s.close();
    this.servers.clear();
  }
}

/** The compiled watcher entry: beside this file when built, under dist/ when this runs from src/ (tests). */
function watcherMainPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return fileURLToPath(new URL('./auto-forward-main.js', import.meta.url));
  return fileURLToPath(new URL('../../../../dist/core/lifecycle/forwards/auto-forward-main.js', import.meta.url));
}

/** Starts the machine's watcher unless one runs; it ends with the machine. */
export function ensureAutoForwarder(paths: RuntimePaths, exclude: number[]): boolean {
  if (readAutoForwards(paths.runDir)) return false;
  spawnDetached(process.execPath, [watcherMainPath(), paths.runDir, paths.agentSocket, paths.engineLog, exclude.join(',')], { log: paths.engineLog, cwd: paths.runDir, env: detachedNodeEnv() });
  return true;
}
