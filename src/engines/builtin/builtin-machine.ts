// The builtin engine's programmatic entry: turns a MachineConfig (or a plain boot spec) into a running
// emulated `virt` machine in this process, with the serial console as a bounded stream, a ready
// signal (the box prints a marker line), its virtio devices (disks, NICs, console ports, rng, and
// whatever else a caller plugs in) and an exit promise. engine-main.ts runs it as a detached process.
//
// One machine on the builtin path, from the Vmfile down, and why each form exists:
// - MachineConfig (model/machine-config.ts): what core compiled, the same for every engine;
// - LaunchFile (launch-file.ts): that config across the process boundary into the engine process;
// - BuiltinBootSpec (here): one boot in host terms, files and devices with their host resources; it
//   is also what `vm debug boot` and the tests build for machines no Vmfile describes;
// - VirtMachineOptions (emulator/machine/virt.ts): the board's construction in emulator terms (image
//   bytes, no files, no host);
// - and running: VirtMachine (the emulated board), BuiltinMachine (here: one boot of it on the host,
//   with its devices, console stream and saved states), MachineRunner (machine-runner.ts: the engine
//   process's machine across reboots, its QMP backend).

import { webcrypto } from 'node:crypto';
import { Duplex, Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { availableParallelism } from 'node:os';
import { Hart } from '../../emulator/cpu/hart.js';
import { DEFAULT_THRESHOLD } from '../../emulator/cpu/jit/cache.js';
import { VirtioBlk, type BlockBackend, type VirtioBlkStats } from '../../emulator/devices/virtio/blk.js';
import { VirtioConsole } from '../../emulator/devices/virtio/console.js';
import type { ConsolePort } from '../../emulator/devices/virtio/console-port.js';
import { VirtioMmio, type VirtioDevice } from '../../emulator/devices/virtio/mmio.js';
import { VirtioNet, type EthernetLink, type VirtioNetStats } from '../../emulator/devices/virtio/net.js';
import { VirtioRng } from '../../emulator/devices/virtio/rng.js';
import { BootImageError } from '../../emulator/machine/loader.js';
import type { WarpPolicy } from '../../emulator/machine/scheduler.js';
import { MAX_HARTS, VIRT_DRAM_BASE, VIRT_VIRTIO, VirtMachine, type MachineExitEvent } from '../../emulator/machine/virt.js';
import { Ram } from '../../emulator/memory/ram.js';
import { parseMac } from '../../emulator/net/ethernet.js';
import type { DnsResolver } from '../../emulator/net/net-host.js';
import type { BoxRef, ForwardConfig, MachineConfig, NicConfig } from '../../model/machine-config.js';
import { GuestConsoleParser } from '../guest-console.js';
import { readBootImage, readBootImageStandIn } from './boot-files.js';
import { BootFileError, DiskError } from '../errors.js';
import { HartProfiler, type HartProfile } from './hart-profile.js';
import { openExtraDisk, openRootDisk, rootBase, rootOverlayPath } from './disk/machine-disks.js';
import type { LayeredDisk } from './disk/layered-disk.js';
import type { BaseImage } from './disk/overlay-disk.js';
import { RawDisk } from './disk/raw-disk.js';
import { ForwardBindError } from './net/forward-ports.js';
import { startNodeUserNet, type NodeUserNet } from './net/node-user-net.js';
import { restoreMachineState, saveMachineState } from '../../emulator/machine/machine-snapshot.js';
import { SnapshotError, type StateObject } from '../../emulator/snapshot/state-value.js';
import { captureState, StateFileError, writeStateFile, type LoadedState, type RamEncoding } from './snapshot/state-file.js';
import { warmUpInterpreter } from '../../emulator/machine/warmup.js';
import { startTrace } from '../shared/start-trace.js';

/** How a machine ended, as its callers (engine-main, core) see it. */
export type { MachineExitEvent };

// The translator's region functions (emulator/cpu/jit) are compiled by V8's baseline wasm compiler
// (Liftoff) at once; V8 then recompiles the hot ones with its optimizing compiler (TurboFan) on a
// background thread. With two cores or fewer that thread competes with the guest's own thread, and
// at V8's own tiering budget it recompiles over a thousand region functions in one busybox run, for
// a Debian kernel boot more than the faster code saves. So on two cores the budget is raised until
// only the functions that run all the time tier up: the dispatcher every region goes through, and
// the page functions of the guest's inner loops. (Measured in-process on two cores against Liftoff
// only and against V8's budget: `npm run bench` rows ash, sha and debian.) With more cores the
// thread has a core of its own and V8's budget stands. VM_WASM_TIERING=on|off|hot overrides the
// choice (off: Liftoff only). Set when this module loads, before the first module compiles; it
// concerns WebAssembly only.
export type WasmTiering = 'on' | 'off' | 'hot';
/** V8's tiering budget times this is what a function must run before TurboFan recompiles it ('hot'). */
const HOT_BUDGET_FACTOR = 100;
const V8_TIERING_BUDGET = 1_800_000;
export function wasmTiering(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): WasmTiering {
  const asked = env.VM_WASM_TIERING;
  if (asked === 'on' || asked === 'off' || asked === 'hot') return asked;
  return cores > 2 ? 'on' : 'hot';
}
{
  const tiering = wasmTiering();
  if (tiering === 'off') setFlagsFromString('--liftoff-only');
  else if (tiering === 'hot') setFlagsFromString(`--wasm-tiering-budget=${V8_TIERING_BUDGET * HOT_BUDGET_FACTOR}`);
}

/**
 * Where the translator's batches compile: on the guest's own thread when a batch is due ('sync'), or
 * on V8's background threads while the interpreter goes on ('background'). With two cores or fewer
 * the background thread competes with the guest's, and the interpreter runs the hot code meanwhile:
 * compiling at once made boots faster (tiny box to ready, the Debian kernel to /init: `npm run
 * bench` rows boot and debian) with the same ash and sha figures. With more cores background
 * compiling costs the guest's thread nothing; not measured here, so V8's way stays.
 * VM_WASM_COMPILE=sync|background overrides the choice.
 */
export type WasmCompile = 'sync' | 'background';
export function wasmCompile(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): WasmCompile {
  const asked = env.VM_WASM_COMPILE;
  if (asked === 'sync' || asked === 'background') return asked;
  return cores > 2 ? 'background' : 'sync';
}

/** The device tree's rng-seed, as QEMU's virt machine passes. */
const RNG_SEED_BYTES = 32;
/** Console bytes held for a reader that does not keep up; past this, output is dropped and counted. */
const OUTPUT_BUFFER_LIMIT = 1024 * 1024;
const TAIL_CHARS = 4096;
const MIN_MEMORY = 16 * 1024 * 1024;
/** A resumed machine's warm-up finishes at the guest's first idle moment after this long if nothing asked for it sooner, and this long after it was asked at the latest. */
const DEFERRED_WARM_UP_MS = 2000;
const MAX_MEMORY = 4 * 1024 * 1024 * 1024;

/**
 * One boot of the builtin engine in host terms: the boot files to read, memory and CPUs, and the
 * devices with their host resources (files to open, frame links, devices built elsewhere). Built by
 * bootSpecFromConfig from a MachineConfig (MachineRunner, each boot) or by bootFilesSpec for a bare
 * boot (`vm debug boot`, tests); startBuiltinMachine runs it. Apart from MachineConfig because it holds
 * live host objects a config cannot, and machines without a Vmfile have one too.
 */
export interface BuiltinBootSpec {
  /** Linux Image (optionally gzip). Optional only when `firmware` is a bare-metal program. */
  kernel?: string;
  initrd?: string;
  /** M-mode firmware image path; undefined = the host implements SBI. */
  firmware?: string;
  memoryBytes: number;
  cpus: number;
  cmdline: string;
  /** Default 'until-ready': warp over idle time while booting, real time once the marker is seen. */
  idleWarp?: WarpPolicy;
  /**
   * Instructions the interpreter runs from a guest entry point before it is translated to WebAssembly (emulator/cpu/jit/);
   * 0 keeps the interpreter only. Default: the emulator's DEFAULT_THRESHOLD; VM_JIT_THRESHOLD overrides.
   */
  jitThreshold?: number;
  /** Time the harts' run slices for BuiltinMachine.profile() (hart-profile.ts). Default: VM_PROFILE=1. */
  profile?: boolean;
  /** virtio devices; none when absent (a bare boot, as `vm debug boot` does). */
  devices?: BuiltinDevices;
}

/** The translation threshold for this machine: VM_JIT_THRESHOLD (a debugging switch: 0 = interpret
 *  everything), else the spec's, else the emulator's default. */
function jitThreshold(spec: BuiltinBootSpec): number {
  const env = process.env.VM_JIT_THRESHOLD;
  if (env !== undefined && /^\d+$/.test(env)) return Math.min(2 ** 31, Number(env));
  return spec.jitThreshold ?? DEFAULT_THRESHOLD;
}

/** Whether to profile this machine: the spec's choice, else VM_PROFILE=1. */
function profiling(spec: BuiltinBootSpec): boolean {
  return spec.profile ?? process.env.VM_PROFILE === '1';
}

/** A device someone else builds (9p synced folders...), plugged into the next free slot. */
export interface ExtraVirtioDevice {
  device: VirtioDevice;
  /** Called once the machine has ended (release host resources). */
  close?(): Promise<void> | void;
}

/** A NIC: on the user-mode NAT (with port forwards), or on any frame link (private networks). */
export type BuiltinNic =
  | { kind: 'nat'; mac: string; forwards: ForwardConfig[]; hostname?: string; resolver?: DnsResolver }
  | { kind: 'link'; mac: string; link: EthernetLink; close?(): Promise<void> | void };

export interface BuiltinDevices {
  /** The root disk: a copy-on-write overlay on the box's image, never written (/dev/vda). */
  rootDisk?: { overlay: string; base: BaseImage };
  /**
   * Sparse raw disks, in order after the root disk (/dev/vdb, ...). `layered`: the disk's snapshot
   * layers may lie beside it (machine-disks.ts): it is opened as its chain's top, which a snapshot freezes.
   */
  disks?: { path: string; serial?: string; readOnly?: boolean; layered?: boolean }[];
  nics?: BuiltinNic[];
  /** virtio-console: port 0 an hvc console, port 1 `vm.agent` (the agent channel). Default true. */
  console?: boolean;
  /** virtio-rng fed by the host's CSPRNG. Default true. */
  rng?: boolean;
  /** Plugged in after everything above. */
  extra?: ExtraVirtioDevice[];
}

/** How long a save waits for the devices' host work (disk and 9p requests) to finish. */
const QUIESCE_TIMEOUT_MS = 30_000;

/** What saving a machine's state wrote. */
export interface SavedStateInfo {
  /** Size of the state file. */
  fileBytes: number;
  /** Bytes of guest RAM that were not zero (stored, compressed). */
  ramStored: number;
  /** Milliseconds the guest was paused for the capture. */
  pausedMs: number;
}

/** Name of the agent's console port, as the guest sees it (/sys/class/virtio-ports/vportNp1/name). */
export const AGENT_PORT_NAME = 'vm.agent';

/** What a caller supplies for the parts of a machine this module does not build itself. */
export interface ConfigDeviceHooks {
  /** The frame link of a private-network NIC (e.g. a multicast socket on loopback). */
  privateLink?: (nic: Extract<NicConfig, { type: 'private' }>, index: number) => EthernetLink | { link: EthernetLink; close?(): Promise<void> | void };
  /** Devices built elsewhere (synced folders), plugged in last. */
  extra?: ExtraVirtioDevice[];
}

/**
 * The part of a machine its boot comes from, whatever its devices: every MachineConfig has it, and
 * `vm debug boot` builds one for a bare box or kernel (core/debug/foreground-boot.ts).
 */
export type BootFiles = Pick<MachineConfig, 'memoryBytes' | 'cpus' | 'cmdline' | 'firmware'> & { box: Pick<BoxRef, 'kernel' | 'initrd'> };

/** The builtin engine's view of a machine's boot files, with no devices. */
export function bootFilesSpec(c: BootFiles): BuiltinBootSpec {
  return {
    kernel: c.box.kernel,
    initrd: c.box.initrd,
    firmware: c.firmware === 'sbi' ? undefined : c.firmware,
    memoryBytes: c.memoryBytes,
    cpus: c.cpus,
    cmdline: c.cmdline,
  };
}

/** The builtin engine's view of a compiled machine, devices included. */
export function bootSpecFromConfig(c: MachineConfig, hooks: ConfigDeviceHooks = {}): BuiltinBootSpec {
  let base: BaseImage | undefined;
  try {
    base = rootBase(c);
  } catch (err) {
    if (err instanceof DiskError) throw new BootFileError(err.message, err.hint);
    throw err;
  }
  let natSeen = false;
  const nics: BuiltinNic[] = [];
  try {
    c.nics.forEach((nic, i) => {
      if (nic.type === 'nat') {
        // Forwards reach the guest through the first NAT NIC, as on qemu's first -netdev user.
        nics.push({ kind: 'nat', mac: nic.mac, forwards: natSeen ? [] : c.forwards, hostname: c.hostname });
        natSeen = true;
        return;
      }
      if (!hooks.privateLink) {
        throw new BootFileError(`NIC ${i + 1} is on private network '${nic.network}', but this engine process has no private-network backend`);
      }
      const made = hooks.privateLink(nic, i);
      nics.push('link' in made ? { kind: 'link', mac: nic.mac, link: made.link, close: made.close } : { kind: 'link', mac: nic.mac, link: made });
    });
  } catch (err) {
    void releaseGiven({ nics });
    throw err;
  }
  return {
    ...bootFilesSpec(c),
    devices: {
      rootDisk: base ? { overlay: rootOverlayPath(c), base } : undefined,
      disks: c.disks.map((d) => ({ path: d.path, serial: d.name, layered: true })),
      nics,
      console: true,
      rng: true,
      extra: hooks.extra,
    },
  };
}

/** Close what the caller handed over (private links, extra devices) when no machine will own it. */
async function releaseGiven(d: BuiltinDevices): Promise<void> {
  const closers = [...(d.nics ?? []).flatMap((n) => (n.kind === 'link' && n.close ? [n.close] : [])), ...(d.extra ?? []).flatMap((e) => (e.close ? [() => e.close!()] : []))];
  await closeAll(closers).catch(() => {});
}

/** How many virtio-mmio slots `d` needs; the rng is a nicety that only takes a slot left free (as on qemu). */
export function virtioSlotsNeeded(d: BuiltinDevices): number {
  return (d.rootDisk ? 1 : 0) + (d.disks?.length ?? 0) + (d.nics?.length ?? 0) + (d.console !== false ? 1 : 0) + (d.extra?.length ?? 0);
}

export interface BuiltinMachineStats {
  instructions: number;
  /** Guest seconds skipped by idle warps. */
  warpedSeconds: number;
  droppedOutputBytes: number;
  disks: VirtioBlkStats[];
  nics: VirtioNetStats[];
  /** Kinds of the devices the guest drove into DEVICE_NEEDS_RESET (and has not reset since). */
  brokenDevices: string[];
}

/** The machine's virtio devices once plugged in, and how to release their host resources. */
interface AttachedDevices {
  console: VirtioConsole | null;
  blks: VirtioBlk[];
  nets: VirtioNet[];
  nats: NodeUserNet[];
  transports: VirtioMmio[];
  /** The disks kept as chains of layers, the root disk first (a snapshot freezes their tops). */
  layered: LayeredDisk[];
  close(): Promise<void>;
}

const NO_DEVICES: AttachedDevices = { console: null, blks: [], nets: [], nats: [], transports: [], layered: [], close: async () => {} };

/**
 * One boot of a machine on the host: a VirtMachine with the host side of its devices (disk files, NAT,
 * links), its console as a bounded stream, its ready signal, and the saving of its state. Built by
 * startBuiltinMachine; it ends with its VirtMachine (a guest reboot is a new BuiltinMachine).
 */
export class BuiltinMachine {
  /** Console output. Bounded: bytes past OUTPUT_BUFFER_LIMIT unread are dropped (see stats). */
  readonly output: Readable;
  /** Resolves when the box prints its ready line on the console (guest-console.ts). */
  readonly ready: Promise<void>;
  /** Resolves when the machine ends, however it ends. Never rejects. */
  readonly exit: Promise<MachineExitEvent>;
  private resolveReady!: () => void;
  private isReady = false;
  private tail = '';
  private dropped = 0;
  private readonly decoder = new TextDecoder();
  private readonly console = new GuestConsoleParser();
  private warmUpAsked = false;

  /** The agent channel: console port 1, named `vm.agent`; null without the console device. */
  readonly agentPort: ConsolePort | null;
  /** Console port 0: an hvc terminal in the guest; null without the console device. */
  readonly hvcPort: ConsolePort | null;
  /** Each NAT forward with the host port it listens on. */
  readonly forwards: ReadonlyArray<{ forward: ForwardConfig; port: number }>;

  constructor(
    readonly machine: VirtMachine,
    private readonly devices: AttachedDevices = NO_DEVICES,
    private readonly profiler: HartProfiler | null = null,
    private readonly harts: readonly Hart[] = [],
    /** The harts' translation threshold (a resumed machine's harts get it in warmUpWhenIdle). */
    private readonly jitThreshold = DEFAULT_THRESHOLD,
  ) {
    this.output = new Readable({ read() {}, highWaterMark: 64 * 1024 });
    this.ready = new Promise((r) => (this.resolveReady = r));
    this.agentPort = devices.console?.ports[1] ?? null;
    this.hvcPort = devices.console?.ports[0] ?? null;
    this.forwards = devices.nats.flatMap((n) => n.forwards.listening);
    // Disks are flushed and closed, forwards unbound, before the exit is reported: a caller may
    // boot the same machine again at once.
    this.exit = machine.exited.then(async (e) => {
      try {
        await devices.close();
      } catch (err) {
        machine.log.report('device close', `closing the devices failed: ${err instanceof Error ? err.message : String(err)}`);
        machine.log.flush(true);
      }
      this.output.push(null);
      return e;
    });
  }

  /** Called by the machine with each console chunk. */
  handleOutput(chunk: Uint8Array): void {
    const text = this.decoder.decode(chunk, { stream: true });
    this.tail = (this.tail + text).slice(-TAIL_CHARS);
    this.console.feed(text);
    if (!this.isReady && this.console.ready) {
      this.isReady = true;
      this.machine.markReady();
      this.resolveReady();
    }
    if (this.output.readableLength > OUTPUT_BUFFER_LIMIT) {
      this.dropped += chunk.length;
      return;
    }
    this.output.push(chunk);
  }

  /** Type into the console. Returns how many bytes the UART accepted. */
  write(data: Uint8Array | string): number {
    return this.machine.sendInput(typeof data === 'string' ? new TextEncoder().encode(data) : data);
  }

  /** The last few KB of console text, for error messages (boot timeouts, crashes). */
  consoleTail(): string {
    return this.tail;
  }

  /** Guest time runs at host speed from now on even if the marker never appeared. */
  markReady(): void {
    this.machine.markReady();
  }

  /**
   * Console input from a person (a console client, a terminal): the guest is in use, so its time
   * runs at host speed from now on. Returns how many bytes the UART accepted.
   */
  typeInput(data: Uint8Array): number {
    this.machine.markReady();
    return this.write(data);
  }

  stop(): void {
    this.machine.stop();
  }

  /** The disks kept as chains of layers, the root disk first. */
  get layeredDisks(): readonly LayeredDisk[] {
    return this.devices.layered;
  }

  /** Where host time went so far (instructions, translation, exits); null unless the spec asked to profile. */
  profile(): HartProfile | null {
    return this.profiler?.snapshot(this.machine.scheduler.instructions) ?? null;
  }

  /**
   * Write the machine's whole state to `path` (atomically). The guest is paused while its state is
   * captured (devices first finish the host work they started), then runs on unless `thenStop`, in
   * which case the machine ends (its exit is `stopped`) once the file is safely written. A state that
   * cannot be captured or written leaves the machine running and rejects.
   */
  async saveState(
    path: string,
    o: {
      machineName: string;
      thenStop?: boolean;
      hostState?: () => Record<string, unknown>;
      /** Runs after the capture while the guest is still paused, its disks flushed (a snapshot copies them). */
      whilePaused?: () => Promise<void>;
      /** How RAM is kept in the file (state-file.ts): compressed unless said. */
      ram?: RamEncoding;
    },
  ): Promise<SavedStateInfo> {
    const vm = this.machine;
    if (vm.exitEvent) throw new SnapshotError('the machine has already stopped');
    const t0 = performance.now();
    vm.scheduler.stop();
    let captured;
    try {
      const deadline = Date.now() + QUIESCE_TIMEOUT_MS;
      while (!this.devices.transports.every((t) => t.quiescent)) {
        if (Date.now() > deadline) throw new SnapshotError(`devices still had requests in flight after ${QUIESCE_TIMEOUT_MS / 1000} s`);
        await new Promise((r) => setTimeout(r, 2));
      }
      if (vm.exitEvent) throw new SnapshotError('the machine stopped while being saved');
      // Ending for good: the guest gets a reset for each NAT connection now (into its receive queue,
      // saved with it), so after a resume it sees them closed instead of waiting on them.
      if (o.thenStop) for (const n of this.devices.nats) n.net.resetConnections();
      const state = saveMachineState({ vm, harts: this.harts, transports: this.devices.transports });
      captured = captureState(
        {
          machine: o.machineName,
          ramBytes: vm.ram.size,
          cpus: this.harts.length,
          savedAt: new Date().toISOString(),
          engine: { ready: this.isReady, tail: this.tail.slice(-1024), host: (o.hostState?.() ?? {}) as StateObject },
        },
        state,
        vm.ram,
        { ram: o.ram ?? 'deflate' },
      );
      if (o.whilePaused) {
        await Promise.all(this.devices.blks.map((b) => b.flushBackend()));
        await o.whilePaused();
      }
    } catch (err) {
      if (!vm.exitEvent) vm.scheduler.start();
      throw err;
    }
    const pausedMs = performance.now() - t0;
    if (!o.thenStop) vm.scheduler.start();
    try {
      const fileBytes = await writeStateFile(path, captured);
      if (o.thenStop) vm.stop();
      return { fileBytes, ramStored: captured.ramStored, pausedMs };
    } catch (err) {
      if (o.thenStop && !vm.exitEvent) vm.scheduler.start();
      throw err;
    }
  }

  /** Called once, before the machine first runs, with the state it continues from and its RAM being applied. */
  private async restore(loaded: LoadedState, ram: Promise<void>): Promise<void> {
    await ram;
    restoreMachineState({ vm: this.machine, harts: this.harts, transports: this.devices.transports }, loaded.state);
    const engine = loaded.header.engine;
    if (engine && typeof engine.tail === 'string') this.tail = engine.tail;
    if (engine && engine.ready === true) {
      this.isReady = true;
      this.machine.markReady();
      this.resolveReady();
    }
  }

  /** Run a machine restored from a state: the devices look at their queues again once it runs. */
  async startRestored(loaded: LoadedState, ram: Promise<void>, restored?: () => void): Promise<void> {
    await this.restore(loaded, ram);
    restored?.();
    this.machine.start();
    for (const t of this.devices.transports) t.kick();
    // No answer on the agent port within this long: the rest of the warm-up waits no longer than the guest's next idle moment.
    const fallback = setTimeout(() => this.warmUpWhenIdle(), DEFERRED_WARM_UP_MS);
    fallback.unref();
    void this.exit.then(() => clearTimeout(fallback));
  }

  /**
   * A resumed machine's warm-up translator part (warmup.ts), run the next time the guest is idle,
   * then its harts translate: all of the warm-up run before the guest, as a boot does, held a
   * resumed guest's first answer back. Called by the engine once the guest answered on its agent
   * port (machine-runner.ts), and by startRestored's fallback; a guest not idle within
   * DEFERRED_WARM_UP_MS gets it then all the same. Once per machine.
   */
  warmUpWhenIdle(): void {
    if (this.warmUpAsked) return;
    this.warmUpAsked = true;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(busy);
      startTrace('engine', 'warm-up translator part start');
      warmUpInterpreter();
      for (const h of this.harts) h.jit.threshold = this.jitThreshold;
      startTrace('engine', 'warm-up translator part done');
    };
    this.machine.scheduler.whenIdle(finish);
    // A guest that is never idle does not run interpreted for long: between two bursts, then.
    const busy = setTimeout(finish, DEFERRED_WARM_UP_MS);
    busy.unref();
    void this.exit.then(() => clearTimeout(busy));
  }

  stats(): BuiltinMachineStats {
    return {
      instructions: this.machine.scheduler.instructions,
      warpedSeconds: this.machine.clock.warpedTicks / this.machine.clock.frequency,
      droppedOutputBytes: this.dropped,
      disks: this.devices.blks.map((b) => ({ ...b.stats })),
      nics: this.devices.nets.map((n) => ({ ...n.stats })),
      brokenDevices: this.devices.transports.filter((t) => t.broken).map((t) => t.device.kind),
    };
  }
}

/**
 * The exit status of a process that ran one machine to its end (the engine process, `vm debug
 * boot`): 0 when the guest powered off or asked to reboot or the host stopped it, else the
 * status the end carries: the guest's own failure status, 1 when it halted, 70 on an emulator fault.
 */
export function machineExitStatus(end: MachineExitEvent): number {
  if (end.kind === 'poweroff' || end.kind === 'stopped' || end.kind === 'reboot') return 0;
  return Math.min(255, Math.max(1, end.status));
}

/**
 * A console port as a Node Duplex stream, with flow control both ways: what the guest writes is
 * readable (the guest waits while the reader lags), what is written reaches the guest (the write
 * callback waits for room). The port's host end stays open when the writable side ends. Take one
 * stream per port (it becomes the port's sink).
 */
export function portStream(port: ConsolePort): Duplex {
  let pending: { data: Uint8Array; done: (err?: Error | null) => void } | null = null;
  const pump = (): void => {
    if (!pending) return;
    const n = port.write(pending.data);
    if (n < pending.data.length) {
      pending.data = pending.data.subarray(n);
      return;
    }
    const { done } = pending;
    pending = null;
    done();
  };
  const stream = new Duplex({
    highWaterMark: 64 * 1024,
    read: () => port.resumeOutput(),
    write: (chunk: Uint8Array, _enc, done) => {
      pending = { data: chunk, done };
      pump();
    },
  });
  port.sink = { output: (bytes) => stream.push(bytes), inputDrained: pump };
  return stream;
}

function checkSpec(s: BuiltinBootSpec): void {
  if (!Number.isInteger(s.cpus) || s.cpus < 1 || s.cpus > MAX_HARTS) {
    throw new BootFileError(`cpus must be a whole number from 1 to ${MAX_HARTS}, got ${s.cpus}`);
  }
  if (!Number.isInteger(s.memoryBytes) || s.memoryBytes < MIN_MEMORY || s.memoryBytes > MAX_MEMORY || s.memoryBytes % (1024 * 1024) !== 0) {
    const got = s.memoryBytes % (1024 * 1024) === 0 ? `${s.memoryBytes / (1024 * 1024)}M` : `${s.memoryBytes} bytes`;
    throw new BootFileError(`memory must be a whole number of MiB from 16M to 4G, got ${got}`);
  }
  if (!s.kernel && !s.firmware) throw new BootFileError('nothing to boot: give a kernel or a firmware image');
  if (s.initrd && !s.kernel) throw new BootFileError('an initrd needs a kernel');
  const slots = s.devices ? virtioSlotsNeeded(s.devices) : 0;
  if (slots > VIRT_VIRTIO.count) {
    const d = s.devices!;
    const disks = (d.rootDisk ? 1 : 0) + (d.disks?.length ?? 0);
    throw new BootFileError(
      `the machine needs ${slots} virtio devices (${disks} disks, ${d.nics?.length ?? 0} network cards, ${d.console !== false ? 'the console, ' : ''}${d.extra?.length ?? 0} others such as synced folders) but the builtin engine has ${VIRT_VIRTIO.count} slots`,
      'Declare fewer disks, network cards or synced folders.',
    );
  }
}

/** Host resources opened for the devices before the machine exists. */
interface OpenedDevices {
  root: LayeredDisk | undefined;
  disks: { backend: BlockBackend; serial?: string; layered?: LayeredDisk }[];
  nics: { mac: Uint8Array; link: EthernetLink }[];
  nats: NodeUserNet[];
  closers: (() => Promise<void> | void)[];
}

async function closeAll(closers: (() => Promise<void> | void)[]): Promise<void> {
  const results = await Promise.allSettled(closers.map(async (c) => c()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Disk files opened, NATs started (forwards bound). Errors are BootFileError; nothing stays open after one. */
async function openDevices(d: BuiltinDevices, log: (m: string) => void): Promise<OpenedDevices> {
  const o: OpenedDevices = { root: undefined, disks: [], nics: [], nats: [], closers: [] };
  // What the caller handed over is closed with everything else, also when opening fails below.
  for (const nic of d.nics ?? []) if (nic.kind === 'link' && nic.close) o.closers.push(nic.close);
  for (const e of d.extra ?? []) if (e.close) o.closers.push(() => e.close!());
  try {
    if (d.rootDisk) {
      const root = await openRootDisk(d.rootDisk.overlay, d.rootDisk.base);
      o.closers.push(() => root.close());
      o.root = root;
    }
    for (const disk of d.disks ?? []) {
      if (disk.layered && !disk.readOnly) {
        const layered = await openExtraDisk({ path: disk.path, name: disk.serial ?? disk.path });
        o.closers.push(() => layered.close());
        o.disks.push({ backend: layered, serial: disk.serial, layered });
        continue;
      }
      const raw = await RawDisk.open(disk.path, { readOnly: disk.readOnly });
      o.closers.push(() => raw.close());
      o.disks.push({ backend: raw, serial: disk.serial });
    }
    for (const nic of d.nics ?? []) {
      const mac = parseMac(nic.mac);
      if (!mac) throw new BootFileError(`NIC MAC address '${nic.mac}' is not like 52:54:00:12:34:56`);
      if (nic.kind === 'link') {
        o.nics.push({ mac, link: nic.link });
        continue;
      }
      const nat = await startNodeUserNet({ mac: nic.mac, hostname: nic.hostname, forwards: nic.forwards, resolver: nic.resolver, log });
      o.closers.push(() => nat.close());
      o.nats.push(nat);
      o.nics.push({
        mac,
        // The NAT is the link itself: it vouches for its checksums and takes large segments (offloads).
        link: nat.net,
      });
    }
    return o;
  } catch (err) {
    await closeAll(o.closers).catch(() => {});
    if (err instanceof DiskError || err instanceof ForwardBindError) throw Object.assign(new BootFileError(err.message, err.hint), { cause: err });
    throw err;
  }
}

/** Plug the devices into slots from the top down, as qemu fills them: the root disk first becomes vda. */
function attachDevices(machine: VirtMachine, d: BuiltinDevices, o: OpenedDevices): AttachedDevices {
  const out: AttachedDevices = {
    console: null,
    blks: [],
    nets: [],
    nats: o.nats,
    transports: [],
    layered: [],
    close: async () => {
      // A request still running when the machine stopped finishes before its disk is flushed and closed.
      await Promise.all(out.blks.map((b) => b.settled()));
      await closeAll(o.closers);
    },
  };
  let slot = VIRT_VIRTIO.count;
  const plug = (device: VirtioDevice): void => {
    const n = --slot;
    machine.attachVirtio(n, (irq) => {
      const t = new VirtioMmio(
        machine.ram,
        device,
        {
          irq,
          wake: () => machine.scheduler.wake(),
          workStarted: () => machine.scheduler.beginHostWork(),
          workFinished: () => machine.scheduler.endHostWork(),
          log: (kind, m) => machine.log.report(kind, m),
          onRamWrite: (addr, length) => machine.domain.noteHostRamWrite(addr, length),
        },
        `slot ${n}`,
      );
      out.transports.push(t);
      return t;
    });
  };
  const blk = (backend: BlockBackend, serial?: string): void => {
    const b = new VirtioBlk({ backend, serial });
    out.blks.push(b);
    plug(b);
  };
  if (o.root) blk(o.root, 'vm-root');
  out.layered = [...(o.root ? [o.root] : []), ...o.disks.flatMap((d) => (d.layered ? [d.layered] : []))];
  for (const disk of o.disks) blk(disk.backend, disk.serial);
  for (const nic of o.nics) {
    const net = new VirtioNet({ mac: nic.mac, link: nic.link });
    out.nets.push(net);
    plug(net);
  }
  if (d.console !== false) {
    out.console = new VirtioConsole([{ console: true }, { name: AGENT_PORT_NAME }]);
    plug(out.console);
  }
  if (d.rng !== false && slot > 0) plug(new VirtioRng({ entropy: (buf) => webcrypto.getRandomValues(buf) }));
  for (const e of d.extra ?? []) plug(e.device);
  return out;
}

/**
 * Read the boot files, open the devices, build the machine and start it. Errors are BootFileError
 * (bad input). Private links and extra devices in `spec.devices` are closed with the machine, or
 * at once when it cannot start.
 */
export async function startBuiltinMachine(
  spec: BuiltinBootSpec,
  opts: { onLog?: (message: string) => void; slice?: number; restore?: LoadedState; onRestored?: () => void } = {},
): Promise<BuiltinMachine> {
  let kernel: Uint8Array | undefined;
  let initrd: Uint8Array | undefined;
  let firmware: Uint8Array | undefined;
  let ram: Ram | undefined;
  let ramApplied: Promise<void> | undefined;
  try {
    checkSpec(spec);
    if (opts.restore) {
      // The saved RAM is read in from here on, on libuv's threads, while the images, the devices
      // and the machine are made. Fresh: nothing else is ever loaded into a resumed machine's RAM
      // (virt.ts `restoring`). Awaited before the machine runs; a failure meanwhile is its own.
      ram = new Ram(VIRT_DRAM_BASE, spec.memoryBytes);
      ramApplied = opts.restore.applyRam(ram, { fresh: true });
      ramApplied.catch(() => undefined);
      void ramApplied.then(() => startTrace('engine', 'RAM read in'), () => undefined);
      // Meanwhile this thread warms the interpreter up (the machine would do it first thing, once
      // per process): the two were most of a resume's time, one after the other. Before the
      // images and devices, whose requests would otherwise wait behind the reads for libuv's threads.
      // Only its interpreter part: the guest runs interpreted until it has answered its agent, then
      // the translator part runs and the harts translate (warmUpWhenIdle). Not all of it deferred:
      // the guest then ran its first seconds (a warm machine's identity step) on a cold interpreter.
      startTrace('engine', 'warm-up start');
      warmUpInterpreter({ translator: false });
      startTrace('engine', 'warm-up done');
    }
    const limit = spec.memoryBytes;
    // A resume plans the memory layout from the images but never copies them in: stand-ins do.
    const read = opts.restore ? readBootImageStandIn : readBootImage;
    [kernel, initrd, firmware] = await Promise.all([
      spec.kernel ? read(spec.kernel, 'kernel', limit) : undefined,
      spec.initrd ? read(spec.initrd, 'initrd', limit) : undefined,
      spec.firmware ? read(spec.firmware, 'firmware', limit) : undefined,
    ]);
  } catch (err) {
    opts.restore?.close();
    if (spec.devices) await releaseGiven(spec.devices);
    throw err;
  }
  // From here on the machine's devices own the caller's links and extra devices (closed with it).
  if (opts.restore) startTrace('engine', 'boot images planned');
  const opened = spec.devices ? await openDevices(spec.devices, (m) => opts.onLog?.(m)) : null;
  if (opts.restore) startTrace('engine', 'devices open');
  let handle: BuiltinMachine | undefined;
  let machine: VirtMachine;
  let devices: AttachedDevices;
  const threshold = jitThreshold(spec);
  const compileMode = wasmCompile();
  const profiler = profiling(spec) ? new HartProfiler() : null;
  const harts: Hart[] = [];
  try {
    machine = new VirtMachine({
      ramBytes: spec.memoryBytes,
      harts: spec.cpus,
      kernel,
      initrd,
      firmware,
      cmdline: spec.cmdline,
      rngSeed: webcrypto.getRandomValues(new Uint8Array(RNG_SEED_BYTES)),
      idleWarp: spec.idleWarp ?? 'until-ready',
      createHart: (id, host) => {
        const hart = new Hart(id, host);
        // A resumed machine's harts translate once the warm-up's translator part ran (warmUpWhenIdle).
        hart.jit.compileInBackground = compileMode === 'background';
        hart.jit.threshold = opts.restore ? 0 : threshold;
        profiler?.attach(hart);
        harts.push(hart);
        return hart;
      },
      onConsoleOutput: (chunk) => handle?.handleOutput(chunk),
      onLog: opts.onLog,
      slice: opts.slice,
      restoring: opts.restore !== undefined,
      ram,
      // A resume has run the warm-up's interpreter part; its translator part waits (warmUpWhenIdle).
      warmUp: opts.restore === undefined,
    });
    devices = opened ? attachDevices(machine, spec.devices!, opened) : NO_DEVICES;
  } catch (err) {
    if (opened) await closeAll(opened.closers).catch(() => {});
    opts.restore?.close();
    if (err instanceof BootImageError) throw new BootFileError(err.message);
    throw err;
  }
  handle = new BuiltinMachine(machine, devices, profiler, harts, threshold);
  if (!opts.restore) {
    machine.start();
    return handle;
  }
  const loaded = opts.restore;
  startTrace('engine', 'machine built');
  try {
    if (loaded.header.ramBytes !== spec.memoryBytes || loaded.header.cpus !== spec.cpus) {
      throw new SnapshotError(
        `it is of a machine with ${loaded.header.cpus} cpus and ${loaded.header.ramBytes / 1048576} MiB, this one has ${spec.cpus} and ${spec.memoryBytes / 1048576} MiB`,
      );
    }
    await handle.startRestored(loaded, ramApplied!, opts.onRestored);
  } catch (err) {
    loaded.close();
    machine.stop();
    await handle.exit;
    if (err instanceof SnapshotError || err instanceof StateFileError) {
      throw new BootFileError(
        `the saved state does not fit this machine: ${err.message}`,
        'The Vmfile changed since it was saved, or the state is damaged. `vm halt` discards it; the machine then boots afresh with its disks.',
      );
    }
    throw err;
  }
  return handle;
}
