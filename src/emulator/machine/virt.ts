// The `virt` machine: the one file that knows the memory map and IRQ numbers. It wires harts, bus,
// RAM, PLIC, CLINT, UART, syscon, RTC, virtio-mmio slots and the host SBI, builds the device tree,
// places the boot images and runs everything through the scheduler.
// Reference: QEMU hw/riscv/virt.c (memory map, IRQs) and hw/riscv/boot.c (boot images, entry state).

import { Domain } from '../cpu/domain.js';
import { MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP, PRIV_M, PRIV_S, type HartControl, type HartHost } from '../cpu/hart-api.js';
import { Clint, CLINT_SIZE } from '../devices/clint.js';
import { GoldfishRtc, GOLDFISH_RTC_SIZE } from '../devices/goldfish-rtc.js';
import { Plic } from '../devices/plic.js';
import { Syscon, SYSCON_SIZE, type MachineExit } from '../devices/syscon.js';
import { Uart16550 } from '../devices/uart16550.js';
import { Bus, type MmioDevice } from '../memory/bus.js';
import { GuestClock } from './clock.js';
import { GuestLog } from './guest-log.js';
import { fwDynamicInfo, parseImageHeader, placeDtb, planLayout, type BootLayout } from './loader.js';
import { Ram } from '../memory/ram.js';
import { Rom } from './rom.js';
import { HostSbi } from './sbi.js';
import { defaultHostTimers, Scheduler, type HostTimers, type WarpPolicy } from './scheduler.js';
import { buildVirtDtb } from './virt-dt.js';
import { VirtioSlot } from './virtio-slot.js';
import { MAX_HARTS } from './limits.js';
import { warmUpInterpreter } from './warmup.js';

/** The memory map (QEMU `virt`, hw/riscv/virt.c `virt_memmap`). */
export const VIRT_MROM = { base: 0x1000, size: 0xf000 };
export const VIRT_TEST = { base: 0x10_0000, size: SYSCON_SIZE };
export const VIRT_RTC = { base: 0x10_1000, size: GOLDFISH_RTC_SIZE };
export const VIRT_CLINT = { base: 0x200_0000, size: CLINT_SIZE };
export const VIRT_PLIC = { base: 0xc00_0000, size: 0x60_0000 };
export const VIRT_UART0 = { base: 0x1000_0000, size: 0x100 };
export const VIRT_VIRTIO = { base: 0x1000_1000, size: 0x1000, count: 8 };
export const VIRT_DRAM_BASE = 0x8000_0000;

/** PLIC interrupt sources. */
export const VIRTIO_IRQ = 1; // slots use 1 .. 8
export const UART0_IRQ = 10;
export const RTC_IRQ = 11;
const PLIC_SOURCES = 96; // riscv,ndev as QEMU 7.2 reports it

/** The uart's input clock as QEMU declares it (3.6864 MHz); only divisor arithmetic uses it. */
const UART_CLOCK_HZ = 3_686_400;
export const TIMEBASE_HZ = 10_000_000;
export { MAX_HARTS };

/** What the CPU implements; kept truthful, the kernel believes it. */
export const VIRT_ISA = 'rv64imafdc_zicsr_zifencei';

// CSRs the platform sets when it plays the firmware's part (privileged spec numbering).
const CSR_SSTATUS = 0x100;
const CSR_SCOUNTEREN = 0x106;
const CSR_MEDELEG = 0x302;
const CSR_MIDELEG = 0x303;
const CSR_MCOUNTEREN = 0x306;
const CSR_MEPC = 0x341;
const CSR_MCAUSE = 0x342;
const CSR_MTVAL = 0x343;
const CSR_PMPCFG0 = 0x3a0;
const CSR_PMPADDR0 = 0x3b0;
const SSTATUS_FS_INITIAL = 1n << 13n;
/** Exceptions an S-mode kernel handles itself: everything but ecalls from S and M. */
const MEDELEG_ALL_S = 0xb1ffn;
const MIDELEG_S = 0x222n; // SSIP, STIP, SEIP
const A2 = 12;

/**
 * How a machine ended: the guest powered off, rebooted or failed (syscon/SRST); the host stopped it;
 * the guest got itself stuck where nothing can resume it (`halted`); or the emulator hit a bug (`error`).
 */
export type MachineExitEvent =
  | MachineExit
  | { kind: 'stopped'; status: 0 }
  | { kind: 'halted'; status: 1; message: string }
  | { kind: 'error'; status: 70; message: string };

/**
 * How to build a `virt` board, in emulator terms: image bytes rather than files, no host resources,
 * the harts made by the caller. Built by startBuiltinMachine (engines/builtin/builtin-machine.ts) from
 * a BuiltinBootSpec, and by the platform tests; it exists apart from that spec because the emulator
 * reads no files and knows no host. The virtio slots are filled afterwards (VirtMachine.attachVirtio).
 */
export interface VirtMachineOptions {
  ramBytes: number;
  harts: number;
  /** Linux Image (or a raw binary) placed at DRAM + text_offset. */
  kernel?: Uint8Array;
  initrd?: Uint8Array;
  /** M-mode firmware (e.g. OpenSBI fw_jump.bin) at DRAM base; without it the host implements SBI. */
  firmware?: Uint8Array;
  cmdline: string;
  /** Random bytes for the device tree's /chosen/rng-seed (a multiple of 4), so the kernel's entropy
   *  pool is ready from its first instruction rather than after its virtio-rng driver loads; the
   *  host supplies them (the emulator has no entropy of its own). */
  rngSeed?: Uint8Array;
  idleWarp: WarpPolicy;
  createHart: (hartId: number, host: HartHost) => HartControl;
  timers?: HostTimers;
  /** Host wall-clock time in ns since the epoch (goldfish RTC). */
  wallNs?: () => bigint;
  /** Console bytes from the guest (UART and SBI console); called between slices, never blocks. */
  onConsoleOutput?: (bytes: Uint8Array) => void;
  /** Reports of guest misbehaviour, already rate-limited. */
  onLog?: (message: string) => void;
  /** Instructions per hart per scheduling round. */
  slice?: number;
  /**
   * The machine's RAM will be replaced by a saved state before it runs (a resume): the images'
   * places are planned as for a boot, but their bytes are not copied in (the state has them, and a
   * copy would only touch pages the restore then has to zero).
   */
  restoring?: boolean;
  /** The machine's RAM (of ramBytes at VIRT_DRAM_BASE) when the caller made it: a resume reads the saved RAM into it while the machine is built. */
  ram?: Ram;
  /**
   * false: the interpreter's warm-up (warmup.ts) is not run before the first guest instruction;
   * the caller runs it later (a resume, whose guest must answer first: builtin-machine.ts), or the
   * process already did. Default true.
   */
  warmUp?: boolean;
}

/** The device tree of a `virt` machine with this much RAM, these harts and this boot setup. */
export function virtDeviceTree(o: { ramBytes: number; harts: number; cmdline: string; initrd?: { start: number; end: number }; rngSeed?: Uint8Array }): Uint8Array {
  return buildVirtDtb({
    memory: { base: VIRT_DRAM_BASE, size: o.ramBytes },
    harts: o.harts,
    isa: VIRT_ISA,
    mmuType: 'riscv,sv39',
    timebaseFrequency: TIMEBASE_HZ,
    plic: { ...VIRT_PLIC, ndev: PLIC_SOURCES },
    clint: VIRT_CLINT,
    uart: { ...VIRT_UART0, irq: UART0_IRQ, clockFrequency: UART_CLOCK_HZ },
    test: VIRT_TEST,
    rtc: { ...VIRT_RTC, irq: RTC_IRQ },
    virtio: Array.from({ length: VIRT_VIRTIO.count }, (_, n) => ({
      base: VIRT_VIRTIO.base + n * VIRT_VIRTIO.size,
      size: VIRT_VIRTIO.size,
      irq: VIRTIO_IRQ + n,
    })),
    bootargs: o.cmdline,
    rngSeed: o.rngSeed && Array.from(new Uint32Array(o.rngSeed.buffer.slice(o.rngSeed.byteOffset, o.rngSeed.byteOffset + (o.rngSeed.length & ~3)))),
    initrd: o.initrd,
  });
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
const CONSOLE_CHUNK = 16 * 1024;

/**
 * The emulated `virt` board: harts, RAM, interrupt controllers, UART, RTC, virtio slots and the host
 * SBI, run by its scheduler. It knows nothing of the host: the host side of a running machine is a
 * BuiltinMachine (engines/builtin/builtin-machine.ts), which builds it.
 */
export class VirtMachine {
  readonly ram: Ram;
  readonly bus: Bus;
  /** The harts' coherence domain over `ram` (cpu/domain.ts); host writes into RAM (device DMA) are reported to it. */
  readonly domain: Domain;
  readonly clock: GuestClock;
  readonly harts: HartControl[] = [];
  readonly plic: Plic;
  readonly clint: Clint;
  readonly uart: Uart16550;
  readonly rtc: GoldfishRtc;
  readonly slots: VirtioSlot[] = [];
  readonly sbi: HostSbi | null;
  readonly scheduler: Scheduler;
  readonly layout: BootLayout & { dtbAddr: number; dtbSize: number };
  readonly log: GuestLog;
  readonly exited: Promise<MachineExitEvent>;
  private resolveExit!: (e: MachineExitEvent) => void;
  private exit: MachineExitEvent | null = null;
  private readonly out = new Uint8Array(CONSOLE_CHUNK);
  private outLen = 0;
  private readonly timers: HostTimers;

  constructor(private readonly o: VirtMachineOptions) {
    if (!Number.isInteger(o.harts) || o.harts < 1 || o.harts > MAX_HARTS) {
      throw new RangeError(`harts must be 1..${MAX_HARTS}, got ${o.harts}`);
    }
    if (!o.kernel && !o.firmware) throw new RangeError('a machine needs a kernel or a firmware image');
    this.timers = o.timers ?? defaultHostTimers;
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    this.log = new GuestLog({ sink: (m) => o.onLog?.(m), nowMs: this.timers.nowMs });
    this.clock = new GuestClock(this.timers.nowMs, TIMEBASE_HZ);
    this.clock.freeze();
    if (o.ram && (o.ram.base !== VIRT_DRAM_BASE || o.ram.size !== o.ramBytes)) throw new RangeError(`the RAM given is ${o.ram.size} bytes at ${hex(o.ram.base)}, the machine's is ${o.ramBytes} at ${hex(VIRT_DRAM_BASE)}`);
    this.ram = o.ram ?? new Ram(VIRT_DRAM_BASE, o.ramBytes);
    this.bus = new Bus(this.ram);
    this.domain = new Domain(this.ram);
    this.bus.onUnmapped = (kind, addr, size) =>
      this.log.report(`unmapped ${kind}`, () => `guest ${kind} of ${size} bytes at unmapped physical address ${hex(addr)}`);

    const setLine = (hart: number, bit: number, level: boolean): void => this.harts[hart]?.setPending(bit, level);
    this.plic = new Plic({
      sources: PLIC_SOURCES - 1,
      contexts: 2 * o.harts,
      contextIrq: (ctx, level) => setLine(ctx >> 1, ctx & 1 ? MIP_SEIP : MIP_MEIP, level),
    });
    this.clint = new Clint({
      harts: o.harts,
      time: this.clock,
      msip: (h, level) => setLine(h, MIP_MSIP, level),
      mtip: (h, level) => setLine(h, MIP_MTIP, level),
    });
    this.uart = new Uart16550({ irq: this.plic.line(UART0_IRQ), transmit: (b) => this.consoleByte(b), rxCapacity: 64 * 1024 });
    const wallNs = o.wallNs ?? ((): bigint => BigInt(Date.now()) * 1_000_000n);
    this.rtc = new GoldfishRtc({ irq: this.plic.line(RTC_IRQ), wallNs });
    const syscon = new Syscon((e) => this.finish(e));

    this.bus.map('test', VIRT_TEST.base, VIRT_TEST.size, syscon);
    this.bus.map('rtc', VIRT_RTC.base, VIRT_RTC.size, this.rtc);
    this.bus.map('clint', VIRT_CLINT.base, VIRT_CLINT.size, this.clint);
    this.bus.map('plic', VIRT_PLIC.base, VIRT_PLIC.size, this.plic);
    this.bus.map('uart0', VIRT_UART0.base, VIRT_UART0.size, this.uart);
    for (let n = 0; n < VIRT_VIRTIO.count; n++) {
      const slot = new VirtioSlot({ index: n, irq: this.plic.line(VIRTIO_IRQ + n) });
      this.slots.push(slot);
      this.bus.map(`virtio${n}`, VIRT_VIRTIO.base + n * VIRT_VIRTIO.size, VIRT_VIRTIO.size, slot);
    }

    const hartHost: HartHost = { bus: this.bus, clock: this.clock, domain: this.domain };
    if (!o.firmware) hartHost.sbiCall = (h) => this.sbi!.call(h);
    // Once per process, before the first guest instruction: warmup.ts says why.
    if (o.warmUp !== false) warmUpInterpreter();
    for (let i = 0; i < o.harts; i++) this.harts.push(o.createHart(i, hartHost));
    this.sbi = o.firmware ? null : new HostSbi(this.sbiHost());

    this.layout = this.loadImages();
    this.mapRom();
    this.resetHarts();

    this.scheduler = new Scheduler({
      harts: this.harts,
      clock: this.clock,
      timers: this.timers,
      warp: o.idleWarp,
      slice: o.slice,
      tick: (now) => {
        this.clint.update(now);
        this.sbi?.updateTimers(now);
        this.rtc.poll();
      },
      nextDeadline: () => Math.min(this.clint.nextDeadline(), this.sbi?.nextDeadline() ?? Infinity),
      hostWakeMs: () => this.rtc.nsUntilAlarm() / 1e6,
      afterBurst: () => this.afterBurst(),
      onCrash: (err) => this.crash(err),
    });
  }

  /** Plug a virtio-mmio device into slot `n` (0 = 0x1000_1000, IRQ 1). */
  attachVirtio(n: number, make: (irq: (level: boolean) => void) => MmioDevice): void {
    const slot = this.slots[n];
    if (!slot) throw new RangeError(`virtio-mmio slot ${n} does not exist (0..${VIRT_VIRTIO.count - 1})`);
    slot.attach(make(slot.context.irq));
  }

  start(): void {
    if (this.exit) return;
    this.scheduler.start();
  }

  /** Stop the machine for good (the host's decision, not the guest's). */
  stop(): void {
    this.finish({ kind: 'stopped', status: 0 });
  }

  /** Console input for the guest. Returns how many bytes were accepted (the rest overflowed). */
  sendInput(bytes: Uint8Array): number {
    const n = this.uart.receive(bytes);
    if (n < bytes.length) this.log.report('console input overrun', `console input overrun: ${bytes.length - n} bytes dropped`);
    this.scheduler.wake();
    return n;
  }

  /** Let guest time run at host speed from now on (idle warp policy 'until-ready'). */
  markReady(): void {
    this.scheduler.markReady();
  }

  get exitEvent(): MachineExitEvent | null {
    return this.exit;
  }

  private sbiHost(): ConstructorParameters<typeof HostSbi>[0] {
    return {
      harts: this.harts,
      bus: this.bus,
      putchar: (b) => this.consoleByte(b),
      getchar: () => this.uart.takeReceived(),
      startHart: (id, addr, opaque) => this.enterSupervisor(this.harts[id]!, addr, BigInt(id), opaque),
      exit: (e) => this.finish(e),
      log: (m) => this.log.report('sbi', m),
    };
  }

  private loadImages(): BootLayout & { dtbAddr: number; dtbSize: number } {
    const { kernel, initrd, firmware } = this.o;
    const layout = planLayout({
      ramBase: VIRT_DRAM_BASE,
      ramSize: this.o.ramBytes,
      kernelSize: kernel?.length,
      header: kernel ? parseImageHeader(kernel) : null,
      initrdSize: initrd?.length,
      firmwareSize: firmware?.length,
    });
    const initrdRange = layout.initrdStart !== undefined ? { start: layout.initrdStart, end: layout.initrdEnd! } : undefined;
    const dtb = virtDeviceTree({ ramBytes: this.o.ramBytes, harts: this.o.harts, cmdline: this.o.cmdline, initrd: initrdRange, rngSeed: this.o.rngSeed });
    const dtbAddr = placeDtb(VIRT_DRAM_BASE, this.o.ramBytes, dtb.length, layout);
    if (!this.o.restoring) {
      if (firmware) this.ram.load(layout.firmwareAddr!, firmware);
      if (kernel) this.ram.load(layout.kernelAddr!, kernel);
      if (initrd) this.ram.load(layout.initrdStart!, initrd);
      this.ram.load(dtbAddr, dtb);
    }
    return { ...layout, dtbAddr, dtbSize: dtb.length };
  }

  /** The mask ROM holds fw_dynamic_info, which QEMU hands any firmware in a2. */
  private mapRom(): void {
    const rom = new Uint8Array(VIRT_MROM.size);
    const next = this.layout.kernelAddr ?? VIRT_DRAM_BASE + 0x20_0000;
    rom.set(fwDynamicInfo(next), 0);
    this.bus.map(
      'mrom',
      VIRT_MROM.base,
      VIRT_MROM.size,
      new Rom(rom, (off, size) => this.log.report('rom write', `guest wrote ${size} bytes to ROM at ${hex(VIRT_MROM.base + off)}`)),
    );
  }

  private resetHarts(): void {
    const dtb = BigInt(this.layout.dtbAddr);
    if (this.o.firmware) {
      // As QEMU's reset vector leaves them: every hart in M-mode at the firmware.
      for (const h of this.harts) {
        h.reset(BigInt(this.layout.firmwareAddr!), PRIV_M, BigInt(h.hartId), dtb);
        h.setX(A2, BigInt(VIRT_MROM.base));
      }
      return;
    }
    // Host SBI: the boot hart enters the kernel as OpenSBI would leave it; the others wait for HSM.
    for (const h of this.harts) {
      if (h.hartId === 0) this.enterSupervisor(h, BigInt(this.layout.kernelAddr!), 0n, dtb);
      else h.stopped = true;
    }
  }

  /** Put `h` in S-mode at `pc` with the M-mode state OpenSBI would have set up. */
  private enterSupervisor(h: HartControl, pc: bigint, a0: bigint, a1: bigint): void {
    h.reset(pc, PRIV_S, a0, a1);
    h.setCsr(CSR_MEDELEG, MEDELEG_ALL_S);
    h.setCsr(CSR_MIDELEG, MIDELEG_S);
    h.setCsr(CSR_MCOUNTEREN, 7n);
    h.setCsr(CSR_SCOUNTEREN, 7n);
    // One NAPOT entry over all of memory, so S/U accesses pass once PMP is enforced.
    h.setCsr(CSR_PMPADDR0, (1n << 54n) - 1n);
    h.setCsr(CSR_PMPCFG0, 0x1fn);
    h.setCsr(CSR_SSTATUS, h.getCsr(CSR_SSTATUS) | SSTATUS_FS_INITIAL);
    this.sbi?.resumed(h.hartId);
  }

  private consoleByte(b: number): void {
    this.out[this.outLen++] = b;
    if (this.outLen === this.out.length) this.flushConsole();
  }

  private flushConsole(): void {
    if (this.outLen === 0) return;
    const chunk = this.out.slice(0, this.outLen);
    this.outLen = 0;
    this.o.onConsoleOutput?.(chunk);
  }

  private afterBurst(): void {
    this.flushConsole();
    this.log.flush();
    if (this.sbi) {
      // Without firmware nothing runs in M-mode: a hart there took a trap nobody will handle.
      for (const h of this.harts) {
        if (h.priv === PRIV_M && !h.stopped) {
          const cause = h.getCsr(CSR_MCAUSE);
          const msg = `hart ${h.hartId} trapped into M-mode with no firmware: mcause ${hex(cause)}, mepc ${hex(h.getCsr(CSR_MEPC))}, mtval ${hex(h.getCsr(CSR_MTVAL))}`;
          this.log.report('m-mode trap', msg);
          this.finish({ kind: 'halted', status: 1, message: msg });
          return;
        }
      }
    }
  }

  private crash(err: unknown): void {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.finish({ kind: 'error', status: 70, message: `emulator fault (a bug in vm): ${message}` });
  }

  private finish(e: MachineExitEvent): void {
    if (this.exit) return;
    this.exit = e;
    this.scheduler?.stop();
    this.flushConsole();
    this.log.flush(true);
    this.resolveExit(e);
  }
}
