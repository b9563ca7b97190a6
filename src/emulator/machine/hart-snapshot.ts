// One hart's architectural state for a snapshot, read from and written to the Hart's fields
// (cpu/hart.ts): x and f registers, pc, privilege, every CSR the hart stores, the LR/SC reservation,
// WFI/stopped. The TLB and translated code are caches: dropped on restore, rebuilt as the guest runs.

import { updateContext } from '../cpu/context.js';
import { PRIV_M, PRIV_S, PRIV_U, type Privilege } from '../cpu/hart-api.js';
import type { Hart } from '../cpu/hart.js';
import { releaseReservation, reserve } from '../cpu/reservation.js';
import { bytesOf, SnapshotError, type StateObject, type StateReader } from '../snapshot/state-value.js';

/** x0..x31 as lo/hi words; the two sink words after them are scratch. */
const X_WORDS = 64;

export function saveHart(h: Hart): StateObject {
  // The plain CSR file is 8192 words, nearly all zero: keep the others as [index, word] pairs.
  const csrs: number[] = [];
  for (let i = 0; i < h.csrFile.length; i++) if (h.csrFile[i] !== 0) csrs.push(i, h.csrFile[i]!);
  return {
    id: h.hartId,
    x: bytesOf(h.x.subarray(0, X_WORDS)),
    f: bytesOf(h.fpu.fRaw),
    fflags: h.fpu.fflags,
    frm: h.fpu.frm,
    pc: h.getPc(),
    priv: h.priv,
    waiting: h.waiting,
    stopped: h.stopped,
    mstatus: h.mstatus,
    mie: h.mie,
    mipSw: h.mipSw,
    mipHw: h.mipHw,
    mideleg: h.mideleg,
    medeleg: h.medeleg,
    mcounteren: h.mcounteren,
    scounteren: h.scounteren,
    satp: h.getCsr(0x180),
    csrs,
    instret: h.instretCount,
    cycleDelta: h.cycleDelta,
    reservation: { valid: h.resValid, addr: h.resAddr, page: h.resPage },
  };
}

function privilege(r: StateReader): Privilege {
  const p = r.int('priv', 0, 3);
  if (p !== PRIV_U && p !== PRIV_S && p !== PRIV_M) throw new SnapshotError(`${r.path}.priv: ${p} is not a privilege level`);
  return p;
}

export function restoreHart(h: Hart, r: StateReader): void {
  const id = r.int('id', 0, 0xffff);
  if (id !== h.hartId) throw new SnapshotError(`${r.path}: saved hart ${id} restored into hart ${h.hartId}`);
  const x = r.bytes('x', X_WORDS * 4);
  const f = r.bytes('f', h.fpu.fRaw.byteLength);
  const csrs = r.ints('csrs', -0x8000_0000, 0xffff_ffff);
  if (csrs.length % 2 !== 0) throw new SnapshotError(`${r.path}.csrs: expected index/value pairs`);
  const res = r.obj('reservation');
  const resValid = res.bool('valid');
  const resAddr = res.int('addr', 0);
  const resPage = res.int('page', 0, h.ram.size - 4096);
  const priv = privilege(r);
  h.x.fill(0);
  new Uint8Array(h.x.buffer, h.x.byteOffset, X_WORDS * 4).set(x);
  new Uint8Array(h.fpu.fRaw.buffer, h.fpu.fRaw.byteOffset, h.fpu.fRaw.byteLength).set(f);
  h.fpu.fflags = r.int('fflags', 0, 0x1f);
  h.fpu.frm = r.int('frm', 0, 7);
  h.priv = priv;
  h.waiting = r.bool('waiting');
  h.stopped = r.bool('stopped');
  h.mstatus = r.i32('mstatus');
  h.mie = r.i32('mie');
  h.mipSw = r.i32('mipSw');
  h.mipHw = r.i32('mipHw');
  h.mideleg = r.i32('mideleg');
  h.medeleg = r.i32('medeleg');
  h.mcounteren = r.i32('mcounteren');
  h.scounteren = r.i32('scounteren');
  h.csrFile.fill(0);
  for (let i = 0; i < csrs.length; i += 2) {
    const at = csrs[i]!;
    if (at < 0 || at >= h.csrFile.length) throw new SnapshotError(`${r.path}.csrs: CSR word ${at} does not exist`);
    h.csrFile[at] = csrs[i + 1]! | 0;
  }
  h.instretCount = r.int('instret', 0);
  h.cycleDelta = r.int('cycleDelta');
  // satp through the CSR write path: it derives the root and mode the walker uses.
  h.satpMode = h.satpRoot = h.satpPpnLo = h.satpPpnHi = 0;
  const satp = r.big('satp');
  h.setCsr(0x180, satp);
  if (h.getCsr(0x180) !== satp) throw new SnapshotError(`${r.path}.satp: 0x${satp.toString(16)} is not a value this hart takes`);
  h.setPc(r.big('pc'));
  releaseReservation(h);
  // Kept rather than dropped: an SC may fail spuriously (unprivileged 8.2), but need not here.
  if (resValid) reserve(h, resAddr, resPage);
  h.trapCause = -1;
  h.exitRequested = false;
  h.tlb.flushAll();
  h.jit.flushAll();
  updateContext(h);
  h.epoch++;
}
