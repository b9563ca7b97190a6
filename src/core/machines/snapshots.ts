// `vm snapshot save/restore/list/delete/push/pop`: named snapshots of a machine in
// .vm/machines/NAME/snapshots/SNAP. The root disk is not copied: the engine's chain of copy-on-write
// layers (engines/shared/disk-chain.ts) freezes its top as the snapshot's layer and goes on in a new
// one, so a snapshot costs what the guest wrote since the one before; restore starts a new top on
// the snapshot's layer; delete lets the chain drop or merge layers no snapshot keeps. Extra disks
// (raw files) are copied sparsely, paths as below the machine's folder; when the machine was running
// or suspended its memory and device state goes to memory.state, so a restore continues that guest.
// A snapshot is built in a temp folder and renamed into place once its layer is frozen (a crash in
// between leaves a layer no snapshot names, which the next snapshot command collapses); a restore
// writes every copied file to a temp file before committing the chain and renaming them.
// Snapshots written before the chain (`disks` naming the root overlay, no `rootLayer`) still restore:
// their full copy of the root overlay becomes the new top.
import { lstat, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { SNAPSHOT_MEMORY_FILE } from '../../engines/engine.js';
import type { MachineConfig } from '../../model/machine-config.js';
import { copySparse } from '../../engines/shared/sparse-copy.js';
import { DiskChainError, newLayerId } from '../../engines/shared/disk-chain.js';
import { DiskError } from '../../engines/errors.js';
import { EXIT, UserError } from '../errors.js';
import { engineFor } from '../lifecycle/engine/engine-for.js';
import { recordedPaths, saveState, stoppedState } from '../lifecycle/machine-record.js';
import { removeRuntimeDir, runtimePathsFor } from '../lifecycle/engine/runtime-dir.js';
import { stopRunning } from '../lifecycle/power/halt.js';
import { machineDir } from '../paths.js';
import { withMachineLock } from './machine-lock.js';
import { assertMachineName, inspectMachine } from './state.js';
import { discardSuspendState, suspendedState, suspendMachine } from './suspend.js';
import { suspendStatePath } from './suspend-file.js';
import { syncDir } from '../../engines/shared/atomic-file.js';

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

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
  /** Disk files copied into the snapshot, relative to the machine's folder. */
  disks: string[];
  /** The root disk's chain layer this snapshot keeps (`file` relative to the machine's folder). */
  rootLayer?: { id: string; file: string };
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

/** Bytes the snapshot's root disk layer takes (what the guest wrote between it and the snapshot before). */
async function layerBytes(projectDir: string, machine: string, info: SnapshotInfo): Promise<number> {
  if (!info.rootLayer || info.rootLayer.file.includes('..')) return 0;
  const st = await lstat(join(machineDir(projectDir, machine), info.rootLayer.file)).catch(() => undefined);
  return st?.isFile() ? st.blocks * 512 : 0;
}

/** Layers the machine's snapshots keep. */
async function keptLayers(projectDir: string, machine: string): Promise<Set<string>> {
  return new Set((await listSnapshots(projectDir, machine)).flatMap((s) => (s.rootLayer ? [s.rootLayer.id] : [])));
}

/** Chain errors as user errors. */
async function onChain<T>(machine: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof DiskChainError) throw new UserError(`machine '${machine}': ${err.message}`, { hint: err.hint });
    if (err instanceof DiskError) throw new UserError(`machine '${machine}': ${err.message}`, { hint: err.hint });
    throw err;
  }
}

/** The machine's snapshots, oldest first. */
export async function listSnapshots(projectDir: string, machine: string): Promise<SnapshotInfo[]> {
  const dir = snapshotsDir(projectDir, machine);
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: SnapshotInfo[] = [];
  for (const n of names) {
    if (n.startsWith('.')) continue;
    const info = await readInfo(join(dir, n));
    if (info) out.push({ ...info, bytes: (await duOf(join(dir, n))) + (await layerBytes(projectDir, machine, info)) });
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

/** A snapshot just saved; `resume`: the machine was suspended to take it, and the caller resumes it (as `vm up` does). */
export type SavedSnapshot = SnapshotInfo & { resume?: boolean };

/**
 * Save snapshot `snap` of the machine. An engine whose running machines are not snapshotted live
 * (qemu: runningSnapshot 'suspend') has the machine suspended first; the snapshot then holds the
 * suspend state as its memory, and the caller resumes the machine (its timer re-armed as on every
 * resume, migration-file.ts).
 */
export async function saveSnapshot(projectDir: string, config: MachineConfig, snap: string, o: { command?: string } = {}): Promise<SavedSnapshot> {
  checkSnapshotName(snap);
  const view = await inspectMachine(projectDir, config.name, config.engine);
  if (view.status === 'running' && view.state) {
    const engine = await engineFor({ ...config, engine: view.state.engine });
    if (engine.runningSnapshot === 'suspend') {
      const refusal = engine.runningSnapshotRefusal(config);
      if (refusal) throw new UserError(`cannot snapshot machine '${config.name}' while it runs: ${refusal}`, { exitCode: EXIT.unsupported, hint: '`vm halt` it, then `vm snapshot save` takes its disks' });
      if (await lstat(join(snapshotsDir(projectDir, config.name), snap)).catch(() => undefined)) {
        throw new UserError(`machine '${config.name}' already has a snapshot '${snap}'`, { hint: `\`vm snapshot delete ${config.name} ${snap}\` removes it` });
      }
      await suspendMachine(projectDir, config, { command: o.command ?? 'vm snapshot save' });
      try {
        return { ...(await saveSnapshotOf(projectDir, config, snap, o)), resume: true };
      } catch (err) {
        if (err instanceof UserError) throw new UserError(err.message, { exitCode: err.exitCode, hint: `${err.options.hint ? `${err.options.hint}; ` : ''}the machine was suspended for the snapshot: \`vm up ${config.name}\` resumes it` });
        throw err;
      }
    }
  }
  return saveSnapshotOf(projectDir, config, snap, o);
}

async function saveSnapshotOf(projectDir: string, config: MachineConfig, snap: string, o: { command?: string } = {}): Promise<SnapshotInfo> {
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
    const chain = engine.rootDiskChain(config);
    const files = engine.diskFiles(config);
    const copied = files.filter((f) => f !== chain?.topPath);
    const rels = diskRels(config, copied);
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
    const layer = chain ? newLayerId() : undefined;
    try {
      // Layers left by deleted snapshots (or a crash) first: fewer layers, room under the depth bound.
      if (chain) {
        await onChain(config.name, async () => {
          // The depth bound, here too: a running machine's engine freezes the layer itself.
          chain.checkRoom(await chain.collapse(await keptLayers(projectDir, config.name), { busy: view.status === 'running' }));
        });
      }
      if (view.status === 'running') {
        const paths = recordedPaths(view.state!, runtimePathsFor(config.project.stateDir));
        try {
          await engine.snapshotRunning(config, paths, join(tmp, DISKS_DIR), layer ?? newLayerId());
        } catch (err) {
          throw new UserError(`machine '${config.name}' could not be snapshotted: ${(err as Error).message}`, { hint: 'it keeps running; see the engine log' });
        }
        await rename(join(tmp, DISKS_DIR, SNAPSHOT_MEMORY_FILE), join(tmp, SNAPSHOT_MEMORY_FILE));
      } else {
        for (const [i, f] of copied.entries()) {
          if (!(await lstat(f).catch(() => undefined))) continue;
          await mkdir(dirname(join(tmp, DISKS_DIR, rels[i]!)), { recursive: true, mode: 0o700 });
          await copySparse(f, join(tmp, DISKS_DIR, rels[i]!));
        }
        if (view.status === 'suspended') await copySparse(suspendStatePath(projectDir, config.name), join(tmp, SNAPSHOT_MEMORY_FILE));
        // Last before the snapshot is named: the frozen layer is the snapshot's disk.
        if (chain && layer) await onChain(config.name, () => chain.freeze(layer));
      }
      const info: SnapshotInfo = {
        name: snap,
        createdAt: new Date().toISOString(),
        machineState: view.status as SnapshotInfo['machineState'],
        memory: view.status === 'running' || view.status === 'suspended',
        disks: rels,
        ...(chain && layer ? { rootLayer: { id: layer, file: diskRels(config, [chain.layerPath(layer)])[0]! } } : {}),
      };
      await writeFile(join(tmp, META_FILE), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
      await syncFile(join(tmp, META_FILE));
      await rename(tmp, final);
      await syncDir(snapshotsDir(projectDir, config.name));
      return { ...info, bytes: (await duOf(final)) + (await layerBytes(projectDir, config.name, info)) };
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
    await syncDir(snapshotsDir(projectDir, config.name));
    await rm(gone, { recursive: true, force: true });
    // Its layer, now kept by no snapshot, is dropped or merged into the one layer on it; a layer
    // that others lie on stays until they go.
    const view = await inspectMachine(projectDir, config.name, config.engine);
    if (!view.state) return;
    const chain = (await engineFor({ ...config, engine: view.state.engine })).rootDiskChain(config);
    if (chain) await onChain(config.name, async () => chain.collapse(await keptLayers(projectDir, config.name), { busy: view.status === 'running' }));
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
    const chain = engine.rootDiskChain(config);
    const topRel = chain ? diskRels(config, [chain.topPath])[0] : undefined;
    if (info.rootLayer && !chain) throw new UserError(`snapshot '${snap}' holds a root disk layer, but machine '${config.name}' has no layered root disk`, { hint: 'the Vmfile changed since; restore the Vmfile it was taken with' });
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
    // A snapshot from before the chain holds a full copy of the root overlay: it becomes the top.
    let legacyTop: string | undefined;
    try {
      for (const r of info.disks) {
        const target = join(config.project.stateDir, r);
        const stage = `${target}.restore-${process.pid}`;
        await copySparse(join(dir, DISKS_DIR, r), stage);
        if (r === topRel) legacyTop = stage;
        else staged.push([stage, target]);
      }
      if (info.memory) {
        const stage = `${suspendStatePath(projectDir, config.name)}.restore-${process.pid}`;
        await copySparse(join(dir, SNAPSHOT_MEMORY_FILE), stage);
        staged.push([stage, suspendStatePath(projectDir, config.name)]);
      } else {
        await discardSuspendState(projectDir, config.name);
      }
      // The root disk: the chain's manifest commit is the point the disk becomes the snapshot's.
      if (chain && info.rootLayer) await onChain(config.name, () => chain.restore(info.rootLayer!.id));
      else if (chain && legacyTop) await onChain(config.name, () => chain.adoptTop(legacyTop!));
    } catch (err) {
      await Promise.all([...staged.map(([s]) => rm(s, { force: true })), ...(legacyTop ? [rm(legacyTop, { force: true })] : [])]);
      throw err;
    }
    for (const [s, t] of staged) await rename(s, t);
    const base = view.state!;
    await saveState(projectDir, info.memory ? suspendedState(base) : stoppedState(base), { vmfile: config.project.vmfile });
    // The dropped top's layers that no snapshot keeps go.
    if (chain) await onChain(config.name, async () => chain.collapse(await keptLayers(projectDir, config.name)));
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
