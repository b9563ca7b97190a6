// `vm global-status`: every indexed machine with its state re-read from its project, and pruning of
// entries whose project or machine is gone. A machine whose engine still runs is never pruned; when
// its project folder was moved, the engine's open files (its state folder) say where to.
import { lstat } from 'node:fs/promises';
import { sep } from 'node:path';
import { PROJECT_MACHINES_DIR, PROJECT_STATE_DIR, type StoreLocation } from '../paths.js';
import { readIndex, updateIndex, type IndexEntry } from './global-index.js';
import { isAlive, processPaths, type ProcessIdentity } from './process-identity.js';
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
  /** The project folder the index had, when the machine was found moved to `project`. */
  movedFrom?: string;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

function liveEngine(e: IndexEntry): ProcessIdentity | undefined {
  const who = e.engineProcess;
  return who && typeof who === 'object' && Number.isSafeInteger(who.pid) && isAlive(who) ? who : undefined;
}

/** The project folder that now holds machine `name` run by `pid`, read off the engine's own paths. */
function movedProject(pid: number, name: string): string | undefined {
  const marker = `${sep}${PROJECT_STATE_DIR}${sep}${PROJECT_MACHINES_DIR}${sep}${name}`;
  for (const p of processPaths(pid)) {
    const at = p.indexOf(marker);
    if (at > 0 && (p.length === at + marker.length || p[at + marker.length] === sep)) return p.slice(0, at);
  }
  return undefined;
}

async function inspectAt(project: string, e: IndexEntry, extra: Partial<GlobalMachine> = {}): Promise<GlobalMachine> {
  const base = { project, name: e.name, engine: e.engine, box: e.box, ...extra };
  const engine = e.engine === 'qemu' || e.engine === 'libvirt' ? e.engine : 'builtin';
  try {
    const v = await inspectMachine(project, e.name, engine);
    const box = v.state ? { name: v.state.box.name, version: v.state.box.version } : e.box;
    const detail = [extra.detail, v.detail].filter(Boolean).join('; ') || undefined;
    return { ...base, engine: v.engine, box, status: v.status, ...(detail ? { detail } : {}), pid: v.pid, stale: v.status === 'not created' && !liveEngine(e) };
  } catch (err) {
    return { ...base, status: 'broken', detail: (err as Error).message, stale: false };
  }
}

async function look(e: IndexEntry): Promise<GlobalMachine> {
  if (await exists(e.project)) return inspectAt(e.project, e);
  const live = liveEngine(e);
  const base = { project: e.project, name: e.name, engine: e.engine, box: e.box };
  if (!live) return { ...base, status: 'missing', detail: 'project folder is gone', stale: true };
  const moved = movedProject(live.pid, e.name);
  if (moved && (await exists(moved))) return inspectAt(moved, e, { movedFrom: e.project, detail: `project moved from ${e.project}` });
  return { ...base, status: 'missing', detail: `project folder is gone, but its engine (pid ${live.pid}) still runs`, pid: live.pid, stale: false };
}

/** Every indexed machine, freshly inspected, sorted by project then name. */
export async function globalStatus(loc: StoreLocation = {}): Promise<GlobalMachine[]> {
  const entries = await readIndex(loc);
  const looked = await Promise.all(entries.map(look));
  // A moved machine already indexed at its new folder (a command ran there) is listed once.
  const indexed = new Set(entries.map((e) => `${e.project}\0${e.name}`));
  const all = looked.filter((m) => !m.movedFrom || !indexed.has(`${m.project}\0${m.name}`));
  return all.sort((a, b) => a.project.localeCompare(b.project) || a.name.localeCompare(b.name));
}

/**
 * Drops entries whose project is gone or whose machine no longer exists, and points moved machines
 * at their new folder; returns what was dropped or moved. Entries whose engine still runs stay.
 */
export async function pruneIndex(loc: StoreLocation = {}): Promise<GlobalMachine[]> {
  const changed: GlobalMachine[] = [];
  const current = await Promise.all((await readIndex(loc)).map(look));
  const key = (m: { project: string; name: string }) => `${m.project}\0${m.name}`;
  const byOldKey = new Map(current.map((m) => [key({ project: m.movedFrom ?? m.project, name: m.name }), m] as const));
  await updateIndex(loc, (entries) =>
    entries.flatMap((e) => {
      const m = byOldKey.get(key(e));
      if (!m) return [e];
      // Re-checked under the index lock: an engine that started meanwhile keeps its entry.
      if (m.stale && !liveEngine(e)) {
        changed.push(m);
        return [];
      }
      if (m.movedFrom) {
        changed.push(m);
        if (entries.some((other) => other.project === m.project && other.name === e.name)) return [];
        return [{ ...e, project: m.project, ...(e.vmfile?.startsWith(`${m.movedFrom}${sep}`) ? { vmfile: m.project + e.vmfile.slice(m.movedFrom.length) } : {}) }];
      }
      return [e];
    }),
  );
  return changed;
}
