// Block translation (src/emulator/cpu/jit): random programs (every instruction the instruction table
// says a region runs, inline or through a call-out, plus compressed forms, branches and CSRs) must
// leave exactly the same state as the interpreter; stores to translated code, fence.i after host
// writes, traps and slow paths inside a block, and the run() budget behave as without translation.
// (The whole CPU suite can also be run with every block translated at once:
// VM_TEST_JIT=1 npx vitest run test/unit/emulator/cpu.)

import { describe, expect, it } from 'vitest';
import * as A from './asm.js';
import * as C from './rvc-asm.js';
import { makeMachine, RAM_BASE, type TestMachine } from './machine.js';
import { PRIV_M } from '../../../../src/emulator/cpu/hart-api.js';
import { encode, INSTRUCTIONS, type InstructionSpec } from '../../../../src/emulator/cpu/isa.js';
import { budgetChecks, EXIT_INTERPRET, MAX_REGION_INSNS, planRegion } from '../../../../src/emulator/cpu/jit/region.js';
import { CROSSES_PAGE, jitSlot } from '../../../../src/emulator/cpu/jit/cache.js';

const DATA = RAM_BASE + 0x40000;
const HANDLER = RAM_BASE + 0x3000;

/** Deterministic PRNG (xorshift32) so a failure is reproducible from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

type Item = number | C.C16;

/** Instructions a region runs (inline or through a call-out) that fall through: every one is drawn. */
const TRANSLATED = INSTRUCTIONS.filter((s) => s.flow === 'next' && (s.translation === 'inline' || s.translation === 'call'));

/** `spec` with random operands that keep the loop intact: integer results never go to x10 (the data
 *  base) or x31 (the loop counter), memory is addressed from x10, rounding modes are valid. */
function fromTable(spec: InstructionSpec, next: () => number, r: () => number, anyReg: () => number): number {
  const memory = spec.bytes > 0;
  const values = spec.operands.map((op) => {
    switch (op) {
      case 'xd':
        return r();
      case 'xs1':
        return memory ? 10 : anyReg();
      case 'xs2':
        return anyReg();
      case 'fd':
      case 'fs1':
      case 'fs2':
      case 'fs3':
        return next() % 8;
      case 'imm':
      case 'simm':
        return memory ? (next() % 4096) - 2048 : next();
      case 'rm':
        return [0, 1, 2, 3, 4, 7][next() % 6]!;
      default:
        return next();
    }
  });
  return encode(spec, values);
}

/** Three different registers of `regs`. */
function pick3(next: () => number, regs: number[]): [number, number, number] {
  const left = [...regs];
  const one = (): number => left.splice(next() % left.length, 1)[0]!;
  return [one(), one(), one()];
}

/** A random loop body over x1..x9, x11..x15 (x10 = data base, x31 = loop counter, never written). */
function randomBody(next: () => number, n: number): Item[] {
  const regs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15];
  const r = () => regs[next() % regs.length];
  const anyReg = () => (next() % 8 === 0 ? 0 : r()); // sometimes x0
  const imm12 = () => ((next() % 4096) - 2048) | 0;
  const sh = (max: number) => next() % max;
  const cr = () => 8 + (next() % 8); // x8..x15 for C forms, x10 excluded below
  const cr2 = () => {
    const v = cr();
    return v === 10 ? 11 : v;
  };
  const gens: (() => Item | Item[])[] = [
    () => A.addi(r(), anyReg(), imm12()),
    () => A.slti(r(), anyReg(), imm12()),
    () => A.sltiu(r(), anyReg(), imm12()),
    () => A.xori(r(), anyReg(), imm12()),
    () => A.ori(r(), anyReg(), imm12()),
    () => A.andi(r(), anyReg(), imm12()),
    () => A.slli(r(), anyReg(), sh(64)),
    () => A.srli(r(), anyReg(), sh(64)),
    () => A.srai(r(), anyReg(), sh(64)),
    () => A.addiw(r(), anyReg(), imm12()),
    () => A.slliw(r(), anyReg(), sh(32)),
    () => A.srliw(r(), anyReg(), sh(32)),
    () => A.sraiw(r(), anyReg(), sh(32)),
    ...[A.add, A.sub, A.sll, A.slt, A.sltu, A.xor, A.srl, A.sra, A.or, A.and].map((f) => () => f(r(), anyReg(), anyReg())),
    ...[A.addw, A.subw, A.sllw, A.srlw, A.sraw].map((f) => () => f(r(), anyReg(), anyReg())),
    ...[A.mul, A.mulh, A.mulhsu, A.mulhu, A.div, A.divu, A.rem, A.remu].map((f) => () => f(r(), anyReg(), anyReg())),
    ...[A.mulw, A.divw, A.divuw, A.remw, A.remuw].map((f) => () => f(r(), anyReg(), anyReg())),
    () => A.lui(r(), next() & 0xfffff),
    () => A.auipc(r(), next() & 0xfffff),
    // memory around DATA (x10), misaligned included, some crossing into the next page
    ...[A.lb, A.lh, A.lw, A.ld, A.lbu, A.lhu, A.lwu].map((f) => () => f(anyReg(), 10, (next() % 4200) - 2048)),
    ...[A.sb, A.sh, A.sw, A.sd].map((f) => () => f(anyReg(), 10, (next() % 4200) - 2048)),
    // compressed forms
    () => C.addi(r(), ((next() % 64) - 32) | 0),
    () => C.li(r(), ((next() % 64) - 32) | 0),
    () => C.mv(r(), r()),
    () => C.add(r(), r()),
    () => C.slli(r(), 1 + sh(63)),
    () => C.sub(cr2(), cr2()),
    () => C.xor(cr2(), cr2()),
    () => C.addw(cr2(), cr2()),
    () => C.srai(cr2(), sh(64)),
    () => C.andi(cr2(), ((next() % 64) - 32) | 0),
    () => C.ld(cr2(), 10, (next() % 32) * 8),
    () => C.sw(cr2(), 10, (next() % 32) * 4),
    // atomics at DATA (x10), called out to the interpreter's handlers from translated code
    ...[A.amoswapW, A.amoaddW, A.amoxorW, A.amoandW, A.amoorW, A.amominW, A.amomaxW, A.amominuW, A.amomaxuW].map((f) => () => f(anyReg(), 10, anyReg())),
    ...[A.amoswapD, A.amoaddD, A.amoxorD, A.amoandD, A.amoorD, A.amominD, A.amomaxD, A.amominuD, A.amomaxuD].map((f) => () => f(anyReg(), 10, anyReg())),
    () => [A.lrW(r(), 10), A.scW(r(), 10, anyReg())],
    () => [A.lrD(r(), 10), A.scD(r(), 10, anyReg())],
    () => A.scD(r(), 10, anyReg()), // without a reservation: fails
    // F/D: loads and stores (misaligned and page-crossing too), arithmetic, moves to x
    ...[A.flw, A.fld].map((f) => () => f(next() % 8, 10, (next() % 4200) - 2048)),
    ...[A.fsw, A.fsd].map((f) => () => f(next() % 8, 10, (next() % 4200) - 2048)),
    () => A.faddD(next() % 8, next() % 8, next() % 8),
    () => A.fmvXD(r(), next() % 8),
    // CSR instructions a region calls out for: supervisor scratch/trap CSRs, sstatus.SIE, fflags, frm
    ...[A.csrrw, A.csrrs, A.csrrc].map((f) => () => f(anyReg(), [0x140, 0x141, 0x142, 0x143, 0x105][next() % 5]!, anyReg())),
    () => (next() % 2 ? A.csrrsi : A.csrrci)(anyReg(), 0x100, 2),
    () => A.csrrwi(anyReg(), 0x001, next() % 32),
    () => A.csrrwi(anyReg(), 0x002, next() % 5),
    () => A.csrr(r(), 0x003),
    // a short forward branch over exactly one 32-bit instruction
    () => [A.bne(r(), r(), 8), A.addi(r(), r(), 3)],
    () => [A.bltu(r(), r(), 8), A.xori(r(), r(), -1)],
    () => [A.bge(r(), r(), 8), A.add(r(), r(), r())],
    // a block that loops onto itself (at most 8 turns), with a load that crosses a page on every
    // other turn and so leaves it mid-turn: its registers stay in locals across the turns and are
    // stored on every way out
    () => {
      const [t, u, w] = pick3(next, regs);
      const v = regs.filter((x) => x !== t)[next() % (regs.length - 1)]!;
      return [A.andi(t, anyReg(), 7), A.add(u, u, t), A.slli(w, t, 11), A.add(w, w, 10), A.lw(v, w, 2045 + (next() % 3)), A.addi(t, t, -1), A.bge(t, 0, -20)];
    },
    // and every other instruction the translator takes, from the instruction table
    ...TRANSLATED.map((spec) => () => fromTable(spec, next, r, anyReg)),
  ];
  const body: Item[] = [];
  for (let i = 0; i < n; i++) body.push(...[gens[next() % gens.length]()].flat());
  return body;
}

function place(m: TestMachine, addr: number, items: Item[]): number {
  let a = addr;
  for (const it of items) {
    if (typeof it === 'number') {
      m.ram.view.setUint32(a - RAM_BASE, it >>> 0, true);
      a += 4;
    } else {
      m.ram.view.setUint16(a - RAM_BASE, it.c, true);
      a += 2;
    }
  }
  return a;
}

/** Where a called body goes (runWith): a page of its own, so its region has no loop. */
const CALLED_BODY = RAM_BASE + 0x8000;

/** Run the program on a machine with the given JIT threshold; return its observable state. The
 *  body runs `loops` times inside the loop, or `called` from a loop on another page (x30 the link:
 *  the body never writes it), so the body's region is loop-free code. */
function runWith(threshold: number, seed: number, prologue: Item[], body: Item[], loops: number, called = false) {
  const m = makeMachine();
  m.hart.jit.threshold = threshold;
  for (let i = 0; i < 8192; i += 8) m.write64(DATA - 4096 + i, BigInt(i) * 0x0101010101010101n + BigInt(seed));
  const bodySize = body.reduce<number>((s, it) => s + (typeof it === 'number' ? 4 : 2), 0);
  let items: Item[];
  if (called) {
    const head = [...prologue, A.li(31, loops)].flat();
    const callAt = head.reduce<number>((s, it) => s + (typeof it === 'number' ? 4 : 2), RAM_BASE);
    items = [...head, A.jal(30, CALLED_BODY - callAt), A.addi(31, 31, -1), A.bne(31, 0, -8), A.wfi()];
    place(m, CALLED_BODY, [...body, A.jalr(0, 30, 0)]);
  } else {
    items = [...prologue, A.li(31, loops), ...body, A.addi(31, 31, -1), A.bne(31, 0, -(bodySize + 4)), A.wfi()].flat();
  }
  place(m, RAM_BASE, items);
  m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
  const spent = m.hart.run(1_000_000);
  const regs = Array.from({ length: 32 }, (_, i) => m.hart.getX(i));
  const mem = Buffer.from(m.ram.bytes.subarray(DATA - 4096 - RAM_BASE, DATA + 4096 - RAM_BASE)).toString('hex');
  const fregs = Array.from(m.hart.fpu.fRaw);
  const status = [m.hart.getCsr(A.CSR.mstatus), m.hart.getCsr(A.CSR.fcsr)];
  return { regs, fregs, status, mem, pc: m.hart.getPc(), instret: m.hart.instret, spent, waiting: m.hart.waiting };
}

describe('translated blocks match the interpreter', () => {
  for (let seed = 1; seed <= 60; seed++) {
    it(`random program, seed ${seed}`, () => {
      const next = rng(seed * 7919);
      const prologue: Item[] = [];
      for (const reg of [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15]) {
        const v = (BigInt(next()) << 32n) | BigInt(next());
        prologue.push(...A.li(reg, next() % 3 === 0 ? BigInt(next() % 64) - 32n : v));
      }
      prologue.push(...A.li(10, DATA));
      prologue.push(...A.li(16, 1 << 13), A.csrs(A.CSR.mstatus, 16)); // FS = Initial: F/D enabled
      const body = randomBody(next, 20 + (next() % 40));
      // Even seeds call the body, odd ones loop over it: translated code keeps the registers of
      // loops and of loop-free code in different ways (region.ts registerFlow).
      const called = seed % 2 === 0;
      const interp = runWith(0, seed, prologue, body, 5, called);
      const jit = runWith(1, seed, prologue, body, 5, called);
      expect(interp.waiting).toBe(true);
      expect(jit).toEqual(interp);
    });
  }
});

/** Handler at HANDLER: mcause -> x20, mepc -> x21, minstret -> x22, then park. */
function withHandler(m: TestMachine): void {
  m.load(HANDLER, [A.csrr(20, A.CSR.mcause), A.csrr(21, A.CSR.mepc), A.csrr(22, A.CSR.minstret), A.wfi(), A.jal(0, 0)]);
}

describe('translation and the rest of the machine', () => {
  it('batches compile at once unless the engine lets them compile in the background, and always at threshold 1', () => {
    const jit = makeMachine().hart.jit;
    jit.threshold = 8000;
    expect(jit.syncCompile).toBe(true);
    jit.compileInBackground = true;
    expect(jit.syncCompile).toBe(false);
    jit.threshold = 1;
    expect(jit.syncCompile).toBe(true);
    jit.threshold = 8000;
    expect(jit.syncCompile).toBe(false);
    jit.compileInBackground = false;
    expect(jit.syncCompile).toBe(true);
  });
  describe('a leaf function on another page runs inline at its call', () => {
    // A loop of 50 calls to a leaf on another page (x5 += x6 << 1 | x7; ret), x8 counting down.
    const LEAF = RAM_BASE + 0x3000;
    const leaf = [A.slli(9, 6, 1), A.or(9, 9, 7), A.add(5, 5, 9), A.jalr(0, 1, 0)];
    function leafMachine(threshold: number): TestMachine {
      const m = makeMachine();
      m.hart.jit.threshold = threshold;
      m.load(LEAF, leaf);
      const head = [...A.li(6, 21), ...A.li(7, 1), ...A.li(8, 50)];
      const callAt = RAM_BASE + 4 * head.length;
      m.load(RAM_BASE, [...head, A.jal(1, LEAF - callAt), A.addi(8, 8, -1), A.bne(8, 0, -8), A.wfi()]);
      m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
      return m;
    }
    it('as the interpreter runs it, without a region run per call and return', () => {
      const interp = leafMachine(0);
      interp.hart.run(10_000);
      const m = leafMachine(1);
      m.hart.run(10_000);
      expect(m.x(5)).toBe(50n * 43n);
      expect(m.x(5)).toBe(interp.x(5));
      expect(m.hart.instret).toBe(interp.hart.instret);
      expect(m.x(1)).toBe(interp.x(1));
      // Two runs a call and return when the leaf is not inlined; inlined, the loop stays in one.
      expect(m.hart.jit.stats.runs).toBeLessThan(20);
    });
    it('a store into the leaf (then fence.i) drops the region that inlined it', () => {
      for (const threshold of [0, 1]) {
        const m = makeMachine();
        m.hart.jit.threshold = threshold;
        m.load(LEAF, leaf);
        // 50 calls; then the program rewrites the leaf's add to x5 += 1000 and makes 3 more calls
        // from the same call site.
        const head = [...A.li(6, 21), ...A.li(7, 1), ...A.li(8, 50), A.addi(12, 0, 0)];
        const patch = [...A.li(10, LEAF + 8), ...A.li(11, A.addi(5, 5, 1000)), A.sw(11, 10, 0), A.fenceI(), A.addi(8, 0, 3), A.addi(12, 0, 1), A.addi(5, 0, 0)];
        const callAt = RAM_BASE + 4 * head.length;
        const loop = [A.jal(1, LEAF - callAt), A.addi(8, 8, -1), A.bne(8, 0, -8), A.bne(12, 0, 4 * (patch.length + 2))];
        m.load(RAM_BASE, [...head, ...loop, ...patch, A.jal(0, -4 * (patch.length + loop.length)), A.wfi()]);
        m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
        // In short runs, as the scheduler gives them: regions are entered at their entry points.
        for (let k = 0; k < 1000 && !m.hart.waiting; k++) m.hart.run(20);
        expect(m.hart.waiting).toBe(true);
        expect(m.x(5), `threshold ${threshold}`).toBe(3000n);
      }
    });
    it('a host write to the leaf, reported, drops the region that inlined it', () => {
      const m = leafMachine(1);
      m.hart.run(10_000);
      expect(m.hart.jit.foreign.some((f) => f !== undefined)).toBe(true);
      m.load(LEAF + 8, [A.addi(5, 5, 1000)]);
      m.domain.noteHostRamWrite(LEAF + 8, 4);
      expect(m.hart.jit.foreign.some((f) => f !== undefined)).toBe(false);
      m.hart.setX(8, 2n);
      m.hart.setX(5, 0n);
      m.hart.setPc(BigInt(RAM_BASE + 4 * (A.li(6, 21).length + A.li(7, 1).length + A.li(8, 50).length)));
      m.hart.waiting = false;
      m.hart.run(10_000);
      expect(m.x(5)).toBe(2000n);
    });
  });
  it('a store into translated code (with fence.i) runs the new instruction', () => {
    for (const threshold of [0, 1]) {
      const m = makeMachine();
      m.hart.jit.threshold = threshold;
      // 4 rounds of x5 += 1; at the end of round 2 the addi is patched to add 100 (then fence.i).
      const prog = [
        ...A.li(6, 4),
        A.auipc(7, 0),
        /* L: */ A.addi(5, 5, 1),
        A.addi(6, 6, -1),
        A.addi(8, 0, 2),
        A.bne(6, 8, 5 * 4), // -> T
        ...A.li(9, A.addi(5, 5, 100)), // 2 words
        A.sw(9, 7, 4),
        A.fenceI(),
        /* T: */ A.bne(6, 0, -(8 * 4)), // -> L
        A.wfi(),
      ];
      m.load(RAM_BASE, prog);
      m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
      m.hart.run(10_000);
      // rounds: +1, +1 (patched at the end of round 2), +100, +100
      expect(m.x(5), `threshold ${threshold}`).toBe(202n);
    }
  });
  it('after a host write to RAM, noteHostRamWrite (or a hart reset) makes the new code run', () => {
    for (const how of ['note', 'reset'] as const) {
      const m = makeMachine();
      m.hart.jit.threshold = 1;
      const sub = RAM_BASE + 0x1000; // subroutine: x5 += 1; ret
      m.load(sub, [A.addi(5, 5, 1), A.jalr(0, 1, 0)]);
      const main = [...A.li(6, sub), A.jalr(1, 6, 0), A.jalr(1, 6, 0), A.wfi()];
      m.load(RAM_BASE, [...main, A.fenceI(), A.jalr(1, 6, 0), A.wfi()]);
      m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
      m.hart.run(1000); // two calls: translated at the first
      expect(m.x(5)).toBe(2n);
      m.load(sub, [A.addi(5, 5, 50)]); // the host rewrites the subroutine
      if (how === 'note') {
        m.domain.noteHostRamWrite(sub, 4);
        m.hart.waiting = false;
      } else {
        m.hart.reset(BigInt(RAM_BASE + 4 * main.length), PRIV_M, 0n, 0n);
        m.hart.setX(5, 2n);
        m.hart.setX(6, BigInt(sub));
      }
      m.hart.run(1000);
      expect(m.x(5), how).toBe(52n);
    }
  });
  it('straight-line code longer than one region: the region is cut and the next one continues it without the interpreter', () => {
    const m = makeMachine();
    m.hart.jit.threshold = 1;
    // A loop whose body is longer than a region may decode in one walk (MAX_REGION_INSNS).
    const body = Array.from({ length: MAX_REGION_INSNS + 50 }, (_, i) => A.addi(5 + (i % 3), 5 + (i % 3), 1));
    m.load(RAM_BASE, [...A.li(12, 3), ...body, A.addi(12, 12, -1), A.bne(12, 0, -4 * (body.length + 1)), A.wfi()]);
    m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
    m.hart.run(100_000);
    expect(m.hart.waiting).toBe(true);
    expect(m.x(5) + m.x(6) + m.x(7)).toBe(BigInt(3 * body.length));
    expect(m.hart.jit.stats.exits[EXIT_INTERPRET]).toBe(0);
  });

  it('an entry point gets hot by the instructions run from it, not only by how often it is entered', () => {
    // Two loops of the same number of turns under the same threshold: one turn of the long loop runs
    // a few hundred instructions from its head, of the short one four. Only the long one is worth
    // translating (an unrolled crypto round, a page-clearing loop), and only it is translated.
    const TURNS = 60;
    const runLoop = (bodyLength: number) => {
      const m = makeMachine();
      m.hart.jit.threshold = 2000;
      m.hart.jit.syncCompile = true;
      m.hart.jit.maxWait = 0; // translate what is queued at the end of each run() slice
      const body = Array.from({ length: bodyLength }, (_, i) => A.addi(5 + (i % 3), 5 + (i % 3), 1));
      m.load(RAM_BASE, [...A.li(12, TURNS), ...body, A.addi(12, 12, -1), A.bne(12, 0, -4 * (body.length + 1)), A.wfi()]);
      m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
      while (!m.hart.waiting) m.hart.run(5000);
      expect(m.x(5) + m.x(6) + m.x(7)).toBe(BigInt(TURNS * body.length));
      return m.hart.jit.stats;
    };
    const long = runLoop(300);
    expect(long.regions).toBeGreaterThan(0);
    // Hot after 2000 instructions (under 7 turns), translated at the end of that slice; each later
    // slice may end inside the body, and its next slice interprets up to the loop's branch.
    expect(long.translatedInsns).toBeGreaterThan((TURNS - 20) * 300);
    const short = runLoop(2);
    expect(short.regions).toBe(0);
    expect(short.translatedInsns).toBe(0);
  });

  it('the interpreter looks for a region after a taken branch, not after one not taken: the fall-through heats the entry before it', () => {
    // A loop whose body is a short block, a branch never taken, then a long block. The entry point is
    // the loop head (the taken back edge); the fall-through past the untaken branch is not one, so
    // the whole body's instructions heat the head, which is translated, and nothing else is.
    const m = makeMachine();
    m.hart.jit.threshold = 2000;
    m.hart.jit.syncCompile = true;
    m.hart.jit.maxWait = 0;
    const TURNS = 60;
    const long = Array.from({ length: 300 }, (_, i) => A.addi(5 + (i % 3), 5 + (i % 3), 1));
    const body = [A.addi(8, 8, 1), A.addi(9, 9, 1), A.bne(0, 0, 8), ...long, A.addi(12, 12, -1)];
    const init = A.li(12, TURNS);
    const head = RAM_BASE + 4 * init.length;
    m.load(RAM_BASE, [...init, ...body, A.bne(12, 0, -4 * body.length), A.wfi()]);
    m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
    while (!m.hart.waiting) m.hart.run(5000);
    expect(m.x(5) + m.x(6) + m.x(7)).toBe(BigInt(TURNS * long.length));
    expect(m.x(8)).toBe(BigInt(TURNS));
    const jit = m.hart.jit;
    const slotOf = (pc: number): number => jit.find(pc - RAM_BASE, pc, jitSlot(pc - RAM_BASE));
    expect(slotOf(head)).toBeGreaterThanOrEqual(0);
    expect(slotOf(head + 12)).toBe(-1); // the fall-through
    expect(jit.stats.regions).toBe(1);
  });

  it('an instruction crossing into the next page is left to the interpreter, and counted as crossing, not by kind', () => {
    const m = makeMachine();
    m.hart.jit.threshold = 1;
    // A loop whose 4-byte addi starts 2 bytes before a page boundary: a region covers one page.
    const loopAt = RAM_BASE + 0x1ff0;
    const jalAt = place(m, RAM_BASE, A.li(12, 5));
    place(m, jalAt, [A.jal(0, loopAt - jalAt)]);
    const end = place(m, loopAt, [A.addi(5, 5, 1), A.addi(5, 5, 1), A.addi(5, 5, 1), C.addi(5, 1), A.addi(6, 6, 1)]);
    expect(end - 4).toBe(RAM_BASE + 0x1ffe);
    place(m, end, [A.addi(12, 12, -1), A.bne(12, 0, loopAt - (end + 4)), A.wfi()]);
    m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
    m.hart.run(10_000);
    expect(m.hart.waiting).toBe(true);
    expect([m.x(5), m.x(6)]).toEqual([20n, 5n]);
    expect(m.hart.jit.stats.regions).toBeGreaterThan(0);
    expect([...m.hart.jit.untranslated]).toEqual([[CROSSES_PAGE, 5]]);
  });

  it('a 2-byte instruction in the last halfword of a page starts a region when a jump lands there', () => {
    // The tail of a function split across a page boundary (busybox's strchr returns through a
    // `ret` at offset 0xffe): each call jumps there from another page. Both lookups (the
    // interpreter's and the dispatcher's) must find its region, or every call returns to the
    // interpreter for that one instruction.
    const TURNS = 50;
    const m = makeMachine();
    m.hart.jit.threshold = 1;
    const tail = RAM_BASE + 0x2ffe;
    const loop = place(m, RAM_BASE, A.li(12, TURNS));
    const end = place(m, loop, [A.jal(1, tail - loop), A.addi(12, 12, -1)]);
    place(m, end, [A.bne(12, 0, loop - end), A.wfi()]);
    place(m, tail, [C.addi(5, 1), A.addi(6, 6, 2), A.jalr(0, 1, 0)]);
    m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
    m.hart.run(10_000);
    expect(m.hart.waiting).toBe(true);
    expect([m.x(5), m.x(6)]).toEqual([BigInt(TURNS), BigInt(2 * TURNS)]);
    // Only the first run of each entry point is interpreted (threshold 1 translates at once).
    const interpreted = Number(m.hart.instret) - m.hart.jit.stats.translatedInsns;
    expect(interpreted).toBeLessThan(10);
    expect(m.hart.jit.stats.exits[EXIT_INTERPRET]).toBe(0);
  });

  it('a trap in the middle of a block: earlier instructions done, later ones not, exact mepc and minstret', () => {
    const results = [0, 1].map((threshold) => {
      const m = makeMachine();
      m.hart.jit.threshold = threshold;
      withHandler(m);
      const body = [A.addi(5, 5, 1), A.addi(6, 6, 1), A.ld(7, 11, 0), A.addi(8, 8, 1)];
      // first pass: x11 = DATA (fine); second pass: x11 = 0x4000 (access fault)
      m.load(RAM_BASE, [
        ...A.li(29, HANDLER),
        A.csrw(A.CSR.mtvec, 29),
        ...A.li(11, DATA),
        ...A.li(12, 2),
        ...body, // L
        ...A.li(11, 0x4000),
        A.addi(12, 12, -1),
        A.bne(12, 0, -(4 * 7)),
        A.wfi(),
      ]);
      m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
      m.hart.run(10_000);
      return [m.x(20), m.x(21), m.x(22), m.x(5), m.x(6), m.x(8), m.hart.instret];
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[0][0]).toBe(5n); // load access fault
    expect(results[0].slice(3, 6)).toEqual([2n, 2n, 1n]);
  });
  it('FP loads and stores: translated with FS on (FS becomes dirty), illegal at their pc with FS off', () => {
    const results = [0, 1].map((threshold) => {
      const m = makeMachine();
      m.hart.jit.threshold = threshold;
      withHandler(m);
      m.write64(DATA, 0x4010_0000_0000_0000n);
      m.write64(DATA + 8, 0x1234_5678_9abc_def0n);
      const fs = 3n << 13n;
      m.load(RAM_BASE, [
        ...A.li(29, HANDLER),
        A.csrw(A.CSR.mtvec, 29),
        ...A.li(11, DATA),
        ...A.li(12, 1 << 13),
        A.csrs(A.CSR.mstatus, 12), // FS = Initial
        A.fld(1, 11, 0),
        A.flw(2, 11, 8), // NaN-boxed
        A.fsd(2, 11, 16),
        A.fsw(2, 11, 28),
        A.csrr(13, A.CSR.mstatus),
        ...A.li(12, Number(fs)),
        A.csrrc(0, A.CSR.mstatus, 12), // FS = Off
        A.fsd(1, 11, 32), // illegal: the handler parks
        A.wfi(),
      ]);
      m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
      m.hart.run(10_000);
      return [m.x(20), m.x(21), m.read64(DATA + 16), m.read64(DATA + 24), m.read64(DATA + 32), (m.x(13) & fs) >> 13n, Array.from(m.hart.fpu.fRaw.slice(2, 6))];
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[0][0]).toBe(2n); // illegal instruction
    expect(results[0][2]).toBe(0xffff_ffff_9abc_def0n);
    expect(results[0][3]).toBe(0x9abc_def0n << 32n);
    expect(results[0][4]).toBe(0n);
    expect(results[0][5]).toBe(3n); // FS = Dirty after the loads
  });
  it('run(budget) never executes more than the budget', () => {
    const m = makeMachine();
    m.hart.jit.threshold = 1;
    const body = Array.from({ length: 30 }, (_, i) => A.addi(5 + (i % 3), 5 + (i % 3), 1));
    m.load(RAM_BASE, [...body, A.jal(0, -4 * 30)]);
    m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
    for (const budget of [1, 7, 31, 100, 1000]) {
      const before = m.hart.instret;
      expect(m.hart.run(budget)).toBe(budget);
      expect(m.hart.instret - before).toBe(budget);
    }
  });
  it('checks the budget at entry points and loop heads only, with the longest run to the next check', () => {
    // 0 addi; 4 beq -> 16; 8 addi; 12 jal -> 20; 16 addi; 20 addi; 24 bne -> 4 (the loop); 28 jalr
    const words = [A.addi(5, 5, 1), A.beq(5, 6, 12), A.addi(7, 7, 1), A.jal(0, 8), A.addi(8, 8, 1), A.addi(9, 9, -1), A.bne(9, 0, -20), A.jalr(0, 1, 0)];
    const view = new DataView(new ArrayBuffer(4096));
    words.forEach((w, i) => view.setInt32(4 * i, w, true));
    const plan = planRegion(view, 0, [0])!;
    expect(plan.blocks.map((bl) => bl.start)).toEqual([0, 4, 8, 16, 20, 28]);
    // the entry runs 1 before the loop head's check; the loop head runs at most beq, addi, jal,
    // addi, bne = 5 (through 8) or 4 (through 16) and then the jalr: 6
    expect(budgetChecks(plan).maxRun).toEqual([1, 6, 0, 0, 0, 0]);
  });
  it('run(budget) is exact through forward branches between budget checks', () => {
    const m = makeMachine();
    m.hart.jit.threshold = 1;
    // a loop whose body branches forward around a block, as compiled if/else does
    m.load(RAM_BASE, [A.addi(5, 5, 1), A.andi(6, 5, 1), A.beq(6, 0, 12), A.addi(7, 7, 1), A.jal(0, 8), A.addi(8, 8, 1), A.addi(9, 9, 1), A.jal(0, -28)]);
    m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
    for (const budget of [1, 2, 3, 5, 6, 7, 13, 100, 1001]) {
      const before = m.hart.instret;
      expect(m.hart.run(budget)).toBe(budget);
      expect(m.hart.instret - before).toBe(budget);
    }
  });
  it('an interrupt raised by MMIO inside a block is taken at the next instruction', () => {
    for (const threshold of [0, 1]) {
      let fire = false;
      const dev = { read: () => 0, write: () => void (fire && m.hart.setPending(1 << 7, true)) };
      const m = makeMachine({ devices: [[0x1000_0000, 0x100, dev]] });
      m.hart.jit.threshold = threshold;
      withHandler(m);
      const loop = [A.addi(5, 5, 1), A.sw(0, 10, 0), A.addi(6, 6, 1), A.jal(0, -12)];
      m.load(RAM_BASE, [...A.li(29, HANDLER), A.csrw(A.CSR.mtvec, 29), ...A.li(10, 0x1000_0000), ...A.li(7, 0x80), A.csrw(A.CSR.mie, 7), A.csrrsi(0, A.CSR.mstatus, 8), ...loop]);
      m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
      m.hart.run(200); // loop runs (translated when threshold = 1)
      fire = true;
      m.hart.run(1000);
      expect(m.x(20)).toBe((1n << 63n) | 7n);
      // taken right after the store: the next instruction (addi x6) had not run
      expect(m.x(5) - m.x(6)).toBe(1n);
    }
  });
});
