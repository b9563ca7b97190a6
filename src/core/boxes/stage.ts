// Brings a box (archive or folder) into an empty staging folder and proves it matches its box.json:
// every listed file present with its size and sha256, nothing unlisted (archives), box.json valid.
import { constants as C, createReadStream } from 'node:fs';
import { mkdir, open, realpath } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { UserError } from '../errors.js';
import { BOX_MANIFEST_FILE } from '../paths.js';
import { fsUserError, isErrno } from '../machines/safe-fs.js';
import { isReservedName, parseManifest, sha256Hex, type BoxManifest } from './manifest.js';
import { readTar, showName, DEFAULT_TAR_LIMITS, type TarLimits } from './tar-reader.js';
import { DiskRoom, writeStreamedFile, type WrittenFile } from './sparse-writer.js';

export interface StagedBox {
  manifest: BoxManifest;
  /** sha256 of box.json's bytes: the box's identity (BoxRef.checksum). */
  checksum: string;
  /** Files written into the stage (box.json excluded), as measured while writing. */
  files: Map<string, WrittenFile>;
}

const toFsPath = (root: string, rel: string): string => join(root, ...rel.split('/'));

/** Raw bytes of the archive, gunzipped when it starts with the gzip magic (1f 8b). */
async function archiveBytes(path: string, label: string): Promise<AsyncIterable<Buffer>> {
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
      if ((err as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new UserError(`${label}: gzip data is corrupt (${(err as Error).message})`);
      throw err;
    } finally {
      gunzip.destroy();
      raw.destroy();
    }
  })();
}

/** box.json is read into memory whole: anything larger is not a box.json. */
const MAX_MANIFEST_BYTES = 1 << 20;

export interface StageOptions {
  limits?: TarLimits;
  /** What messages call the source (a download's URL rather than its temp file). */
  shownAs?: string;
  /** The store's root, named in the message when free space runs short. */
  storeDir: string;
  /** Free space a stage never eats into (default: DiskRoom's). */
  minFreeBytes?: number;
}

/** A body whose size the caller has already bounded. */
async function readWhole(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk);
  return Buffer.concat(parts);
}

/**
 * Extracts an untrusted archive into `stage` (an empty folder this process created), then verifies it.
 * box.json must be the archive's first file: it is validated before anything else is inflated, and
 * from then on each member is checked at its header (listed, with the declared size), so the total
 * written is bounded by what box.json declares and a lying member is refused before its body is read.
 * Folders are not created from folder entries, only as the listed files need them.
 * Any refusal throws before anything reaches the store; the caller removes the stage.
 */
export async function stageArchive(archive: string, stage: string, opts: StageOptions): Promise<StagedBox> {
  const shown = opts.shownAs ?? archive;
  const label = `archive ${shown}`;
  const fail = (msg: string, hint?: string): never => {
    throw new UserError(`${label}: ${msg}`, { hint });
  };
  const files = new Map<string, WrittenFile>();
  let manifestBytes: Buffer | undefined;
  let manifest: BoxManifest | undefined;
  const room = new DiskRoom(stage, label, opts.storeDir, opts.minFreeBytes);
  await room.check();
  for await (const entry of readTar(await archiveBytes(archive, label), label, opts.limits ?? DEFAULT_TAR_LIMITS)) {
    if (entry.type === 'directory') continue;
    if (manifest === undefined) {
      if (entry.name !== BOX_MANIFEST_FILE) {
        fail(`box.json must be the archive's first file, but ${showName(entry.name)} comes before it`, 'pack box.json first, e.g. `tar -C BOXDIR -czf NAME.box box.json FILE...`');
      }
      if (entry.size > MAX_MANIFEST_BYTES) fail(`box.json is ${entry.size} bytes, larger than the 1 MiB a box.json may be`);
      manifestBytes = await readWhole(entry.body);
      manifest = parseManifest(manifestBytes.toString('utf8'), shown);
      continue;
    }
    const want = Object.hasOwn(manifest.files, entry.name) ? manifest.files[entry.name]! : undefined;
    if (want === undefined) {
      fail(`entry ${showName(entry.name)} ${isReservedName(entry.name) ? 'uses a name vm reserves for its own use in the store' : "is not listed in box.json's files"}`);
    }
    if (entry.size !== want!.size) fail(`${showName(entry.name)} is ${entry.size} bytes but box.json says ${want!.size}`);
    const target = toFsPath(stage, entry.name);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 }).catch((err) => fsUserError(err, dirname(target), 'creating'));
    const written = await writeStreamedFile(target, entry.body, room);
    if (written.size !== entry.size) fail(`entry ${showName(entry.name)} is shorter than its header says`);
    files.set(entry.name, written);
  }
  if (manifest === undefined || manifestBytes === undefined) return fail('no box.json at the top of the archive');
  await writeManifest(stage, manifestBytes);
  verifyFiles(manifest, files, label);
  return { manifest, checksum: sha256Hex(manifestBytes), files };
}

async function writeManifest(stage: string, bytes: Buffer): Promise<void> {
  await writeStreamedFile(toFsPath(stage, BOX_MANIFEST_FILE), (async function* () {
    yield bytes;
  })());
}

/** Every listed file present with the declared size and sha256. A mismatch is always fatal. */
function verifyFiles(manifest: BoxManifest, files: Map<string, WrittenFile>, label: string): void {
  for (const [name, want] of Object.entries(manifest.files)) {
    const got = files.get(name);
    if (!got) throw new UserError(`${label}: box.json lists ${showName(name)} but the box does not contain it`);
    if (got.size !== want.size) {
      throw new UserError(`${label}: ${showName(name)} is ${got.size} bytes but box.json says ${want.size}`);
    }
    if (got.sha256 !== want.sha256) {
      throw new UserError(`${label}: checksum mismatch for ${showName(name)}: box.json says sha256 ${want.sha256}, the file has ${got.sha256}`);
    }
  }
}

/** Opens `rel` inside `root` for reading, refusing symlinks anywhere on the way and non-regular files. */
async function openInside(root: string, rootReal: string, rel: string, size: number, label: string): Promise<import('node:fs/promises').FileHandle> {
  const path = toFsPath(root, rel);
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new UserError(`${label}: box.json lists ${showName(rel)} but the box does not contain it`);
    fsUserError(err, path, 'reading');
  }
  if (real !== toFsPath(rootReal, rel)) {
    const inside = !relative(rootReal, real).startsWith(`..${sep}`);
    throw new UserError(`${label}: ${showName(rel)} goes through a symbolic link${inside ? '' : ' pointing outside the box'}; boxes may hold only regular files and folders`);
  }
  let fh;
  try {
    fh = await open(path, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (err) {
    fsUserError(err, path, 'opening');
  }
  const st = await fh.stat();
  if (!st.isFile() || st.size !== size) {
    await fh.close();
    // The size is known before copying: a wrong one fails at once, not after copying gigabytes.
    throw new UserError(`${label}: ${showName(rel)} ${st.isFile() ? `is ${st.size} bytes but box.json says ${size}` : 'is not a regular file'}`);
  }
  return fh;
}

/**
 * Copies a box folder into `stage`: box.json and exactly the files it lists (a folder may also hold a
 * build recipe, which stays behind), hashing while copying, then verifies like an archive.
 */
export async function stageFolder(folder: string, stage: string, opts: StageOptions): Promise<StagedBox> {
  const label = `box folder ${folder}`;
  const room = new DiskRoom(stage, label, opts.storeDir, opts.minFreeBytes);
  await room.check();
  const rootReal = await realpath(folder).catch((err) => fsUserError(err, folder, 'reading'));
  const manifestPath = join(folder, BOX_MANIFEST_FILE);
  // Checked and read through one handle: box.json cannot be swapped for a link or a huge file between.
  let manifestBytes: Buffer;
  try {
    const fh = await open(manifestPath, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new UserError(`${label}: box.json is not a regular file`);
      if (st.size > MAX_MANIFEST_BYTES) throw new UserError(`${label}: box.json is larger than 1 MiB`);
      manifestBytes = await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    if (isErrno(err, 'ENOENT')) throw new UserError(`${label}: no box.json in it`);
    if (isErrno(err, 'ELOOP')) throw new UserError(`${label}: box.json is not a regular file`);
    fsUserError(err, manifestPath, 'reading');
  }
  const manifest = parseManifest(manifestBytes.toString('utf8'), manifestPath);
  const files = new Map<string, WrittenFile>();
  for (const rel of Object.keys(manifest.files).sort()) {
    const fh = await openInside(folder, rootReal, rel, manifest.files[rel]!.size, label);
    try {
      const target = toFsPath(stage, rel);
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      files.set(rel, await writeStreamedFile(target, fh.createReadStream({ highWaterMark: 1 << 20, autoClose: false }), room));
    } finally {
      await fh.close();
    }
  }
  await writeManifest(stage, manifestBytes);
  verifyFiles(manifest, files, label);
  return { manifest, checksum: sha256Hex(manifestBytes), files };
}
