// When a machine is ready. After boot, within the machine's boot timeout: the box's console marker
// or its agent answering, whichever comes first; on a timeout or an engine that died, the error
// shows the console's last lines. After provisioning, the Vmfile's `ready:` probe, run through the
// guest agent: `{tcp: PORT}` passes when a socket in the guest listens on that TCP port (read from
// /proc/net/tcp and tcp6, the kernel's own table, so nothing has to be installed in the guest);
// `{command}` when the command, run with `sh -c`, exits 0. Tried once a second until its timeout.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimePaths } from '../../engines/engine.js';
import { GuestConsoleParser } from '../../engines/guest-console.js';
import type { MachineConfig, ReadyProbe } from '../../model/machine-config.js';
import type { AgentClient } from '../agent/index.js';
import { UserError } from '../errors.js';
import { isAlive, type ProcessIdentity } from '../machines/process-identity.js';
import { exitCodeOf } from '../provision/provision-error.js';
import { consoleTail, FileFollower } from './console/log.js';
import { agentAnswers, withAgent } from './guest/agent.js';

const POLL_MS = 100;

export interface WaitReadyOptions {
  name: string;
  paths: RuntimePaths;
  engine: ProcessIdentity;
  timeoutMs: number;
  /** Another sign of readiness (the guest agent answering); tried beside the console checks. */
  probe?: () => Promise<boolean>;
}

const indent = (t: string): string =>
  t
    .split('\n')
    .map((l) => `  | ${l}`)
    .join('\n');

/** Runs `probe` again and again in the background, one attempt at a time, until stopped. */
function backgroundProbe(probe: (() => Promise<boolean>) | undefined): { ok: () => boolean; pause: () => Promise<void>; stop: () => void } {
  let ok = false;
  let stopped = false;
  /** Ends the current pause early. */
  let wake: (() => void) | undefined;
  const run = async (): Promise<void> => {
    while (probe && !stopped && !ok) {
      ok = await probe().catch(() => false);
      if (ok) wake?.();
      else await sleep(POLL_MS);
    }
  };
  void run();
  return {
    ok: () => ok,
    // A poll interval's pause, cut short when the probe passes: it is not left waiting for the next tick.
    pause: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wake = undefined;
          resolve();
        }, POLL_MS);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      }),
    stop: () => (stopped = true),
  };
}

/** A readiness probe: the guest agent answering a handshake. */
export function guestReadyProbe(paths: RuntimePaths): () => Promise<boolean> {
  return () => agentAnswers(paths, 2000);
}

/** Resolves when the guest is ready; throws a UserError (with the console tail) otherwise. */
export async function waitReady(o: WaitReadyOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  const follower = new FileFollower(o.paths.consoleLog);
  const probe = backgroundProbe(o.probe);
  const guest = new GuestConsoleParser();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const chunk = await follower.read();
      if (chunk.length > 0) {
        guest.feed(decoder.decode(chunk, { stream: true }));
        if (guest.ready) return;
      }
      if (probe.ok()) return;
      if (!isAlive(o.engine)) {
        const tail = await consoleTail(o.paths.consoleLog);
        throw new UserError(`machine '${o.name}' stopped while booting (its engine process ${o.engine.pid} ended)${tail ? `; the console's last lines:\n${indent(tail)}` : ''}`, {
          hint: `see the engine log ${o.paths.engineLog} and \`vm logs ${o.name}\``,
        });
      }
      if (Date.now() >= deadline) {
        const tail = await consoleTail(o.paths.consoleLog);
        throw new UserError(
          `machine '${o.name}' was not ready within its boot timeout (${Math.round(o.timeoutMs / 1000)} s); it is still running${tail ? `. The console's last lines:\n${indent(tail)}` : ' and has printed nothing'}`,
          { hint: `raise boot_timeout in the Vmfile, watch it with \`vm logs --follow ${o.name}\`, or stop it with \`vm halt ${o.name}\`` },
        );
      }
      await probe.pause();
    }
  } finally {
    probe.stop();
  }
}

const INTERVAL_MS = 1000;
/** TCP_LISTEN in the kernel's st column (include/net/tcp_states.h). */
const TCP_LISTEN = '0A';

/** Listening TCP ports in a /proc/net/tcp{,6} table (proc(5): `sl local_address rem_address st ...`, hex). */
export function listeningPorts(table: string): number[] {
  const ports: number[] = [];
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || cols[3] !== TCP_LISTEN) continue;
    const port = Number.parseInt(cols[1]!.split(':').at(-1)!, 16);
    if (Number.isInteger(port) && !ports.includes(port)) ports.push(port);
  }
  return ports;
}

export function describeProbe(probe: ReadyProbe): string {
  return 'tcp' in probe ? `tcp ${probe.tcp}` : `\`${probe.command}\``;
}

/** Guest TCP ports something listens on (IPv4 and IPv6; a kernel without IPv6 has no tcp6 table). */
export async function guestListeningPorts(agent: AgentClient): Promise<number[]> {
  const read = (p: string): Promise<string> => agent.readFile(p, { maxBytes: 16 * 1024 * 1024 }).then((b) => b.toString('utf8'));
  const [v4, v6] = await Promise.all([read('/proc/net/tcp'), read('/proc/net/tcp6').catch(() => '')]);
  return [...new Set([...listeningPorts(v4), ...listeningPorts(v6)])].sort((a, b) => a - b);
}

/** One attempt: passed, or why not. */
async function attempt(agent: AgentClient, probe: ReadyProbe, env: Record<string, string>): Promise<true | string> {
  if ('tcp' in probe) {
    return (await guestListeningPorts(agent)).includes(probe.tcp) ? true : `nothing listens on guest TCP port ${probe.tcp}`;
  }
  const r = await agent.run({ argv: ['/bin/sh', '-c', probe.command], env, maxBuffer: 1024 * 1024 });
  const code = exitCodeOf(r.status);
  if (code === 0) return true;
  const said = (r.stderr.toString('utf8').trim() || r.stdout.toString('utf8').trim()).split('\n').slice(-3).join(' / ');
  return `\`${probe.command}\` exited ${code}${said ? `: ${said}` : ''}`;
}

/** Waits until the machine's `ready` probe passes; resolves with the time it took, in ms. */
export async function waitForService(config: MachineConfig, paths: RuntimePaths, probe: ReadyProbe): Promise<number> {
  const started = Date.now();
  const deadline = started + probe.timeoutMs;
  return withAgent(config.name, paths, Math.max(1000, deadline - Date.now()), async (agent) => {
    let why = 'the probe never ran';
    for (;;) {
      const r = await attempt(agent, probe, config.env);
      if (r === true) return Date.now() - started;
      why = r;
      if (Date.now() + INTERVAL_MS > deadline) break;
      await sleep(INTERVAL_MS);
    }
    throw new UserError(`machine '${config.name}' did not become ready within ${Math.round(probe.timeoutMs / 1000)} s (ready: ${describeProbe(probe)}): ${why}`, {
      hint: `see what runs in it with \`vm ssh ${config.name}\`; raise \`ready.timeout\` if it is only slow`,
    });
  });
}
