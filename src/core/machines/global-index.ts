// The per-user index of machines across projects ($VM_HOME/index.json): written atomically under its
// own lock, so concurrent commands in different projects never lose each other's entries.
import { mkdir } from 'node:fs/promises';
import type { EngineName } from '../../model/machine-config.js';
import { UserError } from '../errors.js';
import { storeIndexFile, storeIndexLock, storeRoot, type StoreLocation } from '../paths.js';
import { withLock } from './lock.js';
import type { ProcessIdentity } from './process-identity.js';
import { fsUserError, readJsonFile, writeFileAtomic } from './safe-fs.js';

export const INDEX_FORMAT = 1;

export interface IndexEntry {
  /** Absolute project folder (the one holding the Vmfile and .vm/). */
  project: string;
  vmfile?: string;
  name: string;
  engine: EngineName;
  /** Last state a command recorded (global-status re-checks it). */
  state: string;
  box?: { name: string; version: string };
  /** `engine: libvirt`: the host's URI (global-status lists vm's domains there). */
  libvirtUri?: string;
  /** The engine process of a running machine: global-status never prunes a machine whose engine still
   *  runs, and finds its project by the engine's open files when the folder was moved. */
  engineProcess?: ProcessIdentity;
  updatedAt: string;
}

const sameMachine = (a: { project: string; name: string }, b: { project: string; name: string }): boolean =>
  a.project === b.project && a.name === b.name;

function parseIndex(raw: unknown, file: string): IndexEntry[] {
  const bad = (what: string): never => {
    throw new UserError(`machine index ${file} is damaged: ${what}`, {
      hint: 'move the file away; machines are added back to it as commands run on them',
    });
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) bad('expected an object');
  const o = raw as { format?: unknown; machines?: unknown };
  if (o.format !== INDEX_FORMAT) bad(`'format' must be ${INDEX_FORMAT}`);
  if (!Array.isArray(o.machines)) bad("'machines' must be a list");
  return (o.machines as unknown[]).map((m, i) => {
    const e = m as Record<string, unknown>;
    if (!e || typeof e !== 'object' || typeof e.project !== 'string' || typeof e.name !== 'string' || typeof e.engine !== 'string' || typeof e.state !== 'string') {
      bad(`machines[${i}] needs project, name, engine and state strings`);
    }
    return e as unknown as IndexEntry;
  });
}

/** All indexed machines. A missing index is empty; a damaged one is a UserError naming the file. */
export async function readIndex(loc: StoreLocation = {}): Promise<IndexEntry[]> {
  const file = storeIndexFile(loc);
  const raw = await readJsonFile(file, 'machine index');
  return raw === undefined ? [] : parseIndex(raw, file);
}

/** Read-modify-write of the index under its lock. */
export async function updateIndex(loc: StoreLocation, change: (entries: IndexEntry[]) => IndexEntry[]): Promise<IndexEntry[]> {
  const root = storeRoot(loc);
  try {
    await mkdir(root, { recursive: true, mode: 0o700 });
  } catch (err) {
    fsUserError(err, root, 'creating the store');
  }
  return withLock(storeIndexLock(loc), 'vm (machine index update)', { what: 'the global machine index', exitCode: 1 }, async () => {
    const next = change(await readIndex(loc));
    await writeFileAtomic(storeIndexFile(loc), `${JSON.stringify({ format: INDEX_FORMAT, machines: next }, null, 2)}\n`);
    return next;
  });
}

/** Adds or refreshes one machine's entry. */
export async function recordMachine(entry: Omit<IndexEntry, 'updatedAt'>, loc: StoreLocation = {}): Promise<void> {
  const full: IndexEntry = { ...entry, updatedAt: new Date().toISOString() };
  if (full.vmfile === undefined) delete full.vmfile;
  if (full.engineProcess === undefined) delete full.engineProcess;
  await updateIndex(loc, (all) => [...all.filter((e) => !sameMachine(e, entry)), full]);
}

/** Drops one machine's entry (after destroy). */
export async function forgetMachine(project: string, name: string, loc: StoreLocation = {}): Promise<void> {
  await updateIndex(loc, (all) => all.filter((e) => !sameMachine(e, { project, name })));
}
