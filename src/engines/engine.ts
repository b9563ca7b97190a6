// The one interface both engines implement. `core` drives machines only through it.
//
// Both engines present a running machine the same way, as three Unix sockets in a short private
// runtime directory (0700; sockets 0600), so lifecycle code never branches on the engine:
//   console.sock  the serial console as a raw byte stream (several clients may watch; one types)
//   agent.sock    a raw byte stream to the guest agent's port (virtio-console port `vm.agent`)
//   qmp.sock      QMP (QEMU Machine Protocol) — qemu's own; the builtin engine serves the subset
//                 qmp_capabilities, query-status, system_powerdown, system_reset, quit
// and writes the console to console.log in the machine's state folder.

import type { EngineName, MachineConfig } from './machine-config.js';

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
}

export interface Engine {
  readonly name: EngineName;
  /** Whether this engine can run `config` on this host; a reason and an install hint when not. */
  availability(config: MachineConfig): Promise<Availability>;
  /** Create the machine's disks and overlays on first up; leaves existing ones alone. */
  prepare(config: MachineConfig): Promise<void>;
  /**
   * Start the machine as a detached process in its own process group that outlives the CLI.
   * Resolves once the process runs and its sockets accept connections; rejects with the engine's
   * log tail when it dies first.
   */
  start(config: MachineConfig, paths: RuntimePaths, hooks?: StartHooks): Promise<EngineProcess>;
  /** Delete everything `prepare` created (overlays, extra disks). The box is never touched. */
  destroyDisks(config: MachineConfig): Promise<void>;
}
