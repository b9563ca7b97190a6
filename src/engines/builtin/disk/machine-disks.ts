// A machine's disk files for the builtin engine: the root overlay on the box's image and the
// Vmfile's extra disks. `prepareDisks` creates what is missing (Engine.prepare), `openRootDisk`
// opens the overlay for a run and refuses a missing one rather than silently starting over,
// `destroyDisks` deletes them (the box is never touched).

import { lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { MachineConfig } from '../../../model/machine-config.js';
import { DiskError } from '../../errors.js';
import { diskFsError } from './disk-error.js';
import { OverlayDisk, type BaseImage } from './overlay-disk.js';
import { RawDisk } from './raw-disk.js';
import { LayeredRootDisk, rootChainAt } from './root-chain.js';
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
    await rootChainAt(overlay, base).recover();
    if (!(await exists(overlay, 'overlay'))) await OverlayDisk.create(overlay, base, { virtualSize: config.rootDiskBytes });
    else if (config.rootDiskBytes !== undefined) await checkRootSize(overlay, base, config.rootDiskBytes, config.name);
  }
  for (const d of config.disks) {
    await ensureDir(dirname(d.path));
    if (await exists(d.path, `disk ${d.name}`)) await RawDisk.grow(d.path, d.sizeBytes);
    else await RawDisk.create(d.path, d.sizeBytes);
  }
}

/** The chain of snapshot layers under the root overlay, or undefined for a box without a root disk. */
export function rootChain(config: MachineConfig): DiskChain | undefined {
  const base = rootBase(config);
  return base ? rootChainAt(rootOverlayPath(config), base) : undefined;
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

/** Delete the overlay, its snapshot layers and the extra disks (missing files are fine). */
export async function destroyDisks(config: MachineConfig): Promise<void> {
  const chain = rootChain(config);
  const paths = [...(chain ? [...(await chain.files()), rootOverlayPath(config)] : []), ...config.disks.map((d) => d.path)];
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
export async function openRootDisk(overlayPath: string, base: BaseImage): Promise<LayeredRootDisk> {
  if (!(await exists(overlayPath, 'overlay'))) {
    throw new DiskError(
      `the root disk overlay is missing: ${overlayPath}`,
      'The machine was never prepared, or its files were deleted; run `vm destroy` and `vm up` to start it afresh.',
    );
  }
  return LayeredRootDisk.open(overlayPath, base);
}
