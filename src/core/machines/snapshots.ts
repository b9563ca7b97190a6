// `vm snapshot save/restore/list/delete/push/pop`: named snapshots of a machine in
// .vm/machines/NAME/snapshots/SNAP. No disk is copied: each disk (the root disk and the Vmfile's
// extra disks) is the top of the engine's chain of copy-on-write layers (engines/shared/disk-chain.ts),
// whose top a snapshot freezes as its layer, going on in a new one, so a snapshot costs what the
// guest wrote since the one before; restore starts a new top on the snapshot's layers; delete lets
// the chains drop or merge layers no snapshot keeps. When the machine was running or suspended its
// memory and device state goes to memory.state, so a restore continues that guest.
// A snapshot is built in a temp folder and renamed into place once its layers are frozen (a crash in
// between leaves layers no snapshot names, which the next snapshot command collapses); a restore
// stages its files and commits through a journal (restore-journal.ts), so a crash leaves the machine
// as it was or as the snapshot.
// Snapshots written by an older vm still restore: `rootLayer` is the root disk's layer, and `disks`
// lists full copies (of the root overlay, which becomes the new top, or of an extra disk's file).
import { lstat, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SNAPSHOT_MEMORY_FILE } from '../../engines/engine.js';
import type { MachineConfig } from '../../model/machine-config.js';
import { copySparse } from '../../engines/shared/sparse-copy.js';
import { DiskChainError, newLayerId, type DiskChain } from '../../engines/shared/disk-chain.js';
import { DiskError } from '../../engines/errors.js';
import { EXIT, UserError } from '../errors.js';
import { engineFor } from '../lifecycle/engine/engine-for.js';
import { recordedPaths } from '../lifecycle/machine-record.js';
import { removeRuntimeDir, runtimePathsFor } from '../lifecycle/engine/runtime-dir.js';
import { stopRunning } from '../lifecycle/power/halt.js';
import { machineDir } from '../paths.js';
import { withMachineLock } from './machine-lock.js';
import { assertMachineName, inspectMachine } from './state.js';
import { suspendMachine } from './suspend.js';
import { commitRestore, finishPendingRestore, machineRel, stagedName, type RestoreJournal } from './restore-journal.js';
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
  /** Disk files copied into the snapshot, relative to the machine's folder (an older vm's; now none). */
  disks: string[];
  /** The chain layer of each disk this snapshot keeps: `disk` the chain's top, `file` the layer (relative to the machine's folder). */
  layers?: { disk: string; id: string; file: string }[];
  /** The root disk's chain layer (an older vm's snapshots; now in `layers`). */
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

/** The layers the snapshot keeps, `rootLayer` of an older vm's as the layer of `rootTop` (the root chain's top, relative). */
function layersOf(info: SnapshotInfo, rootTop?: string): { disk: string; id: string; file: string }[] {
  const out = [...(info.layers ?? [])];
  if (info.rootLayer && rootTop !== undefined && !out.some((l) => l.disk === rootTop)) out.push({ disk: rootTop, ...info.rootLayer });
  return out;
}

/** Bytes the snapshot's disk layers take (what the guest wrote between it and the snapshot before). */
async function layerBytes(projectDir: string, machine: string, info: SnapshotInfo): Promise<number> {
  let total = 0;
  for (const l of [...(info.layers ?? []), ...(info.rootLayer ? [info.rootLayer] : [])]) {
    if (l.file.includes('..')) continue;
    const st = await lstat(join(machineDir(projectDir, machine), l.file)).catch(() => undefined);
    if (st?.isFile()) total += st.blocks * 512;
  }
  return total;
}

/** A chain's top relative to the machine's folder: how snapshots name the disk. */
const diskOf = (config: MachineConfig, chain: DiskChain): string => machineRel(config, chain.topPath);

/** Layers of `chain` the machine's snapshots keep (`root`: it is the root disk's, which older snapshots name by `rootLayer`). */
async function keptLayers(projectDir: string, config: MachineConfig, chain: DiskChain, root: boolean): Promise<Set<string>> {
  const disk = diskOf(config, chain);
  return new Set((await listSnapshots(projectDir, config.name)).flatMap((s) => layersOf(s, root ? disk : undefined).filter((l) => l.disk === disk).map((l) => l.id)));
}

/** Collapse every chain's layers that no snapshot keeps. */
async function collapseAll(projectDir: string, config: MachineConfig, chains: DiskChain[], root: DiskChain | undefined, o: { busy?: boolean; checkRoom?: boolean } = {}): Promise<void> {
  for (const chain of chains) {
    await onChain(config.name, async () => {
      const m = await chain.collapse(await keptLayers(projectDir, config, chain, chain === root), { busy: o.busy });
      if (o.checkRoom) chain.checkRoom(m);
    });
  }
}

/** The engine's chains and which of them is the root disk's. */
function chainsOf(engine: { diskChains(c: MachineConfig): DiskChain[] }, config: MachineConfig): { chains: DiskChain[]; root?: DiskChain } {
  const chains = engine.diskChains(config);
  return { chains, root: config.box.rootDisk ? chains[0] : undefined };
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
    await finishPendingRestore(projectDir, config);
    const view = await inspectMachine(projectDir, config.name, config.engine);
    if (view.status === 'not created' || view.status === 'broken' || view.status === 'aborted') {
      throw new UserError(`machine '${config.name}' is ${view.status}${view.detail ? ` (${view.detail})` : ''}: nothing to snapshot`, { exitCode: EXIT.wrongState, hint: '`vm up` starts it' });
    }
    const final = join(snapshotsDir(projectDir, config.name), snap);
    if (await lstat(final).catch(() => undefined)) {
      throw new UserError(`machine '${config.name}' already has a snapshot '${snap}'`, { hint: `\`vm snapshot delete ${config.name} ${snap}\` removes it` });
    }
    const engine = await engineFor({ ...config, engine: view.state!.engine });
    const { chains, root } = chainsOf(engine, config);
    if (chains.length === 0) {
      throw new UserError(`cannot snapshot machine '${config.name}': ${engine.runningSnapshotRefusal(config) ?? `the ${config.engine} engine keeps no disk layers for it`}`, { exitCode: EXIT.unsupported });
    }
    if (view.status === 'running') {
      const refusal = engine.runningSnapshotRefusal(config);
      if (refusal) throw new UserError(`cannot snapshot machine '${config.name}': ${refusal}`, { exitCode: EXIT.unsupported, hint: '`vm halt` it, then `vm snapshot save` takes its disks' });
    }
    const tmp = join(snapshotsDir(projectDir, config.name), `.tmp-${snap}-${process.pid}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    const layer = newLayerId();
    try {
      // Layers left by deleted snapshots (or a crash) first: fewer layers, room under the depth bound
      // (checked here too: a running machine's engine freezes the layers itself).
      await collapseAll(projectDir, config, chains, root, { busy: view.status === 'running', checkRoom: true });
      if (view.status === 'running') {
        const paths = recordedPaths(view.state!, runtimePathsFor(config.project.stateDir));
        try {
          await engine.snapshotRunning(config, paths, tmp, layer);
        } catch (err) {
          throw new UserError(`machine '${config.name}' could not be snapshotted: ${(err as Error).message}`, { hint: 'it keeps running; see the engine log' });
        }
      } else {
        if (view.status === 'suspended') await copySparse(suspendStatePath(projectDir, config.name), join(tmp, SNAPSHOT_MEMORY_FILE));
        // Last before the snapshot is named: the frozen layers are the snapshot's disks.
        for (const chain of chains) await onChain(config.name, () => chain.freeze(layer));
      }
      const info: SnapshotInfo = {
        name: snap,
        createdAt: new Date().toISOString(),
        machineState: view.status as SnapshotInfo['machineState'],
        memory: view.status === 'running' || view.status === 'suspended',
        disks: [],
        layers: chains.map((c) => ({ disk: diskOf(config, c), id: layer, file: machineRel(config, c.layerPath(layer)) })),
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
    await finishPendingRestore(projectDir, config);
    const { dir } = await findSnapshot(projectDir, config.name, snap);
    // Renamed away first: a crash mid-delete leaves a hidden leftover, never half a snapshot under its name.
    const gone = join(snapshotsDir(projectDir, config.name), `.deleting-${snap}-${process.pid}`);
    await rename(dir, gone);
    await syncDir(snapshotsDir(projectDir, config.name));
    await rm(gone, { recursive: true, force: true });
    // Its layers, now kept by no snapshot, are dropped or merged into the one layer on them; a layer
    // that others lie on stays until they go.
    const view = await inspectMachine(projectDir, config.name, config.engine);
    if (!view.state) return;
    const { chains, root } = chainsOf(await engineFor({ ...config, engine: view.state.engine }), config);
    await collapseAll(projectDir, config, chains, root, { busy: view.status === 'running' });
  });
}

/**
 * Put the machine back as it was when `snap` was taken: a running machine is stopped first (what it
 * did since is discarded), its disks put on the snapshot's layers; with memory the machine is left
 * suspended at that moment (the caller resumes it), otherwise halted. Everything is checked and
 * staged before anything changes, then committed through the restore journal.
 */
export async function restoreSnapshot(projectDir: string, config: MachineConfig, snap: string, o: { command?: string } = {}): Promise<SnapshotInfo> {
  return withMachineLock(projectDir, config.name, o.command ?? 'vm snapshot restore', async () => {
    await finishPendingRestore(projectDir, config);
    const { dir, info } = await findSnapshot(projectDir, config.name, snap);
    const view = await inspectMachine(projectDir, config.name, config.engine);
    if (view.status === 'not created' || view.status === 'broken') {
      throw new UserError(`machine '${config.name}' is ${view.status}${view.detail ? ` (${view.detail})` : ''}`, { exitCode: EXIT.wrongState });
    }
    const engine = await engineFor({ ...config, engine: view.state!.engine });
    const { chains, root } = chainsOf(engine, config);
    const byDisk = new Map(chains.map((c) => [diskOf(config, c), c]));
    const changed = 'the Vmfile changed since; restore the Vmfile it was taken with';
    const layers = layersOf(info, root ? diskOf(config, root) : undefined);
    if (info.rootLayer && !root) throw new UserError(`snapshot '${snap}' holds a root disk layer, but machine '${config.name}' has no layered root disk`, { hint: changed });
    for (const l of layers) {
      if (!byDisk.has(l.disk)) throw new UserError(`snapshot '${snap}' holds a layer of disk ${l.disk}, which machine '${config.name}' no longer has`, { hint: changed });
    }
    // An older vm's full copies: of a chain's top (it becomes the top), or of an extra disk's raw
    // file, which goes back in place only while the disk has no layers (once it has, the file is
    // the image under them and is never written).
    // diskFiles and diskChains name the disks in the same order.
    const fileChain = new Map(engine.diskFiles(config).map((f, i) => [machineRel(config, f), chains[i]]));
    for (const r of info.disks) {
      if (!fileChain.has(r) && !byDisk.has(r)) throw new UserError(`snapshot '${snap}' holds disk ${r}, which machine '${config.name}' no longer has`, { hint: changed });
      const chain = fileChain.get(r);
      if (!byDisk.has(r) && chain && (await chain.layered())) {
        throw new UserError(`snapshot '${snap}' (made by an older vm) holds a full copy of disk ${r}, which now has snapshot layers on it`, {
          hint: 'restore a snapshot taken since, or delete the later snapshots and `vm destroy` the machine',
        });
      }
    }
    // A layer a chain lacks would stop the journal half way: checked first.
    for (const l of layers) {
      const m = await onChain(config.name, () => byDisk.get(l.disk)!.recover());
      if (!(l.id in m.layers)) throw new UserError(`snapshot '${snap}' is damaged: disk ${l.disk} has no layer '${l.id}'`, { hint: `\`vm snapshot delete ${config.name} ${snap}\` removes it` });
    }
    const computed = runtimePathsFor(config.project.stateDir);
    if (view.status === 'running') {
      const paths = recordedPaths(view.state!, computed);
      await stopRunning(config, view.state!, paths, { force: true });
      await removeRuntimeDir(paths);
    }
    // Everything the restore installs, written and synced beside its target first.
    const journal: Omit<RestoreJournal, 'format' | 'version'> = { snapshot: snap, layers: layers.map(({ disk, id }) => ({ disk, id })), adopt: [], renames: [], memory: info.memory };
    const staged: string[] = [];
    try {
      for (const r of info.disks) {
        const stage = stagedName(join(config.project.stateDir, r));
        staged.push(stage);
        await copySparse(join(dir, DISKS_DIR, r), stage);
        if (byDisk.has(r)) journal.adopt.push({ disk: r, file: machineRel(config, stage) });
        else journal.renames.push({ from: machineRel(config, stage), to: r });
      }
      if (info.memory) {
        const target = suspendStatePath(projectDir, config.name);
        const stage = stagedName(target);
        staged.push(stage);
        await copySparse(join(dir, SNAPSHOT_MEMORY_FILE), stage);
        journal.renames.push({ from: machineRel(config, stage), to: machineRel(config, target) });
      }
    } catch (err) {
      await Promise.all(staged.map((f) => rm(f, { force: true })));
      throw err;
    }
    await onChain(config.name, () => commitRestore(projectDir, config, journal));
    // The dropped tops' layers that no snapshot keeps go.
    await collapseAll(projectDir, config, chains, root);
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
