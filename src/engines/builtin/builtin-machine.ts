// The builtin engine's programmatic entry: turns a MachineConfig (or a plain boot spec) into a running
// emulated `virt` machine in this process, with the serial console as a bounded stream, a ready
// signal (the box prints a marker line) and an exit promise. Daemonizing comes with the lifecycle work.

import { Readable } from 'node:stream';
import { Hart } from '../../emulator/cpu/hart.js';
import { BootImageError } from '../../emulator/machine/loader.js';
import type { WarpPolicy } from '../../emulator/machine/scheduler.js';
import { MAX_HARTS, VirtMachine, type MachineExitEvent } from '../../emulator/machine/virt.js';
import type { MachineConfig } from '../machine-config.js';
import { BootFileError, readBootImage } from './boot-files.js';

/** The line the bundled boxes print when the shell is about to start. */
export const READY_MARKER = 'vm: ready';
/** Console bytes held for a reader that does not keep up; past this, output is dropped and counted. */
const OUTPUT_BUFFER_LIMIT = 1024 * 1024;
const TAIL_CHARS = 4096;
const MIN_MEMORY = 16 * 1024 * 1024;
const MAX_MEMORY = 4 * 1024 * 1024 * 1024;

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
  /** Console text that means the guest is up (default READY_MARKER). */
  readyMarker?: string;
}

/** The builtin engine's view of a compiled machine. */
export function bootSpecFromConfig(c: MachineConfig): BuiltinBootSpec {
  return {
    kernel: c.box.kernel,
    initrd: c.box.initrd,
    firmware: c.firmware === 'sbi' ? undefined : c.firmware,
    memoryBytes: c.memoryBytes,
    cpus: c.cpus,
    cmdline: c.cmdline,
  };
}

export interface BuiltinMachineStats {
  instructions: number;
  /** Guest seconds skipped by idle warps. */
  warpedSeconds: number;
  droppedOutputBytes: number;
}

export class BuiltinMachine {
  /** Console output. Bounded: bytes past OUTPUT_BUFFER_LIMIT unread are dropped (see stats). */
  readonly output: Readable;
  /** Resolves when the ready marker appears on the console. */
  readonly ready: Promise<void>;
  /** Resolves when the machine ends, however it ends. Never rejects. */
  readonly exit: Promise<MachineExitEvent>;
  private resolveReady!: () => void;
  private isReady = false;
  private tail = '';
  private dropped = 0;
  private readonly decoder = new TextDecoder();

  constructor(
    readonly machine: VirtMachine,
    private readonly marker: string,
  ) {
    this.output = new Readable({ read() {}, highWaterMark: 64 * 1024 });
    this.ready = new Promise((r) => (this.resolveReady = r));
    this.exit = machine.exited.then((e) => {
      this.output.push(null);
      return e;
    });
  }

  /** Called by the machine with each console chunk. */
  handleOutput(chunk: Uint8Array): void {
    this.tail = (this.tail + this.decoder.decode(chunk, { stream: true })).slice(-TAIL_CHARS);
    if (!this.isReady && this.tail.includes(this.marker)) {
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

  stop(): void {
    this.machine.stop();
  }

  stats(): BuiltinMachineStats {
    return {
      instructions: this.machine.scheduler.instructions,
      warpedSeconds: this.machine.clock.warpedTicks / this.machine.clock.frequency,
      droppedOutputBytes: this.dropped,
    };
  }
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
}

/** Read the boot files, build the machine and start it. Errors are BootFileError (bad input). */
export async function startBuiltinMachine(
  spec: BuiltinBootSpec,
  opts: { onLog?: (message: string) => void; slice?: number } = {},
): Promise<BuiltinMachine> {
  checkSpec(spec);
  const limit = spec.memoryBytes;
  const [kernel, initrd, firmware] = await Promise.all([
    spec.kernel ? readBootImage(spec.kernel, 'kernel', limit) : undefined,
    spec.initrd ? readBootImage(spec.initrd, 'initrd', limit) : undefined,
    spec.firmware ? readBootImage(spec.firmware, 'firmware', limit) : undefined,
  ]);
  let handle: BuiltinMachine | undefined;
  let machine: VirtMachine;
  try {
    machine = new VirtMachine({
      ramBytes: spec.memoryBytes,
      harts: spec.cpus,
      kernel,
      initrd,
      firmware,
      cmdline: spec.cmdline,
      idleWarp: spec.idleWarp ?? 'until-ready',
      createHart: (id, host) => new Hart(id, host),
      onConsoleOutput: (chunk) => handle?.handleOutput(chunk),
      onLog: opts.onLog,
      slice: opts.slice,
    });
  } catch (err) {
    if (err instanceof BootImageError) throw new BootFileError(err.message);
    throw err;
  }
  handle = new BuiltinMachine(machine, spec.readyMarker ?? READY_MARKER);
  machine.start();
  return handle;
}
