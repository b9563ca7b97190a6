// Warm start on the builtin engine: the first `vm up` of a machine shape (box, memory, cpus, device
// layout) saves the guest as it is once its agent answers, as a "warm image"; later new machines of
// the same shape resume from it instead of booting the kernel. An image is an ordinary running
// snapshot (QMP x-vm-snapshot without a layer: machine-runner.ts), so its memory and device state
// are a state file of snapshot/state-file.ts and its root disk is an overlay file of the box's image:
//
//   <cache>/<key>/warm.json      what it is (format, vm version, shape) and of which machine it was
//                                taken (old hostname, MACs, synced folder mounts: what a resumed
//                                machine must replace)
//   <cache>/<key>/memory.state   the state file (RAM, harts, devices, 9p sessions)
//   <cache>/<key>/root.overlay   the root disk's overlay at that moment
//
// The folder is made under a temporary name and renamed into place whole, so a reader sees a
// complete image or none. A new machine's root disk is a chain (engines/shared/disk-chain.ts) whose
// one frozen layer is the image's overlay (hard-linked, shared read-only) under the machine's own
// writable top; the state file is linked into the machine's folder for the engine to resume from
// (it deletes that link once loaded, as after `vm suspend`). What makes the resumed guest this
// machine rather than the one the image was taken of is done by core through the agent
// (core/machines/warm-start.ts).
import { createHash, randomBytes } from 'node:crypto';
import { link, lstat, mkdir, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { RuntimePaths, WarmImageRef } from '../../engine.js';
import type { MachineConfig } from '../../../model/machine-config.js';
import { DiskError } from '../../errors.js';
import { writeFileAtomic, syncDir } from '../../shared/atomic-file.js';
import { copySparse } from '../../shared/sparse-copy.js';
import { DiskChainError } from '../../shared/disk-chain.js';
import { QmpClient } from '../../qmp-client.js';
import { SNAPSHOT_MEMORY_FILE } from '../../engine.js';
import { rootBase, rootChain, ROOT_OVERLAY_FILE, rootOverlayPath } from '../disk/machine-disks.js';
import { OverlayDisk } from '../disk/overlay-disk.js';
import { checkStateFile, STATE_FILE_FORMAT, StateFileError, VM_VERSION } from '../snapshot/state-file.js';

/** Version of the warm image folder's layout (warm.json and its files). */
export const WARM_FORMAT = 1;
export const WARM_META_FILE = 'warm.json';
/** In a machine's folder: its link to the image's state file, consumed by the engine on resume. */
export const WARM_RESUME_FILE = 'warm.state';
/** How long the engine gets to write the image (its RAM is compressed as it goes). */
const SAVE_TIMEOUT_MS = 120_000;

/**
 * What a guest resumed from an image has in common with the machine that made it: everything its
 * kernel found at boot and keeps (memory map, harts, the virtio devices in their slots and their
 * config space, such as a 9p share's tag) and everything that makes the state file loadable.
 */
export function warmShape(c: MachineConfig): Record<string, unknown> {
  return {
    format: WARM_FORMAT,
    vm: VM_VERSION,
    stateFormat: STATE_FILE_FORMAT,
    box: c.box.checksum,
    rootDisk: c.box.rootDisk?.sha256 ?? null,
    firmware: c.firmware === 'sbi' ? 'sbi' : c.firmware,
    cmdline: c.cmdline,
    memoryBytes: c.memoryBytes,
    cpus: c.cpus,
    rootDiskBytes: c.rootDiskBytes ?? null,
    nics: c.nics.map((n) => n.type),
    syncedFolders: c.syncedFolders.map((f) => ({ tag: f.tag, readOnly: f.readOnly })),
    disks: c.disks.map((d) => d.sizeBytes),
  };
}

/** The shape as a folder name: a sha256 of it (object keys sorted). */
export function warmKey(c: MachineConfig): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canon(warmShape(c)))).digest('hex').slice(0, 32);
}

/** What warm.json holds. */
export interface WarmMeta {
  format: typeof WARM_FORMAT;
  key: string;
  shape: Record<string, unknown>;
  /** The machine it was taken of, and what of it the guest still carries. */
  from: WarmImageRef['from'];
  savedAt: string;
}


/** Why a machine cannot be resumed from a warm image (it boots cold), or undefined when it can. */
export function warmRefusal(c: MachineConfig): string | undefined {
  const privateNic = c.nics.findIndex((n) => n.type === 'private');
  // The guest's address on a private network is on the first machine's kernel command line and in
  // its peers' ARP caches; the agent could change it, but the network's other machines would not know.
  if (privateNic >= 0) return `NIC ${privateNic + 1} is on a private network, whose address and peers cannot be handed to a resumed guest`;
  return undefined;
}

/**
 * The checked warm image for `c`'s shape under `cacheDir`: `{ image }`; or `{ note }` saying why an
 * image that is there cannot be used (damaged, of another vm version), or `{}` when there is none.
 * Never throws for a bad image: a cold boot follows (and saves a good one over it).
 */
export async function findWarmImage(cacheDir: string, c: MachineConfig): Promise<{ image?: WarmImageRef; note?: string }> {
  const key = warmKey(c);
  const dir = join(cacheDir, key);
  let text: string;
  try {
    text = await readFile(join(dir, WARM_META_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { note: `the warm image ${dir} cannot be read (${(err as Error).message})` };
  }
  const bad = (why: string): { note: string } => ({ note: `the warm image ${dir} was not used: ${why}` });
  let meta: WarmMeta;
  try {
    meta = JSON.parse(text) as WarmMeta;
  } catch {
    return bad('its warm.json is not JSON');
  }
  if (meta?.format !== WARM_FORMAT) return bad(`it has format ${String(meta?.format)}, this vm reads ${WARM_FORMAT}`);
  if (meta.key !== key || JSON.stringify(meta.shape) !== JSON.stringify(warmShape(c))) return bad(`it was made by another vm version or for another machine shape`);
  if (!meta.from || !Array.isArray(meta.from.macs) || !Array.isArray(meta.from.mounts) || typeof meta.from.hostname !== 'string') return bad('its warm.json is malformed');
  try {
    // Read whole and every checksum verified, as the engine will again: a damaged file must mean a
    // cold boot here, not a failed start there. A chunk at a time and nothing decompressed: memory
    // and CPU the engine starting next needs.
    const header = await checkStateFile(join(dir, SNAPSHOT_MEMORY_FILE));
    if (header.ramBytes !== c.memoryBytes || header.cpus !== c.cpus) return bad('its state is of another memory size or cpu count');
  } catch (err) {
    if (err instanceof StateFileError) return bad(err.message);
    throw err;
  }
  const base = rootBase(c);
  if (base) {
    try {
      const disk = await OverlayDisk.open(join(dir, ROOT_OVERLAY_FILE), base, { readOnly: true });
      await disk.close();
    } catch (err) {
      if (err instanceof DiskError || (err as NodeJS.ErrnoException).code) return bad(`its root disk layer: ${(err as Error).message}`);
      throw err;
    }
  }
  return { image: { dir, from: meta.from } };
}

/**
 * A new machine's disks on the image: its root disk a chain whose one layer is the image's overlay
 * (shared read-only) under an empty top of its own. Returns the state file the engine resumes from
 * (a link to the image's in the machine's folder; the engine deletes it once loaded). Fails with a
 * DiskError, leaving no root disk behind, when the machine already has one or the files cannot be linked.
 */
export async function prepareFromWarm(c: MachineConfig, image: WarmImageRef): Promise<string> {
  await mkdir(c.project.stateDir, { recursive: true, mode: 0o700 });
  const chain = rootChain(c);
  if (chain) {
    try {
      await lstat(rootOverlayPath(c));
      throw new DiskError(`machine '${c.name}' already has a root disk`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      await chain.adoptLayer(`warm-${warmKey(c).slice(0, 16)}`, join(image.dir, ROOT_OVERLAY_FILE));
    } catch (err) {
      if (err instanceof DiskChainError) throw new DiskError(err.message, err.hint);
      throw err;
    }
  }
  const resume = join(c.project.stateDir, WARM_RESUME_FILE);
  await unlink(resume).catch(() => {});
  try {
    try {
      await link(join(image.dir, SNAPSHOT_MEMORY_FILE), resume);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await copySparse(join(image.dir, SNAPSHOT_MEMORY_FILE), resume);
    }
  } catch (err) {
    // No half-made machine: without its state the root disk on the image is of no use (a cold boot follows).
    if (chain) for (const f of [...(await chain.files()), rootOverlayPath(c)]) await unlink(f).catch(() => {});
    throw err;
  }
  return resume;
}

/** Delete temporary image folders whose writer is gone (a CLI killed while saving one). */
async function sweepAbandoned(cacheDir: string): Promise<void> {
  for (const f of await readdir(cacheDir).catch(() => [] as string[])) {
    const m = /^\.[0-9a-f]+\.tmp-(\d+)-[0-9a-f]+(\.old)?$/.exec(f);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    await rm(join(cacheDir, f), { recursive: true, force: true });
  }
}

/**
 * Save the running machine `c` (fresh: its root disk has no layers, just booted, its agent
 * answering) as the warm image of its shape under `cacheDir`, replacing one that is there.
 * Returns the image's folder.
 */
export async function saveWarmImage(cacheDir: string, c: MachineConfig, paths: RuntimePaths): Promise<string> {
  const key = warmKey(c);
  const dir = join(cacheDir, key);
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  await sweepAbandoned(cacheDir);
  const tmp = join(cacheDir, `.${key}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { mode: 0o700 });
  try {
    const qmp = await QmpClient.connect(paths.qmpSocket);
    try {
      // No layer: the root overlay is copied whole while the guest is paused (a fresh machine's
      // top is all its disk), and its extra disks too, which the image does not keep: a new
      // machine's extra disks are as blank as the first one's were when it booted.
      await qmp.execute('x-vm-snapshot', { dir: tmp }, SAVE_TIMEOUT_MS);
    } finally {
      qmp.close();
    }
    for (const d of c.disks) await rm(join(tmp, d.path.slice(c.project.stateDir.length + 1)), { force: true });
    const meta: WarmMeta = {
      format: WARM_FORMAT,
      key,
      shape: warmShape(c),
      from: {
        machine: c.name,
        hostname: c.hostname,
        macs: c.nics.map((n) => n.mac),
        mounts: c.syncedFolders.map((f) => ({ tag: f.tag, guestPath: f.guestPath })),
      },
      savedAt: new Date().toISOString(),
    };
    await writeFileAtomic(join(tmp, WARM_META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
    await syncDir(tmp);
    // An older image of the shape (damaged, or a race with another machine's first boot) is moved
    // aside first: rename does not replace a folder that has files.
    const old = `${tmp}.old`;
    await rename(dir, old).catch(() => {});
    await rename(tmp, dir);
    await syncDir(cacheDir);
    await rm(old, { recursive: true, force: true });
    return dir;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
