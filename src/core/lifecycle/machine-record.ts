// What lifecycle commands record about a machine: its state file entries (built from the config and
// the engine process) and the hash that tells whether the Vmfile changed since the machine started.
// (The marker saying its first provisioning finished is provisioning's: provision.ts.)
import type { RuntimePaths } from '../../engines/engine.js';
import type { MachineConfig } from '../../model/machine-config.js';
import { machineConfigFields, machineConfigHash, saveMachineState, STATE_FORMAT, type MachineState, type RecordedState } from '../machines/state.js';
import type { StoreLocation } from '../paths.js';
import { identify } from '../machines/process-identity.js';

export { machineConfigHash };

export function socketsRecord(paths: RuntimePaths): Record<string, string> {
  return { runDir: paths.runDir, console: paths.consoleSocket, agent: paths.agentSocket, qmp: paths.qmpSocket };
}

/** The runtime paths recorded for a running machine (falling back to `computed` for what is missing). */
export function recordedPaths(state: MachineState, computed: RuntimePaths): RuntimePaths {
  const s = state.sockets;
  return {
    ...computed,
    runDir: s.runDir ?? computed.runDir,
    consoleSocket: s.console ?? computed.consoleSocket,
    agentSocket: s.agent ?? computed.agentSocket,
    qmpSocket: s.qmp ?? computed.qmpSocket,
  };
}

export function newState(config: MachineConfig, state: RecordedState, previous?: MachineState): MachineState {
  const now = new Date().toISOString();
  return {
    format: STATE_FORMAT,
    name: config.name,
    engine: config.engine,
    state,
    sockets: {},
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    box: previous?.box ?? { name: config.box.name, version: config.box.version, checksum: config.box.checksum },
    configHash: previous?.configHash ?? machineConfigHash(config),
    ...(config.libvirt ? { libvirtUri: config.libvirt.uri } : previous?.libvirtUri ? { libvirtUri: previous.libvirtUri } : {}),
    ...(previous ? (previous.configFields ? { configFields: previous.configFields } : {}) : { configFields: machineConfigFields(config) }),
  };
}

/**
 * The state of a machine whose engine process `pid` was just started with `paths`; `forwards` are
 * the ports it listens on when auto_correct moved one (the hash stays the Vmfile's, so a moved port
 * is not a change to apply).
 */
export function runningState(config: MachineConfig, previous: MachineState, pid: number, paths: RuntimePaths, forwards?: MachineConfig['forwards']): MachineState {
  const who = identify(pid);
  const { forwards: _old, libvirtUri: _uri, ...base } = previous;
  return {
    ...base,
    ...(config.libvirt ? { libvirtUri: config.libvirt.uri } : {}),
    ...(forwards ? { forwards } : {}),
    engine: config.engine,
    state: 'running',
    pid,
    bootId: who.bootId,
    pidStartTime: who.startTime,
    sockets: socketsRecord(paths),
    configHash: machineConfigHash(config),
    configFields: machineConfigFields(config),
  };
}

/** The state of a machine that no longer runs. */
export function stoppedState(previous: MachineState): MachineState {
  const { pid: _p, bootId: _b, pidStartTime: _s, forwards: _f, ...rest } = previous;
  return { ...rest, state: 'halted', sockets: {} };
}

/** A machine whose engine ended with its memory saved (suspend.state). */
export function suspendedState(previous: MachineState): MachineState {
  return { ...stoppedState(previous), state: 'suspended' };
}

let saving: Promise<unknown> = Promise.resolve();

/**
 * saveMachineState, one call at a time in this process: machines booted in parallel share the
 * global index, whose lock refuses a second taker from the same process.
 */
export function saveState(projectDir: string, state: MachineState, o: { vmfile?: string; index?: StoreLocation }): Promise<{ indexWarning?: string }> {
  const run = (): Promise<{ indexWarning?: string }> => saveMachineState(projectDir, state, o);
  const p = saving.then(run, run);
  saving = p.catch(() => undefined);
  return p;
}
