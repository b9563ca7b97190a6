// A qemu machine's disk files: a qcow2 overlay on the box's root disk (the box is never written) and
// the Vmfile's extra disks as qcow2, all in the machine's state folder. Formats always come from the
// box's manifest or from us and are passed explicitly (-f, -F): an image's format is never probed,
// so a hostile image cannot pass itself off as qcow2 with a backing file naming a host file.
// Reference: qemu-img(1) (create -b/-F, info --output=json, resize), QEMU docs/interop/qcow2.txt.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as C } from 'node:fs';
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { MachineConfig } from '../../model/machine-config.js';
import type { QemuDiskPlan } from './argv.js';
import { DiskError } from '../errors.js';
import { DiskChain, type LayerOps } from '../shared/disk-chain.js';

/** The root disk's overlay, in the machine's state folder. */
export const ROOT_OVERLAY_FILE = 'qemu-root.qcow2';
const QEMU_IMG_TIMEOUT_MS = 60_000;

/** Where a config's disks live for qemu. Pure: the same config always gives the same files. */
export function diskPlan(config: MachineConfig): QemuDiskPlan {
  return {
    ...(config.box.rootDisk ? { root: { path: join(config.project.stateDir, ROOT_OVERLAY_FILE), format: 'qcow2' as const } } : {}),
    // beside the builtin engine's raw file, with qemu's format in the name: a machine's disks belong
    // to the engine that created them
    extra: config.disks.map((d) => ({ name: d.name, path: join(dirname(d.path), `${basename(d.path).replace(/\.raw$/, '')}.qcow2`), format: 'qcow2' as const })),
  };
}

export interface QemuImgResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs qemu-img with an argv (no shell) and a time limit. */
export function runQemuImg(qemuImg: string, args: string[], timeoutMs = QEMU_IMG_TIMEOUT_MS): Promise<QemuImgResult> {
  return new Promise((resolve) => {
    execFile(qemuImg, args, { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout, stderr: stderr || (err && code === null ? err.message : '') });
    });
  });
}

async function qemuImgOk(qemuImg: string, args: string[], what: string): Promise<string> {
  const r = await runQemuImg(qemuImg, args);
  if (r.code !== 0) {
    const why = r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit code ${r.code}`;
    throw new DiskError(`${what}: qemu-img failed: ${why}`, `command: ${qemuImg} ${args.join(' ')}`);
  }
  return r.stdout;
}

/** Whether a file is there: a regular file yes, nothing no; a link, directory or device is refused. */
async function fileExists(path: string, what: string): Promise<boolean> {
  try {
    const st = await lstat(path);
    if (st.isSymbolicLink()) throw new DiskError(`${what} is a symbolic link, which vm refuses to follow: ${path}`, 'replace the link with the file itself');
    if (!st.isFile()) throw new DiskError(`${what} is not a regular file: ${path}`);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    if (err instanceof DiskError) throw err;
    throw new DiskError(`cannot use ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Facts from a qcow2 header that decide whether opening it could reach other files. */
export interface Qcow2HeaderFacts {
  version: number;
  virtualSize: bigint;
  hasBackingFile: boolean;
  hasExternalDataFile: boolean;
}

const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
/** incompatible_features bit 2: the image's data lives in an external file named in an extension. */
const QCOW2_INCOMPAT_DATA_FILE = 1n << 2n;

/** Parses the first bytes of a qcow2 image (docs/interop/qcow2.txt); undefined when it is not qcow2. */
export function parseQcow2Header(head: Uint8Array): Qcow2HeaderFacts | undefined {
  if (head.length < 72) return undefined;
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (v.getUint32(0) !== QCOW2_MAGIC) return undefined;
  const version = v.getUint32(4);
  const backingOffset = v.getBigUint64(8);
  const virtualSize = v.getBigUint64(24);
  const incompat = version >= 3 && head.length >= 80 ? v.getBigUint64(72) : 0n;
  return { version, virtualSize, hasBackingFile: backingOffset !== 0n, hasExternalDataFile: (incompat & QCOW2_INCOMPAT_DATA_FILE) !== 0n };
}

/** A box's qcow2 root disk must be self-contained: no backing file, no external data file. */
async function checkQcow2Base(path: string, box: string): Promise<void> {
  const fh = await open(path, C.O_RDONLY | C.O_NOFOLLOW);
  let head: Buffer;
  try {
    head = Buffer.alloc(104);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  const facts = parseQcow2Header(head);
  if (!facts) throw new DiskError(`box ${box} says its root disk is qcow2, but ${path} is not a qcow2 image`, 'the box is broken: rebuild it or ask its author');
  if (facts.hasBackingFile || facts.hasExternalDataFile) {
    throw new DiskError(
      `box ${box}'s root disk ${path} refers to another file (${facts.hasBackingFile ? 'a backing file' : 'an external data file'}); vm refuses images that could make qemu read other host files`,
      'use a box whose qcow2 root disk is self-contained (qemu-img convert -O qcow2 flattens one)',
    );
  }
}

/** Runs `make(tmp)` to produce a file and renames it into place, so no half-made disk is ever left. */
async function createAtomically(path: string, make: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await make(tmp);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new DiskError(`cannot create the folder ${dir}: ${(err as Error).message}`);
  }
}

interface QemuImgInfo {
  'virtual-size'?: number;
  'backing-filename'?: string;
}

async function qcow2VirtualSize(qemuImg: string, path: string): Promise<number> {
  // -U: reading the header needs no write lock (a running qemu holds one)
  const out = await qemuImgOk(qemuImg, ['info', '-U', '-f', 'qcow2', '--output=json', path], `disk ${path}`);
  let info: QemuImgInfo;
  try {
    info = JSON.parse(out) as QemuImgInfo;
  } catch {
    throw new DiskError(`disk ${path}: qemu-img info printed no JSON`);
  }
  const size = info['virtual-size'];
  if (typeof size !== 'number') throw new DiskError(`disk ${path}: qemu-img info gave no virtual size`);
  return size;
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, C.O_RDONLY | C.O_NOFOLLOW);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * The qcow2 side of a disk chain (engines/shared/disk-chain.ts): a layer is a qcow2 image whose
 * backing file is the layer below it, named by its bare file name (all layers share the top's folder,
 * and qemu resolves a relative backing name against the folder of the image naming it), the lowest
 * on `lowest` (the box's image for the root disk) or on nothing (an extra disk, a qcow2 of its own
 * from the start). Backing formats are always given (-F), never probed.
 */
export function qemuLayerOps(lowest: { path: string; format: string } | null, qemuImg: () => Promise<string>): LayerOps {
  const backing = (parentPath: string | null): string[] => {
    if (parentPath !== null) return ['-b', basename(parentPath), '-F', 'qcow2'];
    // qemu-img(1) rebase: an empty backing file makes the image stand alone.
    return lowest ? ['-b', lowest.path, '-F', lowest.format] : ['-b', ''];
  };
  return {
    createEmpty: async (path, parentPath) => {
      if (parentPath === null && !lowest) throw new DiskError(`internal: a disk layer with nothing below it has no size (${path})`);
      await qemuImgOk(await qemuImg(), ['create', '-q', '-f', 'qcow2', ...backing(parentPath), path], 'disk layer');
      await fsyncFile(path);
    },
    // Safe-mode rebase (qemu-img(1)): every cluster the child does not hold and whose contents differ
    // between the old backing chain and the new one is written into the child, then the child's
    // header names the new backing file. The child reads the same throughout; run again it copies nothing.
    absorb: async (child, _layer, parentPath) => {
      await qemuImgOk(await qemuImg(), ['rebase', '-q', '-f', 'qcow2', ...backing(parentPath), child], 'disk layer merge');
      await fsyncFile(child);
    },
  };
}

/** The chains of snapshot layers under each of the machine's qemu disks: the root overlay's (when the box has a root disk), then the extra disks'. */
export function qemuDiskChains(config: MachineConfig, qemuImg: () => Promise<string>): DiskChain[] {
  const plan = diskPlan(config);
  const base = config.box.rootDisk;
  return [
    ...(plan.root && base ? [new DiskChain(plan.root.path, qemuLayerOps({ path: base.path, format: base.format }, qemuImg))] : []),
    ...plan.extra.map((d) => new DiskChain(d.path, qemuLayerOps(null, qemuImg), { label: `disk ${d.name}` })),
  ];
}

/**
 * Creates the overlay and extra disks that do not exist yet; grows disks declared larger. The root
 * overlay gets the Vmfile's `disk_size` as its virtual size (without one, the backing image's), as
 * a cloud image's disk is larger than the image; growing into it is the guest's business.
 */
export async function prepareQemuDisks(config: MachineConfig, qemuImg: string): Promise<void> {
  const plan = diskPlan(config);
  const base = config.box.rootDisk;
  // A snapshot step that a crash interrupted is finished before the tops are looked for.
  for (const chain of qemuDiskChains(config, async () => qemuImg)) {
    await ensureDir(chain.dir);
    await chain.recover();
  }
  if (base && plan.root) {
    const overlay = plan.root.path;
    await ensureDir(dirname(overlay));
    if (await fileExists(overlay, 'the root disk overlay')) {
      if (config.rootDiskBytes !== undefined) await resizeTo(qemuImg, overlay, config.rootDiskBytes, 'the root disk', 'disk_size');
    } else {
      const box = `${config.box.name} ${config.box.version}`;
      if (!(await fileExists(base.path, `box ${box}'s root disk`))) {
        throw new DiskError(`box ${box}'s root disk is missing: ${base.path}`, `reinstall the box (vm box add --force)`);
      }
      if (base.format === 'qcow2') await checkQcow2Base(base.path, box);
      // validated: disk_size is at least the image's size (qemu-img would refuse less)
      const size = config.rootDiskBytes !== undefined ? [String(config.rootDiskBytes)] : [];
      await createAtomically(overlay, async (tmp) => {
        await qemuImgOk(qemuImg, ['create', '-q', '-f', 'qcow2', '-b', base.path, '-F', base.format, tmp, ...size], 'root disk overlay');
      });
    }
  }
  for (const [i, d] of plan.extra.entries()) {
    const want = config.disks[i]!.sizeBytes;
    await ensureDir(dirname(d.path));
    if (await fileExists(d.path, `disk ${d.name}`)) {
      await resizeTo(qemuImg, d.path, want, `disk ${d.name}`, 'the disk');
    } else {
      await createAtomically(d.path, async (tmp) => {
        await qemuImgOk(qemuImg, ['create', '-q', '-f', 'qcow2', tmp, String(want)], `disk ${d.name}`);
      });
    }
  }
}

/** Grows a qcow2 disk to `want` bytes; one larger than that is refused (shrinking would cut the guest's data). */
async function resizeTo(qemuImg: string, path: string, want: number, what: string, setting: string): Promise<void> {
  const have = await qcow2VirtualSize(qemuImg, path);
  if (have > want) {
    throw new DiskError(
      `${what} (${path}) is ${have} bytes, larger than the ${want} the Vmfile now declares; disks cannot shrink`,
      `declare ${setting} at least as large as it is, or destroy the machine to recreate its disks`,
    );
  }
  if (have < want) await qemuImgOk(qemuImg, ['resize', '-q', '-f', 'qcow2', path, String(want)], what);
}

/** Refuses to start with a missing overlay or disk: recreating one silently would lose the guest's data. */
export async function checkDisksPresent(plan: QemuDiskPlan): Promise<void> {
  const files = [...(plan.root ? [{ what: 'the root disk overlay', path: plan.root.path }] : []), ...plan.extra.map((d) => ({ what: `disk ${d.name}`, path: d.path }))];
  for (const f of files) {
    if (!(await fileExists(f.path, f.what))) {
      throw new DiskError(`${f.what} is missing: ${f.path}`, 'the machine was never prepared, or its files were deleted; run `vm destroy` and `vm up` to start it afresh');
    }
  }
}

/** Deletes the overlay, its snapshot layers and the extra disks (missing files are fine). The box is never touched. */
export async function destroyQemuDisks(config: MachineConfig): Promise<void> {
  const plan = diskPlan(config);
  const layers: string[] = [];
  for (const chain of qemuDiskChains(config, async () => 'qemu-img')) layers.push(...(await chain.files()));
  for (const p of [...layers, ...(plan.root ? [plan.root.path] : []), ...plan.extra.map((d) => d.path)]) {
    try {
      const st = await lstat(p);
      if (st.isDirectory()) throw new DiskError(`expected a disk file but found a directory: ${p}`);
      await unlink(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      if (err instanceof DiskError) throw err;
      throw new DiskError(`cannot delete disk ${p}: ${(err as Error).message}`);
    }
  }
}
