// MachineConfig: the one normalized description of a machine that `core` compiles from a Vmfile
// (core/vmfile) and an engine receives. Every default is applied, sizes are bytes, paths are absolute.
// A leaf of the source tree: cli, core and engines all speak it, so it imports nothing.

export type EngineName = 'builtin' | 'qemu' | 'libvirt';
export type Arch = 'riscv64' | 'x86_64';

export interface BoxRef {
  name: string;
  version: string;
  /** Absolute path of the box's directory (in the store or in the project's bundled boxes/). */
  dir: string;
  arch: Arch;
  /** Engines the box says it boots on. */
  engines: EngineName[];
  /** Absolute paths of the box's files. */
  kernel: string;
  initrd?: string;
  /** The box's root disk: never written; machines get a copy-on-write overlay on it. */
  rootDisk?: { path: string; format: 'raw' | 'qcow2'; sha256: string };
  /** Optional M-mode firmware image (e.g. OpenSBI fw_jump.bin) the box asks for. */
  firmware?: string;
  /** Kernel command line the box boots with by default. */
  cmdline: string;
  /** The box runs an SSH server on guest port 22; `hostKey`: its public host key file in the guest. */
  ssh?: { hostKey: string };
  /** sha256 of the box's box.json: identifies exactly what a machine was created from. */
  checksum: string;
}

export interface DiskConfig {
  name: string;
  sizeBytes: number;
  /** Absolute path of the disk image in the machine's state folder. */
  path: string;
  format: 'raw';
}

export type NicConfig =
  | { type: 'nat'; mac: string }
  | { type: 'private'; network: string; mac: string; ip?: string };

export interface ForwardConfig {
  guest: number;
  host: number;
  hostIp: string;
  protocol: 'tcp' | 'udp';
  /** A taken host port is replaced by a free one at start (Vagrant's auto_correct). */
  autoCorrect?: true;
}

/** When a machine's service is ready (`ready:`): something listens on a guest TCP port, or a command exits 0. */
export type ReadyProbe = ({ tcp: number } | { command: string }) & { timeoutMs: number };

export interface SyncedFolderConfig {
  /** Absolute host path. */
  hostPath: string;
  guestPath: string;
  readOnly: boolean;
  /** 9p mount tag, unique within the machine. */
  tag: string;
}

/** Where `engine: libvirt` puts a machine (every default applied). */
export interface LibvirtSettings {
  /** libvirt connection URI: the Vmfile's, else $VM_LIBVIRT_URI, else qemu:///system. */
  uri: string;
  /** Storage pool for the box's base volumes and the machine's overlays. */
  pool: string;
}

export type ProvisionRun = 'once' | 'always' | 'never';

export type ProvisionerConfig =
  | {
      type: 'shell';
      name: string;
      run: ProvisionRun;
      /** The script text: inline, or read from the script file at compile time. */
      script: string;
      /** Absolute path of the script file, when the provisioner named one. */
      path?: string;
      args: string[];
      env: Record<string, string>;
    }
  | {
      type: 'file';
      name: string;
      run: ProvisionRun;
      /** Absolute host path. */
      source: string;
      destination: string;
    };

/**
 * One machine as every engine receives it. Built by core (core/vmfile/compile.ts) from the Vmfile,
 * the resolved box and the chosen engine; its hash, kept in the machine's state, tells what a reload changes.
 * On the builtin engine it is the first of the machine's representations (builtin-machine.ts lists them).
 */
export interface MachineConfig {
  /** Machine name within its Vmfile. */
  name: string;
  project: {
    /** Folder holding the Vmfile. */
    dir: string;
    /** Absolute path of the Vmfile. */
    vmfile: string;
    /** This machine's state folder: <project>/.vm/machines/<name>. */
    stateDir: string;
  };
  /** The engine that will run the machine (`auto` resolved). */
  engine: EngineName;
  /** What the Vmfile asked for. */
  engineRequested: EngineName | 'auto';
  /** qemu acceleration; the builtin engine ignores it. */
  accel: 'auto' | 'kvm' | 'tcg';
  arch: Arch;
  cpus: number;
  memoryBytes: number;
  hostname: string;
  box: BoxRef;
  /** Full kernel command line: the box's, then the machine's additions. */
  cmdline: string;
  /** `sbi` = the host implements SBI (builtin only); otherwise an absolute firmware image path. */
  firmware: 'sbi' | string;
  /** The root disk's size as the guest sees it, when the Vmfile sets `disk_size` (never less than the
   *  box's image: validated). Absent: the image's own size. The engines give the overlay this virtual
   *  size; growing the file system into it is the box's business (debian-13: x-systemd.growfs). */
  rootDiskBytes?: number;
  disks: DiskConfig[];
  nics: NicConfig[];
  forwards: ForwardConfig[];
  syncedFolders: SyncedFolderConfig[];
  provision: ProvisionerConfig[];
  env: Record<string, string>;
  bootTimeoutMs: number;
  /** Orchestration, not what the machine is made of (engines ignore it; not in the config hash):
   *  the machine single-machine commands pick when none is named, */
  primary?: true;
  /** machines that must be up and ready before it boots, */
  dependsOn?: string[];
  /** and how `vm up` knows it is ready; */
  ready?: ReadyProbe;
  /** guest ports forwarded while they listen (`auto_forwards`, run by core, not the engine). */
  autoForwards?: true;
  /** `warm_start`: a new machine resumes from the warm image of its shape when there is one, and the
   *  first of its shape saves one (builtin engine; core decides, engines/builtin/warm/ keeps them). */
  warmStart?: true;
  /** Present when engine is libvirt. */
  libvirt?: LibvirtSettings;
}
