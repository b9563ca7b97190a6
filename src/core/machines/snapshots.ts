// `vm snapshot save/restore/list/delete/push/pop`: named snapshots of a machine in
// .vm/machines/NAME/snapshots/SNAP: its disk files (copied sparsely, paths as below the machine's
// folder), and when it was running or suspended its memory and device state (memory.state), so a
// restore continues that guest. A snapshot is built in a temp folder and renamed into place; a
// restore writes every disk to a temp file before renaming any over the machine's.
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { SNAPSHOT_MEMORY_FILE } from '../../engines/engine.js';
import type { MachineConfig } from '../../engines/machine-config.js';
import { copySparse } from '../../engines/shared/sparse-copy.js';
import { EXIT, UserError } from '../errors.js';
import { engineFor } from '../lifecycle/engine-for.js';
import { recordedPaths, saveState, stoppedState } from '../lifecycle/machine-record.js';
import { removeRuntimeDir, runtimePathsFor } from '../lifecycle/runtime-dir.js';
import { stopRunning } from '../lifecycle/halt.js';
import { machineDir } from '../paths.js';
import { withMachineLock } from './machine-lock.js';
import { assertMachineName, inspectMachine } from './state.js';
import { discardSuspendState, suspendedState } from './suspend.js';
import { suspendStatePath } from './suspend-file.js';

export const SNAPSHOTS_DIR = 'snapshots';
const META_FILE = 'snapshot.json';
const DISKS_DIR = 'disks';
/** Names `vm snapshot push` gives; `pop` takes the newest of them. */
const PUSH_PREFIX = 'push-';

export interface SnapshotInfo {
  name: string;
  createdAt: string;
  /** What the machine was when taken; 'running' and 'suspended' snapshots hold memory. */
  machineState: 'running' | 'suspended' | 'halted' | 'created';
  memory: boolean;
  /** Disk files, relative to the machine's folder. */
  disks: string[];
  /** Bytes the snapshot takes on disk. */
  bytes?: number;
}

const snapshotsDir = (projectDir: string, machine: string): string => join(machineDir(projectDir, machine), SNAPSHOTS_DIR);

function checkSnapshotName(name: string): void {
  try {
    assertMachineName(name);
  } catch {
    throw new UserError(`invalid snapshot name '${name}': use letters, digits, '.', '_' and '-' (at most 63), starting with a letter or digit`);
  }
}

async function readInfo(dir: string): Promise<SnapshotInfo | undefined> {
  try {
    const raw = JSON.parse(await readFile(join(dir, META_FILE), 'utf8')) as SnapshotInfo;
    if (typeof raw.name !== 'string' || typeof raw.createdAt !== 'string' || !Array.isArray(raw.disks)) return undefined;
    return raw;
  } catch {
    return undefined;
  }
}

async function duOf(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await duOf(p);
    else if (e.isFile()) total += (await lstat(p)).blocks * 512;
  }
  return total;
}

/** The machine's snapshots, oldest first. */
export async function listSnapshots(projectDir: string, machine: string): Promise<SnapshotInfo[]> {
  const dir = snapshotsDir(projectDir, machine);
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: SnapshotInfo[] = [];
  for (const n of names) {
    if (n.startsWith('.')) continue;
    const info = await readInfo(join(dir, n));
    if (info) out.push({ ...info, bytes: await duOf(join(dir, n)) });
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
}

function diskRels(config: MachineConfig, files: string[]): string[] {
  return files.map((f) => {
    const rel = relative(config.project.stateDir, f);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new UserError(`disk ${f} is outside the machine's folder; vm cannot snapshot it`);
    return rel;
  });
}

export async function saveSnapshot(projectDir: string, config: MachineConfig, snap: string, o: { command?: string } = {}): Promise<SnapshotInfo> {
  checkSnapshotName(snap);
  return withMachineLock(projectDir, config.name, o.command ?? 'vm snapshot save', async () => {
    const view = await inspectMachine(projectDir, config.name, config.engine);
    if (view.status === 'not created' || view.status === 'broken' || view.status === 'aborted') {
      throw new UserError(`machine '${config.name}' is ${view.status}${view.detail ? ` (${view.detail})` : ''}: nothing to snapshot`, { exitCode: EXIT.wrongState, hint: '`vm up` starts it' });
    }
    const final = join(snapshotsDir(projectDir, config.name), snap);
    if (await lstat(final).catch(() => undefined)) {
      throw new UserError(`machine '${config.name}' already has a snapshot '${snap}'`, { hint: `\`vm snapshot delete ${config.name} ${snap}\` removes it` });
    }
    const engine = await engineFor({ ...config, engine: view.state!.engine });
    const files = engine.diskFiles(config);
    const rels = diskRels(config, files);
    if (files.length === 0) {
      throw new UserError(`cannot snapshot machine '${config.name}': ${engine.runningSnapshotRefusal(config) ?? `the ${config.engine} engine has no disk files to copy`}`, { exitCode: EXIT.unsupported });
    }
    if (view.status === 'running') {
      const refusal = engine.runningSnapshotRefusal(config);
      if (refusal) throw new UserError(`cannot snapshot machine '${config.name}': ${refusal}`, { exitCode: EXIT.unsupported, hint: '`vm halt` it, then `vm snapshot save` takes its disks' });
    }
    const tmp = join(snapshotsDir(projectDir, config.name), `.tmp-${snap}-${process.pid}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(join(tmp, DISKS_DIR), { recursive: true, mode: 0o700 });
    try {
      if (view.status === 'running') {
        const paths = recordedPaths(view.state!, runtimePathsFor(config.project.stateDir));
        try {
          await engine.snapshotRunning(config, paths, join(tmp, DISKS_DIR));
        } catch (err) {
          throw new UserError(`machine '${config.name}' could not be snapshotted: ${(err as Error).message}`, { hint: 'it keeps running; see the engine log' });
        }
        await rename(join(tmp, DISKS_DIR, SNAPSHOT_MEMORY_FILE), join(tmp, SNAPSHOT_MEMORY_FILE));
      } else {
        for (const [i, f] of files.entries()) {
          if (!(await lstat(f).catch(() => undefined))) continue;
          await mkdir(dirname(join(tmp, DISKS_DIR, rels[i]!)), { recursive: true, mode: 0o700 });
          await copySparse(f, join(tmp, DISKS_DIR, rels[i]!));
        }
        if (view.status === 'suspended') await copySparse(suspendStatePath(projectDir, config.name), join(tmp, SNAPSHOT_MEMORY_FILE));
      }
      const info: SnapshotInfo = {
        name: snap,
        createdAt: new Date().toISOString(),
        machineState: view.status as SnapshotInfo['machineState'],
        memory: view.status === 'running' || view.status === 'suspended',
        disks: rels,
      };
      await writeFile(join(tmp, META_FILE), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
      await rename(tmp, final);
      return { ...info, bytes: await duOf(final) };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  });
}

async function findSnapshot(projectDir: string, machine: string, snap: string): Promise<{ dir: string; info: SnapshotInfo }> {
  checkSnapshotName(snap);
  const dir = join(snapshotsDir(projectDir, machine), snap);
  const info = await readInfo(dir);
  if (!info) throw new UserError(`machine '${machine}' has no snapshot '${snap}'`, { hint: `\`vm snapshot list ${machine}\` shows its snapshots` });
  return { dir, info };
}

export async function deleteSnapshot(projectDir: string, config: MachineConfig, snap: string, o: { command?: string } = {}): Promise<void> {
  return withMachineLock(projectDir, config.name, o.command ?? 'vm snapshot delete', async () => {
    const { dir } = await findSnapshot(projectDir, config.name, snap);
    // Renamed away first: a crash mid-delete leaves a hidden leftover, never half a snapshot under its name.
    const gone = join(snapshotsDir(projectDir, config.name), `.deleting-${snap}-${process.pid}`);
    await rename(dir, gone);
    await rm(gone, { recursive: true, force: true });
  });
}

/**
 * Put the machine back as it was when `snap` was taken: a running machine is stopped first (what it
 * did since is discarded), its disks replaced; with memory the machine is left suspended at that
 * moment (the caller resumes it), otherwise halted.
 */
export async function restoreSnapshot(projectDir: string, config: MachineConfig, snap: string, o: { command?: string } = {}): Promise<SnapshotInfo> {
  return withMachineLock(projectDir, config.name, o.command ?? 'vm snapshot restore', async () => {
    const { dir, info } = await findSnapshot(projectDir, config.name, snap);
    const view = await inspectMachine(projectDir, config.name, config.engine);
    if (view.status === 'not created' || view.status === 'broken') {
      throw new UserError(`machine '${config.name}' is ${view.status}${view.detail ? ` (${view.detail})` : ''}`, { exitCode: EXIT.wrongState });
    }
    const engine = await engineFor({ ...config, engine: view.state!.engine });
    const rels = diskRels(config, engine.diskFiles(config));
    for (const r of info.disks) {
      if (!rels.includes(r)) throw new UserError(`snapshot '${snap}' holds disk ${r}, which machine '${config.name}' no longer has`, { hint: 'the Vmfile changed since; restore the Vmfile it was taken with' });
    }
    const computed = runtimePathsFor(config.project.stateDir);
    if (view.status === 'running') {
      const paths = recordedPaths(view.state!, computed);
      await stopRunning(config, view.state!, paths, { force: true });
      await removeRuntimeDir(paths);
    }
    // Every file staged beside its target first, then renamed in one quick pass.
    const staged: [string, string][] = [];
    try {
      for (const r of info.disks) {
        const target = join(config.project.stateDir, r);
        const stage = `${target}.restore-${process.pid}`;
        await copySparse(join(dir, DISKS_DIR, r), stage);
        staged.push([stage, target]);
      }
      if (info.memory) {
        const stage = `${suspendStatePath(projectDir, config.name)}.restore-${process.pid}`;
        await copySparse(join(dir, SNAPSHOT_MEMORY_FILE), stage);
        staged.push([stage, suspendStatePath(projectDir, config.name)]);
      } else {
        await discardSuspendState(projectDir, config.name);
      }
    } catch (err) {
      await Promise.all(staged.map(([s]) => rm(s, { force: true })));
      throw err;
    }
    for (const [s, t] of staged) await rename(s, t);
    const base = view.state!;
    await saveState(projectDir, info.memory ? suspendedState(base) : stoppedState(base), { vmfile: config.project.vmfile });
    return info;
  });
}

/** Name for `vm snapshot push`: sorts by time. */
export function pushName(now = new Date()): string {
  return `${PUSH_PREFIX}${now.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*/, '')}-${String(now.getMilliseconds()).padStart(3, '0')}`;
}

/** The newest snapshot `push` made, or undefined. */
export async function lastPushed(projectDir: string, machine: string): Promise<SnapshotInfo | undefined> {
  return (await listSnapshots(projectDir, machine)).filter((s) => s.name.startsWith(PUSH_PREFIX)).at(-1);
}
