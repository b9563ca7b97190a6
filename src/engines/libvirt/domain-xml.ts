// The libvirt domain XML of a machine: one pure function, MachineConfig + the volumes prepare made
// in, XML out (golden files in test/unit/engines/libvirt/golden pin it). It describes the same
// machine as the qemu engine's argv (qemu/argv.ts), in libvirt's words:
// https://libvirt.org/formatdomain.html
//
// - type='qemu' (TCG): libvirt's `kvm` type would need nested KVM on the hypervisor host, which the
//   qemu engine proves with a probe before it uses it; the libvirt engine does not probe a remote host.
// - riscv64 `virt`: every device gets <address type='virtio-mmio'/>, or libvirt puts them on PCI
//   behind pcie-root-ports, which the boxes' kernels do not have; a bare pcie-root keeps libvirt
//   from adding those ports.
// - NICs go through <qemu:commandline> (https://libvirt.org/drvqemu.html#pass-through-of-arbitrary-qemu-commands):
//   libvirt 9.0 (Debian bookworm) forwards host ports into a user-mode NIC only with the passt
//   backend (another package, first released in that libvirt), while qemu's own user network takes
//   `hostfwd=` and gives the guest the same network as the qemu and builtin engines (10.0.2.15,
//   gateway 10.0.2.2). On a remote host reached over ssh, qemu listens on that host's loopback on
//   ports the kernel picks and an ssh tunnel brings each forward here (forward-tunnel.ts). Private
//   networks use the qemu engine's multicast socket, so machines on every engine of this host share
//   them. Being after libvirt's devices, NICs keep their relative order.
// - The same -global the qemu engine passes makes virtio-mmio speak version 2.
// - The serial port is a pty (`virsh console` reaches it on any host); the agent's virtio-serial
//   port is a unix socket libvirt names (live XML has the path); synced folders are <filesystem>
//   9p shares, possible only when the hypervisor is this host.
// - A guest power-off, reboot or crash ends the domain (the lifecycle starts machines; -no-reboot).

import type { Arch, MachineConfig } from '../../model/machine-config.js';
import { guestParams } from '../guest-params.js';
import { privateNetworkEndpoint } from '../private-network.js';
import { LibvirtConfigError } from './errors.js';
import { REMOTE_LISTEN } from './forward-tunnel.js';
import { METADATA_NS, METADATA_PREFIX } from './names.js';

/** Name of the guest agent's virtio-serial port (the same as the qemu engine's AGENT_PORT_NAME). */
export const AGENT_PORT_NAME = 'vm.agent';
/** riscv64 `virt` has this many virtio-mmio slots (hw/riscv/virt.c VIRTIO_COUNT). */
const VIRT_MMIO_SLOTS = 8;
const MiB = 1024 * 1024;

/** Paths and names on the hypervisor host, from prepare (storage.ts). */
export interface DomainVolumes {
  pool: string;
  kernel: string;
  initrd?: string;
  firmware?: string;
  /** Overlay volume name of the root disk, in `pool`. */
  root?: string;
  /** Extra disks' volume names in `pool`, in config order. */
  extra: string[];
}

export interface DomainXmlInput {
  config: MachineConfig;
  domain: string;
  volumes: DomainVolumes;
  /** Whether the hypervisor is this host (9p shares need the host's folders). */
  local: boolean;
  /** Whether forwards reach this host through an ssh tunnel (forward-tunnel.ts): qemu then listens on the hypervisor host's loopback. */
  tunnelForwards?: boolean;
  /** The defined domain's UUID, when it exists: libvirt redefines a name only with its UUID. */
  uuid?: string;
}

interface ArchProfile {
  arch: string;
  machine: string;
  mmio: boolean;
  netDevice: string;
}

const PROFILES: Record<Arch, ArchProfile> = {
  riscv64: { arch: 'riscv64', machine: 'virt', mmio: true, netDevice: 'virtio-net-device' },
  x86_64: { arch: 'x86_64', machine: 'q35', mmio: false, netDevice: 'virtio-net-pci' },
};

/** Escapes text for XML content and attribute values. */
export function xmlEscape(text: string): string {
  if (/[\0-\x08\x0b\x0c\x0e-\x1f]/.test(text)) throw new LibvirtConfigError(`${JSON.stringify(text)} holds control characters that XML cannot carry`);
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A value inside a qemu option list (`key=value,...`): commas are doubled, qemu's only escape. */
const optValue = (v: string): string => v.replace(/,/g, ',,');

function hostfwds(c: MachineConfig, tunnelled: boolean): string[] {
  return c.forwards.map((f) => {
    // qemu listens on the hypervisor host's loopback on a port the kernel picks; ssh brings it here
    if (tunnelled) {
      if (f.protocol !== 'tcp') throw new LibvirtConfigError(`forward of guest port ${f.guest}: the ssh tunnel to a remote libvirt host carries TCP only, not ${f.protocol}`);
      return `hostfwd=tcp:${REMOTE_LISTEN}:0-:${f.guest}`;
    }
    if (f.hostIp.includes(':')) {
      throw new LibvirtConfigError(`forward of guest port ${f.guest}: qemu 7.2's user network cannot listen on the IPv6 address ${f.hostIp}`, 'use an IPv4 host_ip such as 127.0.0.1');
    }
    return `hostfwd=${f.protocol}:${f.hostIp}:${f.host}-:${f.guest}`;
  });
}

/** The qemu arguments of the machine's NICs, in config order. */
function nicArgs(c: MachineConfig, profile: ArchProfile, tunnelled: boolean): string[] {
  const forwards = hostfwds(c, tunnelled);
  const firstNat = c.nics.findIndex((n) => n.type === 'nat');
  if (forwards.length > 0 && firstNat < 0) throw new LibvirtConfigError(`machine '${c.name}' forwards ports but has no nat network card to forward them to`, 'add a card with type: nat');
  const args: string[] = [];
  c.nics.forEach((nic, i) => {
    const id = `vmnet${i}`;
    if (nic.type === 'nat') args.push('-netdev', ['user', `id=${id}`, ...(i === firstNat ? forwards : [])].join(','));
    else {
      const e = privateNetworkEndpoint(nic.network);
      args.push('-netdev', `socket,id=${id},mcast=${e.group}:${e.port},localaddr=${e.localAddr}`);
    }
    args.push('-device', `${profile.netDevice},netdev=${id},mac=${nic.mac}`);
  });
  return args;
}

/** The domain XML of `input.config`. Pure: reads no files, asks libvirt nothing. */
export function domainXml(input: DomainXmlInput): string {
  const { config: c, volumes: v } = input;
  const profile = PROFILES[c.arch];
  if (!profile) throw new LibvirtConfigError(`the libvirt engine has no machine type for architecture ${String(c.arch)}`);
  if (!Number.isInteger(c.cpus) || c.cpus < 1) throw new LibvirtConfigError(`cpus must be a whole number of at least 1, got ${c.cpus}`);
  if (!Number.isSafeInteger(c.memoryBytes) || c.memoryBytes <= 0 || c.memoryBytes % MiB !== 0) {
    throw new LibvirtConfigError(`memory must be a whole number of MiB for libvirt, got ${c.memoryBytes} bytes`);
  }
  if (v.extra.length !== c.disks.length) throw new LibvirtConfigError(`internal: ${c.disks.length} disks configured but ${v.extra.length} volumes planned`);
  if (c.syncedFolders.length > 0 && !input.local) {
    throw new LibvirtConfigError(
      `machine '${c.name}' has synced folders, but its libvirt host is remote (${c.libvirt?.uri ?? ''}): 9p shares need the folder on the hypervisor host`,
      'remove synced_folders, copy files with a `file` provisioner, or use a local URI (qemu:///system)',
    );
  }
  const x = xmlEscape;
  const addr = profile.mmio ? "<address type='virtio-mmio'/>" : '';
  const cmdline = [c.cmdline.trim(), ...guestParams(c, (m, h) => new LibvirtConfigError(m, h))].filter((s) => s !== '').join(' ');

  const L: string[] = [];
  L.push(`<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>`);
  L.push(`  <name>${x(input.domain)}</name>`);
  if (input.uuid) L.push(`  <uuid>${x(input.uuid)}</uuid>`);
  L.push(`  <title>${x(`vm machine ${c.name}`)}</title>`);
  L.push(`  <metadata>`);
  L.push(`    <${METADATA_PREFIX}:machine xmlns:${METADATA_PREFIX}='${METADATA_NS}'>`);
  L.push(`      <${METADATA_PREFIX}:name>${x(c.name)}</${METADATA_PREFIX}:name>`);
  L.push(`      <${METADATA_PREFIX}:project>${x(c.project.dir)}</${METADATA_PREFIX}:project>`);
  L.push(`      <${METADATA_PREFIX}:vmfile>${x(c.project.vmfile)}</${METADATA_PREFIX}:vmfile>`);
  L.push(`      <${METADATA_PREFIX}:box name='${x(c.box.name)}' version='${x(c.box.version)}' checksum='${x(c.box.checksum)}'/>`);
  L.push(`    </${METADATA_PREFIX}:machine>`);
  L.push(`  </metadata>`);
  L.push(`  <memory unit='MiB'>${c.memoryBytes / MiB}</memory>`);
  L.push(`  <vcpu>${c.cpus}</vcpu>`);
  L.push(`  <os>`);
  L.push(`    <type arch='${profile.arch}' machine='${profile.machine}'>hvm</type>`);
  if (v.firmware) L.push(`    <loader type='rom'>${x(v.firmware)}</loader>`);
  L.push(`    <kernel>${x(v.kernel)}</kernel>`);
  if (v.initrd) L.push(`    <initrd>${x(v.initrd)}</initrd>`);
  L.push(`    <cmdline>${x(cmdline)}</cmdline>`);
  L.push(`  </os>`);
  if (c.arch === 'x86_64') L.push(`  <features><acpi/></features>`);
  L.push(`  <on_poweroff>destroy</on_poweroff>`);
  L.push(`  <on_reboot>destroy</on_reboot>`);
  L.push(`  <on_crash>destroy</on_crash>`);
  L.push(`  <devices>`);
  // no <emulator>: libvirt takes the host's qemu-system for the arch from its capabilities
  let virtio = 0;
  const disk = (volume: string, format: 'qcow2' | 'raw', dev: string): void => {
    L.push(`    <disk type='volume' device='disk'>`);
    L.push(`      <driver name='qemu' type='${format}' discard='unmap'/>`);
    L.push(`      <source pool='${x(v.pool)}' volume='${x(volume)}'/>`);
    L.push(`      <target dev='${dev}' bus='virtio'/>`);
    if (addr) L.push(`      ${addr}`);
    L.push(`    </disk>`);
    virtio++;
  };
  const devName = (i: number): string => `vd${String.fromCharCode(97 + i)}`;
  let d = 0;
  if (v.root) disk(v.root, 'qcow2', devName(d++));
  v.extra.forEach((vol) => disk(vol, 'raw', devName(d++)));
  virtio += c.nics.length;
  // the agent's port on its own virtio-serial controller
  L.push(`    <controller type='virtio-serial' index='0'>${addr}</controller>`);
  virtio++;
  if (profile.mmio) L.push(`    <controller type='pci' index='0' model='pcie-root'/>`);
  c.syncedFolders.forEach((f) => {
    // accessmode squash = qemu's security_model=none, as the qemu engine shares folders
    L.push(`    <filesystem type='mount' accessmode='squash'>`);
    L.push(`      <source dir='${x(f.hostPath)}'/>`);
    L.push(`      <target dir='${x(f.tag)}'/>`);
    if (f.readOnly) L.push(`      <readonly/>`);
    if (addr) L.push(`      ${addr}`);
    L.push(`    </filesystem>`);
    virtio++;
  });
  L.push(`    <serial type='pty'><target port='0'/></serial>`);
  L.push(`    <channel type='unix'>`);
  L.push(`      <source mode='bind'/>`);
  L.push(`      <target type='virtio' name='${AGENT_PORT_NAME}'/>`);
  L.push(`    </channel>`);
  // entropy is a nicety: on a full virt machine the guest does without it
  if (!profile.mmio || virtio < VIRT_MMIO_SLOTS) {
    L.push(`    <rng model='virtio'><backend model='random'>/dev/urandom</backend>${addr}</rng>`);
    virtio++;
  }
  if (profile.mmio && virtio > VIRT_MMIO_SLOTS) {
    throw new LibvirtConfigError(
      `machine '${c.name}' needs ${virtio} virtio devices (${v.root ? 1 : 0} root disk, ${c.disks.length} extra disks, ${c.nics.length} network cards, the agent channel, ${c.syncedFolders.length} synced folders), but the riscv64 virt machine has ${VIRT_MMIO_SLOTS} slots`,
      'declare fewer disks, network cards or synced folders',
    );
  }
  L.push(`    <memballoon model='none'/>`);
  L.push(`  </devices>`);
  const qemuArgs = [...(profile.mmio ? ['-global', 'virtio-mmio.force-legacy=false'] : []), ...nicArgs(c, profile, input.tunnelForwards === true)];
  if (qemuArgs.length > 0) {
    L.push(`  <qemu:commandline>`);
    for (const a of qemuArgs) L.push(`    <qemu:arg value='${x(a)}'/>`);
    L.push(`  </qemu:commandline>`);
  }
  L.push(`</domain>`);
  return `${L.join('\n')}\n`;
}
