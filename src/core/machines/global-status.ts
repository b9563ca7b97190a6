// `vm global-status`: every indexed machine with its state re-read from its project, the domains vm
// made on the libvirt hosts the index names (a remote host's machines, and ones whose project or
// .vm/ folder is gone), and pruning of entries whose project or machine is gone. A machine whose
// engine still runs, or whose libvirt domain still exists, is never pruned; when its project folder
// was moved, the engine's open files (its state folder) say where to.
import { lstat } from 'node:fs/promises';
import { sep } from 'node:path';
import { PROJECT_MACHINES_DIR, PROJECT_STATE_DIR, type StoreLocation } from '../paths.js';
import { readIndex, updateIndex, type IndexEntry } from './global-index.js';
import { isAlive, processPaths, type ProcessIdentity } from './process-identity.js';
import { inspectMachine, type MachineStatus } from './state.js';
import type { VmDomain } from '../../engines/libvirt/domains.js';

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
  /** `engine: libvirt`: its domain as the libvirt host reports it now. */
  libvirt?: { uri: string; domain: string; state: string };
  /** false: not in this host's index, found by its domain's metadata on a libvirt host the index knows. */
  indexed?: false;
}

export interface GlobalStatusOptions {
  /** Ask the libvirt hosts the index knows for vm's domains (default true). */
  libvirtHosts?: boolean;
  /** A host that could not be asked, in a sentence. */
  warn?: (message: string) => void;
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

/**
 * vm's domains on every libvirt host an index entry names, by `project\0name`. A host that cannot be
 * reached is a warning, not a failure: the rest of the list still stands.
 */
async function libvirtDomains(entries: IndexEntry[], warn?: (m: string) => void): Promise<Map<string, VmDomain>> {
  const uris = [...new Set(entries.filter((e) => e.engine === 'libvirt' && typeof e.libvirtUri === 'string').map((e) => e.libvirtUri!))].sort();
  const found = new Map<string, VmDomain>();
  if (uris.length === 0) return found;
  const { listVmDomains } = await import('../../engines/libvirt/domains.js');
  await Promise.all(
    uris.map(async (uri) => {
      try {
        for (const d of await listVmDomains(uri, process.env.VM_VIRSH || undefined)) found.set(`${d.project}\0${d.name}`, d);
      } catch (err) {
        warn?.(`cannot list vm's domains on ${uri}: ${(err as Error).message}`);
      }
    }),
  );
  return found;
}

const withDetail = (m: GlobalMachine, text: string): string => [m.detail, text].filter(Boolean).join('; ');

/** What the libvirt host says of an indexed machine, folded into its row. */
function withDomain(m: GlobalMachine, d: VmDomain): GlobalMachine {
  const libvirt = { uri: d.uri, domain: d.domain, state: d.state };
  if (m.status === 'not created') {
    // its .vm/ folder was lost: the domain (and its volumes) are still there
    return { ...m, libvirt, stale: false, detail: withDetail(m, `its state folder is gone, but its domain ${d.domain} is ${d.state} on ${d.uri}`) };
  }
  if (m.status === 'missing') return { ...m, libvirt, stale: false, detail: withDetail(m, `its domain ${d.domain} is ${d.state} on ${d.uri}`) };
  return { ...m, libvirt };
}

/** A domain of vm's on a known libvirt host that this host's index does not list. */
async function unindexed(d: VmDomain): Promise<GlobalMachine> {
  const libvirt = { uri: d.uri, domain: d.domain, state: d.state };
  const where = `not in this host's index; its domain ${d.domain} is ${d.state} on ${d.uri}`;
  if (!(await exists(d.project))) return { project: d.project, name: d.name, engine: 'libvirt', status: 'missing', detail: `project folder is gone (${where})`, stale: false, libvirt, indexed: false };
  const m = await inspectAt(d.project, { project: d.project, name: d.name, engine: 'libvirt', state: 'created', updatedAt: '' });
  return { ...m, detail: withDetail(m, where), stale: false, libvirt, indexed: false };
}

/**
 * Every indexed machine, freshly inspected, and every domain of vm's on the libvirt hosts the index
 * knows (remote ones included), sorted by project then name.
 */
export async function globalStatus(loc: StoreLocation = {}, o: GlobalStatusOptions = {}): Promise<GlobalMachine[]> {
  const entries = await readIndex(loc);
  const looked = await Promise.all(entries.map(look));
  // A moved machine already indexed at its new folder (a command ran there) is listed once.
  const indexed = new Set(entries.map((e) => `${e.project}\0${e.name}`));
  let all = looked.filter((m) => !m.movedFrom || !indexed.has(`${m.project}\0${m.name}`));
  if (o.libvirtHosts !== false) {
    const domains = await libvirtDomains(entries, o.warn);
    const seen = new Set<string>();
    all = all.map((m) => {
      const key = `${m.movedFrom ?? m.project}\0${m.name}`;
      const d = m.engine === 'libvirt' ? (domains.get(key) ?? domains.get(`${m.project}\0${m.name}`)) : undefined;
      if (!d) return m;
      seen.add(`${d.project}\0${d.name}`);
      return withDomain(m, d);
    });
    for (const [key, d] of domains) if (!seen.has(key)) all.push(await unindexed(d));
  }
  return all.sort((a, b) => a.project.localeCompare(b.project) || a.name.localeCompare(b.name));
}

/**
 * Drops entries whose project is gone or whose machine no longer exists, and points moved machines
 * at their new folder; returns what was dropped or moved. Entries whose engine still runs stay.
 */
export async function pruneIndex(loc: StoreLocation = {}, o: Pick<GlobalStatusOptions, 'warn'> = {}): Promise<GlobalMachine[]> {
  const changed: GlobalMachine[] = [];
  const entries = await readIndex(loc);
  // an entry whose libvirt domain still exists stays: it is how global-status knows to ask that host
  const domains = await libvirtDomains(entries, o.warn);
  const current = (await Promise.all(entries.map(look))).map((m) => (domains.has(`${m.movedFrom ?? m.project}\0${m.name}`) ? { ...m, stale: false } : m));
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
