// The one interface both engines implement. `core` drives machines only through it.
//
// Both engines present a running machine the same way, as three Unix sockets in a short private
// runtime directory (0700; sockets 0600), so lifecycle code never branches on the engine:
//   console.sock  the serial console as a raw byte stream (several clients may watch; one types)
//   agent.sock    a raw byte stream to the guest agent's port (virtio-console port `vm.agent`)
//   qmp.sock      QMP (QEMU Machine Protocol) — qemu's own; the builtin engine serves the subset
//                 qmp_capabilities, query-status, system_powerdown, system_reset, quit
// and writes the console to console.log in the machine's state folder (what the box and the engine
// say there for the host: guest-console.ts). Its methods fail with the errors of errors.ts.

import type { EngineName, MachineConfig } from '../model/machine-config.js';
import type { DiskChain } from './shared/disk-chain.js';

/** In a snapshot folder: the memory and device state of a machine snapshotted while it ran. */
export const SNAPSHOT_MEMORY_FILE = 'memory.state';

/** Where a running machine's files live. */
export interface RuntimePaths {
  /** Short private directory for sockets (Unix socket paths are limited to ~107 bytes). */
  runDir: string;
  consoleSocket: string;
  agentSocket: string;
  qmpSocket: string;
  /** Console output log, in the machine's state folder. */
  consoleLog: string;
  /** The engine process's own stdout/stderr, in the machine's state folder. */
  engineLog: string;
}

export type Availability =
  | { ok: true; detail?: string }
  /** exitCode: 4 when an external program (virsh, libvirtd) is what failed; 1 by default. */
  | { ok: false; reason: string; hint?: string; exitCode?: number };

/** A started engine process. */
export interface EngineProcess {
  pid: number;
  /** What the engine runs with, for `vm status` (e.g. "tcg", "kvm", "builtin"). */
  accel: string;
  /** Host-side argv, when an external program runs the machine (qemu), for diagnostics. */
  argv?: string[];
}

/** Callbacks during start, so core can record facts before the machine answers. */
export interface StartHooks {
  /** The engine process exists (its pid is known) but its sockets may not answer yet. */
  spawned?(pid: number): void;
  /** Continue from this state file (written by `suspend`) instead of booting; the engine deletes it once loaded. */
  resumeFrom?: string;
}

/** A checked warm image (engines/builtin/warm/warm-image.ts) and what the guest in it still carries of the machine it was taken of. */
export interface WarmImageRef {
  dir: string;
  from: { machine: string; hostname: string; macs: string[]; mounts: { tag: string; guestPath: string }[] };
}

/**
 * Warm start: new machines of one shape resume from a guest saved once it was ready instead of
 * booting. Images live in `cacheDir` (core says where: beside the box store). Core makes the
 * resumed guest this machine through the agent.
 */
export interface WarmStart {
  /** Why `config` must boot cold (said in `vm up`'s output), or undefined. */
  refusal(config: MachineConfig): string | undefined;
  /** The image for `config`'s shape when there is a usable one; a note when one is there but cannot be used. */
  find(config: MachineConfig, cacheDir: string): Promise<{ image?: WarmImageRef; note?: string }>;
  /** Make a new machine's root disk on the image; returns the state file to pass as `resumeFrom`. */
  prepare(config: MachineConfig, image: WarmImageRef): Promise<string>;
  /** Save the running, just-ready machine as its shape's image; returns its folder. */
  save(config: MachineConfig, paths: RuntimePaths, cacheDir: string): Promise<string>;
}

export interface Engine {
  /** Present when the engine can warm-start machines (`warm_start:`). */
  readonly warm?: WarmStart;
  readonly name: EngineName;
  /** Whether this engine can run `config` on this host; a reason and an install hint when not. */
  availability(config: MachineConfig): Promise<Availability>;
  /** Create the machine's disks and overlays on first up; leaves existing ones alone. */
  prepare(config: MachineConfig): Promise<void>;
  /**
   * Start the machine as a detached process in its own process group that outlives the CLI.
   * Resolves once the process runs and its sockets accept connections; rejects with an
   * EngineStartError carrying the engine log's tail when it dies first (errors.ts).
   */
  start(config: MachineConfig, paths: RuntimePaths, hooks?: StartHooks): Promise<EngineProcess>;
  /** Delete everything `prepare` created (overlays, extra disks). The box is never touched. */
  destroyDisks(config: MachineConfig): Promise<void>;
  /**
   * Why this running machine cannot be suspended by this engine, or undefined when it can. Asked
   * before anything is touched.
   */
  suspendRefusal(config: MachineConfig): string | undefined;
  /**
   * Save the running machine's whole state to `stateFile` (atomically) and end the engine process.
   * Resolves once the file is written; the process exits right after.
   */
  suspend(config: MachineConfig, paths: RuntimePaths, stateFile: string): Promise<void>;
  /** The files that hold the machine's disks (root overlay, extra disks), all inside its state folder, in the order of `diskChains`. */
  diskFiles(config: MachineConfig): string[];
  /**
   * How a running machine's snapshot is taken: 'live' by `snapshotRunning` (the guest paused only
   * meanwhile), 'suspend' by suspending it, snapshotting it suspended and resuming it.
   */
  readonly runningSnapshot: 'live' | 'suspend';
  /** Why a snapshot of this machine while it runs cannot be taken, or undefined when it can. */
  runningSnapshotRefusal(config: MachineConfig): string | undefined;
  /**
   * The copy-on-write layers under each of the machine's disks, the root disk's first, which
   * snapshots freeze and restore instead of copying the disks; empty when the engine keeps none.
   */
  diskChains(config: MachineConfig): DiskChain[];
  /**
   * Snapshot the running machine: with the guest paused, freeze every disk's top as chain layer
   * `layer` and write its memory and device state to `into/memory.state`; the guest then runs on.
   */
  snapshotRunning(config: MachineConfig, paths: RuntimePaths, into: string, layer: string): Promise<void>;
}
