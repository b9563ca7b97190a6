// RV64C: every 16-bit encoding expanded to the 32-bit instruction it stands for (unprivileged spec
// 20191213, chapter 16, tables 16.4-16.7 and section 16.8 for RV64C). Cached in a 64K table;
// reserved and illegal encodings map to ILLEGAL (all ones, an illegal 32-bit word), which the hot
// loop traps on, reporting the original 16 bits as tval. HINTs expand to their architectural no-op.
// The table fills lazily (see EXPANDED).

const OP_LOAD = 0x03;
const OP_LOAD_FP = 0x07;
const OP_IMM = 0x13;
const OP_IMM_32 = 0x1b;
const OP_STORE = 0x23;
const OP_STORE_FP = 0x27;
const OP = 0x33;
const OP_LUI = 0x37;
const OP_32 = 0x3b;
const OP_BRANCH = 0x63;
const OP_JALR = 0x67;
const OP_JAL = 0x6f;

function bit(v: number, i: number): number {
  return (v >>> i) & 1;
}
function bits(v: number, hi: number, lo: number): number {
  return (v >>> lo) & ((1 << (hi - lo + 1)) - 1);
}
function sext(v: number, width: number): number {
  const s = 32 - width;
  return (v << s) >> s;
}

export function encI(op: number, rd: number, f3: number, rs1: number, imm: number): number {
  return ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
export function encS(op: number, f3: number, rs1: number, rs2: number, imm: number): number {
  return (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op;
}
export function encB(f3: number, rs1: number, rs2: number, imm: number): number {
  return (
    (bit(imm, 12) << 31) |
    (bits(imm, 10, 5) << 25) |
    (rs2 << 20) |
    (rs1 << 15) |
    (f3 << 12) |
    (bits(imm, 4, 1) << 8) |
    (bit(imm, 11) << 7) |
    OP_BRANCH
  );
}
export function encJ(rd: number, imm: number): number {
  return (
    (bit(imm, 20) << 31) | (bits(imm, 10, 1) << 21) | (bit(imm, 11) << 20) | (bits(imm, 19, 12) << 12) | (rd << 7) | OP_JAL
  );
}
export function encR(op: number, f7: number, rs2: number, rs1: number, f3: number, rd: number): number {
  return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}

/** Expand one 16-bit instruction (low two bits != 3). Returns 0 for reserved/illegal encodings. */
export function expand(c: number): number {
  const q = c & 3;
  const f3 = c >>> 13;
  const rdp = bits(c, 4, 2) + 8; // rd' / rs2'
  const rs1p = bits(c, 9, 7) + 8; // rs1' / rd'
  const rd = bits(c, 11, 7);
  const rs2 = bits(c, 6, 2);
  const imm6 = sext((bit(c, 12) << 5) | bits(c, 6, 2), 6);
  if (q === 0) {
    switch (f3) {
      case 0: {
        // C.ADDI4SPN: nzuimm[5:4|9:6|2|3]
        const imm = (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) | (bit(c, 6) << 2) | (bit(c, 5) << 3);
        return imm === 0 ? 0 : encI(OP_IMM, rdp, 0, 2, imm);
      }
      case 1: // C.FLD: uimm[5:3|7:6]
        return encI(OP_LOAD_FP, rdp, 3, rs1p, (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6));
      case 2: // C.LW: uimm[5:3|2|6]
        return encI(OP_LOAD, rdp, 2, rs1p, (bits(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6));
      case 3: // C.LD
        return encI(OP_LOAD, rdp, 3, rs1p, (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6));
      case 4: // reserved
        return 0;
      case 5: // C.FSD
        return encS(OP_STORE_FP, 3, rs1p, rdp, (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6));
      case 6: // C.SW
        return encS(OP_STORE, 2, rs1p, rdp, (bits(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6));
      default: // C.SD
        return encS(OP_STORE, 3, rs1p, rdp, (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6));
    }
  }
  if (q === 1) {
    switch (f3) {
      case 0: // C.ADDI (C.NOP when rd = 0; HINTs otherwise harmless)
        return encI(OP_IMM, rd, 0, rd, imm6);
      case 1: // C.ADDIW (RV64); rd = 0 reserved
        return rd === 0 ? 0 : encI(OP_IMM_32, rd, 0, rd, imm6);
      case 2: // C.LI
        return encI(OP_IMM, rd, 0, 0, imm6);
      case 3: {
        if (rd === 2) {
          // C.ADDI16SP: nzimm[9|4|6|8:7|5]
          const imm = sext(
            (bit(c, 12) << 9) | (bit(c, 6) << 4) | (bit(c, 5) << 6) | (bits(c, 4, 3) << 7) | (bit(c, 2) << 5),
            10,
          );
          return imm === 0 ? 0 : encI(OP_IMM, 2, 0, 2, imm);
        }
        // C.LUI: nzimm[17|16:12]
        if (imm6 === 0) return 0;
        return ((imm6 << 12) & 0xfffff000) | (rd << 7) | OP_LUI;
      }
      case 4: {
        const shamt = (bit(c, 12) << 5) | bits(c, 6, 2);
        switch (bits(c, 11, 10)) {
          case 0: // C.SRLI
            return encI(OP_IMM, rs1p, 5, rs1p, shamt);
          case 1: // C.SRAI
            return encI(OP_IMM, rs1p, 5, rs1p, shamt | 0x400);
          case 2: // C.ANDI
            return encI(OP_IMM, rs1p, 7, rs1p, imm6);
          default: {
            const sub = bits(c, 6, 5);
            if (bit(c, 12) === 0) {
              // C.SUB, C.XOR, C.OR, C.AND
              const f3s = [0, 4, 6, 7][sub];
              return encR(OP, sub === 0 ? 0x20 : 0, rdp, rs1p, f3s, rs1p);
            }
            // C.SUBW, C.ADDW; 10 and 11 are reserved
            if (sub === 0) return encR(OP_32, 0x20, rdp, rs1p, 0, rs1p);
            if (sub === 1) return encR(OP_32, 0, rdp, rs1p, 0, rs1p);
            return 0;
          }
        }
      }
      case 5: {
        // C.J: imm[11|4|9:8|10|6|7|3:1|5]
        return encJ(0, cjImm(c));
      }
      case 6: // C.BEQZ
        return encB(0, rs1p, 0, cbImm(c));
      default: // C.BNEZ
        return encB(1, rs1p, 0, cbImm(c));
    }
  }
  // q === 2
  switch (f3) {
    case 0: // C.SLLI
      return encI(OP_IMM, rd, 1, rd, (bit(c, 12) << 5) | bits(c, 6, 2));
    case 1: // C.FLDSP: uimm[5|4:3|8:6]
      return encI(OP_LOAD_FP, rd, 3, 2, (bit(c, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6));
    case 2: // C.LWSP: uimm[5|4:2|7:6]; rd = 0 reserved
      if (rd === 0) return 0;
      return encI(OP_LOAD, rd, 2, 2, (bit(c, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6));
    case 3: // C.LDSP; rd = 0 reserved
      if (rd === 0) return 0;
      return encI(OP_LOAD, rd, 3, 2, (bit(c, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6));
    case 4:
      if (bit(c, 12) === 0) {
        if (rs2 === 0) return rd === 0 ? 0 : encI(OP_JALR, 0, 0, rd, 0); // C.JR; rs1 = 0 reserved
        return encR(OP, 0, rs2, 0, 0, rd); // C.MV
      }
      if (rs2 === 0) {
        if (rd === 0) return 0x00100073; // C.EBREAK
        return encI(OP_JALR, 1, 0, rd, 0); // C.JALR
      }
      return encR(OP, 0, rs2, rd, 0, rd); // C.ADD
    case 5: // C.FSDSP: uimm[5:3|8:6]
      return encS(OP_STORE_FP, 3, 2, rs2, (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6));
    case 6: // C.SWSP: uimm[5:2|7:6]
      return encS(OP_STORE, 2, 2, rs2, (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6));
    default: // C.SDSP
      return encS(OP_STORE, 3, 2, rs2, (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6));
  }
}

function cjImm(c: number): number {
  return sext(
    (bit(c, 12) << 11) |
      (bit(c, 11) << 4) |
      (bits(c, 10, 9) << 8) |
      (bit(c, 8) << 10) |
      (bit(c, 7) << 6) |
      (bit(c, 6) << 7) |
      (bits(c, 5, 3) << 1) |
      (bit(c, 2) << 5),
    12,
  );
}

function cbImm(c: number): number {
  // imm[8|4:3] in bits 12:10, imm[7:6|2:1|5] in bits 6:2
  return sext(
    (bit(c, 12) << 8) | (bits(c, 11, 10) << 3) | (bits(c, 6, 5) << 6) | (bits(c, 4, 3) << 1) | (bit(c, 2) << 5),
    9,
  );
}

/** What reserved/illegal encodings expand to: an illegal 32-bit instruction (major opcode 0x7f). */
export const ILLEGAL = -1;

/**
 * Expansion of every 16-bit pattern, filled on first use (0 = not yet: no expansion is 0, as every
 * one ends in 0b11): building all 48K entries up front cost ~20 ms of every process start.
 * Entries whose low bits are 11 are unused. Read through expanded() or check for 0 inline.
 */
export const EXPANDED = new Int32Array(65536);

/** The 32-bit form of 16-bit instruction `c` (low bits != 11), ILLEGAL when reserved/illegal. */
export function expanded(c: number): number {
  const e = EXPANDED[c];
  if (e !== 0) return e;
  return (EXPANDED[c] = expand(c) || ILLEGAL);
}
