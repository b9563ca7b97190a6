// Draft + resolved box + engine -> MachineConfig, the one input an engine receives.
import type { BoxRef, EngineName, LibvirtSettings, MachineConfig } from '../../model/machine-config.js';
import type { MachineDraft } from './normalize-machine.js';
import type { Reporter } from './reporter.js';

/** libvirt's own default for a privileged local hypervisor. */
export const DEFAULT_LIBVIRT_URI = 'qemu:///system';
export const DEFAULT_LIBVIRT_POOL = 'vm';

/** The libvirt settings of a machine: the Vmfile's, else $VM_LIBVIRT_URI, else the defaults. */
export function libvirtSettings(d: MachineDraft): LibvirtSettings {
  return { uri: d.libvirt.uri ?? (process.env.VM_LIBVIRT_URI || DEFAULT_LIBVIRT_URI), pool: d.libvirt.pool ?? DEFAULT_LIBVIRT_POOL };
}

export interface ProjectPaths {
  /** Folder holding the Vmfile. */
  dir: string;
  /** Absolute path of the Vmfile. */
  vmfile: string;
}

/** The kernel command line of a machine: the box's, then the machine's additions. */
export function kernelCmdline(boxCmdline: string, additions: readonly string[]): string {
  return [boxCmdline.trim(), ...additions].filter((s) => s !== '').join(' ');
}

/**
 * The firmware a machine of `box` boots with. Without a firmware image of its own the box relies on
 * SBI from the host side: the builtin engine implements it, qemu loads its default OpenSBI.
 */
export function boxFirmware(box: Pick<BoxRef, 'firmware'>): MachineConfig['firmware'] {
  return box.firmware ?? 'sbi';
}

export function finalizeMachine(d: MachineDraft, box: BoxRef, engine: EngineName, project: ProjectPaths, report: Reporter): MachineConfig {
  if (engine === 'builtin' && d.accel !== 'auto' && d.accelPath) {
    report.warn(d.accelPath, `accel: ${d.accel} has no effect: machine "${d.name}" runs on the builtin engine`);
  }
  return {
    name: d.name,
    project: { dir: project.dir, vmfile: project.vmfile, stateDir: d.stateDir },
    engine,
    engineRequested: d.engineRequested,
    accel: d.accel,
    arch: box.arch,
    cpus: d.cpus,
    memoryBytes: d.memoryBytes,
    hostname: d.hostname,
    box,
    cmdline: kernelCmdline(box.cmdline, d.cmdline),
    firmware: boxFirmware(box),
    ...(d.rootDisk ? { rootDiskBytes: d.rootDisk.bytes } : {}),
    disks: d.disks,
    nics: d.nics.map((n) => n.config),
    forwards: d.forwards.map((f) => f.config),
    syncedFolders: d.syncedFolders.map((f) => f.config),
    provision: d.provision,
    env: d.env,
    bootTimeoutMs: d.bootTimeoutMs,
    ...(d.orchestration.primary ? { primary: true as const } : {}),
    ...(d.orchestration.dependsOn.length > 0 ? { dependsOn: d.orchestration.dependsOn.map((x) => x.name) } : {}),
    ...(d.orchestration.ready ? { ready: d.orchestration.ready } : {}),
    ...(d.autoForwards ? { autoForwards: true as const } : {}),
    ...(d.warmStart ? { warmStart: true as const } : {}),
    ...(engine === 'libvirt' ? { libvirt: libvirtSettings(d) } : {}),
  };
}
