// A tiny RV64GC assembler for the CPU unit tests: each function returns one encoded instruction
// (a number; 16-bit ones for the C forms). Encodings from the unprivileged spec 20191213, chapter 24
// (instruction listings) and chapter 16 (RVC); the tests never take encodings from the emulator.

export type Word = number;

const r = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): Word =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const i = (imm: number, rs1: number, f3: number, rd: number, op: number): Word =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const s = (imm: number, rs2: number, rs1: number, f3: number, op: number): Word =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op) >>> 0;
const b = (imm: number, rs2: number, rs1: number, f3: number): Word =>
  ((((imm >> 12) & 1) << 31) |
    (((imm >> 5) & 0x3f) << 25) |
    (rs2 << 20) |
    (rs1 << 15) |
    (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) |
    (((imm >> 11) & 1) << 7) |
    0x63) >>>
  0;

// RV64I
export const lui = (rd: number, imm20: number): Word => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37) >>> 0;
export const auipc = (rd: number, imm20: number): Word => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x17) >>> 0;
export const jal = (rd: number, off: number): Word =>
  ((((off >> 20) & 1) << 31) |
    (((off >> 1) & 0x3ff) << 21) |
    (((off >> 11) & 1) << 20) |
    (((off >> 12) & 0xff) << 12) |
    (rd << 7) |
    0x6f) >>>
  0;
export const jalr = (rd: number, rs1: number, off: number): Word => i(off, rs1, 0, rd, 0x67);
export const beq = (rs1: number, rs2: number, off: number): Word => b(off, rs2, rs1, 0);
export const bne = (rs1: number, rs2: number, off: number): Word => b(off, rs2, rs1, 1);
export const blt = (rs1: number, rs2: number, off: number): Word => b(off, rs2, rs1, 4);
export const bge = (rs1: number, rs2: number, off: number): Word => b(off, rs2, rs1, 5);
export const bltu = (rs1: number, rs2: number, off: number): Word => b(off, rs2, rs1, 6);
export const bgeu = (rs1: number, rs2: number, off: number): Word => b(off, rs2, rs1, 7);
export const lb = (rd: number, rs1: number, off: number): Word => i(off, rs1, 0, rd, 0x03);
export const lh = (rd: number, rs1: number, off: number): Word => i(off, rs1, 1, rd, 0x03);
export const lw = (rd: number, rs1: number, off: number): Word => i(off, rs1, 2, rd, 0x03);
export const ld = (rd: number, rs1: number, off: number): Word => i(off, rs1, 3, rd, 0x03);
export const lbu = (rd: number, rs1: number, off: number): Word => i(off, rs1, 4, rd, 0x03);
export const lhu = (rd: number, rs1: number, off: number): Word => i(off, rs1, 5, rd, 0x03);
export const lwu = (rd: number, rs1: number, off: number): Word => i(off, rs1, 6, rd, 0x03);
export const sb = (rs2: number, rs1: number, off: number): Word => s(off, rs2, rs1, 0, 0x23);
export const sh = (rs2: number, rs1: number, off: number): Word => s(off, rs2, rs1, 1, 0x23);
export const sw = (rs2: number, rs1: number, off: number): Word => s(off, rs2, rs1, 2, 0x23);
export const sd = (rs2: number, rs1: number, off: number): Word => s(off, rs2, rs1, 3, 0x23);
export const addi = (rd: number, rs1: number, imm: number): Word => i(imm, rs1, 0, rd, 0x13);
export const slti = (rd: number, rs1: number, imm: number): Word => i(imm, rs1, 2, rd, 0x13);
export const sltiu = (rd: number, rs1: number, imm: number): Word => i(imm, rs1, 3, rd, 0x13);
export const xori = (rd: number, rs1: number, imm: number): Word => i(imm, rs1, 4, rd, 0x13);
export const ori = (rd: number, rs1: number, imm: number): Word => i(imm, rs1, 6, rd, 0x13);
export const andi = (rd: number, rs1: number, imm: number): Word => i(imm, rs1, 7, rd, 0x13);
export const slli = (rd: number, rs1: number, sh: number): Word => i(sh, rs1, 1, rd, 0x13);
export const srli = (rd: number, rs1: number, sh: number): Word => i(sh, rs1, 5, rd, 0x13);
export const srai = (rd: number, rs1: number, sh: number): Word => i(sh | 0x400, rs1, 5, rd, 0x13);
export const addiw = (rd: number, rs1: number, imm: number): Word => i(imm, rs1, 0, rd, 0x1b);
export const slliw = (rd: number, rs1: number, sh: number): Word => i(sh, rs1, 1, rd, 0x1b);
export const srliw = (rd: number, rs1: number, sh: number): Word => i(sh, rs1, 5, rd, 0x1b);
export const sraiw = (rd: number, rs1: number, sh: number): Word => i(sh | 0x400, rs1, 5, rd, 0x1b);
export const add = (rd: number, a: number, c: number): Word => r(0, c, a, 0, rd, 0x33);
export const sub = (rd: number, a: number, c: number): Word => r(0x20, c, a, 0, rd, 0x33);
export const sll = (rd: number, a: number, c: number): Word => r(0, c, a, 1, rd, 0x33);
export const slt = (rd: number, a: number, c: number): Word => r(0, c, a, 2, rd, 0x33);
export const sltu = (rd: number, a: number, c: number): Word => r(0, c, a, 3, rd, 0x33);
export const xor = (rd: number, a: number, c: number): Word => r(0, c, a, 4, rd, 0x33);
export const srl = (rd: number, a: number, c: number): Word => r(0, c, a, 5, rd, 0x33);
export const sra = (rd: number, a: number, c: number): Word => r(0x20, c, a, 5, rd, 0x33);
export const or = (rd: number, a: number, c: number): Word => r(0, c, a, 6, rd, 0x33);
export const and = (rd: number, a: number, c: number): Word => r(0, c, a, 7, rd, 0x33);
export const addw = (rd: number, a: number, c: number): Word => r(0, c, a, 0, rd, 0x3b);
export const subw = (rd: number, a: number, c: number): Word => r(0x20, c, a, 0, rd, 0x3b);
export const sllw = (rd: number, a: number, c: number): Word => r(0, c, a, 1, rd, 0x3b);
export const srlw = (rd: number, a: number, c: number): Word => r(0, c, a, 5, rd, 0x3b);
export const sraw = (rd: number, a: number, c: number): Word => r(0x20, c, a, 5, rd, 0x3b);
// RV64M
export const mul = (rd: number, a: number, c: number): Word => r(1, c, a, 0, rd, 0x33);
export const mulh = (rd: number, a: number, c: number): Word => r(1, c, a, 1, rd, 0x33);
export const mulhsu = (rd: number, a: number, c: number): Word => r(1, c, a, 2, rd, 0x33);
export const mulhu = (rd: number, a: number, c: number): Word => r(1, c, a, 3, rd, 0x33);
export const div = (rd: number, a: number, c: number): Word => r(1, c, a, 4, rd, 0x33);
export const divu = (rd: number, a: number, c: number): Word => r(1, c, a, 5, rd, 0x33);
export const rem = (rd: number, a: number, c: number): Word => r(1, c, a, 6, rd, 0x33);
export const remu = (rd: number, a: number, c: number): Word => r(1, c, a, 7, rd, 0x33);
export const mulw = (rd: number, a: number, c: number): Word => r(1, c, a, 0, rd, 0x3b);
export const divw = (rd: number, a: number, c: number): Word => r(1, c, a, 4, rd, 0x3b);
export const divuw = (rd: number, a: number, c: number): Word => r(1, c, a, 5, rd, 0x3b);
export const remw = (rd: number, a: number, c: number): Word => r(1, c, a, 6, rd, 0x3b);
export const remuw = (rd: number, a: number, c: number): Word => r(1, c, a, 7, rd, 0x3b);
// RV64A: funct5 values from table 24.3
const amo = (f5: number, f3: number) => (rd: number, rs1: number, rs2: number): Word =>
  r(f5 << 2, rs2, rs1, f3, rd, 0x2f);
export const lrW = (rd: number, rs1: number): Word => r(0x02 << 2, 0, rs1, 2, rd, 0x2f);
export const lrD = (rd: number, rs1: number): Word => r(0x02 << 2, 0, rs1, 3, rd, 0x2f);
export const scW = amo(0x03, 2);
export const scD = amo(0x03, 3);
export const amoswapW = amo(0x01, 2);
export const amoaddW = amo(0x00, 2);
export const amoxorW = amo(0x04, 2);
export const amoandW = amo(0x0c, 2);
export const amoorW = amo(0x08, 2);
export const amominW = amo(0x10, 2);
export const amomaxW = amo(0x14, 2);
export const amominuW = amo(0x18, 2);
export const amomaxuW = amo(0x1c, 2);
export const amoswapD = amo(0x01, 3);
export const amoaddD = amo(0x00, 3);
export const amoxorD = amo(0x04, 3);
export const amoandD = amo(0x0c, 3);
export const amoorD = amo(0x08, 3);
export const amominD = amo(0x10, 3);
export const amomaxD = amo(0x14, 3);
export const amominuD = amo(0x18, 3);
export const amomaxuD = amo(0x1c, 3);
// F/D loads and stores
export const flw = (rd: number, rs1: number, off: number): Word => i(off, rs1, 2, rd, 0x07);
export const fld = (rd: number, rs1: number, off: number): Word => i(off, rs1, 3, rd, 0x07);
export const fsw = (rs2: number, rs1: number, off: number): Word => s(off, rs2, rs1, 2, 0x27);
export const fsd = (rs2: number, rs1: number, off: number): Word => s(off, rs2, rs1, 3, 0x27);
/** fadd.d rd, a, c with rm = RNE. */
export const faddD = (rd: number, a: number, c: number): Word => r(0x01, c, a, 0, rd, 0x53);
/** fmv.x.d rd, fs. */
export const fmvXD = (rd: number, fs: number): Word => r(0x71, 0, fs, 0, rd, 0x53);
// Zicsr, system
export const csrrw = (rd: number, csr: number, rs1: number): Word => i(csr, rs1, 1, rd, 0x73);
export const csrrs = (rd: number, csr: number, rs1: number): Word => i(csr, rs1, 2, rd, 0x73);
export const csrrc = (rd: number, csr: number, rs1: number): Word => i(csr, rs1, 3, rd, 0x73);
export const csrrwi = (rd: number, csr: number, uimm: number): Word => i(csr, uimm, 5, rd, 0x73);
export const csrrsi = (rd: number, csr: number, uimm: number): Word => i(csr, uimm, 6, rd, 0x73);
export const csrrci = (rd: number, csr: number, uimm: number): Word => i(csr, uimm, 7, rd, 0x73);
export const csrr = (rd: number, csr: number): Word => csrrs(rd, csr, 0);
export const csrw = (csr: number, rs1: number): Word => csrrw(0, csr, rs1);
export const csrs = (csr: number, rs1: number): Word => csrrs(0, csr, rs1);
export const ecall = (): Word => 0x00000073;
export const ebreak = (): Word => 0x00100073;
export const mret = (): Word => 0x30200073;
export const sret = (): Word => 0x10200073;
export const wfi = (): Word => 0x10500073;
export const sfenceVma = (rs1: number, rs2: number): Word => r(0x09, rs2, rs1, 0, 0, 0x73);
export const fence = (): Word => 0x0ff0000f;
export const fenceI = (): Word => 0x0000100f;
export const nop = (): Word => addi(0, 0, 0);

/** li rd, value: the usual lui/addiw + slli/addi expansion (any 64-bit constant). */
export function li(rd: number, value: bigint | number): Word[] {
  const v = BigInt.asIntN(64, BigInt(value));
  if (v >= -(1n << 31n) && v < 1n << 31n) {
    const n = Number(v);
    const hi20 = ((n + 0x800) >> 12) & 0xfffff;
    const lo12 = ((n << 20) >> 20);
    const out: Word[] = [];
    if (hi20 !== 0) {
      out.push(lui(rd, hi20));
      out.push(addiw(rd, rd, lo12));
    } else {
      out.push(addi(rd, 0, lo12));
    }
    return out;
  }
  const lo12 = BigInt.asIntN(12, v);
  let rest = (v - lo12) >> 12n;
  let shift = 12;
  while ((rest & 1n) === 0n) {
    rest >>= 1n;
    shift++;
  }
  const out = li(rd, rest);
  out.push(slli(rd, rd, shift));
  if (lo12 !== 0n) out.push(addi(rd, rd, Number(lo12)));
  return out;
}

// CSR numbers used by the tests (privileged spec tables 2.2-2.5)
export const CSR = {
  fflags: 0x001,
  frm: 0x002,
  fcsr: 0x003,
  cycle: 0xc00,
  time: 0xc01,
  instret: 0xc02,
  sstatus: 0x100,
  sie: 0x104,
  stvec: 0x105,
  scounteren: 0x106,
  senvcfg: 0x10a,
  sscratch: 0x140,
  sepc: 0x141,
  scause: 0x142,
  stval: 0x143,
  sip: 0x144,
  satp: 0x180,
  mvendorid: 0xf11,
  marchid: 0xf12,
  mimpid: 0xf13,
  mhartid: 0xf14,
  mconfigptr: 0xf15,
  mstatus: 0x300,
  misa: 0x301,
  medeleg: 0x302,
  mideleg: 0x303,
  mie: 0x304,
  mtvec: 0x305,
  mcounteren: 0x306,
  menvcfg: 0x30a,
  mscratch: 0x340,
  mepc: 0x341,
  mcause: 0x342,
  mtval: 0x343,
  mip: 0x344,
  pmpcfg0: 0x3a0,
  pmpaddr0: 0x3b0,
  mcycle: 0xb00,
  minstret: 0xb02,
} as const;
