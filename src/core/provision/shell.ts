// The shell provisioner: the script is uploaded to the guest and run as `sh SCRIPT ARGS...` with
// the machine's and its own environment. Arguments and values travel as argv/env entries end to
// end: no host or guest shell ever re-parses them.
import { randomBytes } from 'node:crypto';
import type { AgentClient, ExitStatus } from '../agent/index.js';
import type { ProvisionerConfig } from '../../model/machine-config.js';
import type { ProvisionOutput } from './types.js';

/** Where scripts go in the guest: a tmpfs in the bundled boxes, removed after the run. */
const GUEST_SCRIPT_DIR = '/tmp';

export async function runShell(
  agent: AgentClient,
  p: Extract<ProvisionerConfig, { type: 'shell' }>,
  machineEnv: Record<string, string>,
  out: ProvisionOutput,
): Promise<ExitStatus> {
  const script = `${GUEST_SCRIPT_DIR}/vm-provision-${randomBytes(6).toString('hex')}.sh`;
  await agent.writeFile(script, p.script, { mode: 0o700 });
  try {
    const handle = agent.exec({ argv: ['/bin/sh', script, ...p.args], env: { ...machineEnv, ...p.env } });
    handle.stdout.on('data', (c: Buffer) => out.output('stdout', c));
    handle.stderr.on('data', (c: Buffer) => out.output('stderr', c));
    const ended = (s: NodeJS.ReadableStream): Promise<void> =>
      new Promise((resolve) => {
        s.once('end', resolve);
        s.once('close', resolve);
      });
    const [status] = await Promise.all([handle.exit, ended(handle.stdout), ended(handle.stderr)]);
    return status;
  } finally {
    await agent.run({ argv: ['/bin/rm', '-f', script] }).catch(() => undefined);
  }
}
