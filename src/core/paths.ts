// Every on-disk location vm uses, as named constants and functions: the per-user store
// (boxes, global index, temp), the bundled boxes shipped with the package, and a project's .vm/ state.
import { resolve, join, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import envPaths from 'env-paths';

/** Env var that moves the whole per-user store (boxes, index) somewhere else. */
export const VM_HOME_ENV = 'VM_HOME';
/** Env var that points bundled-box lookup at another folder (tests, development). */
export const VM_BUNDLED_BOXES_ENV = 'VM_BUNDLED_BOXES_DIR';

/** Store layout, relative to the store root. */
export const STORE_BOXES_DIR = 'boxes';
export const STORE_TMP_DIR = 'tmp';
/** Warm images (`warm_start:`), one folder per machine shape, beside the boxes they were booted from. */
export const STORE_WARM_DIR = 'warm';
/** What holds for the whole host and is cheap to lose (the qemu engine's KVM probe verdict; box builds' downloaded packages). */
export const STORE_CACHE_DIR = 'cache';
export const STORE_INDEX_FILE = 'index.json';
export const STORE_INDEX_LOCK = 'index.lock';

/** Inside a box (folder, archive or stored copy). */
export const BOX_MANIFEST_FILE = 'box.json';
/** Beside the box files in a stored version folder: where the box came from. Not part of the box. */
export const BOX_ORIGIN_FILE = '.vm-origin.json';

/** Project layout, relative to the folder holding the Vmfile. */
export const PROJECT_STATE_DIR = '.vm';
export const PROJECT_MACHINES_DIR = 'machines';
export const PROJECT_LOCKS_DIR = 'locks';
export const MACHINE_STATE_FILE = 'state.json';

/**
 * Where the store lives, and where bundled boxes are looked up. Every store function takes these so
 * tests can point at temp folders; the defaults come from the environment.
 */
export interface StoreLocation {
  /** Store root; default $VM_HOME or the platform data dir (~/.local/share/vm on Linux). */
  home?: string;
  /** Bundled boxes folder; default $VM_BUNDLED_BOXES_DIR or <package>/boxes. `null` disables bundled boxes. */
  bundledDir?: string | null;
}

export function storeRoot(loc: StoreLocation = {}): string {
  if (loc.home !== undefined) return resolve(loc.home);
  const fromEnv = process.env[VM_HOME_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return envPaths('vm', { suffix: '' }).data;
}

export const storeBoxesDir = (loc: StoreLocation = {}): string => join(storeRoot(loc), STORE_BOXES_DIR);
export const storeBoxNameDir = (name: string, loc: StoreLocation = {}): string => join(storeBoxesDir(loc), name);
export const storeBoxDir = (name: string, version: string, loc: StoreLocation = {}): string =>
  join(storeBoxesDir(loc), name, version);
/** Temp folders live inside the store so the final rename stays on one filesystem (atomic). */
export const storeTmpDir = (loc: StoreLocation = {}): string => join(storeRoot(loc), STORE_TMP_DIR);
export const storeWarmDir = (loc: StoreLocation = {}): string => join(storeRoot(loc), STORE_WARM_DIR);
export const storeCacheDir = (loc: StoreLocation = {}): string => join(storeRoot(loc), STORE_CACHE_DIR);
export const storeIndexFile = (loc: StoreLocation = {}): string => join(storeRoot(loc), STORE_INDEX_FILE);
export const storeIndexLock = (loc: StoreLocation = {}): string => join(storeRoot(loc), STORE_INDEX_LOCK);

/**
 * The installed package's root, found from this file's own location: src/core/paths.ts when run from
 * source, dist/core/paths.js when built — both two levels below the root.
 */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** Folder of bundled boxes, or null when bundled boxes are disabled. */
export function bundledBoxesDir(loc: StoreLocation = {}): string | null {
  if (loc.bundledDir !== undefined) return loc.bundledDir === null ? null : resolve(loc.bundledDir);
  const fromEnv = process.env[VM_BUNDLED_BOXES_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return join(packageRoot(), 'boxes');
}

export const projectStateDir = (projectDir: string): string => join(projectDir, PROJECT_STATE_DIR);
export const projectMachinesDir = (projectDir: string): string =>
  join(projectDir, PROJECT_STATE_DIR, PROJECT_MACHINES_DIR);
export const machineDir = (projectDir: string, machine: string): string =>
  join(projectMachinesDir(projectDir), machine);
export const machineStateFile = (projectDir: string, machine: string): string =>
  join(machineDir(projectDir, machine), MACHINE_STATE_FILE);
/** Locks live outside the machine folder so `destroy` can delete that folder while holding the lock. */
export const projectLocksDir = (projectDir: string): string => join(projectDir, PROJECT_STATE_DIR, PROJECT_LOCKS_DIR);
export const machineLockFile = (projectDir: string, machine: string): string =>
  join(projectLocksDir(projectDir), `${machine}.lock`);

/** Absolute form of a project folder, so the global index keys projects the same way everywhere. */
export function absoluteProjectDir(dir: string): string {
  return isAbsolute(dir) ? resolve(dir) : resolve(process.cwd(), dir);
}
