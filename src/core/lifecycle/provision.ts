// Provisioning: which provisioners run (at `vm up`, by its rules; at `vm provision`, the named
// ones), running them on a running machine through its guest agent, and the marker saying a
// machine's first provisioning finished. `vm provision` runs them again, under the machine's lock.
import { join } from 'node:path';
import type { RuntimePaths } from '../../engines/engine.js';
import type { MachineConfig, ProvisionerConfig } from '../../model/machine-config.js';
import { UserError } from '../errors.js';
import { lockMachine } from '../machines/machine-lock.js';
import { readJsonFile, writeFileAtomic } from '../machines/safe-fs.js';
import { runProvisioners as runOverAgent, type ProvisionOutput } from '../provision/index.js';
import { withAgent } from './guest/agent.js';
import { requireRunning } from './select.js';

/** In the machine's state folder: written once its first provisioning has run to the end. */
export const PROVISIONED_FILE = 'provisioned.json';

/** Which provisioners an `up` runs: `first` on a first boot, `boot` on a later one, `forced` with --provision, `none` with --no-provision or on a machine already up. */
export function provisionersFor(all: ProvisionerConfig[], mode: 'first' | 'boot' | 'none' | 'forced'): ProvisionerConfig[] {
  switch (mode) {
    case 'first':
    case 'forced':
      return all.filter((p) => p.run !== 'never');
    case 'boot':
      return all.filter((p) => p.run === 'always');
    case 'none':
      return [];
  }
}

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

/** How long a provisioning run waits for the agent of a machine that was just found ready. */
const AGENT_WAIT_MS = 30_000;

export async function runProvisioners(config: MachineConfig, paths: RuntimePaths, list: ProvisionerConfig[], out: ProvisionOutput): Promise<string[]> {
  return withAgent(config.name, paths, AGENT_WAIT_MS, (agent) => runOverAgent(agent, config, list, out));
}

export async function isProvisioned(stateDir: string): Promise<boolean> {
  try {
    return (await readJsonFile(join(stateDir, PROVISIONED_FILE), 'provisioning marker')) !== undefined;
  } catch {
    // A damaged marker means the first provisioning cannot be trusted to have finished.
    return false;
  }
}

export async function markProvisioned(stateDir: string): Promise<void> {
  await writeFileAtomic(join(stateDir, PROVISIONED_FILE), `${JSON.stringify({ at: new Date().toISOString() })}\n`);
}
