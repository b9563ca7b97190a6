// A machine's disk files for the builtin engine: the root overlay on the box's image and the
// Vmfile's extra disks, each disk the top of a chain of snapshot layers (layered-disk.ts). An extra
// disk is a sparse raw file written in place until its first snapshot; from then on that file is
// the image under its layers and its top is `<name>.overlay` beside it. `prepareDisks` creates what
// is missing (Engine.prepare), `openRootDisk` opens the overlay for a run and refuses a missing one
// rather than silently starting over, `destroyDisks` deletes them (the box is never touched).

import { createHash } from 'node:crypto';
import { lstat, mkdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { DiskConfig, MachineConfig } from '../../../model/machine-config.js';
import { DiskError } from '../../errors.js';
import { diskFsError } from './disk-error.js';
import { OverlayDisk, type BaseImage } from './overlay-disk.js';
import { RawDisk } from './raw-disk.js';
import { chainAt, LayeredDisk, type ChainBase } from './layered-disk.js';
import type { DiskChain } from '../../shared/disk-chain.js';

/** The root disk's overlay, in the machine's state folder. */
export const ROOT_OVERLAY_FILE = 'root.overlay';

export const rootOverlayPath = (config: MachineConfig): string => join(config.project.stateDir, ROOT_OVERLAY_FILE);

/** The box's root disk as a base image, or undefined for boxes that boot from their initramfs alone. */
export function rootBase(config: MachineConfig): BaseImage | undefined {
  const r = config.box.rootDisk;
  if (!r) return undefined;
  if (r.format !== 'raw') {
    throw new DiskError(
      `box ${config.box.name} ${config.box.version} has a ${r.format} root disk; the builtin engine reads raw images only`,
      'Use the qemu engine for this box (engine: qemu in the Vmfile), or a box with a raw root disk.',
    );
  }
  return { path: r.path, sha256: r.sha256 };
}

/**
 * What an extra disk's overlays name as their image. The raw file has no published checksum, and
 * hashing it whole on every open would read the whole disk: its layers carry this fixed identity
 * instead, with the file's size, and the chain never writes the file once it has a top.
 */
const EXTRA_DISK_IMAGE_ID = createHash('sha256').update('vm extra disk raw image').digest('hex');

/** An extra disk's layered top, beside its raw file: `data.raw` has `data.overlay`. */
export const extraDiskTopPath = (d: Pick<DiskConfig, 'path'>): string => join(dirname(d.path), `${basename(d.path).replace(/\.raw$/, '')}.overlay`);

/** How an extra disk's chain knows its raw file. */
export const extraDiskBase = (d: Pick<DiskConfig, 'path' | 'name'>): ChainBase => ({ base: { path: d.path, sha256: EXTRA_DISK_IMAGE_ID }, inPlace: true, label: `disk ${d.name}` });

async function exists(path: string, what: string): Promise<boolean> {
  try {
    const st = await lstat(path);
    if (st.isSymbolicLink()) throw new DiskError(`${what} is a symbolic link, which vm refuses to follow: ${path}`, 'Replace the link with the file itself.');
    if (!st.isFile()) throw new DiskError(`${what} is not a regular file: ${path}`);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err instanceof DiskError ? err : diskFsError(err, what, path);
  }
}

async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw diskFsError(err, 'state folder', dir);
  }
}

/**
 * Create the overlay and extra disks that do not exist yet; grow extra disks declared larger. The
 * overlay's virtual size is the Vmfile's `disk_size` (else the image's): it is fixed in the overlay's
 * header when the machine is created (overlay-format.ts), so an existing machine whose disk_size
 * changed is refused here rather than booted with a disk of another size.
 */
export async function prepareDisks(config: MachineConfig): Promise<void> {
  const base = rootBase(config);
  if (base) {
    const overlay = rootOverlayPath(config);
    await ensureDir(dirname(overlay));
    // A step of a snapshot that a crash interrupted is finished before the top is looked for.
    await chainAt(overlay, { base }).recover();
    if (!(await exists(overlay, 'overlay'))) await OverlayDisk.create(overlay, base, { virtualSize: config.rootDiskBytes });
    else if (config.rootDiskBytes !== undefined) await checkRootSize(overlay, base, config.rootDiskBytes, config.name);
  }
  for (const d of config.disks) {
    await ensureDir(dirname(d.path));
    const chain = extraDiskChain(d);
    await chain.recover();
    if (await chain.layered()) await checkLayeredSize(d, config.name);
    else if (await exists(d.path, `disk ${d.name}`)) await RawDisk.grow(d.path, d.sizeBytes);
    else await RawDisk.create(d.path, d.sizeBytes);
  }
}

/** A layered extra disk's raw file is the image under its layers: it cannot grow any more. */
async function checkLayeredSize(d: DiskConfig, machine: string): Promise<void> {
  let have: number;
  try {
    have = (await lstat(d.path)).size;
  } catch (err) {
    throw diskFsError(err, `disk ${d.name}`, d.path);
  }
  if (have === d.sizeBytes) return;
  throw new DiskError(
    `disk ${d.name} of machine '${machine}' is ${have} bytes and has snapshot layers; the Vmfile now says ${d.sizeBytes}, and the builtin engine cannot resize a disk with layers`,
    `Set the disk's size back to ${have}, or delete the machine's snapshots and run \`vm destroy ${machine}\` and \`vm up\` to recreate its disks (their data is lost).`,
  );
}

/** The chain of snapshot layers of an extra disk. */
export function extraDiskChain(d: DiskConfig): DiskChain {
  return chainAt(extraDiskTopPath(d), extraDiskBase(d));
}

/** Every disk's chain: the root disk's first (when the box has one), then the extra disks'. */
export function diskChains(config: MachineConfig): DiskChain[] {
  const root = rootChain(config);
  return [...(root ? [root] : []), ...config.disks.map(extraDiskChain)];
}

/** The chain of snapshot layers under the root overlay, or undefined for a box without a root disk. */
export function rootChain(config: MachineConfig): DiskChain | undefined {
  const base = rootBase(config);
  return base ? chainAt(rootOverlayPath(config), { base }) : undefined;
}

async function checkRootSize(overlay: string, base: BaseImage, want: number, machine: string): Promise<void> {
  const disk = await OverlayDisk.open(overlay, base, { readOnly: true });
  const have = disk.sizeBytes;
  await disk.close();
  // An overlay never sized by disk_size is the image's size rounded up to a sector, which a
  // disk_size equal to the image's size also gives.
  if (have === want) return;
  throw new DiskError(
    `the root disk of machine '${machine}' is ${have} bytes, set when it was created; the Vmfile's disk_size now says ${want}, and the builtin engine cannot resize a machine's root disk`,
    `Set disk_size back to ${have}, or run \`vm destroy ${machine}\` and \`vm up\` to recreate the machine with the new size (its changes to the disk are lost).`,
  );
}

/** Delete every disk's top, snapshot layers and image below them but the box's (missing files are fine). */
export async function destroyDisks(config: MachineConfig): Promise<void> {
  const paths: string[] = [];
  for (const chain of diskChains(config)) paths.push(...(await chain.files()), chain.topPath);
  paths.push(...config.disks.map((d) => d.path));
  for (const p of paths) {
    try {
      const st = await lstat(p);
      if (st.isDirectory()) throw new DiskError(`expected a disk file but found a directory: ${p}`);
      await unlink(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err instanceof DiskError ? err : diskFsError(err, 'disk', p);
    }
  }
}

/** Open the root overlay and the layers under it for a run; a missing one is refused, never silently recreated. */
export async function openRootDisk(overlayPath: string, base: BaseImage): Promise<LayeredDisk> {
  if (!(await exists(overlayPath, 'overlay'))) {
    throw new DiskError(
      `the root disk overlay is missing: ${overlayPath}`,
      'The machine was never prepared, or its files were deleted; run `vm destroy` and `vm up` to start it afresh.',
    );
  }
  return LayeredDisk.open(overlayPath, { base });
}

/** Open an extra disk for a run: its raw file, or its top on its layers once it has a snapshot. */
export async function openExtraDisk(d: Pick<DiskConfig, 'path' | 'name'>): Promise<LayeredDisk> {
  const b = extraDiskBase(d);
  if (!(await exists(d.path, `disk ${d.name}`))) {
    throw new DiskError(`disk ${d.name} is missing: ${d.path}`, 'The machine was never prepared, or its files were deleted; run `vm destroy` and `vm up` to start it afresh.');
  }
  return LayeredDisk.open(extraDiskTopPath(d), b);
}
