// The contract between a hart (one RISC-V hardware thread) and the platform that hosts it.
// The platform (src/emulator/machine) builds harts from a HartHost and drives them with run();
// devices never see a hart: they raise lines that the platform turns into setPending() calls.

import type { Bus } from '../memory/bus.js';
import type { Domain } from './domain.js';

export const PRIV_U = 0;
export const PRIV_S = 1;
export const PRIV_M = 3;
export type Privilege = typeof PRIV_U | typeof PRIV_S | typeof PRIV_M;

// mip/mie bit numbers (privileged spec, 3.1.9).
export const MIP_SSIP = 1 << 1;
export const MIP_MSIP = 1 << 3;
export const MIP_STIP = 1 << 5;
export const MIP_MTIP = 1 << 7;
export const MIP_SEIP = 1 << 9;
export const MIP_MEIP = 1 << 11;

/** Guest time, in ticks of the platform's timebase (10 MHz on `virt`). */
export interface Clock {
  now(): number;
}

/** What the platform hands each hart. */
export interface HartHost {
  bus: Bus;
  clock: Clock;
  /** The harts sharing the bus's RAM (domain.ts): built once per machine, next to its RAM. */
  domain: Domain;
  /**
   * Host-implemented SBI: when set, an `ecall` from S-mode calls this instead of trapping to M-mode
   * (no firmware runs in M-mode). The handler reads a0-a7 with getX and writes a0/a1 with setX;
   * the hart then resumes after the ecall. When unset, ecalls trap architecturally.
   */
  sbiCall?: (hart: HartControl) => void;
  /** Called when the hart writes to a physical page holding decoded or translated code, or on fence.i. */
  onCodeWrite?: (paddr: number) => void;
}

/** The platform's view of a hart. Everything that is not the hot loop uses BigInt at this seam. */
export interface HartControl {
  readonly hartId: number;
  /** Current privilege level. */
  priv: Privilege;
  /** True while the hart sits in WFI with no enabled interrupt pending. */
  waiting: boolean;
  /** True while the hart is stopped (SBI HSM: not started yet, or hart_stop); run() does nothing. */
  stopped: boolean;
  /** Instructions retired since reset (minstret). */
  readonly instret: number;
  /**
   * Execute up to `budget` instructions and return how many retired. Returns early when the hart
   * enters WFI, is stopped, or `requestExit()` was called. Never throws for anything the guest does.
   */
  run(budget: number): number;
  /** Make the current run() return at the next instruction boundary (e.g. after poweroff). */
  requestExit(): void;
  /** Raise or lower interrupt-pending bits driven from outside (MIP_MEIP, MIP_SEIP, MIP_MTIP, MIP_STIP, MIP_MSIP, MIP_SSIP). */
  setPending(bits: number, level: boolean): void;
  /** Interrupt-pending bits currently set (mip). */
  readonly pending: number;
  getX(reg: number): bigint;
  setX(reg: number, value: bigint): void;
  getPc(): bigint;
  setPc(value: bigint): void;
  /** Read or write a CSR by number as the platform (not the guest) would: no privilege checks. */
  getCsr(csr: number): bigint;
  setCsr(csr: number, value: bigint): void;
  /** Drop every cached translation (SBI remote sfence.vma, satp change done by the host). */
  flushTlb(): void;
  /**
   * Put the hart in the state a boot loader leaves it: `pc`, privilege `priv`, a0 = `a0`, a1 = `a1`,
   * satp = 0, every interrupt disabled, not waiting, not stopped.
   */
  reset(pc: bigint, priv: Privilege, a0: bigint, a1: bigint): void;
}
