// `vm provision`: run a running machine's provisioners again, under its lock.
import type { MachineConfig, ProvisionerConfig } from '../../engines/machine-config.js';
import { UserError } from '../errors.js';
import type { ProvisionOutput } from '../provision/index.js';
import { lockMachine } from '../machines/machine-lock.js';
import { markProvisioned } from './machine-record.js';
import { runProvisioners } from './provision-step.js';
import { requireRunning } from './running-machine.js';

/**
 * Which provisioners `vm provision` runs: the named ones (any `run`, `never` included), else every
 * one but the `never` ones.
 */
export function pickProvisioners(config: MachineConfig, names: string[] | undefined): ProvisionerConfig[] {
  if (!names || names.length === 0) return config.provision.filter((p) => p.run !== 'never');
  const unknown = names.filter((n) => !config.provision.some((p) => p.name === n));
  if (unknown.length > 0) {
    throw new UserError(`machine '${config.name}' has no provisioner named ${unknown.map((n) => `'${n}'`).join(', ')}`, {
      hint: config.provision.length > 0 ? `its provisioners: ${config.provision.map((p) => p.name).join(', ')}` : 'it has no provisioners',
    });
  }
  return config.provision.filter((p) => names.includes(p.name));
}

export async function provisionMachine(projectDir: string, config: MachineConfig, o: { names?: string[]; command?: string; out: ProvisionOutput }): Promise<string[]> {
  const list = pickProvisioners(config, o.names);
  const lock = await lockMachine(projectDir, config.name, o.command ?? 'vm provision');
  try {
    const m = await requireRunning(projectDir, config);
    if (list.length === 0) return [];
    const done = await runProvisioners(config, m.paths, list, o.out);
    // A full run counts as the first provisioning when an interrupted `up` never finished it.
    if (!o.names || o.names.length === 0) await markProvisioned(config.project.stateDir);
    return done;
  } finally {
    await lock.release();
  }
}
