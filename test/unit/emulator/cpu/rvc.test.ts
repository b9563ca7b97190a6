// RV64C: every compressed encoding executed on the hart, values checked against the spec's definition
// of each form; reserved encodings trap as illegal instructions with the 16-bit pattern in mtval
// (unprivileged spec 20191213, chapter 16).

import { describe, expect, it } from 'vitest';
import * as A from './asm.js';
import * as C from './rvc-asm.js';
import { makeMachine, RAM_BASE, u64, type TestMachine } from './machine.js';
import { PRIV_M } from '../../../../src/emulator/cpu/hart-api.js';

const DATA = RAM_BASE + 0x10000;
const HANDLER = RAM_BASE + 0x3000;
type Item = number | number[] | C.C16;

/** Lay out 32-bit words and 16-bit C16 items back to back (so 32-bit ones may be 2-aligned). */
function place(m: TestMachine, addr: number, items: Item[]): number {
  let a = addr;
  for (const it of items) {
    if (typeof it === 'object' && !Array.isArray(it)) {
      m.ram.view.setUint16(a - RAM_BASE, it.c, true);
      a += 2;
    } else {
      for (const w of [it].flat()) {
        m.ram.view.setUint32(a - RAM_BASE, w >>> 0, true);
        a += 4;
      }
    }
  }
  return a;
}

/** Where `run` places the first item: after the prologue that installs the trap handler. */
const PROLOGUE: Item[] = [A.li(29, HANDLER), A.csrw(A.CSR.mtvec, 29), A.li(20, -1)];
const ITEMS = RAM_BASE + 4 * PROLOGUE.flat().length;

/** Run items (after a trap handler that records mcause/mepc/mtval into x20-x22 and parks). */
function run(items: Item[], setup?: (m: TestMachine) => void): TestMachine {
  const m = makeMachine();
  place(m, HANDLER, [A.csrr(20, A.CSR.mcause), A.csrr(21, A.CSR.mepc), A.csrr(22, A.CSR.mtval), A.wfi()]);
  setup?.(m);
  place(m, RAM_BASE, [...PROLOGUE, ...items, A.wfi()]);
  m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
  m.hart.run(10_000);
  return m;
}
function noTrap(m: TestMachine): void {
  expect(m.x(20)).toBe(u64(-1));
}

describe('quadrant 0', () => {
  it('c.addi4spn adds a scaled unsigned immediate to sp', () => {
    const m = run([A.li(2, DATA), C.addi4spn(8, 1020), C.addi4spn(9, 4)]);
    noTrap(m);
    expect(m.x(8)).toBe(BigInt(DATA + 1020));
    expect(m.x(9)).toBe(BigInt(DATA + 4));
  });
  it('c.lw/c.ld/c.sw/c.sd with their largest offsets', () => {
    const m = run(
      [A.li(10, DATA), C.lw(8, 10, 124), C.ld(9, 10, 248), C.sw(8, 10, 4), C.sd(9, 10, 8)],
      (mm) => {
        mm.write32(DATA + 124, 0x80000001);
        mm.write64(DATA + 248, 0x0123456789abcdefn);
      },
    );
    noTrap(m);
    expect(m.x(8)).toBe(0xffffffff80000001n);
    expect(m.x(9)).toBe(0x0123456789abcdefn);
    expect(m.read32(DATA + 4)).toBe(0x80000001);
    expect(m.read64(DATA + 8)).toBe(0x0123456789abcdefn);
  });
  it('c.fld/c.fsd move raw 64-bit patterns', () => {
    const m = run([A.li(10, DATA), C.fld(8, 10, 248), C.fsd(8, 10, 16), A.fmvXD(11, 8)], (mm) =>
      mm.write64(DATA + 248, 0x7ff0000000000001n),
    );
    noTrap(m);
    expect(m.read64(DATA + 16)).toBe(0x7ff0000000000001n); // a signalling NaN survives
    expect(m.x(11)).toBe(0x7ff0000000000001n);
  });
});

describe('quadrant 1', () => {
  it('c.nop, c.addi, c.addiw, c.li', () => {
    const m = run([C.nop(), A.li(8, 0x7fffffff), C.addiw(8, 1), C.li(9, -32), C.addi(9, 31), C.li(10, 31), C.addi(10, -32)]);
    noTrap(m);
    expect(m.x(8)).toBe(0xffffffff80000000n);
    expect(m.x(9)).toBe(u64(-1));
    expect(m.x(10)).toBe(u64(-1));
  });
  it('c.addi16sp and c.lui', () => {
    const m = run([A.li(2, DATA), C.addi16sp(-512), A.addi(11, 2, 0), C.addi16sp(496), C.lui(8, -1), C.lui(9, 0x1f), C.lui(10, 1)]);
    noTrap(m);
    expect(m.x(11)).toBe(BigInt(DATA - 512));
    expect(m.x(2)).toBe(BigInt(DATA - 16));
    expect(m.x(8)).toBe(0xfffffffffffff000n);
    expect(m.x(9)).toBe(0x1f000n);
    expect(m.x(10)).toBe(0x1000n);
  });
  it('c.srli, c.srai, c.andi', () => {
    const m = run([
      A.li(8, 0x8000000000000000n),
      C.srli(8, 63),
      A.li(9, 0x8000000000000000n),
      C.srai(9, 32),
      A.li(10, 0x123456789n),
      C.andi(10, -16),
      A.li(11, 0x123456789n),
      C.andi(11, 31),
    ]);
    noTrap(m);
    expect(m.x(8)).toBe(1n);
    expect(m.x(9)).toBe(0xffffffff80000000n);
    expect(m.x(10)).toBe(0x123456780n);
    expect(m.x(11)).toBe(9n);
  });
  it('c.sub, c.xor, c.or, c.and, c.subw, c.addw', () => {
    const m = run([
      A.li(8, 0x100000000n),
      A.li(9, 1),
      A.addi(10, 8, 0),
      C.sub(10, 9), // 0xffffffff
      A.li(11, 0xff00n),
      C.xor(11, 9),
      A.li(12, 0xf0n),
      C.or(12, 9),
      A.li(13, 0xf1n),
      C.and(13, 9),
      A.li(14, 0x80000000n),
      C.subw(14, 9), // 0x7fffffff
      A.li(15, 0x7fffffffn),
      C.addw(15, 9), // -2^31
    ]);
    noTrap(m);
    expect(m.x(10)).toBe(0xffffffffn);
    expect(m.x(11)).toBe(0xff01n);
    expect(m.x(12)).toBe(0xf1n);
    expect(m.x(13)).toBe(1n);
    expect(m.x(14)).toBe(0x7fffffffn);
    expect(m.x(15)).toBe(0xffffffff80000000n);
  });
  it('c.j forward and backward, c.beqz, c.bnez', () => {
    // x8 counts down from 3 with a c.bnez loop; c.j skips a poison instruction.
    const m = run([
      A.li(8, 3),
      A.li(9, 0),
      C.addi(9, 1), // loop:
      C.addi(8, -1),
      C.bnez(8, -4),
      C.beqz(8, 4), // taken: skips the next c.li
      C.li(9, 31),
      C.j(6), // skips the 4-byte li below
      A.addi(9, 0, 30),
      C.nop(),
    ]);
    noTrap(m);
    expect(m.x(9)).toBe(3n);
  });
});

describe('quadrant 2', () => {
  it('c.slli, c.mv, c.add', () => {
    const m = run([A.li(8, 3), C.slli(8, 63), A.li(9, 5), C.mv(10, 9), C.add(10, 9), C.mv(11, 8), C.slli(9, 32)]);
    noTrap(m);
    expect(m.x(8)).toBe(0x8000000000000000n);
    expect(m.x(10)).toBe(10n);
    expect(m.x(11)).toBe(0x8000000000000000n);
    expect(m.x(9)).toBe(0x500000000n);
  });
  it('c.jr and c.jalr (link = pc + 2)', () => {
    const m = run([
      A.auipc(8, 0), // +0
      A.addi(8, 8, 14), // +4: x8 -> +14
      C.jalr(8), // +8: x1 = +10
      C.li(9, 1), // +10: skipped
      C.li(10, 2), // +12: skipped
      C.nop(), // +14: lands here
      A.auipc(11, 0), // +16
      A.addi(11, 11, 10), // +20: -> +26
      C.jr(11), // +24
      C.li(9, 3), // +26
    ]);
    noTrap(m);
    const base = BigInt(ITEMS);
    expect(m.x(1)).toBe(base + 10n);
    expect(m.x(10)).toBe(0n);
    expect(m.x(9)).toBe(3n);
  });
  it('stack-pointer loads and stores with their largest offsets', () => {
    const m = run(
      [A.li(2, DATA), C.lwsp(8, 252), C.ldsp(9, 504), C.swsp(8, 4), C.sdsp(9, 16), C.fldsp(3, 504), C.fsdsp(3, 32)],
      (mm) => {
        mm.write32(DATA + 252, 0xfffffffe);
        mm.write64(DATA + 504, 0x1122334455667788n);
      },
    );
    noTrap(m);
    expect(m.x(8)).toBe(u64(-2));
    expect(m.x(9)).toBe(0x1122334455667788n);
    expect(m.read32(DATA + 4)).toBe(0xfffffffe);
    expect(m.read64(DATA + 16)).toBe(0x1122334455667788n);
    expect(m.read64(DATA + 32)).toBe(0x1122334455667788n);
  });
  it('c.ebreak traps as a breakpoint with mepc = mtval = its address', () => {
    const m = run([C.nop(), C.ebreak()]);
    const at = BigInt(ITEMS + 2);
    expect(m.x(20)).toBe(3n);
    expect(m.x(21)).toBe(at);
    expect(m.x(22)).toBe(at);
  });
});

describe('mixed lengths', () => {
  it('a 32-bit instruction at a 2-byte aligned address', () => {
    const m = run([C.li(8, 1), A.addi(8, 8, 100), C.addi(8, 1)]);
    noTrap(m);
    expect(m.x(8)).toBe(102n);
  });
  it('a 32-bit instruction straddling a page boundary', () => {
    const m = makeMachine();
    const start = RAM_BASE + 0x2000 - 2 - 8;
    place(m, start, [A.li(5, 7), C.nop(), A.addi(5, 5, 5), C.addi(5, 1), A.wfi()]);
    m.hart.reset(BigInt(start), PRIV_M, 0n, 0n);
    m.hart.run(100);
    expect(m.x(5)).toBe(13n);
  });
});

describe('reserved and illegal encodings', () => {
  it.each([
    ['all-zero', 0x0000],
    ['quadrant 0 funct3=100', 0x8000],
    ['c.addiw with rd = 0', 0x2001],
    ['c.addi16sp with imm = 0', 0x6101],
    ['c.lui with imm = 0', 0x6081],
    ['c.subw-space reserved op 10', 0x9c41],
    ['c.subw-space reserved op 11', 0x9c61],
    ['c.lwsp with rd = 0', 0x4002],
    ['c.ldsp with rd = 0', 0x6002],
    ['c.jr with rs1 = 0', 0x8002],
  ])('%s (%i) traps with mtval = the 16 bits', (_name, bits) => {
    const m = run([{ c: bits }]);
    expect(m.x(20)).toBe(2n);
    expect(m.x(21)).toBe(BigInt(ITEMS));
    expect(m.x(22)).toBe(BigInt(bits));
  });
});
