// The machine's disks as libvirt storage volumes (https://libvirt.org/storage.html): the box's files
// are uploaded once into the pool as base volumes (named by the box's checksum, so every machine and
// project on that host shares them), each machine gets a qcow2 overlay volume backed by the root
// base (explicit backing format: the image's format comes from box.json, never from probing), extra
// disks are raw volumes. Uploads go through `virsh vol-upload`, so a remote host works the same.
// A base volume counts only once its `.complete` marker volume exists: an upload cut short is
// deleted and made again, never used as a backing file.
import { stat } from 'node:fs/promises';
import type { MachineConfig } from '../machine-config.js';
import type { DomainVolumes } from './domain-xml.js';
import { LibvirtError } from './errors.js';
import { baseVolumeName, completeMarkerName, domainName, extraDiskName, rootOverlayName } from './names.js';
import type { Virsh } from './virsh.js';

/** Where a pool vm creates itself lives on the hypervisor host. */
export const POOL_DIR_PREFIX = '/var/lib/libvirt/';

async function poolInfo(virsh: Virsh, pool: string): Promise<{ type: string; active: boolean } | undefined> {
  const xml = await virsh.tryRun(['pool-dumpxml', pool]);
  if (!xml) return undefined;
  const type = /<pool type=['"]([^'"]+)['"]/.exec(xml.stdout)?.[1] ?? '';
  const info = await virsh.run(['pool-info', pool]);
  return { type, active: /^State:\s+running/m.test(info.stdout) };
}

/**
 * Checks the pool is usable without changing anything: absent (vm will create it), or a directory
 * pool. Anything else under that name belongs to someone else.
 */
export async function checkPool(virsh: Virsh, pool: string): Promise<void> {
  const info = await poolInfo(virsh, pool);
  if (info && info.type !== 'dir') {
    throw new LibvirtError(`the storage pool name '${pool}' is taken by a ${info.type} pool on ${virsh.uri}`, 'choose another pool: libvirt: {pool: NAME} in the Vmfile');
  }
}

/** The pool, created as a directory pool under /var/lib/libvirt/<pool> when absent, and running. */
export async function ensurePool(virsh: Virsh, pool: string): Promise<void> {
  const info = await poolInfo(virsh, pool);
  if (info && info.type !== 'dir') await checkPool(virsh, pool);
  if (!info) {
    await virsh.run(['pool-define-as', pool, 'dir', '--target', `${POOL_DIR_PREFIX}${pool}`]);
    await virsh.run(['pool-build', pool]);
    await virsh.run(['pool-autostart', pool]);
  }
  if (!info?.active) await virsh.run(['pool-start', pool]);
}

const volumeExists = async (virsh: Virsh, pool: string, vol: string): Promise<boolean> => (await virsh.tryRun(['vol-info', '--pool', pool, vol])) !== undefined;

async function volumePath(virsh: Virsh, pool: string, vol: string): Promise<string> {
  return (await virsh.run(['vol-path', '--pool', pool, vol])).stdout.trim();
}

/** Uploads `file` as base volume `vol` unless a complete one is there; returns its path on the host. */
async function ensureBase(virsh: Virsh, pool: string, vol: string, file: string): Promise<string> {
  const marker = completeMarkerName(vol);
  if ((await volumeExists(virsh, pool, vol)) && (await volumeExists(virsh, pool, marker))) return volumePath(virsh, pool, vol);
  await virsh.tryRun(['vol-delete', '--pool', pool, vol]);
  await virsh.tryRun(['vol-delete', '--pool', pool, marker]);
  const size = (await stat(file)).size;
  await virsh.run(['vol-create-as', pool, vol, String(size), '--allocation', '0', '--format', 'raw']);
  await virsh.run(['vol-upload', '--pool', pool, vol, file, '--sparse']);
  await virsh.run(['vol-create-as', pool, marker, '0', '--format', 'raw']);
  return volumePath(virsh, pool, vol);
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
  await ensurePool(virsh, pool);
  const box = config.box;
  const kernel = await ensureBase(virsh, pool, baseVolumeName(box, 'kernel', box.checksum), box.kernel);
  const initrd = box.initrd ? await ensureBase(virsh, pool, baseVolumeName(box, 'initrd', box.checksum), box.initrd) : undefined;
  const firmware = config.firmware !== 'sbi' ? await ensureBase(virsh, pool, baseVolumeName(box, 'firmware', box.checksum), config.firmware) : undefined;
  const planned = plannedVolumes(config, pool);
  if (box.rootDisk && planned.root) {
    const base = baseVolumeName(box, 'root', box.rootDisk.sha256);
    await ensureBase(virsh, pool, base, box.rootDisk.path);
    if (box.rootDisk.format !== 'raw') throw new LibvirtError(`box ${box.name}: a ${box.rootDisk.format} root disk cannot be a base volume yet (raw only)`);
    if (!(await volumeExists(virsh, pool, planned.root))) {
      const size = (await stat(box.rootDisk.path)).size;
      await virsh.run(['vol-create-as', pool, planned.root, String(size), '--format', 'qcow2', '--backing-vol', base, '--backing-vol-format', 'raw']);
    }
  }
  for (const [i, d] of config.disks.entries()) {
    const vol = planned.extra[i]!;
    if (!(await volumeExists(virsh, pool, vol))) await virsh.run(['vol-create-as', pool, vol, String(d.sizeBytes), '--allocation', '0', '--format', 'raw']);
  }
  return { pool, kernel, ...(initrd ? { initrd } : {}), ...(firmware ? { firmware } : {}), ...planned };
}

/** The volumes of an existing machine, for its domain XML at start; missing ones are an error. */
export async function existingVolumes(virsh: Virsh, config: MachineConfig, pool: string): Promise<DomainVolumes> {
  const box = config.box;
  const base = async (role: 'kernel' | 'initrd' | 'firmware'): Promise<string> => {
    const vol = baseVolumeName(box, role, box.checksum);
    if (!(await volumeExists(virsh, pool, completeMarkerName(vol)))) throw new LibvirtError(`the box's ${role} volume ${vol} is missing from pool ${pool} on ${virsh.uri}`, '`vm up` uploads it again after `vm destroy`');
    return volumePath(virsh, pool, vol);
  };
  const planned = plannedVolumes(config, pool);
  for (const vol of [planned.root, ...planned.extra]) {
    if (vol && !(await volumeExists(virsh, pool, vol))) {
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
  const planned = plannedVolumes(config, pool);
  for (const vol of [planned.root, ...planned.extra]) if (vol) await virsh.tryRun(['vol-delete', '--pool', pool, vol]);
}
