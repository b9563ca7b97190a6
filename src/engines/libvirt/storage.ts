// The machine's disks as libvirt storage volumes (https://libvirt.org/storage.html): the box's files
// are uploaded once into the pool as base volumes (named by the box's checksum, so every machine and
// project on that host shares them), each machine gets a qcow2 overlay volume backed by the root
// base (explicit backing format: the image's format comes from box.json, never from probing), extra
// disks are raw volumes. Uploads go through `virsh vol-upload`, so a remote host works the same.
// A base volume counts only once its `.complete` marker volume exists: an upload cut short is
// deleted and made again, never used as a backing file.
import { stat } from 'node:fs/promises';
import type { MachineConfig } from '../../model/machine-config.js';
import type { DomainVolumes } from './domain-xml.js';
import { LibvirtError } from './errors.js';
import { baseVolumeName, completeMarkerName, domainName, extraDiskName, rootOverlayName } from './names.js';
import type { VirshRunner as Virsh } from './virsh.js';

/** Where a pool vm creates itself lives on the hypervisor host. */
export const POOL_DIR_PREFIX = '/var/lib/libvirt/';

/** What vm needs to know of a pool, read in few calls (each virsh call is an ssh round trip on a remote host). */
interface PoolView {
  type: string;
  active: boolean;
  /** The pool's directory on the hypervisor host (dir pools). */
  target: string;
  volumes: Set<string>;
}

async function poolView(virsh: Virsh, pool: string): Promise<PoolView | undefined> {
  const xml = await virsh.tryRun(['pool-dumpxml', pool]);
  if (!xml) return undefined;
  const type = /<pool type=['"]([^'"]+)['"]/.exec(xml.stdout)?.[1] ?? '';
  const target = /<target>\s*<path>([^<]+)<\/path>/.exec(xml.stdout)?.[1] ?? '';
  const info = await virsh.run(['pool-info', pool]);
  const active = /^State:\s+running/m.test(info.stdout);
  const volumes = new Set<string>();
  if (active) {
    // `virsh -q` prints the table without its header: one `name path` line per volume
    for (const line of (await virsh.run(['vol-list', pool])).stdout.split('\n')) {
      const name = line.trim().split(/\s+/)[0];
      if (name) volumes.add(name);
    }
  }
  return { type, active, target, volumes };
}

/**
 * Checks the pool is usable without changing anything: absent (vm will create it), or a directory
 * pool. Anything else under that name belongs to someone else.
 */
export async function checkPool(virsh: Virsh, pool: string): Promise<void> {
  const view = await virsh.tryRun(['pool-dumpxml', pool]);
  const type = view ? (/<pool type=['"]([^'"]+)['"]/.exec(view.stdout)?.[1] ?? '') : 'dir';
  if (type !== 'dir') {
    throw new LibvirtError(`the storage pool name '${pool}' is taken by a ${type} pool on ${virsh.uri}`, 'choose another pool: libvirt: {pool: NAME} in the Vmfile');
  }
}

/** The pool, created as a directory pool under /var/lib/libvirt/<pool> when absent, and running. */
export async function ensurePool(virsh: Virsh, pool: string): Promise<PoolView> {
  let view = await poolView(virsh, pool);
  if (view && view.type !== 'dir') await checkPool(virsh, pool);
  if (!view) {
    await virsh.run(['pool-define-as', pool, 'dir', '--target', `${POOL_DIR_PREFIX}${pool}`]);
    await virsh.run(['pool-build', pool]);
    await virsh.run(['pool-autostart', pool]);
  }
  if (!view?.active) {
    await virsh.run(['pool-start', pool]);
    view = await poolView(virsh, pool);
  }
  if (!view) throw new LibvirtError(`the storage pool '${pool}' on ${virsh.uri} vanished while vm set it up`);
  return view;
}

const volumePath = (view: PoolView, vol: string): string => `${view.target}/${vol}`;

/** Uploads `file` as base volume `vol` unless a complete one is there; returns its path on the host. */
async function ensureBase(virsh: Virsh, pool: string, view: PoolView, vol: string, file: string): Promise<string> {
  const marker = completeMarkerName(vol);
  if (view.volumes.has(vol) && view.volumes.has(marker)) return volumePath(view, vol);
  if (view.volumes.has(vol)) await virsh.tryRun(['vol-delete', '--pool', pool, vol]);
  if (view.volumes.has(marker)) await virsh.tryRun(['vol-delete', '--pool', pool, marker]);
  const size = (await stat(file)).size;
  await virsh.run(['vol-create-as', pool, vol, String(size), '--allocation', '0', '--format', 'raw']);
  await virsh.run(['vol-upload', '--pool', pool, vol, file, '--sparse']);
  await virsh.run(['vol-create-as', pool, marker, '0', '--format', 'raw']);
  view.volumes.add(vol).add(marker);
  return volumePath(view, vol);
}

/** Names and paths the domain refers to, without creating anything (for start and destroy). */
export function plannedVolumes(config: MachineConfig, pool: string): { root?: string; extra: string[] } {
  const domain = domainName(config);
  return {
    ...(config.box.rootDisk ? { root: rootOverlayName(domain) } : {}),
    extra: config.disks.map((d) => extraDiskName(domain, d.name)),
  };
}

/** Makes every volume the machine needs (idempotent: existing overlays and disks are kept). */
export async function prepareVolumes(virsh: Virsh, config: MachineConfig, pool: string): Promise<DomainVolumes> {
  const view = await ensurePool(virsh, pool);
  const box = config.box;
  const kernel = await ensureBase(virsh, pool, view, baseVolumeName(box, 'kernel', box.checksum), box.kernel);
  const initrd = box.initrd ? await ensureBase(virsh, pool, view, baseVolumeName(box, 'initrd', box.checksum), box.initrd) : undefined;
  const firmware = config.firmware !== 'sbi' ? await ensureBase(virsh, pool, view, baseVolumeName(box, 'firmware', box.checksum), config.firmware) : undefined;
  const planned = plannedVolumes(config, pool);
  if (box.rootDisk && planned.root) {
    const base = baseVolumeName(box, 'root', box.rootDisk.sha256);
    if (box.rootDisk.format !== 'raw') throw new LibvirtError(`box ${box.name}: a ${box.rootDisk.format} root disk cannot be a base volume yet (raw only)`);
    await ensureBase(virsh, pool, view, base, box.rootDisk.path);
    if (!view.volumes.has(planned.root)) {
      // disk_size (validated: at least the image's size) makes the overlay larger than its backing volume
      const size = Math.max((await stat(box.rootDisk.path)).size, config.rootDiskBytes ?? 0);
      await virsh.run(['vol-create-as', pool, planned.root, String(size), '--format', 'qcow2', '--backing-vol', base, '--backing-vol-format', 'raw']);
    }
  }
  for (const [i, d] of config.disks.entries()) {
    const vol = planned.extra[i]!;
    if (!view.volumes.has(vol)) await virsh.run(['vol-create-as', pool, vol, String(d.sizeBytes), '--allocation', '0', '--format', 'raw']);
  }
  return { pool, kernel, ...(initrd ? { initrd } : {}), ...(firmware ? { firmware } : {}), ...planned };
}

/** The volumes of an existing machine, for its domain XML at start; missing ones are an error. */
export async function existingVolumes(virsh: Virsh, config: MachineConfig, pool: string): Promise<DomainVolumes> {
  const box = config.box;
  const view = await poolView(virsh, pool);
  if (!view?.active) throw new LibvirtError(`the storage pool '${pool}' is missing or stopped on ${virsh.uri}`, `start it (virsh -c ${virsh.uri} pool-start ${pool}), or \`vm destroy\` then \`vm up\``);
  const base = async (role: 'kernel' | 'initrd' | 'firmware'): Promise<string> => {
    const vol = baseVolumeName(box, role, box.checksum);
    if (!view.volumes.has(completeMarkerName(vol))) throw new LibvirtError(`the box's ${role} volume ${vol} is missing from pool ${pool} on ${virsh.uri}`, '`vm destroy` then `vm up` uploads it again');
    return volumePath(view, vol);
  };
  const planned = plannedVolumes(config, pool);
  for (const vol of [planned.root, ...planned.extra]) {
    if (vol && !view.volumes.has(vol)) {
      throw new LibvirtError(`the machine's volume ${vol} is missing from pool ${pool} on ${virsh.uri}`, `\`vm destroy --force ${config.name}\` then \`vm up\` makes the machine again`);
    }
  }
  return {
    pool,
    kernel: await base('kernel'),
    ...(box.initrd ? { initrd: await base('initrd') } : {}),
    ...(config.firmware !== 'sbi' ? { firmware: await base('firmware') } : {}),
    ...planned,
  };
}

/** Deletes the machine's own volumes (overlay, extra disks); base volumes stay for other machines. */
export async function deleteVolumes(virsh: Virsh, config: MachineConfig, pool: string): Promise<void> {
  const view = await poolView(virsh, pool);
  if (!view) return;
  const planned = plannedVolumes(config, pool);
  for (const vol of [planned.root, ...planned.extra]) if (vol && view.volumes.has(vol)) await virsh.run(['vol-delete', '--pool', pool, vol]);
}
