// JavaScript source for one RV64I/M instruction inside a translated block (unprivileged spec
// 20191213, chapters 2, 5, 7). The semantics are those of the interpreter (execute.ts), with the
// decoded fields and pc-relative values turned into constants. Only instructions that can neither
// trap unconditionally nor touch privileged state are translated; anything else ends the block
// before it and the interpreter runs it.
//
// Names the generated code relies on (bound by compile.ts): x, view, h, the TLB arrays lTagLo/lTagHi/
// lOffs/sTagLo/sTagHi/sOffs, the parameter dctx, and the helpers loadSlow, storeSlow, pairToPc,
// mul64, mulh64, mulhsu64, mulhu64, div64, divu64, rem64, remu64, divw.

import { TLB_MASK } from '../../mmu/tlb.js';

export interface Emitted {
  code: string;
  /** The instruction transfers control: the block ends with it. */
  ends: boolean;
}

const TWO32 = 4294967296;

const lo = (r: number): string => (r === 0 ? '0' : `x[${2 * r}]`);
const hi = (r: number): string => (r === 0 ? '0' : `x[${2 * r + 1}]`);
const num = (v: number): string => (Object.is(v, -0) ? '0' : String(v));

/** Write the pair (l, h) (JS expressions over consts already computed) to rd; nothing for x0. */
function put(rd: number, l: string, h: string): string {
  return rd === 0 ? '' : `x[${2 * rd}] = ${l}; x[${2 * rd + 1}] = ${h};`;
}

/** A 64-bit value known at translation time, as the statement writing it to rd. */
function putConst(rd: number, v: number): string {
  return put(rd, num(v | 0), num(Math.floor(v / TWO32) | 0));
}

/** Shift of (al, ah) by a constant, as statements assigning rl/rh. */
function shiftConst(kind: 'sll' | 'srl' | 'sra', s: number): string {
  if (s === 0) return 'rl = al; rh = ah;';
  if (kind === 'sll') return s < 32 ? `rh = (ah << ${s}) | (al >>> ${32 - s}); rl = al << ${s};` : `rh = al << ${s - 32}; rl = 0;`;
  if (kind === 'srl') return s < 32 ? `rl = (al >>> ${s}) | (ah << ${32 - s}); rh = ah >>> ${s};` : `rl = ah >>> ${s - 32}; rh = 0;`;
  return s < 32 ? `rl = (al >>> ${s}) | (ah << ${32 - s}); rh = ah >> ${s};` : `rl = ah >> ${s - 32}; rh = ah >> 31;`;
}

/** Shift by the low 6 bits of `amount` at run time (same cases as the interpreter). */
function shiftVar(kind: 'sll' | 'srl' | 'sra'): string {
  if (kind === 'sll') {
    return `if (s === 0) { rl = al; rh = ah; } else if (s < 32) { rh = (ah << s) | (al >>> (32 - s)); rl = al << s; } else { rh = al << (s - 32); rl = 0; }`;
  }
  if (kind === 'srl') {
    return `if (s === 0) { rl = al; rh = ah; } else if (s < 32) { rl = (al >>> s) | (ah << (32 - s)); rh = ah >>> s; } else { rl = ah >>> (s - 32); rh = 0; }`;
  }
  return `if (s === 0) { rl = al; rh = ah; } else if (s < 32) { rl = (al >>> s) | (ah << (32 - s)); rh = ah >> s; } else { rl = ah >> (s - 32); rh = ah >> 31; }`;
}

/** Effective address rs1 + imm as consts `lo`/`hi` (64-bit add with carry/borrow). */
function address(rs1: number, imm: number): string {
  return `const u = (${lo(rs1)} >>> 0) + ${imm}; const lo = u | 0; const hi = (${hi(rs1)} + (u < 0 ? -1 : u > 4294967295 ? 1 : 0)) | 0; const ti = (lo >>> 12) & ${TLB_MASK}; const o = lo & 4095;`;
}

/** Leave the block early: `done` instructions completed, continue (or trap) at `at`. */
const leave = (done: number, at: number): string => `h.jitExit = ${done}; return ${num(at)};`;

/**
 * Source for instruction `insn` (32-bit form) at virtual `pc`, `len` bytes long, being the `k`-th
 * (0-based) of its block. Returns null when the instruction is not translated.
 */
export function emit(insn: number, pc: number, len: number, k: number): Emitted | null {
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const f3 = (insn >>> 12) & 7;
  const f7 = insn >>> 25;
  const next = pc + len;
  const ok = (code: string, ends = false): Emitted => ({ code: `{ ${code} }`, ends });
  switch (insn & 0x7f) {
    case 0x13: {
      const imm = insn >> 20;
      const ih = imm >> 31;
      if (rd === 0 && !(f3 === 1 && imm >>> 6 !== 0) && !(f3 === 5 && insn >>> 26 !== 0 && insn >>> 26 !== 0x10)) {
        return ok(''); // a HINT / nop: no architectural effect
      }
      switch (f3) {
        case 0:
          if (rs1 === 0) return ok(putConst(rd, imm));
          return ok(`const al = ${lo(rs1)}; const r = (al + ${imm}) | 0; const rh = (${hi(rs1)} + ${ih} + (r >>> 0 < al >>> 0 ? 1 : 0)) | 0; ${put(rd, 'r', 'rh')}`);
        case 1: {
          if (imm >>> 6 !== 0) return null;
          return ok(`const al = ${lo(rs1)}; const ah = ${hi(rs1)}; let rl, rh; ${shiftConst('sll', imm & 63)} ${put(rd, 'rl', 'rh')}`);
        }
        case 2:
          return ok(`const al = ${lo(rs1)}; const ah = ${hi(rs1)}; ${put(rd, `ah < ${ih} || (ah === ${ih} && al >>> 0 < ${imm >>> 0}) ? 1 : 0`, '0')}`);
        case 3:
          return ok(
            `const al = ${lo(rs1)}; const ah = ${hi(rs1)}; ${put(rd, `ah >>> 0 < ${ih >>> 0} || (ah === ${ih} && al >>> 0 < ${imm >>> 0}) ? 1 : 0`, '0')}`,
          );
        case 4:
          return ok(put(rd, `${lo(rs1)} ^ ${imm}`, `${hi(rs1)} ^ ${ih}`));
        case 5: {
          const f6 = insn >>> 26;
          const s = (insn >>> 20) & 63;
          if (f6 !== 0 && f6 !== 0x10) return null;
          return ok(`const al = ${lo(rs1)}; const ah = ${hi(rs1)}; let rl, rh; ${shiftConst(f6 === 0 ? 'srl' : 'sra', s)} ${put(rd, 'rl', 'rh')}`);
        }
        case 6:
          return ok(`const al = ${lo(rs1)}; const ah = ${hi(rs1)}; ${put(rd, `al | ${imm}`, `ah | ${ih}`)}`);
        default:
          return ok(`const al = ${lo(rs1)}; const ah = ${hi(rs1)}; ${put(rd, `al & ${imm}`, `ah & ${ih}`)}`);
      }
    }

    case 0x33: {
      const ab = `const al = ${lo(rs1)}; const ah = ${hi(rs1)}; const bl = ${lo(rs2)}; const bh = ${hi(rs2)};`;
      if (f7 === 1) {
        if (rd === 0) return ok(''); // no side effects
        const fn = ['mul64', 'mulh64', 'mulhsu64', 'mulhu64', 'div64', 'divu64', 'rem64', 'remu64'][f3];
        return ok(`${ab} ${fn}(x, ${2 * rd}, al, ah, bl, bh);`);
      }
      if (f7 === 0x20 && f3 !== 0 && f3 !== 5) return null;
      if (f7 !== 0 && f7 !== 0x20) return null;
      if (rd === 0) return ok('');
      if (f7 === 0x20) {
        if (f3 === 0) return ok(`${ab} const r = (al - bl) | 0; ${put(rd, 'r', '(ah - bh - (al >>> 0 < bl >>> 0 ? 1 : 0)) | 0')}`);
        return ok(`${ab} const s = bl & 63; let rl, rh; ${shiftVar('sra')} ${put(rd, 'rl', 'rh')}`);
      }
      switch (f3) {
        case 0:
          return ok(`${ab} const r = (al + bl) | 0; ${put(rd, 'r', '(ah + bh + (r >>> 0 < al >>> 0 ? 1 : 0)) | 0')}`);
        case 1:
          return ok(`${ab} const s = bl & 63; let rl, rh; ${shiftVar('sll')} ${put(rd, 'rl', 'rh')}`);
        case 2:
          return ok(`${ab} ${put(rd, 'ah < bh || (ah === bh && al >>> 0 < bl >>> 0) ? 1 : 0', '0')}`);
        case 3:
          return ok(`${ab} ${put(rd, 'ah >>> 0 < bh >>> 0 || (ah === bh && al >>> 0 < bl >>> 0) ? 1 : 0', '0')}`);
        case 4:
          return ok(`${ab} ${put(rd, 'al ^ bl', 'ah ^ bh')}`);
        case 5:
          return ok(`${ab} const s = bl & 63; let rl, rh; ${shiftVar('srl')} ${put(rd, 'rl', 'rh')}`);
        case 6:
          return ok(`${ab} ${put(rd, 'al | bl', 'ah | bh')}`);
        default:
          return ok(`${ab} ${put(rd, 'al & bl', 'ah & bh')}`);
      }
    }

    case 0x1b: {
      let expr: string;
      if (f3 === 0) expr = `(${lo(rs1)} + ${insn >> 20}) | 0`;
      else if (f3 === 1 && f7 === 0) expr = `${lo(rs1)} << ${(insn >>> 20) & 31}`;
      else if (f3 === 5 && f7 === 0) expr = `(${lo(rs1)} >>> ${(insn >>> 20) & 31}) | 0`;
      else if (f3 === 5 && f7 === 0x20) expr = `${lo(rs1)} >> ${(insn >>> 20) & 31}`;
      else return null;
      if (rd === 0) return ok('');
      return ok(`const r = ${expr}; ${put(rd, 'r', 'r >> 31')}`);
    }

    case 0x3b: {
      let expr: string;
      const a = lo(rs1);
      const b = lo(rs2);
      if (f7 === 0 && f3 === 0) expr = `(${a} + ${b}) | 0`;
      else if (f7 === 0 && f3 === 1) expr = `${a} << (${b} & 31)`;
      else if (f7 === 0 && f3 === 5) expr = `(${a} >>> (${b} & 31)) | 0`;
      else if (f7 === 0x20 && f3 === 0) expr = `(${a} - ${b}) | 0`;
      else if (f7 === 0x20 && f3 === 5) expr = `${a} >> (${b} & 31)`;
      else if (f7 === 1 && f3 === 0) expr = `Math.imul(${a}, ${b})`;
      else if (f7 === 1 && f3 >= 4) return ok(rd === 0 ? '' : `divw(x, ${2 * rd}, ${f3}, ${a}, ${b});`);
      else return null;
      if (rd === 0) return ok('');
      return ok(`const r = ${expr}; ${put(rd, 'r', 'r >> 31')}`);
    }

    case 0x37: {
      const v = insn & -4096;
      return ok(put(rd, num(v), num(v >> 31)));
    }

    case 0x17:
      return ok(putConst(rd, pc + (insn & -4096)));

    case 0x6f: {
      const imm = ((insn >> 31) << 20) | (insn & 0xff000) | ((insn >>> 9) & 0x800) | ((insn >>> 20) & 0x7fe);
      return ok(`${putConst(rd, next)} return ${num(pc + imm)};`, true);
    }

    case 0x67: {
      if (f3 !== 0) return null;
      return ok(
        `${address(rs1, insn >> 20)} const t = lo & -2; ${putConst(rd, next)} ` +
          `return hi >= -2097152 && hi < 2097152 ? hi * 4294967296 + (t >>> 0) : pairToPc(h, t, hi);`,
        true,
      );
    }

    case 0x63: {
      if (f3 === 2 || f3 === 3) return null;
      const imm = ((insn >> 31) << 12) | ((insn & 0x80) << 4) | ((insn >>> 20) & 0x7e0) | ((insn >>> 7) & 0x1e);
      const lt = 'ah < bh || (ah === bh && al >>> 0 < bl >>> 0)';
      const ltu = 'ah >>> 0 < bh >>> 0 || (ah === bh && al >>> 0 < bl >>> 0)';
      const cond = [
        'al === bl && ah === bh',
        'al !== bl || ah !== bh',
        '',
        '',
        lt,
        `!(${lt})`,
        ltu,
        `!(${ltu})`,
      ][f3];
      return ok(
        `const al = ${lo(rs1)}; const ah = ${hi(rs1)}; const bl = ${lo(rs2)}; const bh = ${hi(rs2)}; return (${cond}) ? ${num(pc + imm)} : ${num(next)};`,
        true,
      );
    }

    case 0x03: {
      if (f3 === 7) return null;
      const size = 1 << (f3 & 3);
      const fast = [
        'const vl = view.getInt8(p); const vh = vl >> 31;',
        'const vl = view.getInt16(p, true); const vh = vl >> 31;',
        'const vl = view.getInt32(p, true); const vh = vl >> 31;',
        'const vl = view.getInt32(p, true); const vh = view.getInt32(p + 4, true);',
        'const vl = view.getUint8(p); const vh = 0;',
        'const vl = view.getUint16(p, true); const vh = 0;',
        'const vl = view.getInt32(p, true); const vh = 0;',
      ][f3];
      const slow = [
        'const vl = (h.tmpLo << 24) >> 24; const vh = vl >> 31;',
        'const vl = (h.tmpLo << 16) >> 16; const vh = vl >> 31;',
        'const vl = h.tmpLo; const vh = vl >> 31;',
        'const vl = h.tmpLo; const vh = h.tmpHi;',
        'const vl = h.tmpLo & 255; const vh = 0;',
        'const vl = h.tmpLo & 65535; const vh = 0;',
        'const vl = h.tmpLo; const vh = 0;',
      ][f3];
      return ok(
        `${address(rs1, insn >> 20)} ` +
          `if (lTagLo[ti] === ((lo & -4096) | dctx) && lTagHi[ti] === hi && o <= ${4096 - size}) { const p = lOffs[ti] + o; ${fast} ${put(rd, 'vl', 'vh')} } ` +
          `else { if (!loadSlow(h, lo, hi, ${size})) { ${leave(k, pc)} } ${slow} ${put(rd, 'vl', 'vh')} ${leave(k + 1, next)} }`,
      );
    }

    case 0x23: {
      if (f3 > 3) return null;
      const size = 1 << f3;
      const imm = ((insn >> 25) << 5) | ((insn >>> 7) & 0x1f);
      const write = [
        `view.setInt8(p, ${lo(rs2)});`,
        `view.setInt16(p, ${lo(rs2)}, true);`,
        `view.setInt32(p, ${lo(rs2)}, true);`,
        `view.setInt32(p, ${lo(rs2)}, true); view.setInt32(p + 4, ${hi(rs2)}, true);`,
      ][f3];
      return ok(
        `${address(rs1, imm)} ` +
          `if (sTagLo[ti] === ((lo & -4096) | dctx) && sTagHi[ti] === hi && o <= ${4096 - size}) { const p = sOffs[ti] + o; ${write} } ` +
          `else { if (!storeSlow(h, lo, hi, ${size}, ${lo(rs2)}, ${hi(rs2)})) { ${leave(k, pc)} } ${leave(k + 1, next)} }`,
      );
    }
  }
  return null;
}
