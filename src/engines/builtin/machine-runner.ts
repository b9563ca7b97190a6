// Runs one machine for the engine process across guest reboots: boots it with startBuiltinMachine,
// passes console output on, boots again in place on a guest reboot or a QMP system_reset, and
// reports how it finally ended. It is the QMP backend of the builtin engine.
import type { MachineExitEvent } from '../../emulator/machine/virt.js';
import { BootFileError } from '../errors.js';
import { formatProfile } from './hart-profile.js';
import { bootSpecFromConfig, portStream, startBuiltinMachine, type BuiltinMachine } from './builtin-machine.js';
import type { ConsoleLog } from '../shared/console-log.js';
import type { LaunchFile } from './launch-file.js';
import type { GuestPort } from './port-bridge.js';
import type { QmpBackend } from '../shared/qmp-server.js';
import { openPrivateLink } from './private-link.js';
import { createSyncedFolderDevices, type SyncedFolderDevice } from './p9/synced-folders.js';
import type { P9Session } from './p9/server.js';
import { unlinkSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { rootOverlayPath } from './disk/machine-disks.js';
import { copySparse } from '../shared/sparse-copy.js';
import { SNAPSHOT_MEMORY_FILE } from '../engine.js';
import { readStateFile, StateFileError, type LoadedState } from './snapshot/state-file.js';
import { startTrace } from '../shared/start-trace.js';

/** Reboots within this many seconds of each other, this many times in a row, mean a boot loop. */
const REBOOT_LOOP_WINDOW_MS = 10_000;
const REBOOT_LOOP_LIMIT = 5;

export interface RunnerEvents {
  output?: (chunk: Uint8Array) => void;
  agentPort?: (port: GuestPort | null) => void;
  agentData?: (bytes: Uint8Array) => void;
  reset?: () => void;
}

/**
 * The engine process's machine: the LaunchFile's machine booted (as BuiltinMachines, one per boot)
 * again and again across guest reboots and QMP resets until it ends for good; the QMP backend. Built
 * by engine-main.ts, one per process.
 */
export class MachineRunner implements QmpBackend {
  private vm: BuiltinMachine | null = null;
  private events: RunnerEvents = {};
  private quitting = false;
  private resetting = false;
  private state = 'prelaunch';
  /** The synced folders' 9P servers of the current boot (their sessions are saved on suspend). */
  private shares: SyncedFolderDevice[] = [];

  constructor(
    private readonly launch: LaunchFile,
    private readonly o: { log: (m: string) => void; consoleLog: ConsoleLog },
  ) {}

  on(events: RunnerEvents): void {
    this.events = events;
  }

  /** Boots, reboots as asked, and resolves with how the machine ended for good. */
  async run(): Promise<MachineExitEvent> {
    const reboots: number[] = [];
    for (;;) {
      let vm: BuiltinMachine;
      try {
        vm = await this.boot();
      } catch (err) {
        const message = err instanceof BootFileError ? err.message : ((err as Error).stack ?? String(err));
        this.o.log(`cannot boot: ${message}`);
        this.o.consoleLog.note(`cannot boot: ${err instanceof BootFileError ? err.message : 'engine fault, see engine.log'}`);
        return err instanceof BootFileError ? { kind: 'halted', status: 1, message } : { kind: 'error', status: 70, message };
      }
      if (this.quitting) vm.stop();
      const end = await vm.exit;
      this.vm = null;
      // VM_PROFILE=1: where this boot's host time went, into engine.log.
      const profile = vm.profile();
      if (profile) for (const line of formatProfile(profile)) this.o.log(line);
      this.events.agentPort?.(null);
      const wantReset = this.resetting;
      this.resetting = false;
      if (this.quitting || (end.kind !== 'reboot' && !wantReset)) {
        this.state = 'shutdown';
        return end;
      }
      const now = Date.now();
      reboots.push(now);
      while (reboots.length > 0 && now - reboots[0]! > REBOOT_LOOP_WINDOW_MS) reboots.shift();
      if (reboots.length > REBOOT_LOOP_LIMIT) {
        const message = `the guest rebooted ${reboots.length} times within ${REBOOT_LOOP_WINDOW_MS / 1000} s; stopped it (a boot loop)`;
        this.o.consoleLog.note(message);
        return { kind: 'halted', status: 1, message };
      }
      this.o.log(wantReset ? 'system_reset: booting again' : 'the guest rebooted: booting again');
      this.o.consoleLog.noteReboot();
      this.events.reset?.();
    }
  }

  consoleInput(bytes: Uint8Array): number {
    // Input while no machine runs (between reboots) is taken and discarded, as by a UART in reset.
    if (!this.vm) return bytes.length;
    return this.vm.typeInput(bytes);
  }

  runState(): string {
    return this.state;
  }

  powerdown(): string | undefined {
    return 'this machine has no power button: ask the guest agent to power off (vm halt does), or use quit';
  }

  reset(): void {
    if (!this.vm) return;
    this.resetting = true;
    this.vm.stop();
  }

  quit(): void {
    this.quitting = true;
    this.vm?.stop();
  }

  /**
   * Snapshot the running machine into `dir`: while the guest is paused (its disks flushed), each
   * disk's top (the root disk's and the extra disks') is frozen as chain layer `layer` (the guest
   * goes on writing into new tops); then its state goes to memory.state; the guest runs on. Without
   * `layer` (a warm image, warm-image.ts) the root overlay is copied into `dir` instead and no disk
   * changes. Resolves to an error text when it cannot.
   */
  async snapshot(dir: string, layer?: string): Promise<string | undefined> {
    const vm = this.vm;
    if (!vm || this.quitting) return 'the machine is not running';
    const config = this.launch.config;
    const stateDir = config.project.stateDir;
    const layered = vm.layeredDisks;
    if (layer && layered.length !== (config.box.rootDisk ? 1 : 0) + config.disks.length) return 'the machine has disks that are not layered';
    const copies = layer || !config.box.rootDisk ? [] : [rootOverlayPath(config)];
    const shares = this.shares;
    try {
      const info = await vm.saveState(join(dir, SNAPSHOT_MEMORY_FILE), {
        machineName: config.name,
        hostState: () => ({ p9: shares.map((s) => s.server.saveSession()) }),
        // A warm image is resumed by every new machine of its shape: kept for the fastest load.
        ram: layer ? 'deflate' : 'runs',
        whilePaused: async () => {
          for (const f of copies) {
            const rel = relative(stateDir, f);
            if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`disk ${f} is outside the machine's folder`);
            await mkdir(dirname(join(dir, rel)), { recursive: true, mode: 0o700 });
            await copySparse(f, join(dir, rel));
          }
          // Last: once frozen the layers are the snapshot's. A failure part way leaves layers no
          // snapshot names, which the CLI's next snapshot command collapses (disk-chain.ts).
          if (layer) for (const d of layered) await d.freezeAs(layer);
        },
      });
      this.o.log(`snapshot into ${dir}${layer ? ` (disk layer ${layer} of ${layered.length} disks)` : ''}: memory ${info.fileBytes} bytes, guest paused ${info.pausedMs.toFixed(0)} ms`);
      return undefined;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.o.log(`snapshot failed: ${message}`);
      return `the snapshot could not be taken: ${message}`;
    }
  }

  /** Save the machine to `path` and end: the run ends as `stopped` once the file is safely written. */
  async suspend(path: string): Promise<string | undefined> {
    const vm = this.vm;
    if (!vm || this.quitting) return 'the machine is not running';
    this.quitting = true;
    try {
      const shares = this.shares;
      const info = await vm.saveState(path, {
        machineName: this.launch.config.name,
        thenStop: true,
        hostState: () => ({ p9: shares.map((s) => s.server.saveSession()) }),
      });
      this.o.log(`suspended to ${path}: ${info.fileBytes} bytes (${info.ramStored} bytes of RAM in use), guest paused ${info.pausedMs.toFixed(0)} ms`);
      this.state = 'suspended';
      return undefined;
    } catch (err) {
      this.quitting = false;
      const message = err instanceof Error ? err.message : String(err);
      this.o.log(`suspend failed, the machine keeps running: ${message}`);
      return `the machine could not be saved: ${message}`;
    }
  }

  private async boot(): Promise<BuiltinMachine> {
    const { config, cmdlineExtra } = this.launch;
    // Only the first boot of the process continues a saved state; a reboot after it boots afresh.
    const resumeFrom = this.launch.resumeFrom;
    this.launch.resumeFrom = undefined;
    const t0 = performance.now();
    let readMs = 0;
    let restore: LoadedState | undefined;
    if (resumeFrom) {
      try {
        restore = await readStateFile(resumeFrom);
        readMs = performance.now() - t0;
        startTrace('engine', 'state file read');
      } catch (err) {
        if (err instanceof StateFileError) throw new BootFileError(err.message, err.hint);
        throw err;
      }
    }
    // Each boot joins its networks and opens its shares afresh; the machine closes them when it ends.
    const shares = await createSyncedFolderDevices(config, { onLog: (m) => this.o.log(`9p: ${m}`) });
    this.shares = shares;
    if (restore) startTrace('engine', 'synced folders open');
    if (restore) {
      // The guest's mounts continue: each server takes over the fids the guest holds, files opened again by path.
      const saved = (restore.header.engine.host as { p9?: P9Session[] } | undefined)?.p9 ?? [];
      try {
        if (saved.length !== shares.length) throw new Error(`the state has ${saved.length} synced folders, this machine ${shares.length}`);
        for (let i = 0; i < shares.length; i++) {
          for (const problem of await shares[i]!.server.restoreSession(saved[i]!)) this.o.log(`9p ${shares[i]!.folder.tag}: ${problem}`);
        }
      } catch (err) {
        restore.close();
        await Promise.allSettled(shares.map((s) => s.close()));
        throw new BootFileError(`the saved state does not fit this machine: ${(err as Error).message}`, 'The Vmfile changed since it was suspended. `vm halt` discards the saved state; the machine then boots afresh.');
      }
    }
    const spec = bootSpecFromConfig(config, {
      privateLink: (nic) => openPrivateLink(nic.network, nic.mac, (m) => this.o.log(m)),
      extra: shares,
    });
    spec.cmdline = [spec.cmdline, ...cmdlineExtra].filter((s) => s !== '').join(' ');
    const vm = await startBuiltinMachine(spec, {
      onLog: (m) => this.o.log(`guest: ${m}`),
      restore,
      // Gone before the guest runs an instruction: from here on the disks move past the saved state,
      // which must never be loaded again (a crash now leaves an aborted machine, not a stale resume).
      onRestored: resumeFrom ? () => unlinkSync(resumeFrom) : undefined,
    });
    if (resumeFrom) startTrace('engine', 'guest running');
    if (resumeFrom) this.o.log(`resumed from ${resumeFrom} in ${(performance.now() - t0).toFixed(0)} ms (reading and checking the state ${readMs.toFixed(0)} ms)`);
    this.vm = vm;
    this.state = 'running';
    if (vm.agentPort) {
      const agent = portStream(vm.agentPort);
      // A resumed guest's first answer is what `vm up` waits for: the rest of its warm-up comes after.
      if (resumeFrom) agent.once('data', () => vm.warmUpWhenIdle());
      // Always read: bytes for a client that left are dropped by the bridge, never left to stall the guest.
      agent.on('data', (b: Buffer) => this.events.agentData?.(new Uint8Array(b.buffer, b.byteOffset, b.length)));
      agent.on('error', () => undefined);
      this.events.agentPort?.({ send: (bytes) => agent.write(bytes) });
    }
    vm.output.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      this.o.consoleLog.write(bytes);
      this.events.output?.(bytes);
    });
    void vm.ready.then(() => this.o.log('the guest is ready (console marker)'));
    return vm;
  }
}
