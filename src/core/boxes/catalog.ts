// What boxes exist (store + bundled, one row per NAME/VERSION) and resolveBox(name, constraint): the
// BoxRef an engine gets, choosing the highest satisfying version and installing a bundled box on first use.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BoxRef } from '../../model/machine-config.js';
import { UserError } from '../errors.js';
import type { StoreLocation } from '../paths.js';
import { manifestSize, toBoxRef, type BoxManifest } from './manifest.js';
import { isBroken, listBundled, materializeBundled, type BundledBox } from './bundled.js';
import { listStored, readStoredBox, type StoredBox } from './store.js';
import { maxSatisfying, parseConstraint, sortVersionsDesc } from './semver.js';
import type { DownloadProgress } from './download.js';
// The compiler's contract for box lookups, implemented here.
import { BoxNotDownloadedError, type BoxSource } from '../vmfile/resolvers.js';

export interface BoxRow {
  name: string;
  version: string;
  architecture?: string;
  engines?: string[];
  /** Sum of the box's file sizes (as declared in box.json). */
  size?: number;
  description?: string;
  /** `store`: added with `vm box add`; `bundled`: shipped with vm (installed on first use). */
  source: 'store' | 'bundled';
  /** Whether a copy is in the store (always for `store`). */
  stored: boolean;
  /** The stored copy, or the bundled folder when not stored yet. */
  path: string;
  checksum?: string;
  error?: string;
}

const row = (m: BoxManifest | undefined): Pick<BoxRow, 'architecture' | 'engines' | 'size' | 'description'> =>
  m ? { architecture: m.architecture, engines: m.engines, size: manifestSize(m), description: m.description } : {};

/** Store and bundled boxes merged, sorted by name then version (highest first). */
export async function listBoxes(loc: StoreLocation = {}): Promise<BoxRow[]> {
  const [stored, bundled] = await Promise.all([listStored(loc), listBundled(loc)]);
  const rows = new Map<string, BoxRow>();
  for (const s of stored) {
    rows.set(`${s.name}\0${s.version}`, {
      name: s.name,
      version: s.version,
      ...row(s.manifest),
      source: s.origin?.source === 'bundled' ? 'bundled' : 'store',
      stored: true,
      path: s.dir,
      checksum: s.checksum,
      ...(s.error ? { error: s.error } : {}),
    });
  }
  for (const b of bundled) {
    if (isBroken(b)) {
      rows.set(`\0${b.folder}`, { name: b.folder.split('/').pop()!, version: '?', source: 'bundled', stored: false, path: b.folder, error: b.error });
      continue;
    }
    const key = `${b.name}\0${b.version}`;
    const have = rows.get(key);
    if (have) {
      if (have.source === 'bundled' || have.checksum === b.checksum) have.source = 'bundled';
      continue;
    }
    rows.set(key, { name: b.name, version: b.version, ...row(b.manifest), source: 'bundled', stored: false, path: b.folder, checksum: b.checksum });
  }
  const all = [...rows.values()];
  const names = [...new Set(all.map((r) => r.name))].sort();
  return names.flatMap((n) => {
    const mine = all.filter((r) => r.name === n);
    return sortVersionsDesc(mine.map((r) => r.version)).map((v) => mine.find((r) => r.version === v)!);
  });
}

/** A stored copy is cheap to sanity-check on every use: each listed file present with its size. */
async function checkStoredFiles(box: StoredBox & { manifest: BoxManifest }): Promise<void> {
  for (const [rel, f] of Object.entries(box.manifest.files)) {
    const path = join(box.dir, ...rel.split('/'));
    const st = await lstat(path).catch(() => undefined);
    if (!st || !st.isFile() || st.size !== f.size) {
      throw new UserError(`stored box '${box.name}' ${box.version} is damaged: ${rel} is ${!st ? 'missing' : !st.isFile() ? 'not a regular file' : `${st.size} bytes, box.json says ${f.size}`}`, {
        hint: `remove it with \`vm box remove ${box.name} --version ${box.version}\` and add it again`,
      });
    }
  }
}

export interface ResolveOptions {
  loc?: StoreLocation;
  /** The Vmfile's `box.url`/`box.checksum`: where a missing box comes from. */
  source?: BoxSource;
  /** Do not download a missing box that has a source: throw BoxNotDownloadedError (vm validate). */
  noDownload?: boolean;
  /** Shown while a missing box downloads (a progress bar in the CLI). */
  onDownload?: (box: string, url: string) => { progress(p: DownloadProgress): void; done(): void };
}

/** No version of the box at all, stored or bundled: the one case a download from `box.url` fixes. */
class BoxNotInstalledError extends UserError {}

interface Choice {
  version: string;
  inStore?: StoredBox;
  fromBundle?: BundledBox;
}

/** Picks the highest stored-or-bundled version of `name` satisfying `constraint`, or says why none fits. */
async function choose(name: string, constraint: string | undefined, loc: StoreLocation): Promise<Choice> {
  if (constraint !== undefined && constraint.trim() !== '' && !parseConstraint(constraint)) {
    throw new UserError(`invalid version constraint '${constraint}' for box '${name}'`, {
      hint: 'use an exact version (1.2.3) or a range: >=1.2, <2, ~1.2, ^1.2.3, 1.2.*',
    });
  }
  const want = constraint?.trim() === '' ? undefined : constraint;
  const [storedAll, bundledAll] = await Promise.all([listStored(loc), listBundled(loc)]);
  const stored = storedAll.filter((b) => b.name === name && !b.error);
  const bundled = bundledAll.filter((b): b is BundledBox => !isBroken(b) && b.name === name);
  const versions = [...new Set([...stored.map((b) => b.version), ...bundled.map((b) => b.version)])];
  const bundledNames = [...new Set(bundledAll.filter((b): b is BundledBox => !isBroken(b)).map((b) => b.name))].sort();
  const bundledHint = bundledNames.length > 0 ? `bundled boxes: ${bundledNames.join(', ')}` : undefined;

  if (versions.length === 0) {
    const damaged = storedAll.find((b) => b.name === name && b.error);
    if (damaged) {
      throw new UserError(`box '${name}' ${damaged.version} in the store is damaged: ${damaged.error}`, {
        hint: `run \`vm box remove ${name} --version ${damaged.version}\` and add it again`,
      });
    }
    throw new BoxNotInstalledError(`box '${name}' is not installed; run \`vm box add PATH --name ${name}\` to add it`, { hint: bundledHint });
  }
  const best = maxSatisfying(versions, want);
  if (best === undefined) {
    const parts = [
      stored.length > 0 ? `stored: ${sortVersionsDesc(stored.map((b) => b.version)).join(', ')}` : '',
      bundled.length > 0 ? `bundled: ${sortVersionsDesc(bundled.map((b) => b.version)).join(', ')}` : '',
    ].filter(Boolean);
    throw new UserError(`no version of box '${name}' satisfies '${want}' (${parts.join('; ')})`);
  }
  return { version: best, inStore: stored.find((b) => b.version === best), fromBundle: bundled.find((b) => b.version === best) };
}

/**
 * The BoxRef (absolute paths into the store) for box `name`, at the highest version satisfying
 * `constraint` (exact, =, >, >=, <, <=, ~, ^, 1.2.*; undefined = any) among stored and bundled
 * versions. A bundled box not yet stored, or stored from an older build of the same version, is
 * installed through the verified add first. Box names are matched exactly.
 */
export async function resolveBox(name: string, constraint?: string, opts: ResolveOptions = {}): Promise<BoxRef> {
  const loc = opts.loc ?? {};
  const { version, inStore, fromBundle } = await choose(name, constraint, loc).catch(async (err: unknown) => {
    if (!opts.source || !(err instanceof BoxNotInstalledError)) throw err;
    if (opts.noDownload) throw new BoxNotDownloadedError(name, opts.source.url);
    await downloadFromSource(name, opts.source, opts);
    return choose(name, constraint, loc);
  });
  let box: StoredBox | undefined = inStore;
  if (fromBundle && (!inStore || (inStore.origin?.source === 'bundled' && inStore.checksum !== fromBundle.checksum))) {
    // Not stored yet, or the bundle was rebuilt under the same version: (re)install it from the bundle.
    box = (await materializeBundled(fromBundle, { force: inStore !== undefined, loc })).box;
  }
  const ready = box ?? (await readStoredBox(name, version, loc));
  if (!ready?.manifest || !ready.checksum) throw new UserError(`box '${name}' ${version} in the store is damaged: ${ready?.error ?? 'unreadable'}`);
  const full = ready as StoredBox & { manifest: BoxManifest; checksum: string };
  await checkStoredFiles(full);
  return { ...toBoxRef(full.manifest, full.dir, full.checksum), name };
}

/**
 * Like resolveBox but read-only, for commands that only describe machines (status, validate): it
 * installs nothing. A bundled box not stored yet is described from its folder, so its file paths
 * point there and may not exist (the files can be inside its .box archive).
 */
export async function peekBox(name: string, constraint?: string, opts: ResolveOptions = {}): Promise<BoxRef> {
  const { inStore, fromBundle } = await choose(name, constraint, opts.loc ?? {}).catch((err: unknown) => {
    if (opts.source && err instanceof BoxNotInstalledError) throw new BoxNotDownloadedError(name, opts.source.url);
    throw err;
  });
  if (inStore?.manifest && inStore.checksum && !(fromBundle && inStore.origin?.source === 'bundled' && inStore.checksum !== fromBundle.checksum)) {
    return { ...toBoxRef(inStore.manifest, inStore.dir, inStore.checksum), name };
  }
  const b = fromBundle!;
  return toBoxRef(b.manifest, b.folder, b.checksum);
}

/** `box.url`: download the archive into the store under the Vmfile's box name. */
async function downloadFromSource(name: string, source: BoxSource, opts: ResolveOptions): Promise<void> {
  const { addBoxFromUrl } = await import('./download.js'); // only `up` downloads: status stays lean
  const show = opts.onDownload?.(name, source.url);
  try {
    await addBoxFromUrl(source.url, { name, checksum: source.checksum, loc: opts.loc, acceptIdentical: true, onProgress: show?.progress });
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`box '${name}' is not installed, and its download failed: ${err.message}`, err.options);
    throw err;
  } finally {
    show?.done();
  }
}
