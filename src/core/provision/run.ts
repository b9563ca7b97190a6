// Runs provisioners in order through the guest agent; the first failure stops the run (the
// machine keeps running) with a ProvisionError naming the provisioner's exit code.
import type { AgentClient } from '../agent/index.js';
import type { MachineConfig, ProvisionerConfig } from '../../model/machine-config.js';
import { runFile } from './file.js';
import { ProvisionError } from './provision-error.js';
import { runShell } from './shell.js';
import type { ProvisionOutput } from './types.js';

/** Runs `list` on the machine behind `agent`; resolves with the names run. */
export async function runProvisioners(agent: AgentClient, config: MachineConfig, list: ProvisionerConfig[], out: ProvisionOutput): Promise<string[]> {
  const done: string[] = [];
  for (const p of list) {
    out.start(p);
    if (p.type === 'shell') {
      const status = await runShell(agent, p, config.env, out);
      if (!('code' in status) || status.code !== 0) throw new ProvisionError(config.name, p.name, status);
    } else {
      await runFile(agent, p);
    }
    done.push(p.name);
  }
  return done;
}
