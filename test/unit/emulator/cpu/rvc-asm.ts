// RV64C encoders for the tests, written from the spec's formats (unprivileged 20191213, chapter 16,
// figures 16.1-16.8 and table 16.5-16.7). Each returns a 16-bit instruction wrapped as { c: bits }.

export interface C16 {
  c: number;
}
const q = (bits: number): C16 => ({ c: bits & 0xffff });
const b = (v: number, i: number): number => (v >> i) & 1;
const f = (v: number, hi: number, lo: number): number => (v >> lo) & ((1 << (hi - lo + 1)) - 1);
/** x8..x15 -> 0..7 */
const p = (reg: number): number => {
  if (reg < 8 || reg > 15) throw new Error(`x${reg} is not a compressed register`);
  return reg - 8;
};

// Quadrant 0
export const addi4spn = (rd: number, uimm: number) =>
  q((f(uimm, 5, 4) << 11) | (f(uimm, 9, 6) << 7) | (b(uimm, 2) << 6) | (b(uimm, 3) << 5) | (p(rd) << 2));
const clsD = (f3: number) => (r: number, rs1: number, uimm: number) =>
  q((f3 << 13) | (f(uimm, 5, 3) << 10) | (p(rs1) << 7) | (f(uimm, 7, 6) << 5) | (p(r) << 2));
const clsW = (f3: number) => (r: number, rs1: number, uimm: number) =>
  q((f3 << 13) | (f(uimm, 5, 3) << 10) | (p(rs1) << 7) | (b(uimm, 2) << 6) | (b(uimm, 6) << 5) | (p(r) << 2));
export const fld = clsD(1);
export const lw = clsW(2);
export const ld = clsD(3);
export const fsd = clsD(5);
export const sw = clsW(6);
export const sd = clsD(7);

// Quadrant 1
const ci = (f3: number, rd: number, imm: number, op: number) =>
  q((f3 << 13) | (b(imm, 5) << 12) | (rd << 7) | (f(imm, 4, 0) << 2) | op);
export const nop = () => ci(0, 0, 0, 1);
export const addi = (rd: number, imm: number) => ci(0, rd, imm, 1);
export const addiw = (rd: number, imm: number) => ci(1, rd, imm, 1);
export const li = (rd: number, imm: number) => ci(2, rd, imm, 1);
export const addi16sp = (imm: number) =>
  q((3 << 13) | (b(imm, 9) << 12) | (2 << 7) | (b(imm, 4) << 6) | (b(imm, 6) << 5) | (f(imm, 8, 7) << 3) | (b(imm, 5) << 2) | 1);
/** c.lui rd, nzimm where nzimm is the value of bits 17:12 (sign-extended 6-bit field). */
export const lui = (rd: number, imm6: number) => ci(3, rd, imm6, 1);
const cb = (f2: number, rd: number, imm: number) =>
  q((4 << 13) | (b(imm, 5) << 12) | (f2 << 10) | (p(rd) << 7) | (f(imm, 4, 0) << 2) | 1);
export const srli = (rd: number, sh: number) => cb(0, rd, sh);
export const srai = (rd: number, sh: number) => cb(1, rd, sh);
export const andi = (rd: number, imm: number) => cb(2, rd, imm);
const ca = (w: number, f2: number) => (rd: number, rs2: number) =>
  q((4 << 13) | (w << 12) | (3 << 10) | (p(rd) << 7) | (f2 << 5) | (p(rs2) << 2) | 1);
export const sub = ca(0, 0);
export const xor = ca(0, 1);
export const or = ca(0, 2);
export const and = ca(0, 3);
export const subw = ca(1, 0);
export const addw = ca(1, 1);
export const j = (off: number) =>
  q(
    (5 << 13) |
      (b(off, 11) << 12) |
      (b(off, 4) << 11) |
      (f(off, 9, 8) << 9) |
      (b(off, 10) << 8) |
      (b(off, 6) << 7) |
      (b(off, 7) << 6) |
      (f(off, 3, 1) << 3) |
      (b(off, 5) << 2) |
      1,
  );
const br = (f3: number) => (rs1: number, off: number) =>
  q(
    (f3 << 13) |
      (b(off, 8) << 12) |
      (f(off, 4, 3) << 10) |
      (p(rs1) << 7) |
      (f(off, 7, 6) << 5) |
      (f(off, 2, 1) << 3) |
      (b(off, 5) << 2) |
      1,
  );
export const beqz = br(6);
export const bnez = br(7);

// Quadrant 2
export const slli = (rd: number, sh: number) => ci(0, rd, sh, 2);
export const fldsp = (rd: number, uimm: number) =>
  q((1 << 13) | (b(uimm, 5) << 12) | (rd << 7) | (f(uimm, 4, 3) << 5) | (f(uimm, 8, 6) << 2) | 2);
export const lwsp = (rd: number, uimm: number) =>
  q((2 << 13) | (b(uimm, 5) << 12) | (rd << 7) | (f(uimm, 4, 2) << 4) | (f(uimm, 7, 6) << 2) | 2);
export const ldsp = (rd: number, uimm: number) =>
  q((3 << 13) | (b(uimm, 5) << 12) | (rd << 7) | (f(uimm, 4, 3) << 5) | (f(uimm, 8, 6) << 2) | 2);
export const jr = (rs1: number) => q((4 << 13) | (rs1 << 7) | 2);
export const mv = (rd: number, rs2: number) => q((4 << 13) | (rd << 7) | (rs2 << 2) | 2);
export const ebreak = () => q((4 << 13) | (1 << 12) | 2);
export const jalr = (rs1: number) => q((4 << 13) | (1 << 12) | (rs1 << 7) | 2);
export const add = (rd: number, rs2: number) => q((4 << 13) | (1 << 12) | (rd << 7) | (rs2 << 2) | 2);
export const fsdsp = (rs2: number, uimm: number) =>
  q((5 << 13) | (f(uimm, 5, 3) << 10) | (f(uimm, 8, 6) << 7) | (rs2 << 2) | 2);
export const swsp = (rs2: number, uimm: number) =>
  q((6 << 13) | (f(uimm, 5, 2) << 9) | (f(uimm, 7, 6) << 7) | (rs2 << 2) | 2);
export const sdsp = (rs2: number, uimm: number) =>
  q((7 << 13) | (f(uimm, 5, 3) << 10) | (f(uimm, 8, 6) << 7) | (rs2 << 2) | 2);
