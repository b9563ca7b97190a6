// Vmfile.lock: the boxes a project's machines resolved to (name, version, architecture, sha256 of
// box.json, the URL when one was given), written by the first `vm up` and meant to be committed,
// like package-lock.json, so a checked-in Vmfile gets the same box everywhere. Later resolutions are
// pinned to the locked version; a store holding different bytes under it is an error.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Arch, MachineConfig } from '../../model/machine-config.js';
import { satisfies } from '../boxes/semver.js';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../machines/safe-fs.js';
import type { BoxResolver, BoxSource } from './resolvers.js';

export const LOCK_FORMAT_VERSION = 1;

export interface LockEntry {
  box: string;
  version: string;
  architecture: Arch;
  /** sha256 of the box's box.json (BoxRef.checksum). */
  sha256: string;
  /** The Vmfile's `box.url`, when the box came from one. */
  url?: string;
}

export interface VmfileLock {
  lockfileVersion: typeof LOCK_FORMAT_VERSION;
  machines: Record<string, LockEntry>;
}

/** How a command treats the lock: pin and record (`vm up`), re-resolve and record (`--update-lock`), or pin and refuse any change (`vm validate --locked`). */
export type LockMode = 'use' | 'update' | 'frozen';

/** `Vmfile` -> `Vmfile.lock`, beside it. */
export const lockPathFor = (vmfile: string): string => join(dirname(vmfile), `${basename(vmfile)}.lock`);

const HOW_TO_UPDATE = 'run `vm up --update-lock` to resolve the boxes again and record them (commit the new Vmfile.lock)';

/** Reads a lock file; undefined when there is none. A malformed one is an error naming it. */
export function readLock(path: string): VmfileLock | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const bad = (why: string): never => {
    throw new UserError(`${path} is not a valid lock file: ${why}`, { hint: `delete it and ${HOW_TO_UPDATE}` });
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return bad(`not JSON (${(err as Error).message})`);
  }
  const o = raw as Partial<VmfileLock>;
  if (!o || typeof o !== 'object' || Array.isArray(o)) return bad('not a JSON object');
  if (o.lockfileVersion !== LOCK_FORMAT_VERSION) return bad(`lockfileVersion is ${JSON.stringify(o.lockfileVersion)}, this vm reads ${LOCK_FORMAT_VERSION}`);
  if (!o.machines || typeof o.machines !== 'object' || Array.isArray(o.machines)) return bad('machines must be an object');
  const machines: Record<string, LockEntry> = Object.create(null);
  for (const [name, e] of Object.entries(o.machines)) {
    const ok =
      e &&
      typeof e.box === 'string' &&
      typeof e.version === 'string' &&
      (e.architecture === 'riscv64' || e.architecture === 'x86_64') &&
      typeof e.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(e.sha256) &&
      (e.url === undefined || typeof e.url === 'string');
    if (!ok) return bad(`machines.${name} needs box, version, architecture and a sha256 of 64 hex digits`);
    machines[name] = { box: e.box, version: e.version, architecture: e.architecture, sha256: e.sha256, ...(e.url !== undefined ? { url: e.url } : {}) };
  }
  return { lockfileVersion: LOCK_FORMAT_VERSION, machines };
}

/** The lock's text: keys in a fixed order, machines sorted, so the file diffs well. */
export function lockText(lock: VmfileLock): string {
  const machines = Object.fromEntries(
    Object.keys(lock.machines)
      .sort()
      .map((n) => {
        const e = lock.machines[n]!;
        return [n, { box: e.box, version: e.version, architecture: e.architecture, sha256: e.sha256, ...(e.url !== undefined ? { url: e.url } : {}) }];
      }),
  );
  return `${JSON.stringify({ lockfileVersion: LOCK_FORMAT_VERSION, machines }, null, 2)}\n`;
}

/**
 * A resolver that asks for exactly the locked version when the lock holds a version of that box
 * the Vmfile's constraint still admits (so a newer box added to the store changes nothing), and
 * records the URL each box came from. Without a matching lock entry it resolves as `base` does.
 */
export function pinnedResolver(base: BoxResolver, lock: VmfileLock | undefined, urls: Map<string, string>): BoxResolver {
  return async (name, constraint, source?: BoxSource) => {
    if (source?.url) urls.set(name, source.url);
    const locked = lock ? Object.values(lock.machines).find((e) => e.box === name && (constraint === undefined || satisfies(e.version, constraint))) : undefined;
    if (!locked) return base(name, constraint, source);
    try {
      return await base(name, `=${locked.version}`, source);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      throw new UserError(`Vmfile.lock pins box '${name}' ${locked.version} (box.json sha256 ${locked.sha256}), which is not installed: ${err.message}`, {
        hint: `\`vm box add\` that box, or ${HOW_TO_UPDATE}`,
      });
    }
  };
}

export interface LockCheck {
  /** The lock as it should now read. */
  lock: VmfileLock;
  /** Machines added to or changed in the lock, with why. */
  changes: string[];
}

/**
 * Compares the machines' resolved boxes with the lock. The same name and version with a different
 * box.json is always an error (the store holds other bytes than the lock recorded), unless `mode` is
 * update; a machine missing from the lock or resolved to another version is recorded (use, update)
 * or an error (frozen). Entries of machines no longer in the Vmfile are dropped.
 */
export function checkLock(
  path: string,
  lock: VmfileLock | undefined,
  machines: MachineConfig[],
  names: string[],
  urls: Map<string, string>,
  mode: LockMode,
): LockCheck {
  const next: VmfileLock = { lockfileVersion: LOCK_FORMAT_VERSION, machines: {} };
  // Machines whose box could not be resolved here (not downloaded yet) keep their entry.
  for (const n of names) if (lock?.machines[n] && !machines.some((m) => m.name === n)) next.machines[n] = lock.machines[n]!;
  const changes: string[] = [];
  const stale: string[] = [];
  for (const m of machines) {
    const b = m.box;
    const entry: LockEntry = { box: b.name, version: b.version, architecture: b.arch, sha256: b.checksum, ...(urls.has(b.name) ? { url: urls.get(b.name)! } : {}) };
    const old = lock?.machines[m.name];
    next.machines[m.name] = entry;
    if (!old) {
      changes.push(`${m.name}: box '${b.name}' ${b.version} (new)`);
      continue;
    }
    if (old.box === b.name && old.version === b.version) {
      if (old.sha256 !== b.checksum && mode !== 'update') {
        throw new UserError(
          `machine '${m.name}': ${path} locks box '${b.name}' ${b.version} with box.json sha256 ${old.sha256}, but the store holds a different box under that name and version (box.json sha256 ${b.checksum})`,
          { hint: `put the locked box back (\`vm box add --force\` it), or ${HOW_TO_UPDATE}` },
        );
      }
      if (old.sha256 !== b.checksum) changes.push(`${m.name}: box '${b.name}' ${b.version} rebuilt (sha256 ${old.sha256.slice(0, 12)}… -> ${b.checksum.slice(0, 12)}…)`);
      else if (old.url !== entry.url) changes.push(`${m.name}: box '${b.name}' ${b.version} url ${entry.url ?? 'removed'}`);
      continue;
    }
    const why = old.box !== b.name ? `box '${old.box}' -> '${b.name}' ${b.version}` : `box '${b.name}' ${old.version} -> ${b.version}`;
    if (mode === 'frozen') stale.push(`${m.name}: ${why}`);
    changes.push(`${m.name}: ${why}`);
  }
  const dropped = Object.keys(lock?.machines ?? {}).filter((n) => !names.includes(n));
  for (const n of dropped) changes.push(`${n}: removed (no longer in the Vmfile)`);
  if (mode === 'frozen') {
    for (const n of dropped) stale.push(`${n} is in the lock but not in the Vmfile`);
    if (!lock) throw new UserError(`${path} does not exist`, { hint: 'run `vm up` (or `vm up --update-lock`) once and commit the Vmfile.lock it writes' });
    for (const c of changes.filter((c) => c.endsWith('(new)'))) stale.push(c.replace(' (new)', ' is not in the lock'));
    if (stale.length > 0) throw new UserError(`${path} is out of date with the Vmfile: ${stale.join('; ')}`, { hint: HOW_TO_UPDATE });
  }
  return { lock: next, changes };
}

/** Writes the lock (0644: it is meant to be committed) in one rename. */
export async function writeLock(path: string, lock: VmfileLock): Promise<void> {
  await writeFileAtomic(path, lockText(lock), 0o644);
}

/**
 * A command's use of the lock: `resolveBox` to load the project with, then `finish` with what it
 * resolved, which checks the lock and (use, update) writes it when it changed or did not exist.
 */
export function openLock(vmfile: string, mode: LockMode, base: BoxResolver) {
  const path = lockPathFor(vmfile);
  const lock = readLock(path);
  const urls = new Map<string, string>();
  return {
    path,
    resolveBox: pinnedResolver(base, mode === 'update' ? undefined : lock, urls),
    async finish(machines: MachineConfig[], names: string[]): Promise<LockCheck & { written: boolean }> {
      const check = checkLock(path, lock, machines, names, urls, mode);
      const written = mode !== 'frozen' && (!lock || lockText(check.lock) !== lockText(lock));
      if (written) await writeLock(path, check.lock);
      return { ...check, written };
    },
  };
}
