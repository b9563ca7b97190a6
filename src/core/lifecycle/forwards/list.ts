// `vm port`: the forwards of machines, with whether they are live (their machine runs), and the host
// port a running machine really listens on where `auto_correct` moved it, the guest ports
// `auto_forwards` forwards now, vm's own forward to the guest's SSH server, and the ssh tunnel
// serving them for a machine on a remote libvirt host (re-established first when it died).
import type { ForwardConfig, MachineConfig } from '../../../model/machine-config.js';
import { inspectMachine } from '../../machines/state.js';
import { ensureTunnel, tunnelServing } from '../../machines/forward-tunnel.js';
import { readAutoForwards } from './auto-forward.js';
import { recordedPaths } from '../machine-record.js';
import { runtimePathsFor } from '../engine/runtime-dir.js';
import { SSH_GUEST_PORT } from '../ssh-access.js';

export interface PortForward extends ForwardConfig {
  /** The host port the Vmfile asks for, when auto_correct moved it to `host`. */
  requestedHost?: number;
  /** Forwarded by `auto_forwards` because the guest listens on it. */
  auto?: true;
  /** What serves it, when not the engine on this host: the ssh tunnel to a remote libvirt host. */
  servedBy?: string;
  /** vm's own forward to the guest's SSH server (`vm ssh-config`). */
  ssh?: true;
}

export interface MachinePorts {
  name: string;
  running: boolean;
  forwards: PortForward[];
}

export async function listPorts(projectDir: string, machines: MachineConfig[]): Promise<MachinePorts[]> {
  return Promise.all(
    machines.map(async (m) => {
      const view = await inspectMachine(projectDir, m.name, m.engine);
      const running = view.status === 'running';
      const live = running ? view.state?.forwards : undefined;
      const tunnel = running ? await ensureTunnel(m.project.stateDir, view.pid) : undefined;
      const forwards = m.forwards.map((f): PortForward => {
        const actual = live?.find((l) => l.guest === f.guest && l.protocol === f.protocol && l.hostIp === f.hostIp && (l.host === f.host || f.autoCorrect));
        const got = actual && actual.host !== f.host ? { ...f, host: actual.host, requestedHost: f.host } : f;
        const servedBy = tunnelServing(tunnel, got);
        return servedBy ? { ...got, servedBy } : got;
      });
      const auto = running && m.autoForwards && view.state ? readAutoForwards(recordedPaths(view.state, runtimePathsFor(m.project.stateDir)).runDir) : undefined;
      const ssh = running ? view.state?.ssh : undefined;
      if (ssh && !m.forwards.some((f) => f.guest === SSH_GUEST_PORT && f.protocol === 'tcp')) {
        forwards.push({ guest: SSH_GUEST_PORT, host: ssh.port, hostIp: ssh.hostIp, protocol: 'tcp', ssh: true });
      }
      for (const a of auto?.forwards ?? []) forwards.push({ ...a, protocol: 'tcp', auto: true });
      return { name: m.name, running, forwards };
    }),
  );
}
