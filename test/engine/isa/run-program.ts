// Runs one bare-metal ISA program on the builtin hart: RAM at 0x8000_0000, the `virt` test device,
// a CLINT and an HTIF tohost watcher, an instruction budget, and a guest clock that advances with
// retired instructions (deterministic; it jumps to the next timer deadline when the hart waits in
// WFI). Reports how the program ended and, on failure, why (from the harness's fail_info record).

import { Bus } from '../../../src/emulator/memory/bus.js';
import { Ram } from '../../../src/emulator/memory/ram.js';
import { findSymbol, loadElfSegments, parseElf, type ElfImage } from './elf.js';
import { Htif } from './htif.js';
import { Syscon, SYSCON_SIZE, type MachineExit } from '../../../src/emulator/devices/syscon.js';
import { Clint, CLINT_SIZE } from '../../../src/emulator/devices/clint.js';
import { Domain } from '../../../src/emulator/cpu/domain.js';
import { Hart } from '../../../src/emulator/cpu/hart.js';
import { MIP_MSIP, MIP_MTIP, PRIV_M } from '../../../src/emulator/cpu/hart-api.js';

const RAM_BASE = 0x8000_0000;
const RAM_SIZE = 16 * 1024 * 1024;
const SYSCON_BASE = 0x10_0000;
const CLINT_BASE = 0x200_0000;
/** Instructions per run() call; devices and the clock are serviced between slices. */
const SLICE = 4096;
/** Guest timebase ticks per retired instruction (10 MHz at a nominal 100 MIPS). */
const TICKS_PER_INSN = 0.1;
export const DEFAULT_BUDGET = 30_000_000;

/** `pass`, the failing test number, or `hang`: the same vocabulary as expectations.txt. */
export type Outcome = 'pass' | 'hang' | number;

export interface ProgramResult {
  outcome: Outcome;
  /** One line for a failure message: what failed and with which values. */
  detail: string;
  instructions: number;
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

function readU64(ram: Ram, addr: number): bigint {
  return ram.view.getBigUint64(addr - ram.base, true);
}

/** Why the harness failed, from fail_info (see harness.S): kind, test, then three values. */
function failureDetail(elf: ElfImage, ram: Ram): string {
  const info = findSymbol(elf, 'fail_info');
  if (info === undefined) return 'no fail_info symbol';
  const [kind, test, a, b, c] = [0, 8, 16, 24, 32].map((o) => readU64(ram, info.value + o)) as [bigint, bigint, bigint, bigint, bigint];
  const where = findSymbol(elf, `test_${test}`);
  const at = where === undefined ? '' : ` (test_${test} at ${hex(where.value)})`;
  switch (kind) {
    case 1n:
      return `test ${test}${at}: got ${hex(a)}, expected ${hex(b)}`;
    case 2n:
      return `test ${test}${at}: unexpected trap in M: mcause=${hex(a)} mepc=${hex(b)} mtval=${hex(c)}`;
    case 3n:
      return `test ${test}${at}: unexpected trap in S: scause=${hex(a)} sepc=${hex(b)} stval=${hex(c)}`;
    default:
      return `test ${test}${at}: failed (fail_info kind ${kind})`;
  }
}

/** `jitThreshold`: executions before an entry point is translated (0 = interpreter only, 1 = at once). */
export function runProgram(image: Uint8Array, jitThreshold = 0, budget = DEFAULT_BUDGET): ProgramResult {
  const parsed = parseElf(image);
  if (!parsed.ok) return { outcome: 'hang', detail: `bad ELF: ${parsed.error}`, instructions: 0 };
  const elf = parsed.elf;
  const ram = new Ram(RAM_BASE, RAM_SIZE);
  const loadError = loadElfSegments(elf, ram);
  if (loadError !== undefined) return { outcome: 'hang', detail: loadError, instructions: 0 };
  const bus = new Bus(ram);

  let ticks = 0;
  let exit: MachineExit | undefined;
  let htifCode: number | undefined;
  const unsupported: string[] = [];
  // The hart is created after the devices that call into it.
  let hart: Hart | undefined;

  bus.map('syscon', SYSCON_BASE, SYSCON_SIZE, new Syscon((e) => {
    exit ??= e;
    hart?.requestExit();
  }));
  const clint = new Clint({
    harts: 1,
    time: { now: () => Math.floor(ticks), set: (t) => (ticks = t) },
    msip: (_h, level) => hart?.setPending(MIP_MSIP, level),
    mtip: (_h, level) => hart?.setPending(MIP_MTIP, level),
  });
  bus.map('clint', CLINT_BASE, CLINT_SIZE, clint);
  const htif = new Htif({
    onExit: (code) => (htifCode ??= code),
    onUnsupported: (dev, cmd, payload) => unsupported.push(`device ${dev} command ${cmd} payload ${hex(payload)}`),
  });
  const tohost = findSymbol(elf, 'tohost');
  if (tohost === undefined) return { outcome: 'hang', detail: 'no tohost symbol', instructions: 0 };
  const watchError = htif.watchRam(ram, tohost.value);
  if (watchError !== undefined) return { outcome: 'hang', detail: watchError, instructions: 0 };

  const h = new Hart(0, { bus, clock: { now: () => Math.floor(ticks) }, domain: new Domain(ram) });
  hart = h;
  h.jit.threshold = jitThreshold;
  h.reset(BigInt(elf.entry), PRIV_M, 0n, 0n);

  let total = 0;
  let stall = '';
  while (exit === undefined && htifCode === undefined) {
    const n = h.run(Math.min(SLICE, budget - total));
    total += n;
    ticks += n * TICKS_PER_INSN;
    clint.update();
    htif.poll();
    if (exit !== undefined || htifCode !== undefined) break;
    if (h.waiting) {
      const deadline = clint.nextDeadline();
      if (deadline === Infinity) {
        stall = 'waits in WFI with no interrupt that could wake it';
        break;
      }
      ticks = Math.max(ticks, deadline);
      clint.update();
    } else if (n === 0) {
      stall = 'stopped retiring instructions';
      break;
    }
    if (total >= budget) {
      stall = `still running after ${budget} instructions`;
      break;
    }
  }
  // The harness writes tohost, then the test device: give the second report its chance.
  if (exit !== undefined && htifCode === undefined) htif.poll();
  if (htifCode !== undefined && exit === undefined) h.run(64);

  const extra = unsupported.length ? `; unsupported HTIF commands: ${unsupported.join(', ')}` : '';
  if (exit === undefined && htifCode === undefined) {
    const test = h.getX(3);
    return {
      outcome: 'hang',
      detail: `no report: the hart ${stall || 'stopped'} (gp = test ${test}, pc = ${hex(h.getPc())})${extra}`,
      instructions: total,
    };
  }
  const sysconCode = exit === undefined ? undefined : exit.kind === 'fail' ? exit.status : exit.kind === 'poweroff' ? 0 : -1;
  if (sysconCode !== htifCode) {
    return {
      outcome: 'hang',
      detail: `the test device said ${JSON.stringify(exit)} but HTIF tohost said ${htifCode}${extra}`,
      instructions: total,
    };
  }
  if (htifCode === 0) return { outcome: 'pass', detail: `passed${extra}`, instructions: total };
  return { outcome: htifCode!, detail: failureDetail(elf, ram) + extra, instructions: total };
}
