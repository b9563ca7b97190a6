// A machine's state file, <project>/.vm/machines/<name>/state.json: what it was created from, which
// engine process runs it; read strictly (errors name the file), written atomically (0600 in 0700 dirs).
import { createHash } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import type { EngineName, ForwardConfig, MachineConfig } from '../../model/machine-config.js';
import { UserError } from '../errors.js';
import {
  PROJECT_STATE_DIR,
  PROJECT_MACHINES_DIR,
  MACHINE_STATE_FILE,
  machineDir,
  machineStateFile,
  type StoreLocation,
} from '../paths.js';
import { ensurePrivateDirs, isErrno, readJsonFile, writeFileAtomic } from './safe-fs.js';
import { isAlive } from './process-identity.js';
import { recordMachine } from './global-index.js';
import { hasSuspendState, suspendStatePath, SUSPEND_STATE_FILE } from './suspend-file.js';

export const STATE_FORMAT = 1;
/** What the last command recorded. */
export type RecordedState = 'created' | 'running' | 'halted' | 'suspended';
/** What a status display shows: recorded state checked against reality. */
export type MachineStatus = 'not created' | 'created' | 'running' | 'halted' | 'suspended' | 'aborted' | 'broken';

export interface MachineState {
  format: typeof STATE_FORMAT;
  name: string;
  engine: EngineName;
  state: RecordedState;
  /** The engine process (detached emulator or qemu) while running. */
  pid?: number;
  /** Boot id and kernel start time of `pid`, so a reused pid is never taken for ours. */
  bootId?: string;
  pidStartTime?: number;
  /** Control/console/QMP sockets by role, absolute paths. */
  sockets: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  box: { name: string; version: string; checksum: string };
  /** sha256 of the compiled MachineConfig the machine was created or last started with. */
  configHash: string;
  /** The same per MachineConfig key (machineConfigFields); absent in states written before it. */
  configFields?: Record<string, string>;
  /** What the engine runs with (builtin, tcg, kvm), recorded at start. */
  accel?: string;
  /** While running: the forwards the engine listens on, when `auto_correct` moved a host port. */
  forwards?: ForwardConfig[];
  /** `engine: libvirt`: the host's URI, so `vm global-status` knows which hosts to ask about their domains. */
  libvirtUri?: string;
  /** The host address and port forwarded to the guest's SSH server (kept while halted: the next boot asks for the same port). */
  ssh?: { hostIp: string; port: number };
}

const MACHINE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Machine names become folder names: refuse anything that could leave .vm/machines. */
export function assertMachineName(name: string): void {
  if (!MACHINE_NAME.test(name) || name.includes('..')) {
    throw new UserError(`invalid machine name '${name}': use letters, digits, '.', '_' and '-' (at most 63), starting with a letter or digit`);
  }
}

/**
 * Hash of what a running machine is made of. Provisioners are left out: they do not change the
 * running machine (`vm provision` applies them), so editing one does not call for a reload; so is
 * orchestration (primary, depends_on, ready), which only `vm up`'s order and waits read.
 */
export function machineConfigHash(config: MachineConfig): string {
  return configHash(hashedPart(config));
}

function hashedPart(config: MachineConfig): Omit<MachineConfig, 'provision' | 'primary' | 'dependsOn' | 'ready' | 'autoForwards' | 'warmStart'> {
  // autoForwards too: `vm up` starts its watcher on a running machine, no restart needed; and
  // warmStart, which only says how a new machine's first boot is done.
  const { provision: _provision, primary: _primary, dependsOn: _dependsOn, ready: _ready, autoForwards: _auto, warmStart: _warm, ...rest } = config;
  return rest;
}

/** The same, key by key (`vm plan` names the settings that changed). */
export function machineConfigFields(config: MachineConfig): Record<string, string> {
  return Object.fromEntries(Object.entries(hashedPart(config)).map(([k, v]) => [k, configHash(v ?? null)]));
}

/** Stable sha256 of a JSON value (object keys sorted), e.g. of a MachineConfig. */
export function configHash(value: unknown): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canon(value))).digest('hex');
}

const ENGINES: readonly string[] = ['builtin', 'qemu', 'libvirt'];
const STATES: readonly string[] = ['created', 'running', 'halted', 'suspended'];

/** Checks a parsed state file field by field; the error names the file and the field. */
export function parseMachineState(raw: unknown, file: string): MachineState {
  const bad = (field: string, expected: string): never => {
    throw new UserError(`state file ${file}: '${field}' must be ${expected}`, {
      hint: 'the file was damaged or written by another tool; restore it, or remove the machine folder to start over',
    });
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) bad('(top level)', 'an object');
  const o = raw as Record<string, unknown>;
  const str = (k: string): string => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : bad(k, 'a non-empty string'));
  const optInt = (k: string): number | undefined =>
    o[k] === undefined ? undefined : Number.isSafeInteger(o[k]) && (o[k] as number) >= 0 ? (o[k] as number) : bad(k, 'a non-negative integer');
  if (o.format !== STATE_FORMAT) bad('format', `${STATE_FORMAT}`);
  const engine = str('engine');
  if (!ENGINES.includes(engine)) bad('engine', "'builtin', 'qemu' or 'libvirt'");
  const state = str('state');
  if (!STATES.includes(state)) bad('state', "'created', 'running', 'halted' or 'suspended'");
  const sockets = o.sockets ?? {};
  if (typeof sockets !== 'object' || Array.isArray(sockets) || Object.values(sockets as object).some((v) => typeof v !== 'string')) {
    bad('sockets', 'an object of paths');
  }
  const box = o.box as Record<string, unknown> | undefined;
  if (!box || typeof box !== 'object' || ['name', 'version', 'checksum'].some((k) => typeof box[k] !== 'string')) {
    bad('box', 'an object with name, version and checksum');
  }
  if (o.bootId !== undefined && typeof o.bootId !== 'string') bad('bootId', 'a string');
  const port = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
  const forwardOk = (f: unknown): boolean => {
    const r = f as Record<string, unknown>;
    return !!f && typeof f === 'object' && port(r.guest) && port(r.host) && typeof r.hostIp === 'string' && (r.protocol === 'tcp' || r.protocol === 'udp');
  };
  if (o.configFields !== undefined && (typeof o.configFields !== 'object' || o.configFields === null || Array.isArray(o.configFields) || Object.values(o.configFields).some((v) => typeof v !== 'string'))) {
    bad('configFields', 'an object of hashes');
  }
  if (o.forwards !== undefined && (!Array.isArray(o.forwards) || !o.forwards.every(forwardOk))) bad('forwards', 'a list of {guest, host, hostIp, protocol}');
  if (o.libvirtUri !== undefined && typeof o.libvirtUri !== 'string') bad('libvirtUri', 'a string');
  const ssh = o.ssh as Record<string, unknown> | undefined;
  if (ssh !== undefined && (!ssh || typeof ssh !== 'object' || typeof ssh.hostIp !== 'string' || !port(ssh.port))) bad('ssh', 'an object with hostIp and port');
  return {
    format: STATE_FORMAT,
    name: str('name'),
    engine: engine as EngineName,
    state: state as RecordedState,
    pid: optInt('pid'),
    bootId: o.bootId as string | undefined,
    pidStartTime: optInt('pidStartTime'),
    sockets: sockets as Record<string, string>,
    createdAt: str('createdAt'),
    updatedAt: str('updatedAt'),
    box: { name: box!.name as string, version: box!.version as string, checksum: box!.checksum as string },
    configHash: str('configHash'),
    ...(typeof o.accel === 'string' ? { accel: o.accel } : {}),
    ...(o.forwards !== undefined ? { forwards: o.forwards as ForwardConfig[] } : {}),
    ...(ssh !== undefined ? { ssh: { hostIp: ssh.hostIp as string, port: ssh.port as number } } : {}),
    ...(o.configFields !== undefined ? { configFields: o.configFields as Record<string, string> } : {}),
    ...(typeof o.libvirtUri === 'string' ? { libvirtUri: o.libvirtUri } : {}),
  };
}

/** The machine's state, or undefined when it has no state file. Damaged files are UserErrors naming them. */
export async function readMachineState(projectDir: string, name: string): Promise<MachineState | undefined> {
  assertMachineName(name);
  const file = machineStateFile(projectDir, name);
  const raw = await readJsonFile(file, 'state file');
  return raw === undefined ? undefined : parseMachineState(raw, file);
}

export interface SaveOptions {
  /** Store whose global index records the machine; `false` skips the index (tests of state alone). */
  index?: StoreLocation | false;
  /** Absolute Vmfile path, recorded in the index. */
  vmfile?: string;
}

/**
 * Writes the state file atomically (creating .vm/machines/<name> as 0700 dirs, refusing links) and
 * records the machine in the global index. An index failure does not undo the state write; it comes
 * back as a warning for the command to print.
 */
export async function saveMachineState(projectDir: string, state: MachineState, opts: SaveOptions = {}): Promise<{ indexWarning?: string }> {
  assertMachineName(state.name);
  await ensurePrivateDirs(projectDir, PROJECT_STATE_DIR, PROJECT_MACHINES_DIR, state.name);
  const file = machineStateFile(projectDir, state.name);
  await writeFileAtomic(file, `${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`);
  if (opts.index === false) return {};
  try {
    await recordMachine(
      {
        project: projectDir,
        vmfile: opts.vmfile,
        name: state.name,
        engine: state.engine,
        state: state.state,
        box: { name: state.box.name, version: state.box.version },
        ...(state.libvirtUri ? { libvirtUri: state.libvirtUri } : {}),
        ...(state.state === 'running' && state.pid !== undefined
          ? { engineProcess: { pid: state.pid, bootId: state.bootId ?? '', ...(state.pidStartTime !== undefined ? { startTime: state.pidStartTime } : {}) } }
          : {}),
      },
      opts.index ?? {},
    );
    return {};
  } catch (err) {
    return { indexWarning: `the global machine index was not updated: ${(err as Error).message}` };
  }
}

/** Files the state code itself leaves in a machine folder; anything else is the machine's (disks...). */
const isOwnTempFile = (f: string): boolean => f.startsWith(`.${MACHINE_STATE_FILE}.tmp-`) || f.startsWith(`${SUSPEND_STATE_FILE}.tmp-`);

export interface MachineView {
  name: string;
  status: MachineStatus;
  engine: EngineName;
  pid?: number;
  /** Why it is aborted or broken. */
  detail?: string;
  state?: MachineState;
}

/**
 * What a machine is now: its recorded state checked against reality (a running machine whose engine
 * pid is gone, or was recorded before a reboot, is aborted). A damaged state file, or a machine folder
 * with files but no state file, is `broken` with the reason: never silently treated as not created.
 * `engine` is what the Vmfile says, shown for machines not created yet.
 */
export async function inspectMachine(projectDir: string, name: string, engine: EngineName): Promise<MachineView> {
  assertMachineName(name);
  const dir = machineDir(projectDir, name);
  try {
    const st = await lstat(dir);
    if (!st.isDirectory()) return { name, engine, status: 'broken', detail: `${dir} is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}; vm refuses to use it` };
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { name, engine, status: 'not created' };
    return { name, engine, status: 'broken', detail: `cannot read ${dir}: ${(err as Error).message}` };
  }
  let state: MachineState | undefined;
  try {
    state = await readMachineState(projectDir, name);
  } catch (err) {
    if (err instanceof UserError) return { name, engine, status: 'broken', detail: err.message };
    throw err;
  }
  if (state === undefined) {
    const leftovers = (await readdir(dir)).filter((f) => !isOwnTempFile(f)).sort();
    if (leftovers.length === 0) return { name, engine, status: 'not created' };
    return {
      name,
      engine,
      status: 'broken',
      detail: `state file ${machineStateFile(projectDir, name)} is missing but the machine folder holds ${leftovers.join(', ')}; vm will not recreate the machine over them (restore the state file, or delete the folder to start over)`,
    };
  }
  const view: MachineView = { name, engine: state.engine, status: state.state, state };
  if (state.state === 'running') {
    const alive = state.pid !== undefined && isAlive({ pid: state.pid, bootId: state.bootId ?? '', startTime: state.pidStartTime });
    if (alive) view.pid = state.pid;
    else if (await hasSuspendState(projectDir, name)) {
      // The engine saved the machine and ended, and the command that asked for it did not get to record it.
      view.status = 'suspended';
      view.detail = `saved in ${suspendStatePath(projectDir, name)}`;
    } else {
      view.status = 'aborted';
      view.detail = state.pid === undefined ? 'no engine process was recorded' : `engine process ${state.pid} is gone`;
    }
  } else if (state.state === 'suspended' && !(await hasSuspendState(projectDir, name))) {
    view.status = 'aborted';
    view.detail = `it was suspended but its saved state ${suspendStatePath(projectDir, name)} is gone`;
  }
  return view;
}
