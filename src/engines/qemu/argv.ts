// The qemu command line of a machine: one pure function, MachineConfig + runtime paths + accel + disk
// files in, argv out (golden files in test/unit/engines/qemu/golden pin it). No defaults from qemu are relied
// on: -nodefaults, every device explicit, in a fixed order.
//
// Device order (it decides guest device names, and the builtin engine attaches in the same order):
//   root overlay (vda), extra disks (vdb, ...), NICs (eth0, ...), virtio-serial with the agent port,
//   9p shares, rng.
// riscv64 `virt` has 8 virtio-mmio slots, filled from the top in command-line order (first device at
// 0x1000_8000); Linux numbers them in that same order. x86_64 `q35` takes the virtio-pci versions.
// Reference: QEMU 7.2 docs (qemu-system invocation, -chardev, -netdev, -fsdev), hw/riscv/virt.c.

import { join } from 'node:path';
import type { RuntimePaths } from '../engine.js';
import type { Arch, MachineConfig } from '../../model/machine-config.js';
import { privateNetworkEndpoint } from '../private-network.js';
import { QemuConfigError } from './errors.js';
import { guestCmdline } from './guest-cmdline.js';
import { SYSTEM_PROGRAMS } from './binaries.js';

export type QemuAccel = 'kvm' | 'tcg';

export interface QemuDiskFile {
  path: string;
  format: 'qcow2' | 'raw';
}

/** The disk files qemu opens (see qemu-img.ts diskPlan). */
export interface QemuDiskPlan {
  /** Copy-on-write overlay on the box's root disk; absent for boxes that boot from their initrd alone. */
  root?: QemuDiskFile;
  extra: (QemuDiskFile & { name: string })[];
}

export interface QemuArgvInput {
  config: MachineConfig;
  paths: RuntimePaths;
  accel: QemuAccel;
  disks: QemuDiskPlan;
  /** Where qemu writes its pid (-pidfile). */
  pidFile: string;
  /** The emulator to run; default the architecture's program name (looked up on PATH). */
  program?: string;
  /** Wait for a migration stream on this loopback port instead of booting (resume of a suspended machine). */
  incomingPort?: number;
}

export interface QemuCommand {
  program: string;
  args: string[];
}

/** qemu's serial port socket in the runtime dir; only the console relay connects to it. */
export const SERIAL_SOCKET_FILE = 'qemu-serial.sock';
export const serialSocketPath = (paths: RuntimePaths): string => join(paths.runDir, SERIAL_SOCKET_FILE);
/** qemu's gdbstub listens here only while a resumed guest's timer is re-armed (migration-file.ts). */
export const GDB_SOCKET_FILE = 'qemu-gdb.sock';
export const gdbSocketPath = (paths: RuntimePaths): string => join(paths.runDir, GDB_SOCKET_FILE);

/** Name of the guest agent's virtio-serial port; the agent opens the port with this name. */
export const AGENT_PORT_NAME = 'vm.agent';
/** riscv64 `virt` has this many virtio-mmio slots (VIRT_VIRTIO in hw/riscv/virt.c). */
export const VIRT_MMIO_SLOTS = 8;
const MiB = 1024 * 1024;

interface ArchProfile {
  machine: string;
  /** Extra machine-wide options (firmware, legacy switches). */
  platform: (config: MachineConfig) => string[];
  cpu: (accel: QemuAccel) => string[];
  dev: { blk: string; net: string; serial: string; p9: string; rng: string };
  /** Most virtio devices the machine can hold, when bounded. */
  maxVirtio?: number;
}

const PROFILES: Record<Arch, ArchProfile> = {
  riscv64: {
    machine: 'virt',
    // qemu's virtio-mmio speaks legacy (v1) unless told otherwise; the box's kernel and the builtin
    // engine use v2. `-bios default` is qemu's bundled OpenSBI; a box may bring its own firmware.
    platform: (c) => ['-bios', c.firmware === 'sbi' ? 'default' : c.firmware, '-global', 'virtio-mmio.force-legacy=false'],
    cpu: () => [],
    dev: { blk: 'virtio-blk-device', net: 'virtio-net-device', serial: 'virtio-serial-device', p9: 'virtio-9p-device', rng: 'virtio-rng-device' },
    maxVirtio: VIRT_MMIO_SLOTS,
  },
  x86_64: {
    machine: 'q35',
    platform: (c) => (c.firmware === 'sbi' ? [] : ['-bios', c.firmware]),
    // KVM passes the host CPU through; TCG's default qemu64 model is what the box kernel expects.
    cpu: (accel) => (accel === 'kvm' ? ['-cpu', 'host'] : []),
    dev: { blk: 'virtio-blk-pci', net: 'virtio-net-pci', serial: 'virtio-serial-pci', p9: 'virtio-9p-pci', rng: 'virtio-rng-pci' },
  },
};

/** A value inside a qemu option list (`key=value,...`): commas are doubled, qemu's only escape. */
export function optValue(value: string): string {
  return value.replace(/,/g, ',,');
}

/** Rejects what qemu or the kernel cannot carry in a path: NUL and newlines (argv is not a shell). */
function checkPath(what: string, path: string): string {
  if (/[\0\n\r]/.test(path)) throw new QemuConfigError(`${what} path contains a NUL or newline character: ${JSON.stringify(path)}`);
  return path;
}

function memoryMiB(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % MiB !== 0) {
    throw new QemuConfigError(`memory must be a whole number of MiB for qemu, got ${bytes} bytes`);
  }
  return bytes / MiB;
}

function hostfwd(config: MachineConfig): string[] {
  return config.forwards.map((f) => {
    if (f.hostIp.includes(':')) {
      throw new QemuConfigError(
        `forward of guest port ${f.guest}: qemu 7.2's user network cannot listen on the IPv6 address ${f.hostIp}`,
        'use an IPv4 host_ip such as 127.0.0.1 (or 0.0.0.0 for every interface)',
      );
    }
    return `hostfwd=${f.protocol}:${f.hostIp}:${f.host}-:${f.guest}`;
  });
}

/** The full qemu command line of `input.config`. Pure: reads no files, probes nothing. */
export function qemuArgv(input: QemuArgvInput): QemuCommand {
  const { config: c, paths, accel, disks } = input;
  const profile = PROFILES[c.arch];
  if (!profile) throw new QemuConfigError(`the qemu engine has no machine type for architecture ${String(c.arch)}`);
  if (!Number.isInteger(c.cpus) || c.cpus < 1) throw new QemuConfigError(`cpus must be a whole number of at least 1, got ${c.cpus}`);

  const args: string[] = [
    '-name', optValue(`guest=${c.name}`),
    '-machine', profile.machine,
    '-accel', accel,
    ...profile.cpu(accel),
    '-m', `${memoryMiB(c.memoryBytes)}M`,
    '-smp', String(c.cpus),
    '-nodefaults', '-no-user-config', '-display', 'none',
    // a guest reboot ends the process: the lifecycle starts machines, never the guest itself
    '-no-reboot',
    // paused until the engine has attached the console relay, so no early output is lost
    '-S',
    // qemu never needs to fork, exec or raise privileges for what we run (slirp included)
    '-sandbox', 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny',
    ...profile.platform(c),
    '-kernel', checkPath('kernel', c.box.kernel),
  ];
  if (c.box.initrd) args.push('-initrd', checkPath('initrd', c.box.initrd));
  args.push('-append', guestCmdline(c));
  if (input.incomingPort !== undefined) args.push('-incoming', `tcp:127.0.0.1:${input.incomingPort}`);

  // serial console: a private socket for the console relay, which serves console.sock and writes
  // console.log (console-relay.ts); qemu starts paused (-S) and runs once the relay is attached
  args.push(
    '-chardev', `socket,id=con,path=${optValue(checkPath('serial socket', serialSocketPath(paths)))},server=on,wait=off`,
    '-serial', 'chardev:con',
  );

  let virtio = 0;
  const drive = (id: string, file: QemuDiskFile): void => {
    args.push(
      '-drive', `if=none,id=${id},file=${optValue(checkPath(`disk ${id}`, file.path))},format=${file.format},discard=unmap`,
      '-device', `${profile.dev.blk},drive=${id}`,
    );
    virtio++;
  };
  if (disks.root) drive('root', disks.root);
  if (disks.extra.length !== c.disks.length) throw new QemuConfigError(`internal: ${c.disks.length} disks configured but ${disks.extra.length} disk files planned`);
  disks.extra.forEach((d, i) => drive(`disk${i}`, d));

  const forwards = hostfwd(c);
  const firstNat = c.nics.findIndex((n) => n.type === 'nat');
  if (forwards.length > 0 && firstNat < 0) {
    throw new QemuConfigError(`machine '${c.name}' forwards ports but has no nat network card to forward them to`, 'add a card with type: nat');
  }
  c.nics.forEach((nic, i) => {
    const id = `net${i}`;
    if (nic.type === 'nat') {
      args.push('-netdev', ['user', `id=${id}`, ...(i === firstNat ? forwards : [])].join(','));
    } else {
      const e = privateNetworkEndpoint(nic.network);
      args.push('-netdev', `socket,id=${id},mcast=${e.group}:${e.port},localaddr=${e.localAddr}`);
    }
    args.push('-device', `${profile.dev.net},netdev=${id},mac=${nic.mac}`);
    virtio++;
  });

  args.push(
    '-device', `${profile.dev.serial},id=vser`,
    '-chardev', `socket,id=agent,path=${optValue(checkPath('agent socket', paths.agentSocket))},server=on,wait=off`,
    '-device', `virtserialport,bus=vser.0,chardev=agent,name=${AGENT_PORT_NAME}`,
  );
  virtio++;

  c.syncedFolders.forEach((f, i) => {
    const id = `fs${i}`;
    args.push(
      '-fsdev', `local,id=${id},path=${optValue(checkPath(`synced folder ${f.tag}`, f.hostPath))},security_model=none${f.readOnly ? ',readonly=on' : ''}`,
      '-device', `${profile.dev.p9},fsdev=${id},mount_tag=${optValue(f.tag)}`,
    );
    virtio++;
  });

  // entropy is a nicety: on a full virt machine the guest does without it
  if (profile.maxVirtio === undefined || virtio < profile.maxVirtio) {
    args.push('-device', profile.dev.rng);
    virtio++;
  }
  if (profile.maxVirtio !== undefined && virtio > profile.maxVirtio) {
    throw new QemuConfigError(
      `machine '${c.name}' needs ${virtio} virtio devices (${disks.root ? 1 : 0} root disk, ${c.disks.length} extra disks, ${c.nics.length} network cards, the agent channel, ${c.syncedFolders.length} synced folders), but the riscv64 virt machine has ${profile.maxVirtio} slots`,
      'declare fewer disks, network cards or synced folders',
    );
  }

  args.push(
    '-chardev', `socket,id=qmp,path=${optValue(checkPath('QMP socket', paths.qmpSocket))},server=on,wait=off`,
    '-mon', 'chardev=qmp,mode=control',
    '-pidfile', checkPath('pid file', input.pidFile),
  );
  return { program: input.program ?? SYSTEM_PROGRAMS[c.arch].name, args };
}
