// Brings a box (archive or folder) into an empty staging folder and proves it matches its box.json:
// every listed file present with its size and sha256, nothing unlisted (archives), box.json valid.
import { constants as C, createReadStream } from 'node:fs';
import { lstat, mkdir, open, readFile, realpath } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { UserError } from '../errors.js';
import { BOX_MANIFEST_FILE } from '../paths.js';
import { fsUserError, isErrno } from '../machines/safe-fs.js';
import { parseManifest, sha256Hex, type BoxManifest } from './manifest.js';
import { readTar, DEFAULT_TAR_LIMITS, type TarLimits } from './tar-reader.js';
import { writeStreamedFile, type WrittenFile } from './sparse-writer.js';

export interface StagedBox {
  manifest: BoxManifest;
  /** sha256 of box.json's bytes: the box's identity (BoxRef.checksum). */
  checksum: string;
  /** Files written into the stage (box.json excluded), as measured while writing. */
  files: Map<string, WrittenFile>;
}

const toFsPath = (root: string, rel: string): string => join(root, ...rel.split('/'));

/** Raw bytes of the archive, gunzipped when it starts with the gzip magic (1f 8b). */
async function archiveBytes(path: string): Promise<AsyncIterable<Buffer>> {
  let magic: Buffer;
  try {
    const fh = await open(path, C.O_RDONLY);
    try {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(2), 0, 2, 0);
      magic = buffer.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new UserError(`${path} does not exist`);
    fsUserError(err, path, 'reading');
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) return raw;
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  raw.on('error', (err) => gunzip.destroy(err));
  gunzip.on('close', () => raw.destroy());
  raw.pipe(gunzip);
  return (async function* () {
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new UserError(`archive ${path}: gzip data is corrupt (${(err as Error).message})`);
      throw err;
    } finally {
      gunzip.destroy();
      raw.destroy();
    }
  })();
}

/**
 * Extracts an untrusted archive into `stage` (an empty folder this process created), then verifies it.
 * Any refusal throws before anything reaches the store; the caller removes the stage.
 */
export async function stageArchive(archive: string, stage: string, limits: TarLimits = DEFAULT_TAR_LIMITS): Promise<StagedBox> {
  const label = `archive ${archive}`;
  const files = new Map<string, WrittenFile>();
  let manifestBytes: Buffer | undefined;
  for await (const entry of readTar(await archiveBytes(archive), label, limits)) {
    const target = toFsPath(stage, entry.name);
    if (entry.type === 'directory') {
      await mkdir(target, { recursive: true, mode: 0o755 }).catch((err) => fsUserError(err, target, 'creating'));
      continue;
    }
    await mkdir(dirname(target), { recursive: true, mode: 0o755 }).catch((err) => fsUserError(err, dirname(target), 'creating'));
    const written = await writeStreamedFile(target, entry.body);
    if (written.size !== entry.size) throw new UserError(`${label}: entry ${JSON.stringify(entry.name)} is shorter than its header says`);
    if (entry.name === BOX_MANIFEST_FILE) {
      if (written.size > 1 << 20) throw new UserError(`${label}: box.json is larger than 1 MiB`);
      manifestBytes = await readFile(target);
    } else files.set(entry.name, written);
  }
  if (manifestBytes === undefined) throw new UserError(`${label}: no box.json at the top of the archive`);
  const manifest = parseManifest(manifestBytes.toString('utf8'), archive);
  for (const name of files.keys()) {
    if (!Object.hasOwn(manifest.files, name)) {
      throw new UserError(`${label}: entry ${JSON.stringify(name)} is not listed in box.json's files`);
    }
  }
  verifyFiles(manifest, files, label);
  return { manifest, checksum: sha256Hex(manifestBytes), files };
}

/** Every listed file present with the declared size and sha256. A mismatch is always fatal. */
function verifyFiles(manifest: BoxManifest, files: Map<string, WrittenFile>, label: string): void {
  for (const [name, want] of Object.entries(manifest.files)) {
    const got = files.get(name);
    if (!got) throw new UserError(`${label}: box.json lists ${JSON.stringify(name)} but the box does not contain it`);
    if (got.size !== want.size) {
      throw new UserError(`${label}: ${JSON.stringify(name)} is ${got.size} bytes but box.json says ${want.size}`);
    }
    if (got.sha256 !== want.sha256) {
      throw new UserError(`${label}: checksum mismatch for ${JSON.stringify(name)}: box.json says sha256 ${want.sha256}, the file has ${got.sha256}`);
    }
  }
}

/** Opens `rel` inside `root` for reading, refusing symlinks anywhere on the way and non-regular files. */
async function openInside(root: string, rootReal: string, rel: string, label: string): Promise<import('node:fs/promises').FileHandle> {
  const path = toFsPath(root, rel);
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new UserError(`${label}: box.json lists ${JSON.stringify(rel)} but the box does not contain it`);
    fsUserError(err, path, 'reading');
  }
  if (real !== toFsPath(rootReal, rel)) {
    const inside = !relative(rootReal, real).startsWith(`..${sep}`);
    throw new UserError(`${label}: ${JSON.stringify(rel)} goes through a symbolic link${inside ? '' : ' pointing outside the box'}; boxes may hold only regular files and folders`);
  }
  let fh;
  try {
    fh = await open(path, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (err) {
    fsUserError(err, path, 'opening');
  }
  if (!(await fh.stat()).isFile()) {
    await fh.close();
    throw new UserError(`${label}: ${JSON.stringify(rel)} is not a regular file`);
  }
  return fh;
}

/**
 * Copies a box folder into `stage`: box.json and exactly the files it lists (a folder may also hold a
 * build recipe, which stays behind), hashing while copying, then verifies like an archive.
 */
export async function stageFolder(folder: string, stage: string): Promise<StagedBox> {
  const label = `box folder ${folder}`;
  const rootReal = await realpath(folder).catch((err) => fsUserError(err, folder, 'reading'));
  const manifestPath = join(folder, BOX_MANIFEST_FILE);
  const st = await lstat(manifestPath).catch((err) => {
    if (isErrno(err, 'ENOENT')) throw new UserError(`${label}: no box.json in it`);
    return fsUserError(err, manifestPath, 'reading');
  });
  if (!st.isFile()) throw new UserError(`${label}: box.json is not a regular file`);
  if (st.size > 1 << 20) throw new UserError(`${label}: box.json is larger than 1 MiB`);
  const manifestBytes = await readFile(manifestPath);
  const manifest = parseManifest(manifestBytes.toString('utf8'), manifestPath);
  const files = new Map<string, WrittenFile>();
  for (const rel of Object.keys(manifest.files).sort()) {
    const fh = await openInside(folder, rootReal, rel, label);
    try {
      const target = toFsPath(stage, rel);
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      files.set(rel, await writeStreamedFile(target, fh.createReadStream({ highWaterMark: 1 << 20, autoClose: false })));
    } finally {
      await fh.close();
    }
  }
  const out = toFsPath(stage, BOX_MANIFEST_FILE);
  await writeStreamedFile(out, (async function* () {
    yield manifestBytes;
  })());
  verifyFiles(manifest, files, label);
  return { manifest, checksum: sha256Hex(manifestBytes), files };
}
