// What it takes to bring a created machine in line with its Vmfile now: nothing, a reload (a restart
// with the new settings), or re-creating it (its disks are tied to the box build and engine they were
// made with). Decided once, here, from the state file and the compiled config alone, so `vm status`
// promises what `vm up` and `vm reload` do, and reload refuses before it halts anything.
import type { MachineConfig } from '../../model/machine-config.js';
import { machineConfigFields, machineConfigHash, type MachineState } from './state.js';

export type ConfigChange =
  | { kind: 'none' }
  /** Settings changed; a restart (`vm reload`) applies them. */
  | { kind: 'reload' }
  /** Only `vm destroy` + `vm up` can apply this; `why` is a sentence, `hint` the ways out. */
  | { kind: 'recreate'; why: string; hint: string };

export function configChange(state: MachineState, config: MachineConfig): ConfigChange {
  const name = config.name;
  if (state.box.checksum !== config.box.checksum) {
    return {
      kind: 'recreate',
      why: `machine '${name}' was created from box ${state.box.name} ${state.box.version}, but the Vmfile now gives ${config.box.name} ${config.box.version} (a different build): its disks only work on the box they were made from`,
      hint: `pin the box (box: {name: ${state.box.name}, version: "${state.box.version}"}), or \`vm destroy ${name}\` and \`vm up\` again`,
    };
  }
  if (state.engine !== config.engine) {
    return {
      kind: 'recreate',
      why: `machine '${name}' was created on the ${state.engine} engine; the Vmfile now says ${config.engine}, which only re-creating it applies`,
      hint: `set engine: ${state.engine}, or \`vm destroy ${name}\` and \`vm up\` again to recreate it on ${config.engine}`,
    };
  }
  // qemu grows its overlay at the next start; the builtin engine's overlay header and libvirt's volume
  // keep the size they were created with.
  if (config.engine !== 'qemu' && state.configFields && state.configFields.rootDiskBytes !== machineConfigFields(config).rootDiskBytes) {
    return {
      kind: 'recreate',
      why: `machine '${name}' has the root disk it was created with; the ${config.engine} engine cannot resize it to the Vmfile's disk_size`,
      hint: `set disk_size back to what it was, or \`vm destroy ${name}\` and \`vm up\` again to recreate it (its changes to the disk are lost)`,
    };
  }
  return state.configHash === machineConfigHash(config) ? { kind: 'none' } : { kind: 'reload' };
}

/** MachineConfig keys as the Vmfile spells them. */
const VMFILE_KEY: Record<string, string> = {
  memoryBytes: 'memory',
  rootDiskBytes: 'disk_size',
  syncedFolders: 'synced_folders',
  bootTimeoutMs: 'boot_timeout',
  engineRequested: 'engine',
  firmware: 'box',
  arch: 'box',
};

/**
 * The Vmfile settings that differ from what the machine last started with, in Vmfile spelling;
 * undefined when its state predates per-setting records (then only "changed" is known).
 */
export function changedSettings(state: MachineState, config: MachineConfig): string[] | undefined {
  if (!state.configFields) return undefined;
  const now = machineConfigFields(config);
  const keys = new Set([...Object.keys(now), ...Object.keys(state.configFields)]);
  const changed = [...keys].filter((k) => now[k] !== state.configFields![k]).map((k) => VMFILE_KEY[k] ?? k);
  return [...new Set(changed)];
}

/** The sentence status and up print about a running machine whose Vmfile changed. */
export function changeNote(change: ConfigChange, name: string): string | undefined {
  if (change.kind === 'reload') return `machine '${name}' is running with an older version of its Vmfile settings; \`vm reload ${name}\` applies the changes`;
  if (change.kind === 'recreate') return `${change.why} (\`vm reload\` cannot apply it; ${change.hint.replace(/^./, (c) => c.toLowerCase())})`;
  return undefined;
}
