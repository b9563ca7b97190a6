// One RV64IMAFDC hart with M/S/U privilege and Sv39: state, the platform-facing API (hart-api.ts),
// and the glue around the hot loop in execute.ts (RISC-V unprivileged 20191213, privileged 1.12).

import type { Bus } from '../memory/bus.js';
import type { Ram } from '../memory/ram.js';
import { Tlb } from './mmu/tlb.js';
import { HS_BYTES, HS_F, HS_MSTATUS, HS_TLB, HS_X, HS_X_WORDS } from './hart-state.js';
import { createFpuState, type FpuState } from './fpu/index.js';
import {
  PRIV_M,
  MIP_MEIP,
  MIP_MSIP,
  MIP_MTIP,
  MIP_SEIP,
  MIP_SSIP,
  MIP_STIP,
  type HartControl,
  type HartHost,
  type Privilege,
} from './hart-api.js';
import {
  CAUSE_SUPERVISOR_ECALL,
  MEDELEG_WRITABLE,
  MSTATUS_FS,
  MSTATUS_FS_SHIFT,
} from './csr-numbers.js';
import { readCsr, writeCsr } from './csr.js';
import { updateContext } from './context.js';
import { runLoop } from './execute.js';
import { releaseReservation } from './reservation.js';
import type { Domain } from './domain.js';
import { JC_BYTES, JitCache } from './jit/cache.js';
import { bigToPc, pcToBig } from './pc.js';

/** mip bits the platform drives through setPending. SSIP is special: an IPI sets the software bit,
 *  which the guest clears itself (csrc sip), so it goes to mipSw. */
const HW_PENDING = MIP_MSIP | MIP_MTIP | MIP_MEIP | MIP_SEIP | MIP_STIP;
/** Interrupts and exceptions a boot loader (OpenSBI) hands to S-mode before entering the kernel.
 *  Exceptions: everything delegable except ecall from S, which goes to the (host) SBI. */
const BOOT_MIDELEG = MIP_SSIP | MIP_STIP | MIP_SEIP;
const BOOT_MEDELEG = MEDELEG_WRITABLE & ~(1 << CAUSE_SUPERVISOR_ECALL);

export class Hart implements HartControl {
  readonly bus: Bus;
  readonly ram: Ram;
  /** Integer registers as lo/hi int32 pairs: x[2i] low word, x[2i+1] high word. x[0..1] stay 0;
   *  x[64..65] is a sink the hot loop writes instead of x0. */
  readonly x: Int32Array;
  /** The whole state block as int32 words (the exit slots translated code writes, hart-state.ts). */
  readonly hs: Int32Array;
  /** Byte offset of this hart's state block in the machine's memory (hart-state.ts). */
  readonly stateAt: number;
  /** pc as a double holding the signed 64-bit value (exact within +-2^53, see pc.ts). */
  pc = 0;
  /** The exact pc when a jump went beyond +-2^53 (then `pc` holds the WILD_PC sentinel). */
  wildPc = 0n;
  priv: Privilege = PRIV_M;
  waiting = false;
  stopped = false;
  readonly fpu: FpuState;

  // CSR state. mstatus holds bits 31:0 (in the hart's state block, where translated code reads FS);
  // the fixed high bits are synthesised by csr.ts.
  get mstatus(): number {
    return this.hs[HS_MSTATUS >> 2]!;
  }
  set mstatus(v: number) {
    this.hs[HS_MSTATUS >> 2] = v;
  }
  mie = 0;
  /** mip bits written by software (SSIP, STIP, SEIP via csrw mip/sip). */
  mipSw = 0;
  /** mip bits driven by the platform through setPending. */
  mipHw = 0;
  mideleg = 0;
  medeleg = 0;
  mcounteren = 0;
  scounteren = 0;
  /** satp: 0 = bare, 8 = Sv39; the root page table's physical address (ppn * 4096). */
  satpMode = 0;
  satpRoot = 0;
  satpPpnLo = 0;
  satpPpnHi = 0;
  /** Plain read/write 64-bit CSRs (scratch, epc, cause, tval, tvec, pmp) as lo/hi pairs at 2 * number. */
  readonly csrFile = new Int32Array(8192);
  /** Instructions retired; minstret/instret read it. */
  instretCount = 0;
  /** mcycle = instretCount + cycleDelta (software may write mcycle). */
  cycleDelta = 0;

  /** TLB contexts for fetches and for loads/stores (see tlb.ts), recomputed by updateContext. */
  fetchCtx = 0;
  dataCtx = 0;
  readonly tlb: Tlb;

  /** A trap raised by a slow path, taken by the hot loop at one place; -1 = none. */
  trapCause = -1;
  trapTvalLo = 0;
  trapTvalHi = 0;
  /** Results of slow-path loads (raw bits). */
  tmpLo = 0;
  tmpHi = 0;

  /** LR/SC reservation: physical address of the 8-byte granule, and its RAM page offset. */
  resValid = false;
  resAddr = 0;
  resPage = 0;
  readonly domain: Domain;

  /** Translated regions (jit/). */
  readonly jit: JitCache;

  exitRequested = false;
  /** Bumped whenever the platform sets pc/state from outside, so the hot loop reloads. */
  epoch = 0;

  constructor(
    readonly hartId: number,
    readonly host: HartHost,
  ) {
    this.bus = host.bus;
    this.ram = host.bus.ram;
    this.stateAt = this.ram.allocState(HS_BYTES);
    const buffer = this.ram.memory.buffer;
    this.x = new Int32Array(buffer, this.stateAt + HS_X, HS_X_WORDS);
    this.hs = new Int32Array(buffer, this.stateAt, HS_TLB / 4);
    this.tlb = new Tlb(buffer, this.stateAt + HS_TLB);
    this.fpu = createFpuState(buffer, this.stateAt + HS_F);
    this.jit = new JitCache(buffer, this.ram.allocState(JC_BYTES));
    if (host.domain.ram !== this.ram) throw new Error('a hart joins the domain of the RAM its bus maps');
    this.domain = host.domain;
    this.domain.join(this);
    updateContext(this);
  }

  get instret(): number {
    return this.instretCount;
  }

  get pending(): number {
    return this.mipSw | this.mipHw;
  }

  run(budget: number): number {
    if (this.stopped || budget <= 0) return 0;
    if (this.waiting) {
      if (((this.mipSw | this.mipHw) & this.mie) === 0) return 0;
      this.waiting = false;
    }
    return runLoop(this, budget);
  }

  requestExit(): void {
    this.exitRequested = true;
  }

  setPending(bits: number, level: boolean): void {
    if (bits & MIP_SSIP) {
      if (level) this.mipSw |= MIP_SSIP;
      else this.mipSw &= ~MIP_SSIP;
    }
    bits &= HW_PENDING;
    if (level) this.mipHw |= bits;
    else this.mipHw &= ~bits;
    if (this.waiting && ((this.mipSw | this.mipHw) & this.mie) !== 0) this.waiting = false;
  }

  getX(reg: number): bigint {
    if (reg <= 0 || reg > 31) return 0n;
    return (BigInt(this.x[2 * reg + 1] >>> 0) << 32n) | BigInt(this.x[2 * reg] >>> 0);
  }

  setX(reg: number, value: bigint): void {
    if (reg <= 0 || reg > 31) return;
    this.x[2 * reg] = Number(BigInt.asIntN(32, value));
    this.x[2 * reg + 1] = Number(BigInt.asIntN(32, value >> 32n));
  }

  getPc(): bigint {
    return pcToBig(this);
  }

  setPc(value: bigint): void {
    this.pc = bigToPc(this, value);
    this.epoch++;
  }

  getCsr(csr: number): bigint {
    if (!readCsr(this, csr & 0xfff)) return 0n;
    return (BigInt(this.tmpHi >>> 0) << 32n) | BigInt(this.tmpLo >>> 0);
  }

  setCsr(csr: number, value: bigint): void {
    writeCsr(this, csr & 0xfff, Number(BigInt.asIntN(32, value)), Number(BigInt.asIntN(32, value >> 32n)));
    this.epoch++;
  }

  flushTlb(): void {
    this.tlb.flushAll();
  }


  reset(pc: bigint, priv: Privilege, a0: bigint, a1: bigint): void {
    this.x.fill(0);
    this.setX(10, a0);
    this.setX(11, a1);
    this.priv = priv;
    this.pc = bigToPc(this, pc);
    // Interrupts off at every level; FS initial (1) so the kernel may use the FPU, as OpenSBI leaves it.
    this.mstatus = (1 << MSTATUS_FS_SHIFT) & MSTATUS_FS;
    this.mie = 0;
    this.mipSw = 0;
    // Entering below M means a boot loader ran: it delegated S-level traps and opened the counters
    // (Linux 6.1 reads `time` from U-mode without ever writing scounteren).
    const belowM = priv !== PRIV_M;
    this.mideleg = belowM ? BOOT_MIDELEG : 0;
    this.medeleg = belowM ? BOOT_MEDELEG : 0;
    this.mcounteren = belowM ? 7 : 0;
    this.scounteren = belowM ? 7 : 0;
    this.satpMode = 0;
    this.satpRoot = 0;
    this.satpPpnLo = 0;
    this.satpPpnHi = 0;
    this.waiting = false;
    this.stopped = false;
    this.exitRequested = false;
    releaseReservation(this);
    this.tlb.flushAll();
    // The platform may have (re)loaded images into RAM behind our back: translated code is checked
    // against RAM before its next use.
    this.jit.recheckAll();
    updateContext(this);
    this.epoch++;
  }
}
