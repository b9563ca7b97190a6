// `vm debug boot`: a box (or a kernel) booted on the builtin engine in this process, with no Vmfile,
// no saved state, no disks and no network, its serial console on the caller's terminal. The boot files and
// command line come as `vm up` compiles them (vmfile/compile.ts, the builtin engine's bootFilesSpec),
// typed input goes through the console escapes of `vm ssh` in their Ctrl-A style, engine errors
// become UserErrors as everywhere in core, and the end maps to an exit status as the engine process's.
import { resolve } from 'node:path';
import { resolveBox } from '../boxes/catalog.js';
import { engineUserError } from '../engine-errors.js';
import { UserError } from '../errors.js';
import type { StoreLocation } from '../paths.js';
import { CTRL_A_ESCAPE_HELP, EscapeParser } from '../lifecycle/console/attach.js';
import { consoleSizeArgv } from '../lifecycle/console/window.js';
import { AgentClient } from '../agent/client.js';
import { boxFirmware, kernelCmdline } from '../vmfile/compile.js';
import { builtinRefusal } from '../../engines/builtin/builtin-engine.js';
import {
  bootFilesSpec,
  machineExitStatus,
  portStream,
  startBuiltinMachine,
  type BootFiles,
  type BuiltinBootSpec,
  type BuiltinMachine,
  type MachineExitEvent,
} from '../../engines/builtin/builtin-machine.js';
import { formatProfile } from '../../engines/builtin/hart-profile.js';

/** The box `vm debug boot` boots when given neither a box nor a kernel. */
export const DEFAULT_DEBUG_BOX = 'tiny';
/** The command line of a bare kernel: its console on the first serial port, as every box has it. */
const KERNEL_CMDLINE = 'console=ttyS0';

export interface ForegroundBootRequest {
  /** A box from the store or bundled; default DEFAULT_DEBUG_BOX. Not with `kernel`. */
  box?: string;
  /** A kernel Image to boot instead of a box (relative to `cwd`), with an optional initrd. */
  kernel?: string;
  initrd?: string;
  /** `sbi` (the host implements SBI) or an M-mode firmware image; default: the box's. */
  firmware?: string;
  /** Kernel parameters after the box's (or the bare kernel's). */
  append?: string;
  memoryBytes: number;
  cpus: number;
  idleWarp: NonNullable<BuiltinBootSpec['idleWarp']>;
  profile: boolean;
  cwd: string;
  loc?: StoreLocation;
}

/** What the machine boots: the box's files (or the kernel named) with the request's size and additions. */
export async function foregroundBootSpec(r: ForegroundBootRequest): Promise<BuiltinBootSpec> {
  if (r.box !== undefined && r.kernel !== undefined) throw new UserError('give either a box or a kernel, not both');
  if (r.initrd !== undefined && r.kernel === undefined) throw new UserError('an initrd goes with a kernel', { hint: 'add --kernel IMAGE' });
  const additions = r.append ? [r.append] : [];
  let files: BootFiles;
  if (r.kernel !== undefined) {
    files = {
      box: { kernel: resolve(r.cwd, r.kernel), initrd: r.initrd !== undefined ? resolve(r.cwd, r.initrd) : undefined },
      memoryBytes: r.memoryBytes,
      cpus: r.cpus,
      cmdline: kernelCmdline(KERNEL_CMDLINE, additions),
      firmware: 'sbi',
    };
  } else {
    const box = await resolveBox(r.box ?? DEFAULT_DEBUG_BOX, undefined, { loc: r.loc });
    const refused = builtinRefusal({ arch: box.arch, cpus: r.cpus, box });
    if (refused) throw new UserError(refused.reason, { hint: '`vm debug boot` runs the builtin engine only; `vm up` boots this box with `engine: qemu`' });
    files = { box, memoryBytes: r.memoryBytes, cpus: r.cpus, cmdline: kernelCmdline(box.cmdline, additions), firmware: boxFirmware(box) };
  }
  if (r.firmware !== undefined) files.firmware = r.firmware === 'sbi' ? 'sbi' : resolve(r.cwd, r.firmware);
  // A box gets the console device as under `vm up` (its agent channel sets the console's window
  // size) and the entropy device; no disks and no network: debug boot keeps nothing.
  const devices = r.kernel === undefined ? { devices: { console: true, rng: true } } : {};
  return { ...bootFilesSpec(files), ...devices, idleWarp: r.idleWarp, ...(r.profile ? { profile: true } : {}) };
}

/** Where the console goes and where typed input comes from. */
export interface ForegroundConsole {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /**
   * A person types (a terminal in raw mode): Ctrl-A escapes are recognized. Otherwise the input is
   * piped and held until the guest is ready: typed earlier, the serial driver's start-up discards it.
   */
  terminal: boolean;
  /** vm's own notes (guest log lines, the escapes' help, quit), kept apart from guest output. */
  note(message: string): void;
  /** Stops the machine (a signal to the CLI); the end is then `stopped`. */
  signal?: AbortSignal;
  /** The terminal's size, set on the guest console through the agent once it answers (a serial
   *  line carries no size), and again on each `onResize`; absent when the input is not a terminal. */
  windowSize?: () => { rows: number; cols: number };
  onResize?: (listener: () => void) => () => void;
}

export interface ForegroundBootEnd {
  /** How the machine ended; `stopped` after Ctrl-A X or the abort signal. */
  exit: MachineExitEvent;
  /** The status to exit with, as the engine process's (machineExitStatus). */
  exitStatus: number;
  /** Console bytes dropped because the output did not keep up. */
  droppedOutputBytes: number;
  /** Where host time went (`profile` asked for it, or VM_PROFILE=1), one line per figure. */
  profile?: string[];
}

/** Boots `spec` and runs it with its console on `con` until the machine ends. Engine errors are UserErrors. */
export async function bootInForeground(spec: BuiltinBootSpec, con: ForegroundConsole): Promise<ForegroundBootEnd> {
  let vm: BuiltinMachine;
  try {
    vm = await startBuiltinMachine(spec, { onLog: (m) => con.note(`guest: ${m}`) });
  } catch (err) {
    throw engineUserError(err);
  }
  vm.output.pipe(con.output, { end: false });
  if (con.terminal) con.note('console attached; Ctrl-A X quits, Ctrl-A H lists the escapes');
  const escapes = con.terminal ? new EscapeParser('ctrl-a') : null;
  let held: Buffer[] | null = con.terminal ? null : [];
  void vm.ready.then(() => {
    const pending = held;
    held = null;
    if (pending && pending.length > 0) vm.typeInput(Buffer.concat(pending));
  });
  const onInput = (data: Buffer): void => {
    if (held) {
      held.push(data);
      return;
    }
    if (!escapes) {
      vm.typeInput(data);
      return;
    }
    for (const a of escapes.feed(data)) {
      if (a.kind === 'send') vm.typeInput(a.bytes);
      else if (a.kind === 'help') con.note(CTRL_A_ESCAPE_HELP.trimEnd());
      else {
        con.note('quit (Ctrl-A X)');
        vm.stop();
        return;
      }
    }
  };
  const window = con.windowSize ? consoleWindow(vm, con.windowSize, con.onResize) : null;
  const onAbort = (): void => vm.stop();
  con.signal?.addEventListener('abort', onAbort, { once: true });
  if (con.signal?.aborted) vm.stop();
  con.input.on('data', onInput);
  con.input.resume();
  let exit: MachineExitEvent;
  try {
    exit = await vm.exit;
  } finally {
    window?.close();
    con.input.off('data', onInput);
    con.signal?.removeEventListener('abort', onAbort);
    vm.output.unpipe(con.output);
  }
  const profile = vm.profile();
  return {
    exit,
    exitStatus: machineExitStatus(exit),
    droppedOutputBytes: vm.stats().droppedOutputBytes,
    ...(profile ? { profile: formatProfile(profile) } : {}),
  };
}

/**
 * The guest console's size from the terminal, as `vm ssh` sets it (lifecycle/console/window.ts): once
 * the box is ready, through the agent's channel of this in-process machine, then after each resize.
 * A box without an agent keeps the kernel's default size.
 */
function consoleWindow(vm: BuiltinMachine, size: () => { rows: number; cols: number }, onResize?: (listener: () => void) => () => void): { close(): void } {
  let client: AgentClient | null = null;
  let closed = false;
  let busy: Promise<unknown> = Promise.resolve();
  const send = (): void => {
    const { rows, cols } = size();
    if (closed || client === null || !(rows > 0 && cols > 0)) return;
    const agent = client;
    busy = busy.then(() => agent.run({ argv: consoleSizeArgv(rows, cols), timeoutMs: 5000 })).catch(() => undefined);
  };
  const off = onResize?.(send);
  void vm.ready.then(async () => {
    if (closed || vm.agentPort === null) return;
    const agent = new AgentClient(portStream(vm.agentPort));
    try {
      await agent.hello(10_000);
    } catch {
      agent.close();
      return;
    }
    if (closed) {
      agent.close();
      return;
    }
    client = agent;
    send();
  });
  return {
    close: () => {
      closed = true;
      off?.();
      client?.close();
    },
  };
}
