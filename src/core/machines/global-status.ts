// `vm global-status`: every indexed machine with its state re-read from its project, and pruning of
// entries whose project or machine is gone.
import { lstat } from 'node:fs/promises';
import type { StoreLocation } from '../paths.js';
import { readIndex, updateIndex, type IndexEntry } from './global-index.js';
import { inspectMachine, type MachineStatus } from './state.js';

export interface GlobalMachine {
  project: string;
  name: string;
  engine: string;
  /** Fresh status; `missing` when the project folder is gone. */
  status: MachineStatus | 'missing';
  detail?: string;
  pid?: number;
  box?: { name: string; version: string };
  /** Whether --prune would drop it. */
  stale: boolean;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

async function look(e: IndexEntry): Promise<GlobalMachine> {
  const base = { project: e.project, name: e.name, engine: e.engine, box: e.box };
  if (!(await exists(e.project))) return { ...base, status: 'missing', detail: 'project folder is gone', stale: true };
  const engine = e.engine === 'qemu' ? 'qemu' : 'builtin';
  try {
    const v = await inspectMachine(e.project, e.name, engine);
    const box = v.state ? { name: v.state.box.name, version: v.state.box.version } : e.box;
    return { ...base, engine: v.engine, box, status: v.status, detail: v.detail, pid: v.pid, stale: v.status === 'not created' };
  } catch (err) {
    return { ...base, status: 'broken', detail: (err as Error).message, stale: false };
  }
}

/** Every indexed machine, freshly inspected, sorted by project then name. */
export async function globalStatus(loc: StoreLocation = {}): Promise<GlobalMachine[]> {
  const entries = await readIndex(loc);
  const all = await Promise.all(entries.map(look));
  return all.sort((a, b) => a.project.localeCompare(b.project) || a.name.localeCompare(b.name));
}

/** Drops entries whose project is gone or whose machine no longer exists; returns what was dropped. */
export async function pruneIndex(loc: StoreLocation = {}): Promise<GlobalMachine[]> {
  const dropped: GlobalMachine[] = [];
  const current = await globalStatus(loc);
  const staleKeys = new Set(current.filter((m) => m.stale).map((m) => `${m.project}\0${m.name}`));
  await updateIndex(loc, (entries) =>
    entries.filter((e) => {
      const stale = staleKeys.has(`${e.project}\0${e.name}`);
      if (stale) dropped.push(current.find((m) => m.project === e.project && m.name === e.name)!);
      return !stale;
    }),
  );
  return dropped;
}
