// RV64I on a real Hart + Bus + Ram: arithmetic, W forms with sign extension, shifts at the edges,
// comparisons, LUI/AUIPC, branches, JAL/JALR, loads/stores of every width (unprivileged spec ch. 2, 5).

import { describe, expect, it } from 'vitest';
import * as A from './asm.js';
import { makeMachine, RAM_BASE, u64 } from './machine.js';

const DATA = RAM_BASE + 0x10000;

/** Run `ops` with a = x5 and b = x6 preloaded, return x7. */
function binop(op: (rd: number, a: number, b: number) => number, a: bigint | number, b: bigint | number): bigint {
  const m = makeMachine();
  m.run([A.li(5, a), A.li(6, b), op(7, 5, 6)]);
  return m.x(7);
}
function immop(op: (rd: number, a: number, imm: number) => number, a: bigint | number, imm: number): bigint {
  const m = makeMachine();
  m.run([A.li(5, a), op(7, 5, imm)]);
  return m.x(7);
}

describe('li helper sanity (lui/addiw/slli/addi only)', () => {
  it.each([0n, 1n, -1n, 0x7fffffffn, -0x80000000n, 0x80000000n, 0x123456789abcdef0n, -0x8000000000000000n, 0x7fffffffffffffffn, 0xfffn, 0x800n])(
    'loads %s',
    (v) => {
      const m = makeMachine();
      m.run([A.li(9, v)]);
      expect(m.x(9)).toBe(u64(v));
    },
  );
});

describe('integer register-register', () => {
  it('add/sub wrap modulo 2^64 and carry across the 32-bit halves', () => {
    expect(binop(A.add, 0xffffffffn, 1n)).toBe(0x100000000n);
    expect(binop(A.add, -1n, 1n)).toBe(0n);
    expect(binop(A.add, 0x7fffffffffffffffn, 1n)).toBe(0x8000000000000000n);
    expect(binop(A.sub, 0x100000000n, 1n)).toBe(0xffffffffn);
    expect(binop(A.sub, 0n, 1n)).toBe(u64(-1));
    expect(binop(A.sub, -0x8000000000000000n, 1n)).toBe(0x7fffffffffffffffn);
  });
  it('logic ops', () => {
    expect(binop(A.xor, 0xff00ff00ff00ff00n, 0x0ff00ff00ff00ff0n)).toBe(0xf0f0f0f0f0f0f0f0n);
    expect(binop(A.or, 0xff00000000000000n, 0x00000000000000ffn)).toBe(0xff000000000000ffn);
    expect(binop(A.and, 0xff00ff00ff00ff00n, 0x0ff00ff00ff00ff0n)).toBe(0x0f000f000f000f00n);
  });
  it('shifts use the low 6 bits of rs2 (63 and 64 = 0)', () => {
    expect(binop(A.sll, 1n, 63n)).toBe(0x8000000000000000n);
    expect(binop(A.sll, 1n, 64n)).toBe(1n);
    expect(binop(A.sll, 0x80000001n, 31n)).toBe(0x4000000080000000n);
    expect(binop(A.sll, 0x1n, 32n)).toBe(0x100000000n);
    expect(binop(A.srl, 0x8000000000000000n, 63n)).toBe(1n);
    expect(binop(A.srl, 0x8000000000000000n, 31n)).toBe(0x100000000n);
    expect(binop(A.srl, u64(-1), 32n)).toBe(0xffffffffn);
    expect(binop(A.sra, 0x8000000000000000n, 63n)).toBe(u64(-1));
    expect(binop(A.sra, 0x8000000000000000n, 31n)).toBe(u64(-0x100000000n));
    expect(binop(A.sra, 0x4000000000000000n, 62n)).toBe(1n);
    expect(binop(A.sra, -16n, 0x40n + 2n)).toBe(u64(-4));
  });
  it('slt/sltu compare signed and unsigned', () => {
    expect(binop(A.slt, -1n, 0n)).toBe(1n);
    expect(binop(A.sltu, -1n, 0n)).toBe(0n);
    expect(binop(A.slt, 0x100000000n, 0xffffffffn)).toBe(0n);
    expect(binop(A.sltu, 0xffffffffn, 0x100000000n)).toBe(1n);
    expect(binop(A.slt, -0x8000000000000000n, 0x7fffffffffffffffn)).toBe(1n);
    expect(binop(A.slt, 5n, 5n)).toBe(0n);
    expect(binop(A.sltu, 0x80000000n, 0x7fffffffn)).toBe(0n);
  });
});

describe('integer register-immediate', () => {
  it('addi sign-extends the immediate and carries', () => {
    expect(immop(A.addi, 0xffffffffn, 1)).toBe(0x100000000n);
    expect(immop(A.addi, 0x100000000n, -1)).toBe(0xffffffffn);
    expect(immop(A.addi, 0n, -2048)).toBe(u64(-2048));
    expect(immop(A.addi, 0n, 2047)).toBe(2047n);
  });
  it('slti/sltiu: the immediate is sign-extended, sltiu compares unsigned', () => {
    expect(immop(A.slti, -5n, -4)).toBe(1n);
    expect(immop(A.sltiu, 5n, -1)).toBe(1n); // -1 is 2^64-1 unsigned
    expect(immop(A.sltiu, 0n, 1)).toBe(1n); // seqz
    expect(immop(A.sltiu, 1n, 1)).toBe(0n);
    expect(immop(A.slti, 0x7fffffffffffffffn, 0)).toBe(0n);
  });
  it('xori/ori/andi with sign-extended immediates', () => {
    expect(immop(A.xori, 0x1234n, -1)).toBe(u64(~0x1234n)); // not
    expect(immop(A.ori, 0n, -2048)).toBe(u64(-2048));
    expect(immop(A.andi, 0xffffffffffffffffn, 0x7ff)).toBe(0x7ffn);
    expect(immop(A.andi, 0x123456789n, -16)).toBe(0x123456780n);
  });
  it('slli/srli/srai by 0, 31, 32 and 63', () => {
    expect(immop(A.slli, 0x8000000000000001n, 0)).toBe(0x8000000000000001n);
    expect(immop(A.slli, 1n, 63)).toBe(0x8000000000000000n);
    expect(immop(A.slli, 3n, 31)).toBe(0x180000000n);
    expect(immop(A.srli, 0x8000000000000000n, 63)).toBe(1n);
    expect(immop(A.srli, u64(-1), 32)).toBe(0xffffffffn);
    expect(immop(A.srai, 0x8000000000000000n, 63)).toBe(u64(-1));
    expect(immop(A.srai, 0x8000000000000000n, 32)).toBe(u64(-0x80000000n));
    expect(immop(A.srai, 0x7000000000000000n, 31)).toBe(0xe0000000n);
  });
});

describe('W forms operate on 32 bits and sign-extend', () => {
  it('addw/subw/addiw', () => {
    expect(binop(A.addw, 0x7fffffffn, 1n)).toBe(u64(-0x80000000n));
    expect(binop(A.addw, 0xffffffff00000001n, 0x1n)).toBe(2n);
    expect(binop(A.subw, 0n, 1n)).toBe(u64(-1));
    expect(binop(A.subw, 0x80000000n, 1n)).toBe(0x7fffffffn);
    expect(immop(A.addiw, 0x7fffffffn, 1)).toBe(u64(-0x80000000n));
    expect(immop(A.addiw, 0x123456789n, 0)).toBe(0x23456789n); // sext.w
    expect(immop(A.addiw, 0xfffffffffn, 0)).toBe(u64(-1)); // 0xffffffff -> -1
  });
  it('sllw/srlw/sraw use 5 bits of the shift amount', () => {
    expect(binop(A.sllw, 1n, 31n)).toBe(u64(-0x80000000n));
    expect(binop(A.sllw, 1n, 32n)).toBe(1n);
    expect(binop(A.srlw, 0x80000000n, 31n)).toBe(1n);
    expect(binop(A.srlw, 0xffffffff80000000n, 0n)).toBe(u64(-0x80000000n));
    expect(binop(A.srlw, 0x80000000n, 1n)).toBe(0x40000000n);
    expect(binop(A.sraw, 0x80000000n, 31n)).toBe(u64(-1));
    expect(binop(A.sraw, 0x180000000n, 4n)).toBe(u64(-0x8000000n));
  });
  it('slliw/srliw/sraiw', () => {
    expect(immop(A.slliw, 0xffn, 28)).toBe(u64(-0x10000000n));
    expect(immop(A.srliw, 0xffffffff00000000n, 4)).toBe(0n);
    expect(immop(A.srliw, 0x80000000n, 0)).toBe(u64(-0x80000000n));
    expect(immop(A.sraiw, 0x80000000n, 31)).toBe(u64(-1));
  });
});

describe('LUI, AUIPC, x0', () => {
  it('lui sign-extends bit 31', () => {
    const m = makeMachine();
    m.run([A.lui(5, 0x80000), A.lui(6, 0x12345)]);
    expect(m.x(5)).toBe(0xffffffff80000000n);
    expect(m.x(6)).toBe(0x12345000n);
  });
  it('auipc adds to the pc of the instruction', () => {
    const m = makeMachine();
    m.run([A.nop(), A.auipc(5, 1), A.auipc(6, 0xfffff)]);
    expect(m.x(5)).toBe(BigInt(RAM_BASE + 4 + 0x1000));
    expect(m.x(6)).toBe(BigInt(RAM_BASE + 8 - 0x1000));
  });
  it('writes to x0 are discarded', () => {
    const m = makeMachine();
    m.run([A.addi(0, 0, 5), A.lui(0, 0x12345), A.add(5, 0, 0)]);
    expect(m.x(0)).toBe(0n);
    expect(m.x(5)).toBe(0n);
  });
});

describe('control transfer', () => {
  function branch(op: (a: number, b: number, off: number) => number, a: bigint | number, b: bigint | number): boolean {
    const m = makeMachine();
    // taken -> skip the addi that sets x7 = 1
    m.run([A.li(5, a), A.li(6, b), A.addi(7, 0, 0), op(5, 6, 8), A.addi(7, 0, 1)]);
    return m.x(7) === 0n;
  }
  it('branch conditions, signed and unsigned', () => {
    expect(branch(A.beq, 0x100000000n, 0x100000000n)).toBe(true);
    expect(branch(A.beq, 0x100000000n, 0n)).toBe(false);
    expect(branch(A.bne, 0x100000000n, 0n)).toBe(true);
    expect(branch(A.blt, -1n, 0n)).toBe(true);
    expect(branch(A.blt, 0n, -1n)).toBe(false);
    expect(branch(A.bge, 0n, 0n)).toBe(true);
    expect(branch(A.bge, -0x8000000000000000n, 0n)).toBe(false);
    expect(branch(A.bltu, 0n, -1n)).toBe(true);
    expect(branch(A.bltu, -1n, 0n)).toBe(false);
    expect(branch(A.bgeu, -1n, 0x7fffffffffffffffn)).toBe(true);
    expect(branch(A.bgeu, 0xffffffffn, 0x100000000n)).toBe(false);
  });
  it('backward branch loop', () => {
    const m = makeMachine();
    // x5 = 10; loop: x6 += x5; x5 -= 1; bnez x5, loop
    m.run([A.addi(5, 0, 10), A.addi(6, 0, 0), A.add(6, 6, 5), A.addi(5, 5, -1), A.bne(5, 0, -8)]);
    expect(m.x(6)).toBe(55n);
  });
  it('jal links pc+4 and jumps; jalr clears bit 0 of the target', () => {
    const m = makeMachine();
    m.run([
      A.jal(1, 12), // 0: -> 12
      A.addi(5, 0, 1), // 4: skipped
      A.jal(0, 16), // 8: -> 24 (end)
      A.auipc(6, 0), // 12: x6 = base + 12
      A.addi(6, 6, -3), // 16: x6 = base + 9 (odd)
      A.jalr(2, 6, 0), // 20: -> base + 8 (bit 0 cleared), x2 = base + 24
    ]);
    expect(m.x(1)).toBe(BigInt(RAM_BASE + 4));
    expect(m.x(2)).toBe(BigInt(RAM_BASE + 24));
    expect(m.x(5)).toBe(0n);
    expect(m.hart.getPc()).toBe(BigInt(RAM_BASE + 28)); // after the final wfi
  });
  it('jalr with rd = rs1 uses the old rs1', () => {
    const m = makeMachine();
    m.run([A.auipc(5, 0), A.jalr(5, 5, 12), A.addi(6, 0, 1)]);
    expect(m.x(5)).toBe(BigInt(RAM_BASE + 8));
    expect(m.x(6)).toBe(0n);
  });
});

describe('loads and stores', () => {
  it('every width, sign and zero extension', () => {
    const m = makeMachine();
    m.write64(DATA, 0x8182838485868788n);
    m.run([
      A.li(10, DATA),
      A.lb(11, 10, 0),
      A.lbu(12, 10, 0),
      A.lh(13, 10, 0),
      A.lhu(14, 10, 0),
      A.lw(15, 10, 4),
      A.lwu(16, 10, 4),
      A.ld(17, 10, 0),
      A.lb(18, 10, 7),
    ]);
    expect(m.x(11)).toBe(u64(-0x78)); // 0x88
    expect(m.x(12)).toBe(0x88n);
    expect(m.x(13)).toBe(u64(-0x7878)); // 0x8788
    expect(m.x(14)).toBe(0x8788n);
    expect(m.x(15)).toBe(0xffffffff81828384n);
    expect(m.x(16)).toBe(0x81828384n);
    expect(m.x(17)).toBe(0x8182838485868788n);
    expect(m.x(18)).toBe(u64(-0x7f));
  });
  it('stores write only their width', () => {
    const m = makeMachine();
    m.write64(DATA, 0n);
    m.write64(DATA + 8, 0n);
    m.run([A.li(10, DATA), A.li(5, 0x1122334455667788n), A.sb(5, 10, 0), A.sh(5, 10, 2), A.sw(5, 10, 4), A.sd(5, 10, 8)]);
    expect(m.read64(DATA)).toBe(0x5566778877880088n);
    expect(m.read64(DATA + 8)).toBe(0x1122334455667788n);
  });
  it('negative offsets', () => {
    const m = makeMachine();
    m.write64(DATA - 8, 0x0123456789abcdefn);
    m.run([A.li(10, DATA), A.ld(11, 10, -8), A.sd(11, 10, -2048 + 8)]);
    expect(m.x(11)).toBe(0x0123456789abcdefn);
    expect(m.read64(DATA - 2040)).toBe(0x0123456789abcdefn);
  });
  it('misaligned loads and stores succeed in M mode, also across a page', () => {
    const m = makeMachine();
    const page = RAM_BASE + 0x21000;
    for (let k = 0; k < 16; k++) m.ram.view.setUint8(page - 8 + k - RAM_BASE, 0x10 + k);
    m.run([
      A.li(10, page),
      A.ld(11, 10, -3), // crosses into the next page
      A.lw(12, 10, -7),
      A.lh(13, 10, -1),
      A.li(5, 0xa1a2a3a4a5a6a7a8n),
      A.sd(5, 10, -5),
      A.ld(14, 10, -5),
    ]);
    expect(m.x(11)).toBe(0x1c1b1a1918171615n);
    expect(m.x(12)).toBe(0x14131211n);
    expect(m.x(13)).toBe(0x1817n);
    expect(m.x(14)).toBe(0xa1a2a3a4a5a6a7a8n);
    expect(m.read64(page - 5)).toBe(0xa1a2a3a4a5a6a7a8n);
  });
  it('fence and fence.i execute as no-ops', () => {
    const m = makeMachine();
    m.run([A.fence(), A.fenceI(), A.addi(5, 0, 3)]);
    expect(m.x(5)).toBe(3n);
  });
});
