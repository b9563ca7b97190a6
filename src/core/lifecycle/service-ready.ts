// `ready:` probes, run through the guest agent once a machine is up and provisioned: `{tcp: PORT}`
// passes when a socket in the guest listens on that TCP port (read from /proc/net/tcp and tcp6,
// the kernel's own table, so nothing has to be installed in the guest); `{command}` when the
// command, run with `sh -c`, exits 0. Tried once a second until the probe's timeout.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimePaths } from '../../engines/engine.js';
import type { MachineConfig, ReadyProbe } from '../../engines/machine-config.js';
import type { AgentClient } from '../agent/index.js';
import { UserError } from '../errors.js';
import { exitCodeOf } from '../provision/provision-error.js';
import { withAgent } from './agent-session.js';

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
