// The Supervisor Binary Interface implemented by the host: a supervisor `ecall` lands here instead
// of in M-mode firmware. Spec: RISC-V SBI v1.0.0 — chapters 3 (binary encoding), 4 (base),
// 5 (legacy 0x00-0x08), 6 (TIME), 7 (IPI), 8 (RFENCE), 9 (HSM), 10 (SRST), 12 (DBCN, SBI 2.0).
// Linux 6.1's arch/riscv/kernel/sbi.c and cpu_ops_sbi.c are the main callers.

import { MIP_SSIP, MIP_STIP, type HartControl } from '../cpu/hart-api.js';
import type { Bus } from '../memory/bus.js';
import type { MachineExit } from '../devices/syscon.js';
import { bytesOf, SnapshotError, type StateObject, type StateReader } from '../snapshot/state-value.js';

export const SBI_SUCCESS = 0;
export const SBI_ERR_FAILED = -1;
export const SBI_ERR_NOT_SUPPORTED = -2;
export const SBI_ERR_INVALID_PARAM = -3;
export const SBI_ERR_INVALID_ADDRESS = -5;
export const SBI_ERR_ALREADY_AVAILABLE = -6;

export const SBI_EXT_BASE = 0x10;
export const SBI_EXT_TIME = 0x54494d45;
export const SBI_EXT_IPI = 0x735049;
export const SBI_EXT_RFENCE = 0x52464e43;
export const SBI_EXT_HSM = 0x48534d;
export const SBI_EXT_SRST = 0x53525354;
export const SBI_EXT_DBCN = 0x4442434e;

const SBI_SPEC_VERSION = (1 << 24) | 0; // 1.0
/** Not a registered implementation ID (those are 0-9 today): identifies this emulator. */
export const SBI_IMPL_ID = 0x564d; // "VM"
export const SBI_IMPL_VERSION = 1;

const HSM_STARTED = 0;
const HSM_STOPPED = 1;
const HSM_SUSPENDED = 4;
const HSM_SUSPEND_RETENTIVE = 0;

const SRST_SHUTDOWN = 0;
const SRST_COLD_REBOOT = 1;
const SRST_WARM_REBOOT = 2;
const SRST_REASON_FAILURE = 1;

const CSR_SATP = 0x180;
const CSR_MVENDORID = 0xf11;

const A0 = 10;
const A6 = 16;
const A7 = 17;

const ALL_ONES = (1n << 64n) - 1n;

/** What the SBI needs from the machine around it. */
export interface SbiHost {
  readonly harts: readonly HartControl[];
  readonly bus: Bus;
  putchar(byte: number): void;
  /** Next input byte, or -1 when none is waiting. */
  getchar(): number;
  /** Start a stopped hart in S-mode at `addr` with a0 = hart id, a1 = `opaque`. */
  startHart(hartId: number, addr: bigint, opaque: bigint): void;
  exit(e: MachineExit): void;
  /** Report guest misbehaviour (rate-limited by the host). */
  log(message: string): void;
}

export class HostSbi {
  /** Per-hart supervisor timer deadline in timebase ticks (Infinity = none). */
  readonly timecmp: Float64Array;
  private readonly stip: Uint8Array;
  private readonly suspended: Uint8Array;

  constructor(private readonly host: SbiHost) {
    const n = host.harts.length;
    this.timecmp = new Float64Array(n).fill(Infinity);
    this.stip = new Uint8Array(n);
    this.suspended = new Uint8Array(n);
  }

  /** Timer deadlines and HSM suspend flags (the harts' own state is saved with them). */
  saveState(): StateObject {
    return { timecmp: Array.from(this.timecmp), stip: bytesOf(this.stip), suspended: bytesOf(this.suspended) };
  }

  restoreState(r: StateReader): void {
    const t = r.list('timecmp', this.timecmp.length);
    t.forEach((v, i) => {
      if (typeof v !== 'number' || Number.isNaN(v)) throw new SnapshotError(`${r.path}.timecmp[${i}]: expected a number`);
      this.timecmp[i] = v;
    });
    r.fill('stip', this.stip);
    r.fill('suspended', this.suspended);
  }

  /** Raise STIP on every hart whose deadline has passed (called by the scheduler). */
  updateTimers(now: number): void {
    const { harts } = this.host;
    for (let h = 0; h < harts.length; h++) {
      if (!this.stip[h] && now >= this.timecmp[h]!) {
        this.stip[h] = 1;
        harts[h]!.setPending(MIP_STIP, true);
      }
    }
  }

  /** The earliest pending supervisor timer deadline (Infinity if none). */
  nextDeadline(): number {
    let t = Infinity;
    for (let h = 0; h < this.timecmp.length; h++) if (!this.stip[h]) t = Math.min(t, this.timecmp[h]!);
    return t;
  }

  /** A hart left suspend because an interrupt woke it. */
  resumed(hartId: number): void {
    this.suspended[hartId] = 0;
  }

  /** Handle one `ecall` from S-mode. Never throws for anything the guest passes. */
  call(hart: HartControl): void {
    const eid = Number(hart.getX(A7) & 0xffffffffn);
    const fid = Number(hart.getX(A6) & 0xffffffffn);
    // Registers as unsigned 64-bit values, whatever sign convention the hart uses.
    const a = (i: number): bigint => BigInt.asUintN(64, hart.getX(A0 + i));
    if (eid <= 0x08) {
      const r = this.legacy(hart, eid, a);
      hart.setX(A0, BigInt.asUintN(64, BigInt(r)));
      return;
    }
    let ret: [number, bigint];
    switch (eid) {
      case SBI_EXT_BASE:
        ret = this.base(hart, fid, a(0));
        break;
      case SBI_EXT_TIME:
        ret = fid === 0 ? this.setTimer(hart, a(0)) : [SBI_ERR_NOT_SUPPORTED, 0n];
        break;
      case SBI_EXT_IPI:
        ret = fid === 0 ? this.sendIpi(a(0), a(1)) : [SBI_ERR_NOT_SUPPORTED, 0n];
        break;
      case SBI_EXT_RFENCE:
        ret = this.rfence(fid, a(0), a(1));
        break;
      case SBI_EXT_HSM:
        ret = this.hsm(hart, fid, a(0), a(1), a(2));
        break;
      case SBI_EXT_SRST:
        ret = this.srst(fid, a(0), a(1));
        break;
      case SBI_EXT_DBCN:
        ret = this.dbcn(fid, a(0), a(1), a(2));
        break;
      default:
        ret = [SBI_ERR_NOT_SUPPORTED, 0n];
    }
    hart.setX(A0, BigInt.asUintN(64, BigInt(ret[0])));
    hart.setX(A0 + 1, BigInt.asUintN(64, ret[1]));
  }

  private probe(eid: bigint): boolean {
    switch (Number(eid & 0xffffffffn)) {
      case SBI_EXT_BASE:
      case SBI_EXT_TIME:
      case SBI_EXT_IPI:
      case SBI_EXT_RFENCE:
      case SBI_EXT_HSM:
      case SBI_EXT_SRST:
      case SBI_EXT_DBCN:
        return true;
    }
    return eid >= 0n && eid <= 8n;
  }

  private base(hart: HartControl, fid: number, arg: bigint): [number, bigint] {
    switch (fid) {
      case 0:
        return [SBI_SUCCESS, BigInt(SBI_SPEC_VERSION)];
      case 1:
        return [SBI_SUCCESS, BigInt(SBI_IMPL_ID)];
      case 2:
        return [SBI_SUCCESS, BigInt(SBI_IMPL_VERSION)];
      case 3:
        return [SBI_SUCCESS, this.probe(arg) ? 1n : 0n];
      case 4:
      case 5:
      case 6:
        return [SBI_SUCCESS, hart.getCsr(CSR_MVENDORID + fid - 4)];
    }
    return [SBI_ERR_NOT_SUPPORTED, 0n];
  }

  private setTimer(hart: HartControl, when: bigint): [number, bigint] {
    const h = hart.hartId;
    // Values past 2^53 all mean "not soon"; Linux writes ~0 to disarm.
    this.timecmp[h] = when > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(when);
    if (this.stip[h]) {
      this.stip[h] = 0;
      hart.setPending(MIP_STIP, false);
    }
    return [SBI_SUCCESS, 0n];
  }

  /** Harts selected by (hart_mask, hart_mask_base), or null if the mask names a hart that does not exist. */
  private targets(mask: bigint, base: bigint): HartControl[] | null {
    const { harts } = this.host;
    if (base === ALL_ONES) return [...harts];
    const out: HartControl[] = [];
    for (let i = 0n; i < 64n; i++) {
      if (((mask >> i) & 1n) === 0n) continue;
      const id = base + i;
      if (id >= BigInt(harts.length)) return null;
      out.push(harts[Number(id)]!);
    }
    return out;
  }

  private sendIpi(mask: bigint, base: bigint): [number, bigint] {
    const t = this.targets(mask, base);
    if (t === null) return [SBI_ERR_INVALID_PARAM, 0n];
    for (const h of t) h.setPending(MIP_SSIP, true);
    return [SBI_SUCCESS, 0n];
  }

  private rfence(fid: number, mask: bigint, base: bigint): [number, bigint] {
    if (fid > 2) return [SBI_ERR_NOT_SUPPORTED, 0n]; // the hypervisor fences: no H extension
    const t = this.targets(mask, base);
    if (t === null) return [SBI_ERR_INVALID_PARAM, 0n];
    // Flushing everything is a valid (over-)approximation of a ranged or per-ASID fence. A remote
    // fence.i has nothing to drop: translated code goes when its bytes are written (domain.ts).
    if (fid !== 0) for (const h of t) h.flushTlb();
    return [SBI_SUCCESS, 0n];
  }

  private hsm(hart: HartControl, fid: number, a0: bigint, a1: bigint, a2: bigint): [number, bigint] {
    const { harts } = this.host;
    switch (fid) {
      case 0: {
        if (a0 >= BigInt(harts.length)) return [SBI_ERR_INVALID_PARAM, 0n];
        const target = harts[Number(a0)]!;
        if (!target.stopped) return [SBI_ERR_ALREADY_AVAILABLE, 0n];
        if (!this.isRamAddress(a1)) return [SBI_ERR_INVALID_ADDRESS, 0n];
        this.host.startHart(target.hartId, a1, a2);
        return [SBI_SUCCESS, 0n];
      }
      case 1:
        hart.stopped = true;
        hart.requestExit();
        return [SBI_SUCCESS, 0n];
      case 2: {
        if (a0 >= BigInt(harts.length)) return [SBI_ERR_INVALID_PARAM, 0n];
        const id = Number(a0);
        const target = harts[id]!;
        const status = target.stopped ? HSM_STOPPED : this.suspended[id] && target.waiting ? HSM_SUSPENDED : HSM_STARTED;
        return [SBI_SUCCESS, BigInt(status)];
      }
      case 3:
        // Only the retentive kind, which behaves like WFI: resume after the ecall on an interrupt.
        if ((a0 & 0xffffffffn) !== BigInt(HSM_SUSPEND_RETENTIVE)) return [SBI_ERR_NOT_SUPPORTED, 0n];
        this.suspended[hart.hartId] = 1;
        hart.waiting = true;
        hart.requestExit();
        return [SBI_SUCCESS, 0n];
    }
    return [SBI_ERR_NOT_SUPPORTED, 0n];
  }

  private srst(fid: number, type: bigint, reason: bigint): [number, bigint] {
    if (fid !== 0) return [SBI_ERR_NOT_SUPPORTED, 0n];
    const t = Number(type & 0xffffffffn);
    if (t === SRST_SHUTDOWN) {
      const failed = (reason & 0xffffffffn) === BigInt(SRST_REASON_FAILURE);
      this.host.exit(failed ? { kind: 'fail', status: 1 } : { kind: 'poweroff', status: 0 });
    } else if (t === SRST_COLD_REBOOT || t === SRST_WARM_REBOOT) {
      this.host.exit({ kind: 'reboot', status: 0 });
    } else {
      return [SBI_ERR_INVALID_PARAM, 0n];
    }
    for (const h of this.host.harts) h.requestExit();
    return [SBI_SUCCESS, 0n];
  }

  private isRamAddress(addr: bigint): boolean {
    return addr < 2n ** 53n && this.host.bus.isRam(Number(addr), 4);
  }

  private dbcn(fid: number, a0: bigint, a1: bigint, a2: bigint): [number, bigint] {
    const { bus } = this.host;
    if (fid === 2) {
      this.host.putchar(Number(a0 & 0xffn));
      return [SBI_SUCCESS, 0n];
    }
    if (fid !== 0 && fid !== 1) return [SBI_ERR_NOT_SUPPORTED, 0n];
    // Physical address a1 (low) | a2 (high); RV64 passes it whole in a1.
    const addr = a1 | (a2 << 64n);
    const len = a0 > 4096n ? 4096 : Number(a0); // partial transfers are allowed; bound the work
    if (len === 0) return [SBI_SUCCESS, 0n];
    if (addr >= 2n ** 53n || !bus.isRam(Number(addr), len)) return [SBI_ERR_INVALID_PARAM, 0n];
    const p = Number(addr);
    if (fid === 0) {
      for (let i = 0; i < len; i++) this.host.putchar(bus.read(p + i, 1));
      return [SBI_SUCCESS, BigInt(len)];
    }
    let n = 0;
    while (n < len) {
      const c = this.host.getchar();
      if (c < 0) break;
      bus.write(p + n, 1, c);
      n++;
    }
    return [SBI_SUCCESS, BigInt(n)];
  }

  /** SBI v0.1 calls: one return value in a0. Masks are pointers into S-mode virtual memory. */
  private legacy(hart: HartControl, eid: number, a: (i: number) => bigint): number {
    switch (eid) {
      case 0x00:
        this.setTimer(hart, a(0));
        return 0;
      case 0x01:
        this.host.putchar(Number(a(0) & 0xffn));
        return 0;
      case 0x02:
        return this.host.getchar();
      case 0x03:
        hart.setPending(MIP_SSIP, false);
        return 0;
      case 0x04:
      case 0x05:
      case 0x06:
      case 0x07: {
        const mask = a(0) === 0n ? ALL_ONES : this.readVirtual64(hart, a(0));
        if (mask === null) return SBI_ERR_INVALID_ADDRESS;
        const base = a(0) === 0n ? ALL_ONES : 0n;
        const r = eid === 0x04 ? this.sendIpi(mask, base) : this.rfence(eid === 0x05 ? 0 : 1, mask, base);
        return r[0];
      }
      case 0x08:
        this.host.exit({ kind: 'poweroff', status: 0 });
        for (const h of this.host.harts) h.requestExit();
        return 0;
    }
    return SBI_ERR_NOT_SUPPORTED;
  }

  /** Read a doubleword at an S-mode virtual address (bare or Sv39), or null if it is not mapped. */
  private readVirtual64(hart: HartControl, vaddr: bigint): bigint | null {
    const satp = hart.getCsr(CSR_SATP);
    const mode = Number(satp >> 60n);
    let paddr: bigint;
    if (mode === 0) {
      paddr = vaddr;
    } else if (mode === 8) {
      const t = sv39Translate(this.host.bus, satp, vaddr);
      if (t === null) return null;
      paddr = t;
    } else {
      this.host.log(`legacy SBI call with a mask pointer under unsupported satp mode ${mode}`);
      return null;
    }
    if (paddr >= 2n ** 53n || !this.host.bus.isRam(Number(paddr), 8)) return null;
    const p = Number(paddr);
    return (BigInt(this.host.bus.read(p + 4, 4)) << 32n) | BigInt(this.host.bus.read(p, 4));
  }
}

/**
 * Sv39 translation for the host's own reads (privileged spec 4.3.2, steps 1-8, without permission or
 * A/D updates: the host only needs where the guest's data is). Null when unmapped.
 */
export function sv39Translate(bus: Bus, satp: bigint, vaddr: bigint): bigint | null {
  // Bits 63:39 must equal bit 38.
  const top = vaddr >> 38n;
  if (top !== 0n && top !== (1n << 26n) - 1n) return null;
  let a = (satp & ((1n << 44n) - 1n)) << 12n;
  for (let level = 2; level >= 0; level--) {
    const vpn = (vaddr >> BigInt(12 + 9 * level)) & 0x1ffn;
    const pteAddr = a + vpn * 8n;
    if (pteAddr >= 2n ** 53n || !bus.isRam(Number(pteAddr), 8)) return null;
    const p = Number(pteAddr);
    const pte = (BigInt(bus.read(p + 4, 4)) << 32n) | BigInt(bus.read(p, 4));
    if ((pte & 1n) === 0n || ((pte & 2n) === 0n && (pte & 4n) !== 0n)) return null;
    const ppn = (pte >> 10n) & ((1n << 44n) - 1n);
    if ((pte & 0xan) !== 0n) {
      // Leaf: a superpage keeps the low VPN bits of the address.
      const low = BigInt(12 + 9 * level);
      return ((ppn << 12n) & ~((1n << low) - 1n)) | (vaddr & ((1n << low) - 1n));
    }
    a = ppn << 12n;
  }
  return null;
}
