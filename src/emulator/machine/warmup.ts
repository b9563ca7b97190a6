// Type-feedback warm-up of the interpreter: before the first real hart runs, a scratch hart on a
// scratch bus executes a short program that takes every path of the hot loop (execute.ts) once, in
// M-mode bare, S-mode Sv39 (kernel addresses) and U-mode (RISC-V unprivileged 20191213 ch. 2, 5, 7,
// 8, 11, 12, 16; privileged v1.12 ch. 3-4 for the traps, interrupts and the walk).
//
// Why: V8 optimizes runLoop as soon as it is hot, with type feedback for only the paths seen so far.
// During a Linux boot every first use of another path (an FP op, an AMO, a page-crossing load, an
// interrupt...) then deoptimized the whole loop back to the bytecode interpreter for the tens of
// milliseconds a re-optimization takes: measured ~20 such cycles, about half of a 2.6 s boot. With
// feedback for every path collected up front, the first optimized code is the last one.
//
// The scratch machine shares nothing with real ones (its own RAM, bus and domain); the program runs
// under a bounded budget, so a mistake here can cost time but never hang or change a guest. The
// board (virt.ts) runs it once per process before it builds its harts; a hart alone never does.

import { Bus, type MmioDevice } from '../memory/bus.js';
import { Ram } from '../memory/ram.js';
import { Domain } from '../cpu/domain.js';
import { Hart } from '../cpu/hart.js';
import { jitSlot, type JitCache } from '../cpu/jit/cache.js';
import { PRIV_M, PRIV_S, PRIV_U, type HartControl, type HartHost, type Privilege } from '../cpu/hart-api.js';
import { GuestClock } from './clock.js';
import {
  CSR_FCSR,
  CSR_FFLAGS,
  CSR_FRM,
  CSR_INSTRET,
  CSR_MSCRATCH,
  CSR_MSTATUS,
  CSR_MTVEC,
  CSR_CYCLE,
  CSR_SATP,
  CSR_SCAUSE,
  CSR_SEPC,
  CSR_SIE,
  CSR_SIP,
  CSR_SSCRATCH,
  CSR_SSTATUS,
  CSR_STVAL,
  CSR_STVEC,
  CSR_TIME,
} from '../cpu/csr-numbers.js';

const BASE = 0x8000_0000;
const RAM_SIZE = 0x40000;
const CODE = BASE;
const M_HANDLER = BASE + 0x8000;
const S_HANDLER_OFF = 0x9000;
const DATA_OFF = 0x10000;
const PT = BASE + 0x30000; // five page-table pages
const MMIO = 0x1000_0000;
const UNMAPPED_PA = 0x2000_0000;
/** Kernel-like virtual base (0xffffffff80000000 as a signed double) and a user one. */
const KVA = -0x8000_0000;
const UVA = 0x1_0000;
/** Page index (within the 4K mappings) of the MMIO page and of a page left unmapped. */
const MMIO_PAGE = 64;
const HOLE_PAGE = 65;
/** Instructions each phase may run: the program is a few thousand; this only bounds mistakes. */
const PHASE_BUDGET = 4_000;
/** Instructions per run() call during the warm-up (see the loop in runWarmUp). */
const CHUNK = 8;

// Encoders (unprivileged spec ch. 24).
const R = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): number =>
  (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
const I = (imm: number, rs1: number, f3: number, rd: number, op: number): number =>
  ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
const S = (imm: number, rs2: number, rs1: number, f3: number, op: number): number =>
  (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op;
const B = (imm: number, rs2: number, rs1: number, f3: number): number =>
  (((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63;
const J = (imm: number, rd: number): number =>
  (((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f;
const CSR = (csr: number, rs1: number, f3: number, rd: number): number => I(csr, rs1, f3, rd, 0x73);

const T6 = 31;
/** Registers the program writes; x10..x13, x30 and x2..x4 hold addresses and shift amounts, x1 return addresses. */
const DST = [5, 6, 7, 8, 9, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29];
/** Sources: everything but the handler's scratch (x31). */
const SRC = [0, 5, 6, 7, 8, 9, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29];

/** Code as 16- and 32-bit parcels. */
class Code {
  readonly parts: { bits: number; size: 2 | 4 }[] = [];
  size = 0;
  private d = 0;
  private s = 0;
  w(bits: number): void {
    this.parts.push({ bits, size: 4 });
    this.size += 4;
  }
  c(bits: number): void {
    this.parts.push({ bits, size: 2 });
    this.size += 2;
  }
  rd(): number {
    return DST[this.d++ % DST.length];
  }
  rs(): number {
    this.s = (this.s * 7 + 3) % SRC.length;
    return SRC[this.s];
  }
  write(ram: Ram, at: number): void {
    let a = at - ram.base;
    for (const p of this.parts) {
      if (p.size === 4) ram.view.setInt32(a, p.bits, true);
      else ram.view.setUint16(a, p.bits, true);
      a += p.size;
    }
  }
}

/** The program every phase runs: each major opcode with its function codes, on varied operands. */
function body(): Code {
  const c = new Code();
  const imms = [0, 1, -1, 5, 31, 32, 33, 63, 2047, -2048, 1234, -777];
  for (const imm of imms) for (let f3 = 0; f3 < 8; f3++) {
    const sh = f3 === 1 || f3 === 5;
    c.w(I(sh ? imm & 63 : imm, c.rs(), f3, c.rd(), 0x13));
    if (f3 === 5) c.w(I((imm & 63) | 0x400, c.rs(), 5, c.rd(), 0x13)); // SRAI
  }
  c.w(I(0x7ff, 5, 1, 6, 0x13)); // SLLI with a bad shamt: illegal
  c.w(I(0x300, 5, 5, 6, 0x13)); // SRxI with a bad funct6: illegal
  for (let k = 0; k < 4; k++) for (let f3 = 0; f3 < 8; f3++) {
    c.w(R(0, c.rs(), c.rs(), f3, c.rd(), 0x33));
    c.w(R(1, c.rs(), c.rs(), f3, c.rd(), 0x33));
    if (f3 === 0 || f3 === 5) c.w(R(0x20, c.rs(), c.rs(), f3, c.rd(), 0x33));
    c.w(R(0, c.rs(), c.rs(), f3, c.rd(), 0x3b));
    if (f3 === 0 || f3 === 5) c.w(R(0x20, c.rs(), c.rs(), f3, c.rd(), 0x3b));
    if (f3 === 0 || f3 >= 4) c.w(R(1, c.rs(), c.rs(), f3, c.rd(), 0x3b));
  }
  // Shifts by a register holding 0 (x0), 7 (x3) and 45 (x4): each shift path of OP and OP-32.
  for (const amount of [0, 3, 4]) {
    for (const [f7, f3] of [[0, 1], [0, 5], [0x20, 5]]) {
      c.w(R(f7, amount, c.rs(), f3, c.rd(), 0x33));
      c.w(R(f7, amount, c.rs(), f3, c.rd(), 0x3b));
    }
  }
  c.w(R(0x20, 5, 6, 1, 7, 0x33)); // illegal OP encodings
  c.w(R(0x05, 5, 6, 0, 7, 0x33));
  c.w(R(0x20, 5, 6, 1, 7, 0x3b));
  c.w(R(0x01, 5, 6, 1, 7, 0x3b));
  c.w(R(0x05, 5, 6, 0, 7, 0x3b));
  for (const imm of [0, 7, -9, 31]) {
    c.w(I(imm, c.rs(), 0, c.rd(), 0x1b));
    c.w(I(imm & 31, c.rs(), 1, c.rd(), 0x1b));
    c.w(I(imm & 31, c.rs(), 5, c.rd(), 0x1b));
    c.w(I((imm & 31) | 0x400, c.rs(), 5, c.rd(), 0x1b));
  }
  c.w(I(0, 5, 2, 6, 0x1b)); // illegal OP-IMM-32
  for (const u of [0x12345, 0x80000, 0xfffff, 0]) {
    c.w((u << 12) | (c.rd() << 7) | 0x37);
    c.w((u << 12) | (c.rd() << 7) | 0x17);
  }
  // Control transfers that land on the next instruction either way.
  c.w(J(4, 1));
  c.w(J(4, 0));
  for (let f3 = 0; f3 < 8; f3++) for (const [a, b] of [[5, 5], [5, 6], [0, 7], [8, 0]]) c.w(B(4, b, a, f3));
  c.w(0x17 | (5 << 7)); // auipc x5, 0
  c.w(I(8, 5, 0, 1, 0x67)); // jalr x1, 8(x5): the next instruction
  c.w(I(13, 5, 0, 0, 0x67)); // jalr x0, 13(x5): bit 0 cleared, so again the next one
  c.w(I(0, 5, 1, 0, 0x67)); // JALR with funct3 != 0: illegal
  // Loads and stores: fast path (x10), MMIO (x11), faults (x12), page-crossing (x13).
  for (const base of [10, 10, 11, 12, 13]) {
    for (let f3 = 0; f3 < 7; f3++) c.w(I(f3 * 8, base, f3, c.rd(), 0x03));
    for (let f3 = 0; f3 < 4; f3++) c.w(S(64 + f3 * 8, c.rs(), base, f3, 0x23));
    for (let f3 = 2; f3 < 4; f3++) {
      c.w(I(128 + f3 * 8, base, f3, (f3 * 5) & 31, 0x07));
      c.w(S(128 + f3 * 8, (f3 * 3) & 31, base, f3, 0x27));
    }
  }
  // Negative offsets (x13 is 4 below the data page's end, so these stay on it).
  for (let f3 = 0; f3 < 7; f3++) c.w(I(-16 - f3 * 8, 13, f3, c.rd(), 0x03));
  for (let f3 = 0; f3 < 4; f3++) c.w(S(-96 - f3 * 8, c.rs(), 13, f3, 0x23));
  for (let f3 = 2; f3 < 4; f3++) {
    c.w(I(-160 - f3 * 8, 13, f3, 7, 0x07));
    c.w(S(-160 - f3 * 8, 7, 13, f3, 0x27));
  }
  // Offsets that borrow from (x4 = 45) or carry into (x2 = 2^32 - 16) the high word: these fault,
  // but take the address paths a real guest only hits now and then.
  c.w(I(64, 2, 3, 6, 0x03));
  c.w(S(64, 6, 2, 3, 0x23));
  c.w(I(-64, 4, 3, 6, 0x03));
  c.w(S(-64, 6, 4, 3, 0x23));
  c.w(I(-64, 4, 3, 6, 0x07));
  c.w(S(-64, 6, 4, 3, 0x27));
  c.w(I(4, 10, 7, 6, 0x03)); // illegal LOAD / STORE / FP load-store widths
  c.w(S(4, 6, 10, 4, 0x23));
  c.w(I(4, 10, 1, 6, 0x07));
  c.w(S(4, 6, 10, 1, 0x27));
  c.w(0x0ff0000f); // fence
  c.w(0x0000100f); // fence.i
  c.w(0x0000200f); // illegal MISC-MEM
  // Atomics on the data page, and one misaligned (x13 is 4 below a page end: fine for .w, not .d).
  for (const f5 of [0x02, 0x03, 0x01, 0x00, 0x04, 0x0c, 0x08, 0x10, 0x14, 0x18, 0x1c]) {
    for (const f3 of [2, 3]) c.w(R((f5 << 2) | (f5 === 2 ? 0 : 1), f5 === 2 ? 0 : c.rs(), 10, f3, c.rd(), 0x2f));
  }
  c.w(R(0x02 << 2, 0, 10, 3, 6, 0x2f)); // lr.d then sc.d to the same address: succeeds
  c.w(R(0x03 << 2, 7, 10, 3, 8, 0x2f));
  c.w(R(0x01 << 2, 5, 13, 3, 6, 0x2f)); // misaligned amoswap.d
  c.w(R(0x01 << 2, 5, 12, 2, 6, 0x2f)); // amoswap.w on a hole: access / page fault
  c.w(R(0x1f << 2, 5, 10, 2, 6, 0x2f)); // unknown AMO: illegal
  // F and D: moves in from the integer registers, then every operation class.
  for (let f = 0; f < 32; f += 3) c.w(R(0x79, 0, DST[f % DST.length], 0, f, 0x53)); // fmv.d.x
  for (let f = 1; f < 32; f += 5) c.w(R(0x78, 0, DST[f % DST.length], 0, f, 0x53)); // fmv.w.x
  for (const fmt of [0, 1]) {
    for (const f5 of [0x00, 0x01, 0x02, 0x03]) for (const rm of [0, 1, 7]) c.w(R((f5 << 2) | fmt, 3 + rm, 6 + fmt, rm, 9, 0x53));
    c.w(R((0x0b << 2) | fmt, 0, 6, 7, 10, 0x53)); // fsqrt
    for (const rm of [0, 1, 2]) c.w(R((0x04 << 2) | fmt, 7, 8, rm, 11, 0x53)); // fsgnj*
    for (const rm of [0, 1]) c.w(R((0x05 << 2) | fmt, 9, 6, rm, 12, 0x53)); // fmin/fmax
    for (const rm of [0, 1, 2]) c.w(R((0x14 << 2) | fmt, 6, 9, rm, c.rd(), 0x53)); // fle/flt/feq
    for (const rm of [0, 1]) c.w(R((0x1c << 2) | fmt, 0, 6 + rm, rm, c.rd(), 0x53)); // fmv.x / fclass
    for (let t = 0; t < 4; t++) {
      c.w(R((0x18 << 2) | fmt, t, 3 + t, 1, c.rd(), 0x53)); // fcvt.{w,wu,l,lu}
      c.w(R((0x1a << 2) | fmt, t, c.rs(), 7, 13 + t, 0x53)); // fcvt to fp
    }
    c.w(R((0x08 << 2) | fmt, 1 - fmt, 9, 7, 14, 0x53)); // fcvt.s.d / fcvt.d.s
    for (const op of [0x43, 0x47, 0x4b, 0x4f]) c.w((12 << 27) | (fmt << 25) | (9 << 20) | (6 << 15) | (7 << 12) | (15 << 7) | op);
  }
  c.w(R(0x7f, 1, 2, 0, 3, 0x53)); // illegal FP
  c.w(R(0x01, 1, 2, 5, 3, 0x53)); // reserved rounding mode
  // SYSTEM: CSR reads of every kind, harmless writes, and the instructions that trap.
  const reads = [0xc03, 0xb03, 0x323, CSR_SSTATUS, CSR_SIE, CSR_SIP, CSR_STVEC, CSR_SEPC, CSR_SCAUSE, CSR_STVAL, CSR_SATP, CSR_TIME, CSR_CYCLE, CSR_INSTRET, CSR_FCSR, CSR_MSTATUS, 0x7c0];
  for (const csr of reads) {
    c.w(CSR(csr, 0, 2, c.rd())); // csrrs rd, csr, x0
    c.w(CSR(csr, 0, 7, c.rd())); // csrrci rd, csr, 0
  }
  for (const csr of [CSR_SSCRATCH, CSR_MSCRATCH, CSR_FFLAGS, CSR_FRM, CSR_FCSR]) {
    c.w(CSR(csr, c.rs(), 1, c.rd())); // csrrw
    c.w(CSR(csr, c.rs(), 2, c.rd())); // csrrs
    c.w(CSR(csr, c.rs(), 3, 0)); // csrrc
    c.w(CSR(csr, 3, 5, c.rd())); // csrrwi
    c.w(CSR(csr, 1, 6, 0)); // csrrsi
  }
  c.w(CSR(CSR_FRM, 0, 5, 0)); // back to round-to-nearest
  c.w(CSR(CSR_SSTATUS, 0, 6, 0));
  c.w(0x00000073); // ecall
  c.w(0x00100073); // ebreak
  c.w(0x12000073); // sfence.vma x0, x0
  c.w(R(0x09, 0, 10, 0, 0, 0x73)); // sfence.vma x10
  c.w(0x00004073); // SYSTEM funct3 4: illegal
  c.w(0x7ff00073); // unknown SYSTEM: illegal
  c.w(0xffffffff); // illegal opcode
  c.w(I(0, 12, 0, 1, 0x67)); // jalr x1, 0(x12): fetch fault; the handler returns to x1
  // x30 is a user page in S-mode: loads fault without SUM and work with it; fetching there faults.
  c.w(I(0, 30, 3, 6, 0x03));
  c.w((0x40 << 12) | (5 << 7) | 0x37); // lui x5, 0x40: SUM (bit 18)
  c.w(CSR(CSR_SSTATUS, 5, 2, 0)); // csrs sstatus, x5
  c.w(I(8, 30, 3, 6, 0x03));
  c.w(S(16, 6, 30, 3, 0x23));
  c.w(CSR(CSR_SSTATUS, 5, 3, 0)); // csrc sstatus, x5
  c.w(I(0, 30, 0, 1, 0x67)); // jalr x1, 0(x30)
  // Compressed forms (loads/stores off x10, jumps to the next parcel).
  for (const h of [0x0285, 0x8316, 0x9316, 0x6100, 0xe500, 0xa009, 0xc009, 0xe009, 0x0001, 0x2100, 0xa100, 0x4100, 0xc500]) c.c(h);
  // An interrupt: software-pending, enabled, then globally enabled (the service point takes it).
  c.w(I(2, 0, 0, 5, 0x13)); // li x5, 2 (SSIP)
  c.w(CSR(0x304, 5, 2, 0)); // csrs mie, x5 (illegal below M: skipped)
  c.w(CSR(0x344, 5, 2, 0)); // csrs mip, x5
  c.w(CSR(CSR_MSTATUS, 8, 6, 0)); // csrsi mstatus, MIE
  c.w(CSR(CSR_SIE, 5, 2, 0)); // csrs sie, x5
  c.w(CSR(CSR_SIP, 5, 2, 0)); // csrs sip, x5
  c.w(CSR(CSR_SSTATUS, 2, 6, 0)); // csrsi sstatus, SIE
  c.w(0x00000013);
  // A 32-bit instruction straddling a page boundary (fetch slow path), then the end.
  while ((c.size & 0xfff) !== 0xffe) c.c(0x0001);
  c.w(0x00000013);
  c.w(0x10500073); // wfi (illegal in U-mode: skipped)
  c.w(J(-4, 0)); // back to the wfi
  return c;
}

/** A trap handler for level m (M) or s (S): skip the faulting 4-byte instruction; after a fetch
 *  fault (cause 1 or 12) return to x1; after an interrupt disable interrupts at that level. */
function handler(m: boolean): Code {
  const c = new Code();
  const [cause, epc, ie, ret] = m ? [0x342, 0x341, 0x304, 0x30200073] : [0x142, 0x141, 0x104, 0x10200073];
  c.w(CSR(cause, 0, 2, T6)); //  0: csrr t6, cause
  c.w(B(36, 0, T6, 4)); //  4: bltz t6, irq
  c.w(I(-1, T6, 0, T6, 0x13)); //  8: cause 1 (fetch access fault)?
  c.w(B(36, 0, T6, 0)); // 12: beqz t6, fetch
  c.w(I(-11, T6, 0, T6, 0x13)); // 16: cause 12 (fetch page fault)?
  c.w(B(28, 0, T6, 0)); // 20: beqz t6, fetch
  c.w(CSR(epc, 0, 2, T6)); // 24
  c.w(I(4, T6, 0, T6, 0x13)); // 28
  c.w(CSR(epc, T6, 1, 0)); // 32: csrw epc, t6
  c.w(ret); // 36
  c.w(CSR(ie, 0, 1, 0)); // 40 irq: csrw ie, x0
  c.w(ret); // 44
  c.w(CSR(epc, 1, 1, 0)); // 48 fetch: csrw epc, x1
  c.w(ret); // 52
  return c;
}

/** Reads return values beyond the small-integer range too, as real device registers do. */
const nullDevice: MmioDevice = { read: (off) => ((off & 8) !== 0 ? 0xdead_beef : off), write: () => {} };
const sbiReturn = (hc: HartControl): void => hc.setX(10, 0n);
const sbiSuccess = (hc: HartControl): void => {
  hc.setX(10, 0n);
  hc.setX(11, 0n);
};

let interpreterWarmed = false;
let translatorWarmed = false;

/**
 * Run the warm-up once per process (later calls return at once). `o.translator === false`: only its
 * interpreter part now (the loop through every path of the interpreter); its translator part (the
 * loop's paths into and out of translated code: it runs the translator and compiles WebAssembly,
 * most of the warm-up's time) is left to a later call without it, and the harts must not translate
 * until then (a resumed machine's: builtin-machine.ts).
 */
export function warmUpInterpreter(o: { translator?: boolean } = {}): void {
  const interpreter = !interpreterWarmed;
  const translator = o.translator !== false && !translatorWarmed;
  if (!interpreter && !translator) return;
  interpreterWarmed = true;
  if (translator) translatorWarmed = true;
  runWarmUp({ interpreter, translator });
}

/** Entries sharing one home slot, so the probe paths of find/place/drop have run (their feedback is
 *  what runLoop inlines). */
function exerciseProbing(jit: JitCache): void {
  const home = jitSlot(0);
  // Rounds, because V8 only records feedback once a function has run a few times.
  for (let round = 0; round < 4; round++) {
    for (let k = 0; k < 12; k++) jit.queue(0, k, home, 0);
    for (let k = 0; k < 12; k++) jit.find(0, k, home);
    jit.invalidatePage(0);
    jit.queue(0, 1, home, 0);
    jit.flushAll();
  }
}

/**
 * The warm-up itself, both parts unless `o` leaves one out (warmUpInterpreter); returns how far each
 * phase of the interpreter part got (for tests; none without that part).
 */
export function runWarmUp(o: { interpreter?: boolean; translator?: boolean } = {}): {
  phases: { priv: Privilege; instret: number; waiting: boolean }[];
  /** The translator part's run at a real threshold: entry points queued by their heat, and those
   *  left with some heat below it (both 0 without that part). */
  heat: { queued: number; warm: number };
} {
  const ram = new Ram(BASE, RAM_SIZE);
  const bus = new Bus(ram);
  bus.map('warmup-null', MMIO, 0x1000, nullDevice);
  const prog = body();
  prog.write(ram, CODE);
  handler(true).write(ram, M_HANDLER);
  handler(false).write(ram, BASE + S_HANDLER_OFF);
  const v = ram.view;
  const pte = (at: number, i: number, pa: number, flags: number): void => {
    const ppn = Math.floor(pa / 4096);
    v.setUint32(at - BASE + i * 8, ((ppn & 0x3fffff) << 10) | flags, true);
    v.setUint32(at - BASE + i * 8 + 4, Math.floor(ppn / 0x400000), true);
  };
  // Kernel half: root[510] -> PT+1 -> PT+2 (4K pages, A/D clear so the walk sets them).
  pte(PT, 510, PT + 0x1000, 1);
  pte(PT + 0x1000, 0, PT + 0x2000, 1);
  for (let i = 0; i < RAM_SIZE / 4096; i++) pte(PT + 0x2000, i, BASE + i * 4096, 0x0f);
  pte(PT + 0x2000, MMIO_PAGE, MMIO, 0xc7);
  // User half: root[0] -> PT+3 -> PT+4, VA 0x10000 up.
  pte(PT, 0, PT + 0x3000, 1);
  pte(PT + 0x3000, 0, PT + 0x4000, 1);
  for (let i = 0; i < RAM_SIZE / 4096; i++) pte(PT + 0x4000, 16 + i, BASE + i * 4096, 0xdf);
  pte(PT + 0x4000, 16 + MMIO_PAGE, MMIO, 0xd7);

  // Built the way the platform (machine/virt.ts) builds its host, so that both share one hidden
  // class and the loop's optimized code does not deoptimize on meeting the real one.
  const clock = new GuestClock(() => 0);
  clock.freeze();
  const host: HartHost = { bus, clock, domain: new Domain(ram) };
  host.sbiCall = sbiReturn;
  const h = new Hart(0, host);
  const satp = (8n << 60n) | BigInt(PT / 4096);
  const runPhases = (h: Hart, chunk: number, only?: number): { priv: Privilege; instret: number; waiting: boolean }[] => {
    const phases: { priv: Privilege; instret: number; waiting: boolean }[] = [];
    const instret0 = h.instret;
    let phase = -1;
    for (const [priv, va] of [[PRIV_M, BASE], [PRIV_S, KVA], [PRIV_U, UVA], [PRIV_S, KVA]] as const) {
      phase++;
      if (only !== undefined && phase !== only) continue;
      h.reset(BigInt.asUintN(64, BigInt(va)), priv, 0n, 0n);
      // A second SBI handler for the second S-mode phase: with two targets seen, the ecall's call site
      // stays generic instead of being specialised to a function no real platform uses.
      host.sbiCall = phase === 3 ? sbiSuccess : sbiReturn;
      const dataVa = va + DATA_OFF;
      const bare = priv === PRIV_M;
      const regs: [number, number][] = [
        [10, dataVa],
        [11, bare ? MMIO : va + MMIO_PAGE * 4096],
        [12, bare ? UNMAPPED_PA : va + HOLE_PAGE * 4096],
        [13, dataVa + 4092],
        [2, 0xffff_fff0],
        [3, 7],
        [4, 45],
        [30, bare ? UNMAPPED_PA : UVA + DATA_OFF],
      ];
      for (const [r, a] of regs) h.setX(r, BigInt.asUintN(64, BigInt(a)));
      let s = 0x9e3779b97f4a7c15n;
      for (const r of DST) {
        s = BigInt.asUintN(64, s * 6364136223846793005n + 1442695040888963407n);
        h.setX(r, r % 4 === 0 ? s >> BigInt(r) : s);
      }
      h.setCsr(CSR_MTVEC, BigInt(M_HANDLER));
      if (!bare) {
        h.setCsr(CSR_SATP, satp);
        h.setCsr(CSR_STVEC, BigInt.asUintN(64, BigInt(KVA + S_HANDLER_OFF)));
      }
      let n = 0;
      // Many short runs: TurboFan inlines a call site by how often it ran per call of runLoop, and the
      // cold helpers run here (traps, CSRs, FP, AMOs) must not look hot enough to be inlined.
      while (!h.waiting && n < PHASE_BUDGET) n += h.run(Math.min(chunk, PHASE_BUDGET - n));
      phases.push({ priv, instret: h.instret - instret0, waiting: h.waiting });
    }
    return phases;
  };
  let phases: { priv: Privilege; instret: number; waiting: boolean }[] = [];
  if (o.interpreter !== false) {
    exerciseProbing(h.jit); // first, while those functions still collect feedback
    h.jit.threshold = 0;
    phases = runPhases(h, CHUNK);
  }
  // Then the loop's paths into and out of translated code (jit/): entry points queued at their
  // first execution, batches flushed inside the loop and at the end of a run (compiled at once),
  // regions run and leave in every way; and on a second hart, so the dispatcher call site has seen
  // more than one target (each hart has its own).
  const translateAll = (h: Hart, only?: number): void => {
    const jit = h.jit;
    jit.threshold = 1;
    jit.batchSize = 16;
    jit.maxWait = 0;
    for (let pass = 0; pass < 2; pass++) runPhases(h, PHASE_BUDGET, only);
  };
  // Before those, the paths a real threshold takes, which threshold 1 never does: an entry point
  // run but not yet hot, its heat credited at the next lookup, below the threshold and then over it
  // (two passes of blocks a few instructions long: most stay below 20, the longer ones reach it).
  // Without them the first cold entry point of a boot deoptimized the loop just optimized for it.
  // Nothing is compiled here: the few entry points queued never fill a batch and never wait too
  // long (translateAll below runs the compiling paths).
  const heat = { queued: 0, warm: 0 };
  const heatUp = (h: Hart): void => {
    const jit = h.jit;
    jit.threshold = 20;
    jit.maxWait = 1 << 29; // a small integer, like every real value: a double would change the field's representation
    for (let pass = 0; pass < 2; pass++) runPhases(h, PHASE_BUDGET, 1);
    heat.queued = jit.pending;
    heat.warm = jit.hot.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
  };
  if (o.translator !== false) {
    heatUp(new Hart(2, host));
    translateAll(h, 1);
    translateAll(new Hart(1, host), 0);
  }
  // Scratch values outside the small-integer range, so the Hart fields the slow paths fill hold
  // doubles from the start instead of changing representation (and deoptimizing) mid-boot.
  h.tmpLo = h.tmpHi = h.trapTvalLo = h.trapTvalHi = -0x8000_0000;
  // Likewise the TLB's superpage range (the warm-up's page tables have no superpage; a kernel's
  // linear map does): the first superpage of a boot changed the Tlb's fields and so deoptimized
  // the loop, which reads its arrays from the Tlb.
  h.tlb.noteSuperpage(0, -1, 30);
  h.tlb.flushAll();
  // Fields the loop's inlined code reads that a boot first changes only later (an interrupt line
  // rising, a batch compiling in the background, a region queued or dropped): V8 takes a field
  // stored only once for a constant, and its first later store deoptimizes every function that
  // relied on that. Store each a second, different value now, so they are variables from the start
  // (one hidden class per constructor: this covers every hart and cache); compile time is a double.
  const jit = h.jit;
  h.mipHw = 1;
  h.mipHw = 0;
  jit.compiling = 1;
  jit.compiling = 0;
  jit.pending = 1;
  jit.pending = 0;
  jit.pendingSince = 1;
  jit.pendingSince = 0;
  jit.codeDropped = true;
  jit.codeDropped = false;
  const stats = jit.stats as unknown as Record<string, unknown>;
  for (const k of Object.keys(stats)) {
    if (typeof stats[k] === 'number') stats[k] = k === 'compileMs' ? 0.5 : 1;
  }
  return { phases, heat };
}
