// What an engine cannot run, said by `vm validate` at the Vmfile line rather than by the engine at
// `vm up` after the machine was created. The limits come from where they are enforced, loaded only
// for a machine that sets memory, cpus, disk_size or synced folders: `vm status` of a plain project
// loads no engine or emulator code.
import type { BoxRef, EngineName } from '../../model/machine-config.js';
import type { MachineDraft } from './normalize-machine.js';
import type { Reporter } from './reporter.js';
import { quote } from './values.js';
import { formatSize } from './units.js';

export async function checkEngineLimits(d: MachineDraft, box: BoxRef, engine: EngineName, report: Reporter): Promise<void> {
  if (engine === 'builtin' && d.memoryPath) {
    const { MAX_RAM_BYTES } = await import('../../emulator/memory/ram.js');
    if (d.memoryBytes > MAX_RAM_BYTES) {
      report.error(d.memoryPath, `memory: ${formatSize(d.memoryBytes)} is more than the builtin engine can give a machine (at most ${formatSize(MAX_RAM_BYTES)})`, {
        hint: box.engines.includes('qemu')
          ? `use at most ${formatSize(MAX_RAM_BYTES)}, or \`engine: qemu\` (needs qemu-system installed)`
          : `use at most ${formatSize(MAX_RAM_BYTES)}`,
      });
    }
  }
  if (engine === 'builtin' && d.cpusPath && d.cpus > 1) {
    const { MAX_HARTS } = await import('../../emulator/machine/limits.js');
    if (d.cpus > MAX_HARTS) {
      report.error(d.cpusPath, `cpus: ${d.cpus} is more than the builtin engine emulates (at most ${MAX_HARTS} harts)`, {
        hint: box.engines.includes('qemu') ? `use at most ${MAX_HARTS}, or \`engine: qemu\` (needs qemu-system installed)` : `use at most ${MAX_HARTS}`,
      });
    }
  }
  if (d.rootDisk) await checkRootDiskSize(d.rootDisk, box, engine, report);
  if (engine === 'libvirt') await checkLibvirtLimits(d, report);
  if (d.syncedFolders.length > 0) {
    // Both engines pass mounts to the box's init as vm.mount=TAG:PATH on the kernel command line.
    const { UNMOUNTABLE } = await import('../../engines/guest-params.js');
    for (const f of d.syncedFolders) {
      if (!UNMOUNTABLE.test(f.config.guestPath)) continue;
      report.error(f.guestPathAt, `synced folder guest path ${quote(f.config.guestPath)} cannot be mounted: the box's init reads mounts from the kernel command line, which cannot carry spaces, \`:\` or control characters`, {
        hint: 'choose a guest path without spaces or colons',
      });
    }
  }
}

/** `disk_size` sizes the box's root disk: there must be one, and the disk must hold the whole image. */
async function checkRootDiskSize(want: NonNullable<MachineDraft['rootDisk']>, box: BoxRef, engine: EngineName, report: Reporter): Promise<void> {
  const label = `box "${box.name}" ${box.version}`;
  if (!box.rootDisk) {
    report.error(want.path, `disk_size sizes the box's root disk, and ${label} has none (it runs from its initramfs)`, {
      hint: 'remove disk_size; for space of its own give the machine a disk under `disks:`',
    });
    return;
  }
  const { rootImageBytes } = await import('../boxes/root-image.js');
  const image = rootImageBytes(box);
  if (image !== undefined && want.bytes < image) {
    report.error(want.path, `disk_size: ${formatSize(want.bytes)} is smaller than the root image of ${label} (${formatSize(image)}); the disk must hold the whole image`, {
      hint: `use at least ${formatSize(image)}, or remove disk_size to get the image's size`,
    });
  }
  if (engine === 'builtin') {
    const { MAX_VIRTUAL_SIZE } = await import('../../engines/builtin/disk/overlay-format.js');
    if (want.bytes > MAX_VIRTUAL_SIZE) {
      report.error(want.path, `disk_size: ${formatSize(want.bytes)} is more than the builtin engine's root disk overlay holds (at most ${formatSize(MAX_VIRTUAL_SIZE)})`, {
        hint: box.engines.includes('qemu') ? `use at most ${formatSize(MAX_VIRTUAL_SIZE)}, or \`engine: qemu\`` : `use at most ${formatSize(MAX_VIRTUAL_SIZE)}`,
      });
    }
  }
}

/**
 * A remote libvirt host cannot share this host's folders. Its forwards reach this host through an
 * ssh tunnel when the URI goes over ssh (TCP only); over another transport qemu listens on the
 * hypervisor host itself, so a loopback address there would be out of this host's reach.
 */
async function checkLibvirtLimits(d: MachineDraft, report: Reporter): Promise<void> {
  const { libvirtSettings } = await import('./compile.js');
  const { isLocalUri, sshCommand } = await import('../../engines/libvirt/uri.js');
  const { uri } = libvirtSettings(d);
  if (isLocalUri(uri)) return;
  for (const f of d.syncedFolders) {
    report.error(f.guestPathAt.slice(0, -1), `synced folders need the folder on the hypervisor host, and machine "${d.name}" runs on the remote libvirt host ${uri}`, {
      hint: 'remove it and copy files with a `file` provisioner, or use a local URI (qemu:///system)',
    });
  }
  const overSsh = sshCommand(uri) !== undefined;
  for (const f of d.forwards) {
    if (overSsh) {
      if (f.config.protocol === 'tcp') continue;
      report.error(f.path, `forward of ${f.config.protocol} port ${f.config.host}: machine "${d.name}" runs on the remote libvirt host ${uri}, and the ssh tunnel that brings its forwards here carries TCP only`, {
        hint: 'forward a TCP port, or use a local URI (qemu:///system)',
      });
      continue;
    }
    if (f.config.hostIp !== '127.0.0.1' && f.config.hostIp !== 'localhost') continue;
    report.error(f.path, `forward to ${f.config.hostIp}:${f.config.host} on a remote libvirt host (${uri}) would listen on that host's loopback, not this one's`, {
      hint: `set host_ip to an address of the hypervisor host to listen there (reach it as <host>:${f.config.host}), use a qemu+ssh:// URI (forwards then come through an ssh tunnel), or use a local URI`,
    });
  }
}
