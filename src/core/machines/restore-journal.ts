// A snapshot restore changes several things that are each replaced atomically on their own: every
// disk's chain (a new top on the snapshot's layer, disk-chain.ts), the saved memory (suspend.state)
// and the machine's record. Together they go through this journal so that a kill -9 at any point
// leaves the machine as it was or as the snapshot, never a mix (the root disk of one and an extra
// disk of the other): everything the restore installs is first written and synced under temporary
// names (`<target>.restore-<pid>`), then the journal naming every step is written atomically (the
// commit point), then the steps run; each is safe to run again, so every command that takes the
// machine's lock first finishes a journal a crash left (rolling forward) and then deletes it.
// Without a journal only temporary files can be left, and they are deleted.
import { link, lstat, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import type { MachineConfig } from '../../model/machine-config.js';
import type { DiskChain } from '../../engines/shared/disk-chain.js';
import { syncDir, writeFileAtomic } from '../../engines/shared/atomic-file.js';
import { UserError } from '../errors.js';
import { engineFor } from '../lifecycle/engine/engine-for.js';
import { saveState, stoppedState, suspendedState } from '../lifecycle/machine-record.js';
import { killPoint } from '../lifecycle/test-hooks.js';
import { machineDir } from '../paths.js';
import { readMachineState } from './state.js';
import { suspendStatePath } from './suspend-file.js';

export const RESTORE_JOURNAL_FILE = 'restore-journal.json';
const JOURNAL_FORMAT = 'vm-restore-journal';
const JOURNAL_VERSION = 1;
/** What staged files are called: the target's name and this, then the pid. */
const STAGE = /\.restore-\d+$/;

export interface RestoreJournal {
  format: typeof JOURNAL_FORMAT;
  version: typeof JOURNAL_VERSION;
  snapshot: string;
  /** Chains to put on the snapshot's layer: the chain's top (relative to the machine's folder) and the layer. */
  layers: { disk: string; id: string }[];
  /** Full copies of a chain's top (snapshots of an older vm), staged, that become the top. */
  adopt: { disk: string; file: string }[];
  /** Staged files renamed over their targets (the memory, raw disks of an older vm's snapshots), relative. */
  renames: { from: string; to: string }[];
  /** With memory the machine is left suspended at the snapshot's moment, else halted. */
  memory: boolean;
}

/** The staged name of `target` for a restore by this process. */
export const stagedName = (target: string): string => `${target}.restore-${process.pid}`;

const journalPath = (projectDir: string, machine: string): string => join(machineDir(projectDir, machine), RESTORE_JOURNAL_FILE);

/** `path` relative to the machine's folder, which it must be inside. */
export function machineRel(config: MachineConfig, path: string): string {
  const rel = relative(config.project.stateDir, path);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new UserError(`disk ${path} is outside the machine's folder; vm cannot snapshot it`);
  return rel;
}

const exists = async (p: string): Promise<boolean> => (await lstat(p).catch(() => undefined)) !== undefined;

/** Write the journal (the restore is decided from here on), then carry it out. */
export async function commitRestore(projectDir: string, config: MachineConfig, j: Omit<RestoreJournal, 'format' | 'version'>): Promise<void> {
  killPoint('restore-staged');
  const journal: RestoreJournal = { format: JOURNAL_FORMAT, version: JOURNAL_VERSION, ...j };
  await writeFileAtomic(journalPath(projectDir, config.name), `${JSON.stringify(journal, null, 2)}\n`);
  killPoint('restore-journaled');
  await applyJournal(projectDir, config, journal);
}

/**
 * Finish a restore a crash interrupted, or delete what a restore staged before it was decided.
 * Every command that changes the machine calls it first, holding the machine's lock.
 */
export async function finishPendingRestore(projectDir: string, config: MachineConfig): Promise<void> {
  const file = journalPath(projectDir, config.name);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`cannot read ${file}: ${(err as Error).message}`);
    await sweepStaged(config, [dirname(suspendStatePath(projectDir, config.name))]);
    return;
  }
  let j: RestoreJournal;
  try {
    j = JSON.parse(text) as RestoreJournal;
  } catch {
    j = {} as RestoreJournal;
  }
  if (j.format !== JOURNAL_FORMAT || j.version !== JOURNAL_VERSION || !Array.isArray(j.layers) || !Array.isArray(j.adopt) || !Array.isArray(j.renames)) {
    throw new UserError(`machine '${config.name}': the interrupted snapshot restore recorded in ${file} cannot be read (damaged, or written by another version of vm)`, {
      hint: `restore the snapshot again (\`vm snapshot restore ${config.name} SNAP\`) after deleting ${file}, or \`vm destroy\` the machine`,
    });
  }
  await applyJournal(projectDir, config, j);
}

async function applyJournal(projectDir: string, config: MachineConfig, j: RestoreJournal): Promise<void> {
  const state = await readMachineState(projectDir, config.name);
  if (!state) throw new UserError(`machine '${config.name}' has an interrupted snapshot restore but no state record`, { hint: '`vm destroy` it' });
  const chains = new Map<string, DiskChain>((await engineFor({ ...config, engine: state.engine })).diskChains(config).map((c) => [machineRel(config, c.topPath), c]));
  const chainOf = (disk: string): DiskChain => {
    const c = chains.get(disk);
    if (!c) throw new UserError(`machine '${config.name}': the interrupted snapshot restore names disk ${disk}, which the machine no longer has`, { hint: 'restore the Vmfile it was taken with' });
    return c;
  };
  const abs = (rel: string): string => join(config.project.stateDir, rel);
  // A restore of a chain makes an empty top on the layer: done again, the disk reads the same.
  for (const l of j.layers) {
    await chainOf(l.disk).restore(l.id);
    killPoint('restore-disk');
  }
  for (const a of j.adopt) {
    // The staged copy stays until the end, so this step can be done again: the top is a second name of it.
    if (!(await exists(abs(a.file)))) continue;
    const second = `${abs(a.file)}.top`;
    await unlink(second).catch(() => {});
    await link(abs(a.file), second);
    await chainOf(a.disk).adoptTop(second);
  }
  for (const r of j.renames) {
    if (await exists(abs(r.from))) await rename(abs(r.from), abs(r.to));
  }
  if (!j.memory) await unlink(suspendStatePath(projectDir, config.name)).catch(() => {});
  await syncDir(config.project.stateDir);
  await saveState(projectDir, j.memory ? suspendedState(state) : stoppedState(state), { vmfile: config.project.vmfile });
  killPoint('restore-state-saved');
  for (const a of j.adopt) await unlink(abs(a.file)).catch(() => {});
  await unlink(journalPath(projectDir, config.name));
  await syncDir(config.project.stateDir);
}

/** Delete files a restore staged before its journal was written. */
async function sweepStaged(config: MachineConfig, extra: string[]): Promise<void> {
  const dirs = new Set([config.project.stateDir, ...extra, ...config.disks.map((d) => dirname(d.path))]);
  for (const dir of dirs) {
    for (const f of await readdir(dir).catch(() => [] as string[])) if (STAGE.test(f) || /\.restore-\d+\.top$/.test(f)) await unlink(join(dir, f)).catch(() => {});
  }
}
