// The per-user box store ($VM_HOME/boxes/NAME/VERSION/): verified, atomic add (stage in the store's
// tmp/, then one rename), listing, and removal that refuses while an indexed machine uses the box.
// NAME/VERSION is a symlink to its content folder NAME/.VERSION.box-…: replacing a box (--force)
// renames a new link over the old one, so a reader finds the old box or the new one, never none.
// Adds and removes of one NAME/VERSION hold its lock (store-root locks/) while they change it.
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rename, rm, rmdir, stat, symlink } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import {
  BOX_MANIFEST_FILE,
  BOX_ORIGIN_FILE,
  storeBoxDir,
  storeBoxNameDir,
  storeBoxesDir,
  storeRoot,
  storeTmpDir,
  type StoreLocation,
} from '../paths.js';
import { fsUserError, isErrno, readJsonFile, writeFileAtomic } from '../machines/safe-fs.js';
import { syncDir } from '../../engines/shared/atomic-file.js';
import { currentBootId, isAlive } from '../machines/process-identity.js';
import { withLock } from '../machines/lock.js';
import { readIndex } from '../machines/global-index.js';
import { readMachineState } from '../machines/state.js';
import { parseManifest, sha256Hex, type BoxManifest } from './manifest.js';
import { sortVersionsDesc } from './semver.js';
import { stageArchive, stageFolder } from './stage.js';
import type { TarLimits } from './tar-reader.js';

/** Under the store root: the per-NAME/VERSION lock files. */
const STORE_LOCKS_DIR = 'locks';

export const BOX_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface BoxOrigin {
  source: 'added' | 'bundled';
  /** Absolute path or URL it was added from. */
  from: string;
  addedAt: string;
}

export interface StoredBox {
  /** The store folder's name (a box added with --name keeps its box.json untouched). */
  name: string;
  version: string;
  dir: string;
  manifest?: BoxManifest;
  checksum?: string;
  origin?: BoxOrigin;
  /** Why the stored copy is unusable, when it is. */
  error?: string;
}

export function assertBoxName(name: string): void {
  if (!BOX_NAME_PATTERN.test(name)) {
    throw new UserError(`invalid box name '${name}': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
}

/** Creates the store root (0700: the index lists the user's projects), boxes/, locks/ and tmp/. */
export async function ensureStore(loc: StoreLocation = {}): Promise<void> {
  for (const dir of [storeRoot(loc), storeBoxesDir(loc), join(storeRoot(loc), STORE_LOCKS_DIR), storeTmpDir(loc)]) {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      fsUserError(err, dir, 'creating');
    }
  }
}

/** Temp names carry the creator's pid and boot id so leftovers of killed processes can be swept. */
export const tempPrefix = (kind: string): string => `${kind}-${process.pid}-${currentBootId().replace(/-/g, '').slice(0, 8) || 'noboot'}-`;
const TEMP_NAME = /^(add|old|del|dl)-(\d+)-([0-9a-f]{8}|noboot)-/;

/** A content folder or link being placed beside NAME/VERSION; the creator's pid lets a sweep tell leftovers. */
const PLACED_NAME = /^\.(.+)\.(box|link)-(\d+)-([0-9a-f]{8}|noboot)-[0-9a-f]+$/;
const placedName = (version: string, kind: 'box' | 'link'): string => `.${version}.${tempPrefix(kind)}${randomBytes(6).toString('hex')}`;

/** Removes temp folders left by vm processes that died (SIGKILL, power loss) mid-add or mid-remove. */
export async function sweepStaleTemp(loc: StoreLocation = {}): Promise<string[]> {
  const tmp = storeTmpDir(loc);
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(tmp);
  } catch {
    return removed;
  }
  const boot = currentBootId().replace(/-/g, '').slice(0, 8) || 'noboot';
  for (const n of names) {
    const m = TEMP_NAME.exec(n);
    if (!m) continue;
    const pid = Number(m[2]);
    if (m[3] === boot && isAlive({ pid, bootId: '' })) continue;
    await rm(join(tmp, n), { recursive: true, force: true }).catch(() => undefined);
    removed.push(n);
  }
  removed.push(...(await sweepPlaced(loc, boot)));
  return removed;
}

/** Content folders and links beside NAME/VERSION that a dead process left unreferenced (killed mid-swap). */
async function sweepPlaced(loc: StoreLocation, boot: string): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(storeBoxesDir(loc)).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const nameDir = storeBoxNameDir(name, loc);
    const entries = await readdir(nameDir).catch(() => [] as string[]);
    const leftovers = entries.filter((e) => {
      const m = PLACED_NAME.exec(e);
      return m && !(m[4] === boot && isAlive({ pid: Number(m[3]), bootId: '' }));
    });
    if (leftovers.length === 0) continue;
    const inUse = new Set<string>();
    for (const e of entries) {
      if (!e.startsWith('.')) inUse.add(await readlink(join(nameDir, e)).catch(() => ''));
    }
    for (const e of leftovers) {
      if (inUse.has(e)) continue;
      await rm(join(nameDir, e), { recursive: true, force: true }).catch(() => undefined);
      removed.push(`${name}/${e}`);
    }
  }
  return removed;
}

/** Reads one stored version; damage is reported in `error`, never thrown. */
export async function readStoredBox(name: string, version: string, loc: StoreLocation = {}): Promise<StoredBox | undefined> {
  const dir = storeBoxDir(name, version, loc);
  try {
    const st = await lstat(dir);
    if (st.isSymbolicLink()) {
      // Only vm's own link to a content folder beside it is followed.
      const target = await readlink(dir);
      if (!PLACED_NAME.test(target)) return { name, version, dir, error: `${dir} is a link to ${target}, not to a box in the store` };
    } else if (!st.isDirectory()) return { name, version, dir, error: `${dir} is not a folder` };
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    return { name, version, dir, error: (err as Error).message };
  }
  const box: StoredBox = { name, version, dir };
  try {
    const bytes = await readFile(join(dir, BOX_MANIFEST_FILE));
    // Validated in full when it was added; here only the fast shape check.
    box.manifest = parseManifest(bytes.toString('utf8'), join(dir, BOX_MANIFEST_FILE), { trusted: true });
    box.checksum = sha256Hex(bytes);
    if (box.manifest.version !== version) box.error = `box.json says version ${box.manifest.version} but it is stored as ${version}`;
  } catch (err) {
    box.error = isErrno(err, 'ENOENT') ? `${join(dir, BOX_MANIFEST_FILE)} is missing` : (err as Error).message;
  }
  try {
    const origin = (await readJsonFile(join(dir, BOX_ORIGIN_FILE), 'box origin file')) as BoxOrigin | undefined;
    if (origin && (origin.source === 'added' || origin.source === 'bundled')) box.origin = origin;
  } catch {
    // the origin note is informative only
  }
  return box;
}

/** Every stored box version, sorted by name then version (highest first). */
export async function listStored(loc: StoreLocation = {}): Promise<StoredBox[]> {
  const out: StoredBox[] = [];
  let names: string[];
  try {
    names = (await readdir(storeBoxesDir(loc))).sort();
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return out;
    fsUserError(err, storeBoxesDir(loc), 'reading');
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    let versions: string[];
    try {
      versions = await readdir(storeBoxNameDir(name, loc));
    } catch {
      continue;
    }
    for (const version of sortVersionsDesc(versions.filter((v) => !v.startsWith('.')))) {
      const box = await readStoredBox(name, version, loc);
      if (box) out.push(box);
    }
  }
  return out;
}

export interface AddOptions {
  /** Store it under this name instead of box.json's. */
  name?: string;
  /** Replace an existing NAME/VERSION. */
  force?: boolean;
  origin?: BoxOrigin['source'];
  /** Treat an existing NAME/VERSION with the same box.json as success (bundled materialization). */
  acceptIdentical?: boolean;
  /** Recorded as where the box came from instead of `source` (a download's URL). */
  originFrom?: string;
  /** Refuse unless the box.json inside has this sha256 (bundled box.json beside its archive). */
  expectChecksum?: string;
  limits?: TarLimits;
  /** Free space an add never eats into (default: DiskRoom's reserve). */
  minFreeBytes?: number;
  loc?: StoreLocation;
}

export interface AddResult {
  box: StoredBox & { manifest: BoxManifest; checksum: string };
  /** An earlier copy of NAME/VERSION was replaced (--force). */
  replaced: boolean;
  /** An identical copy was already there (acceptIdentical). */
  alreadyPresent: boolean;
}

/** Removes the stage if the process is interrupted mid-add: an interrupted add leaves nothing. */
function guardSignals(stage: string): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const handler = (sig: NodeJS.Signals): void => {
    rmSync(stage, { recursive: true, force: true });
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[sig]!);
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

/** Adds and removes of one NAME/VERSION in this process, queued (the file lock is per process). */
const inProcess = new Map<string, Promise<void>>();

/**
 * Runs `fn` holding NAME/VERSION's store lock: one add or remove of it at a time, across processes
 * (a file lock) and within one (`vm up --parallel` installing the same bundled box twice). Holders
 * only check and rename, so a second add waits a moment rather than failing.
 */
async function withBoxLock<T>(name: string, version: string, loc: StoreLocation, command: string, fn: () => Promise<T>): Promise<T> {
  await ensureStore(loc);
  const path = join(storeRoot(loc), STORE_LOCKS_DIR, `box-${name}@${version}.lock`);
  const before = inProcess.get(path) ?? Promise.resolve();
  let done!: () => void;
  const mine = before.then(() => new Promise<void>((r) => (done = r)));
  inProcess.set(path, mine);
  await before;
  try {
    return await withLock(path, command, { what: `box '${name}' ${version} in the store` }, fn);
  } finally {
    done();
    if (inProcess.get(path) === mine) inProcess.delete(path);
  }
}

/**
 * Makes the verified `stage` NAME/VERSION: moved beside it as a content folder, then a link to it
 * renamed over NAME/VERSION in one step. Returns what the caller deletes: the replaced content
 * (moved into tmp/, where a sweep finds it if this process dies first), if there was one.
 */
async function swapIn(stage: string, name: string, version: string, loc: StoreLocation): Promise<string | undefined> {
  const nameDir = storeBoxNameDir(name, loc);
  const dest = storeBoxDir(name, version, loc);
  const content = join(nameDir, placedName(version, 'box'));
  const link = join(nameDir, placedName(version, 'link'));
  await mkdir(nameDir, { recursive: true, mode: 0o755 });
  await rename(stage, content);
  let trash: string | undefined;
  let oldTarget: string | undefined;
  try {
    await symlink(basename(content), link);
    const prev = await lstat(dest).catch(() => undefined);
    if (prev) trash = await mkdtemp(join(storeTmpDir(loc), tempPrefix('old')));
    if (prev?.isSymbolicLink()) oldTarget = await readlink(dest);
    else if (prev) {
      // A folder from a store written before links: it has to move aside first (a moment without it).
      await rename(dest, join(trash!, 'box'));
    }
    await rename(link, dest);
  } catch (err) {
    await rm(link, { force: true }).catch(() => undefined);
    await rm(content, { recursive: true, force: true }).catch(() => undefined);
    if (trash !== undefined) await rm(trash, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  // Only now, with the new link in place, is the old content unreferenced.
  if (oldTarget !== undefined && PLACED_NAME.test(oldTarget)) await rename(join(nameDir, oldTarget), join(trash!, 'box')).catch(() => undefined);
  await syncDir(nameDir);
  return trash;
}

/**
 * Adds a box from a folder or a .box archive (tar, optionally gzip). It is extracted or copied into a
 * private stage inside the store, box.json validated, every checksum verified, then renamed into
 * boxes/NAME/VERSION in one step. Any failure removes the stage; the store is left as it was.
 */
export async function addBox(source: string, opts: AddOptions = {}): Promise<AddResult> {
  const loc = opts.loc ?? {};
  if (opts.name !== undefined) assertBoxName(opts.name);
  let kind: 'folder' | 'archive';
  try {
    // The source path is the user's own argument: following a link to it is fine. Inside it, nothing is followed.
    const st = await stat(source);
    if (st.isDirectory()) kind = 'folder';
    else if (st.isFile()) kind = 'archive';
    else throw new UserError(`${source} is neither a folder nor a box archive file`);
  } catch (err) {
    if (err instanceof UserError) throw err;
    if (isErrno(err, 'ENOENT')) throw new UserError(`${source} does not exist`, { hint: 'pass a box folder (with box.json) or a .box archive' });
    fsUserError(err, source, 'reading');
  }
  await ensureStore(loc);
  await sweepStaleTemp(loc);
  const stage = await mkdtemp(join(storeTmpDir(loc), tempPrefix('add')));
  const unguard = guardSignals(stage);
  try {
    const how = { storeDir: storeRoot(loc), minFreeBytes: opts.minFreeBytes, limits: opts.limits, shownAs: opts.originFrom };
    const staged = kind === 'folder' ? await stageFolder(source, stage, how) : await stageArchive(source, stage, how);
    if (opts.expectChecksum !== undefined && staged.checksum !== opts.expectChecksum) {
      throw new UserError(`${source}: the box.json inside differs from the box.json beside it (sha256 ${staged.checksum} vs ${opts.expectChecksum})`);
    }
    const name = opts.name ?? staged.manifest.name;
    assertBoxName(name);
    const version = staged.manifest.version;
    const origin: BoxOrigin = { source: opts.origin ?? 'added', from: opts.originFrom ?? source, addedAt: new Date().toISOString() };
    await writeFileAtomic(join(stage, BOX_ORIGIN_FILE), `${JSON.stringify(origin, null, 2)}\n`, 0o644);
    await chmod(stage, 0o755);
    const dest = storeBoxDir(name, version, loc);
    const result = (replaced: boolean, alreadyPresent: boolean): AddResult => ({
      box: { name, version, dir: dest, manifest: staged.manifest, checksum: staged.checksum, origin },
      replaced,
      alreadyPresent,
    });
    let old: string | undefined;
    const placed = await withBoxLock(name, version, loc, 'vm box add', async () => {
      const existing = await readStoredBox(name, version, loc);
      if (existing) {
        if (opts.acceptIdentical && !existing.error && existing.checksum === staged.checksum) return result(false, true);
        if (!opts.force) {
          throw new UserError(`box '${name}' ${version} is already in the store (${dest})`, { hint: 'pass --force to replace it' });
        }
      }
      old = await swapIn(stage, name, version, loc);
      return result(existing !== undefined, false);
    });
    // The replaced copy is deleted out of the lock: others may go on meanwhile.
    if (old !== undefined) await rm(old, { recursive: true, force: true }).catch(() => undefined);
    return placed;
  } catch (err) {
    if (isErrno(err, 'ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS')) fsUserError(err, storeRoot(loc), 'adding a box to');
    throw err;
  } finally {
    unguard();
    await rm(stage, { recursive: true, force: true }).catch(() => undefined);
  }
}

export interface BoxUser {
  project: string;
  machine: string;
}

/** Machines in the global index created from NAME/VERSION (their state file is the authority). */
export async function machinesUsing(name: string, version: string, loc: StoreLocation = {}): Promise<BoxUser[]> {
  const users: BoxUser[] = [];
  for (const e of await readIndex(loc)) {
    let box = e.box;
    try {
      const st = await readMachineState(e.project, e.name);
      if (!st) continue; // destroyed since it was indexed
      box = st.box;
    } catch {
      // unreadable state: fall back to what the index recorded
    }
    if (box && box.name === name && box.version === version) users.push({ project: e.project, machine: e.name });
  }
  return users;
}

export interface RemoveOptions {
  version?: string;
  all?: boolean;
  force?: boolean;
  loc?: StoreLocation;
}

/** Removes stored versions of a box; refuses while an indexed machine uses one, unless force. */
export async function removeBox(name: string, opts: RemoveOptions = {}): Promise<StoredBox[]> {
  const loc = opts.loc ?? {};
  assertBoxName(name);
  const stored = (await listStored(loc)).filter((b) => b.name === name);
  if (stored.length === 0) {
    // Imported here: bundled.ts imports this module for addBox.
    const { listBundled, isBroken } = await import('./bundled.js');
    const bundled = (await listBundled(loc)).some((b) => !isBroken(b) && b.name === name);
    if (bundled) throw new UserError(`box '${name}' is bundled with vm and not installed in the store; there is nothing to remove`);
    throw new UserError(`box '${name}' is not in the store`, { hint: 'see `vm box list`' });
  }
  let targets: StoredBox[];
  if (opts.version !== undefined) {
    targets = stored.filter((b) => b.version === opts.version);
    if (targets.length === 0) {
      throw new UserError(`box '${name}' has no version ${opts.version} in the store (stored: ${stored.map((b) => b.version).join(', ')})`);
    }
  } else if (stored.length > 1 && !opts.all) {
    throw new UserError(`box '${name}' has ${stored.length} versions in the store (${stored.map((b) => b.version).join(', ')})`, {
      hint: 'pass --version VERSION, or --all to remove every version',
    });
  } else targets = stored;

  if (!opts.force) {
    for (const b of targets) {
      const users = await machinesUsing(name, b.version, loc);
      if (users.length > 0) {
        const list = users.map((u) => `'${u.machine}' in ${u.project}`).join(', ');
        throw new UserError(`box '${name}' ${b.version} is used by machine ${list}`, {
          hint: 'destroy the machine first, or pass --force to remove the box anyway',
        });
      }
    }
  }
  await ensureStore(loc);
  for (const b of targets) {
    // Rename first so the version disappears at once; the slow delete happens out of sight.
    const trash = await mkdtemp(join(storeTmpDir(loc), tempPrefix('del')));
    await withBoxLock(name, b.version, loc, 'vm box remove', async () => {
      const target = await readlink(b.dir).catch(() => undefined);
      await rename(b.dir, join(trash, 'box')).catch((err) => {
        if (!isErrno(err, 'ENOENT')) fsUserError(err, b.dir, 'removing'); // ENOENT: removed meanwhile
      });
      if (target !== undefined && PLACED_NAME.test(target)) {
        await rename(join(storeBoxNameDir(name, loc), target), join(trash, 'content')).catch(() => undefined);
      }
    });
    await rm(trash, { recursive: true, force: true });
  }
  await rmdir(storeBoxNameDir(name, loc)).catch(() => undefined); // only succeeds when now empty
  return targets;
}
