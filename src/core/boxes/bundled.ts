// Boxes shipped in the package's boxes/ folder (or an injected folder): usable without `vm box add`.
// Each boxes/NAME/ holds box.json plus either the files it lists or one .box archive of them.
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BOX_MANIFEST_FILE, bundledBoxesDir, type StoreLocation } from '../paths.js';
import { isErrno } from '../machines/safe-fs.js';
import { parseManifest, sha256Hex, type BoxManifest } from './manifest.js';
import { addBox, type AddResult } from './store.js';
import { UserError } from '../errors.js';

export interface BundledBox {
  /** The boxes/NAME folder. */
  folder: string;
  name: string;
  version: string;
  manifest: BoxManifest;
  /** sha256 of the folder's box.json. */
  checksum: string;
  /** What `box add` is given: the folder itself, or its .box archive. */
  content: { kind: 'folder' | 'archive'; path: string };
}

export interface BrokenBundledBox {
  folder: string;
  error: string;
}

async function isRegularFile(path: string): Promise<boolean> {
  return lstat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function inspectFolder(folder: string): Promise<BundledBox | BrokenBundledBox | undefined> {
  const manifestPath = join(folder, BOX_MANIFEST_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(manifestPath);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return undefined; // not a box folder (e.g. a README)
    return { folder, error: (err as Error).message };
  }
  let manifest: BoxManifest;
  try {
    // Shipped with the package; the full validation runs when it is installed into the store.
    manifest = parseManifest(bytes.toString('utf8'), manifestPath, { trusted: true });
  } catch (err) {
    return { folder, error: (err as Error).message };
  }
  const base = { folder, name: manifest.name, version: manifest.version, manifest, checksum: sha256Hex(bytes) };
  const listed = await Promise.all(Object.keys(manifest.files).map((f) => isRegularFile(join(folder, ...f.split('/')))));
  if (listed.every(Boolean)) return { ...base, content: { kind: 'folder', path: folder } };
  const archives = (await readdir(folder)).filter((f) => f.endsWith('.box')).sort();
  const preferred = archives.includes(`${manifest.name}.box`) ? `${manifest.name}.box` : archives.length === 1 ? archives[0] : undefined;
  if (preferred === undefined) {
    return {
      folder,
      error: archives.length > 1
        ? `bundled box folder ${folder} holds several .box archives (${archives.join(', ')}) and none is named ${manifest.name}.box`
        : `bundled box folder ${folder} has box.json but neither the files it lists nor a .box archive`,
    };
  }
  return { ...base, content: { kind: 'archive', path: join(folder, preferred) } };
}

/** Every bundled box (and broken bundled folders, with the reason), sorted by folder. */
export async function listBundled(loc: StoreLocation = {}): Promise<(BundledBox | BrokenBundledBox)[]> {
  const dir = bundledBoxesDir(loc);
  if (dir === null) return [];
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return [];
  }
  const out: (BundledBox | BrokenBundledBox)[] = [];
  for (const n of names) {
    if (n.startsWith('.')) continue;
    const folder = join(dir, n);
    if (!(await lstat(folder).then((s) => s.isDirectory(), () => false))) continue;
    const box = await inspectFolder(folder);
    if (box) out.push(box);
  }
  return out;
}

export const isBroken = (b: BundledBox | BrokenBundledBox): b is BrokenBundledBox => 'error' in b;

/**
 * Copies a bundled box into the store through the same verified add as `vm box add`. Concurrent
 * materializations of the same box are fine: an identical copy already in place counts as success.
 */
export async function materializeBundled(b: BundledBox, opts: { force?: boolean; loc?: StoreLocation } = {}): Promise<AddResult> {
  try {
    return await addBox(b.content.path, {
      origin: 'bundled',
      acceptIdentical: true,
      force: opts.force,
      expectChecksum: b.checksum,
      loc: opts.loc,
    });
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`bundled box '${b.name}' ${b.version} could not be installed: ${err.message}`, err.options);
    throw err;
  }
}
