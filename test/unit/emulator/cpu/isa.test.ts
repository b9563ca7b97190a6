// The instruction table (src/emulator/cpu/isa.ts) against itself and against the interpreter: the
// entries never overlap, operands round-trip, and the interpreter raises illegal-instruction for
// exactly the encodings the table does not list (random words of every major opcode, and every
// entry with random operands).

import { describe, expect, it } from 'vitest';
import { decode, disassemble, encode, INSTRUCTIONS, operand, withOperand, type InstructionSpec } from '../../../../src/emulator/cpu/isa.js';
import { makeMachine, RAM_BASE } from './machine.js';
import { PRIV_M } from '../../../../src/emulator/cpu/hart-api.js';
import { CAUSE_ILLEGAL_INSTRUCTION, CSR_MCAUSE, CSR_MSTATUS, CSR_MTVEC } from '../../../../src/emulator/cpu/csr-numbers.js';

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

const HANDLER = RAM_BASE + 0x1000;
const MSCRATCH = 0x340;

/** One machine, reused: runs a single instruction in M-mode with F/D enabled and reports whether it
 *  raised illegal-instruction. */
function illegalChecker(): (insn: number) => boolean {
  const m = makeMachine();
  m.hart.jit.threshold = 0;
  m.load(HANDLER, [0x10500073]); // wfi
  return (insn) => {
    m.ram.view.setInt32(0, insn, true);
    m.hart.reset(BigInt(RAM_BASE), PRIV_M, 0n, 0n);
    m.hart.setCsr(CSR_MTVEC, BigInt(HANDLER));
    m.hart.setCsr(CSR_MSTATUS, 1n << 13n); // FS = Initial
    m.hart.setCsr(CSR_MCAUSE, 0n);
    m.hart.run(1);
    return m.hart.getPc() === BigInt(HANDLER) && m.hart.getCsr(CSR_MCAUSE) === BigInt(CAUSE_ILLEGAL_INSTRUCTION);
  };
}

/** Operands that make a listed instruction executable here: an implemented CSR, a valid rounding mode. */
function sanitized(spec: InstructionSpec, insn: number): number {
  let w = insn;
  if (spec.operands.includes('csr')) w = withOperand(w, 'csr', MSCRATCH);
  if (spec.operands.includes('rm') && (operand(w, 'rm') === 5 || operand(w, 'rm') === 6)) w = withOperand(w, 'rm', 0);
  return w;
}

describe('instruction table', () => {
  it('every entry: match inside its mask, and no encoding matches two entries', () => {
    for (const a of INSTRUCTIONS) {
      expect(a.match & ~a.mask, a.name).toBe(0);
      expect(a.match & 3, a.name).toBe(3);
      for (const b of INSTRUCTIONS) {
        if (a === b) continue;
        // Two entries overlap when their fixed bits agree wherever both are fixed.
        expect(((a.match ^ b.match) & a.mask & b.mask) !== 0, `${a.name} / ${b.name}`).toBe(true);
      }
    }
  });

  it('operands are exactly the bits outside the mask, and round-trip through encode', () => {
    const next = rng(7);
    for (const spec of INSTRUCTIONS) {
      for (let k = 0; k < 20; k++) {
        const values = spec.operands.map(() => next() | 0);
        const insn = encode(spec, values);
        expect(decode(insn), spec.name).toBe(spec);
        const back = spec.operands.map((op) => operand(insn, op));
        expect(encode(spec, back), spec.name).toBe(insn);
      }
      // With every operand all ones, every bit outside the mask is set (nothing is left unnamed)...
      const full = spec.operands.reduce((w, op) => withOperand(w, op, -1), spec.match);
      // ...except the few fields the spec leaves free for hints and future use (fence fm/rs1/rd,
      // fence.i imm/rs1/rd), which the table accepts with any value.
      const free = spec.name === 'fence' ? 0xf00fff80 : spec.name === 'fence.i' ? 0xffff8f80 : 0;
      expect((full | free | spec.mask) >>> 0, spec.name).toBe(0xffffffff);
    }
  });

  it('disassembles with names and operands', () => {
    expect(disassemble(0xfe010113)).toBe('addi x2, x2, -32');
    expect(disassemble(0x00b50533)).toBe('add x10, x10, x11');
    expect(disassemble(0x14011073)).toBe('csrrw x0, x2, 0x140');
    expect(disassemble(0x0006b503)).toBe('ld x10, x13, 0');
    expect(disassemble(0x02b57553)).toBe('fadd.d f10, f10, f11, dyn');
    expect(disassemble(0xffffffff)).toBe('illegal 0xffffffff');
  });
});

describe('the interpreter accepts exactly what the table lists', () => {
  const illegal = illegalChecker();

  it('random words of every major opcode', () => {
    const next = rng(2026);
    for (let major = 0; major < 32; major++) {
      for (let k = 0; k < 400; k++) {
        let insn = ((next() & ~0x7f) | (major << 2) | 3) | 0;
        const spec = decode(insn);
        if (spec) insn = sanitized(spec, insn);
        expect(illegal(insn), `${disassemble(insn)} (0x${(insn >>> 0).toString(16)})`).toBe(spec === null);
      }
    }
  });

  it('every entry with random operands', () => {
    const next = rng(99);
    for (const spec of INSTRUCTIONS) {
      for (let k = 0; k < 16; k++) {
        const insn = sanitized(spec, encode(spec, spec.operands.map(() => next() | 0)));
        expect(illegal(insn), disassemble(insn)).toBe(false);
      }
    }
  });
});
