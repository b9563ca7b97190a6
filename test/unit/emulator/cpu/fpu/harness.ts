// Test harness for the FPU: instruction encoders and a runner that checks one reference vector
// (a line of test/fixtures/fpu/oracle-vectors.txt.gz or of the live qemu oracle) against executeFp.

import { createFpuState, executeFp, type FpuState } from '../../../../../src/emulator/cpu/fpu/index.js';

export const RNE = 0;
export const RTZ = 1;
export const RDN = 2;
export const RUP = 3;
export const RMM = 4;
export const DYN = 7;

export const NX = 1;
export const UF = 2;
export const OF = 4;
export const DZ = 8;
export const NV = 16;

/** OP-FP encoding (opcode 0x53). */
export function opFp(funct7: number, rs2: number, rs1: number, funct3: number, rd: number): number {
  return ((funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | 0x53) >>> 0;
}

/** R4 encoding of fmadd (0x43), fmsub (0x47), fnmsub (0x4b), fnmadd (0x4f). */
export function r4(opcode: number, fmt: number, rs3: number, rs2: number, rs1: number, rm: number, rd: number): number {
  return ((rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | opcode) >>> 0;
}

type Io = 'F' | 'X';
export interface OpSpec {
  /** Builds the instruction for the given registers and rounding-mode field. */
  encode(rd: number, rs1: number, rs2: number, rs3: number, rm: number): number;
  inputs: Io[];
  output: Io;
  rounded: boolean;
}

const FUNCT5: Record<string, number> = { fadd: 0x00, fsub: 0x01, fmul: 0x02, fdiv: 0x03 };
const FMA_OPCODE: Record<string, number> = { fmadd: 0x43, fmsub: 0x47, fnmsub: 0x4b, fnmadd: 0x4f };
const SGNJ: Record<string, [number, number]> = {
  fsgnj: [0x04, 0],
  fsgnjn: [0x04, 1],
  fsgnjx: [0x04, 2],
  fmin: [0x05, 0],
  fmax: [0x05, 1],
  feq: [0x14, 2],
  flt: [0x14, 1],
  fle: [0x14, 0],
};
const INT_KIND: Record<string, number> = { w: 0, wu: 1, l: 2, lu: 3 };

/** The specification of an instruction by its assembler mnemonic, e.g. "fnmsub.d" or "fcvt.wu.s". */
export function opSpec(name: string): OpSpec {
  const parts = name.split('.');
  const base = parts[0];
  const fmtOf = (s: string): number => (s === 's' || s === 'w' ? 0 : 1);
  if (base in FUNCT5) {
    const f7 = (FUNCT5[base] << 2) | fmtOf(parts[1]);
    return { encode: (rd, rs1, rs2, _3, rm) => opFp(f7, rs2, rs1, rm, rd), inputs: ['F', 'F'], output: 'F', rounded: true };
  }
  if (base === 'fsqrt') {
    const f7 = (0x0b << 2) | fmtOf(parts[1]);
    return { encode: (rd, rs1, _2, _3, rm) => opFp(f7, 0, rs1, rm, rd), inputs: ['F'], output: 'F', rounded: true };
  }
  if (base in FMA_OPCODE) {
    const fmt = fmtOf(parts[1]);
    return {
      encode: (rd, rs1, rs2, rs3, rm) => r4(FMA_OPCODE[base], fmt, rs3, rs2, rs1, rm, rd),
      inputs: ['F', 'F', 'F'],
      output: 'F',
      rounded: true,
    };
  }
  if (base in SGNJ) {
    const [f5, f3] = SGNJ[base];
    const f7 = (f5 << 2) | fmtOf(parts[1]);
    const output: Io = f5 === 0x14 ? 'X' : 'F';
    return { encode: (rd, rs1, rs2) => opFp(f7, rs2, rs1, f3, rd), inputs: ['F', 'F'], output, rounded: false };
  }
  if (base === 'fclass') {
    const f7 = (0x1c << 2) | fmtOf(parts[1]);
    return { encode: (rd, rs1) => opFp(f7, 0, rs1, 1, rd), inputs: ['F'], output: 'X', rounded: false };
  }
  if (base === 'fmv') {
    // fmv.x.w, fmv.x.d, fmv.w.x, fmv.d.x
    if (parts[1] === 'x') {
      const f7 = (0x1c << 2) | fmtOf(parts[2]);
      return { encode: (rd, rs1) => opFp(f7, 0, rs1, 0, rd), inputs: ['F'], output: 'X', rounded: false };
    }
    const f7 = (0x1e << 2) | fmtOf(parts[1]);
    return { encode: (rd, rs1) => opFp(f7, 0, rs1, 0, rd), inputs: ['X'], output: 'F', rounded: false };
  }
  if (base === 'fcvt') {
    const [, dst, src] = parts;
    if (dst === 's' && src === 'd') {
      return { encode: (rd, rs1, _2, _3, rm) => opFp(0x20, 1, rs1, rm, rd), inputs: ['F'], output: 'F', rounded: true };
    }
    if (dst === 'd' && src === 's') {
      return { encode: (rd, rs1, _2, _3, rm) => opFp(0x21, 0, rs1, rm, rd), inputs: ['F'], output: 'F', rounded: false };
    }
    if (dst in INT_KIND) {
      const f7 = (0x18 << 2) | fmtOf(src);
      const k = INT_KIND[dst];
      return { encode: (rd, rs1, _2, _3, rm) => opFp(f7, k, rs1, rm, rd), inputs: ['F'], output: 'X', rounded: true };
    }
    const f7 = (0x1a << 2) | fmtOf(dst);
    const k = INT_KIND[src];
    const exact = dst === 'd' && (src === 'w' || src === 'wu');
    return { encode: (rd, rs1, _2, _3, rm) => opFp(f7, k, rs1, rm, rd), inputs: ['X'], output: 'F', rounded: !exact };
  }
  throw new Error(`unknown mnemonic ${name}`);
}

export function setF(s: FpuState, r: number, bits: bigint): void {
  s.fRaw[2 * r] = Number(bits & 0xffffffffn) | 0;
  s.fRaw[2 * r + 1] = Number((bits >> 32n) & 0xffffffffn) | 0;
}

export function getF(s: FpuState, r: number): bigint {
  return (BigInt(s.fRaw[2 * r + 1] >>> 0) << 32n) | BigInt(s.fRaw[2 * r] >>> 0);
}

export function setX(x: Int32Array, r: number, v: bigint): void {
  x[2 * r] = Number(v & 0xffffffffn) | 0;
  x[2 * r + 1] = Number((v >> 32n) & 0xffffffffn) | 0;
}

export function getX(x: Int32Array, r: number): bigint {
  return (BigInt(x[2 * r + 1] >>> 0) << 32n) | BigInt(x[2 * r] >>> 0);
}

export interface Outcome {
  status: number;
  result: bigint;
  flags: number;
}

/**
 * Executes one instruction on fresh state. `inputs` are raw 64-bit register contents; the
 * register numbers can be chosen to make the destination alias a source.
 */
export function run(name: string, inputs: bigint[], rm: number, opts: { frm?: number; regs?: number[] } = {}): Outcome {
  const spec = opSpec(name);
  const s = createFpuState();
  s.frm = opts.frm ?? 0;
  const x = new Int32Array(64);
  const [rd, rs1, rs2, rs3] = opts.regs ?? [4, 1, 2, 3];
  const src = [rs1, rs2, rs3];
  spec.inputs.forEach((io, i) => (io === 'F' ? setF(s, src[i], inputs[i]) : setX(x, src[i], inputs[i])));
  const status = executeFp(s, spec.encode(rd, rs1, rs2, rs3, rm), x);
  const result = spec.output === 'F' ? getF(s, rd) : getX(x, rd);
  return { status, result, flags: s.fflags };
}

export interface Mismatch {
  line: string;
  rm: number;
  expected: string;
  actual: string;
}

/** Checks one oracle line ("name in... r:f [r:f x4]"); returns the mismatches found. */
export function checkLine(line: string, index: number): Mismatch[] {
  const tok = line.split(' ');
  const name = tok[0];
  const spec = opSpec(name);
  const n = spec.inputs.length;
  const inputs = tok.slice(1, 1 + n).map((h) => BigInt('0x' + h));
  const outs = tok.slice(1 + n);
  const bad: Mismatch[] = [];
  // Vary register allocation so destination/source aliasing is exercised too.
  const regSets = [
    [4, 1, 2, 3],
    [1, 1, 2, 3],
    [2, 1, 2, 3],
    [31, 30, 29, 28],
  ];
  const aliasOk = spec.output === 'F' && spec.inputs.every((io) => io === 'F');
  const regs = aliasOk ? regSets[index % regSets.length] : regSets[0];
  outs.forEach((o, rm) => {
    const [r, f] = o.split(':');
    const got = run(name, inputs, rm, { regs });
    const want = `${r}:${f}`;
    const have = `${got.result.toString(16)}:${got.flags.toString(16)}`;
    if (got.status !== 0 || want !== have) bad.push({ line, rm, expected: want, actual: got.status ? 'ILLEGAL' : have });
  });
  return bad;
}

/** NaN-boxed binary32 encoding of a number that is exactly a binary32 value (inputs only). */
export function s(v: number | bigint): bigint {
  if (typeof v === 'bigint') return 0xffffffff00000000n | v;
  const f = new Float32Array([v]);
  if (f[0] !== v && !(v !== v)) throw new Error(`${v} is not a binary32 value`);
  return 0xffffffff00000000n | BigInt(new Uint32Array(f.buffer)[0]);
}

/** binary64 encoding of a number (inputs only). */
export function d(v: number): bigint {
  return new BigUint64Array(new Float64Array([v]).buffer)[0];
}

export type Expect = [bigint, number];

/** Runs `name` in the five static modes and returns [result, flags] per mode, RNE first. */
export function allModes(name: string, inputs: bigint[]): Expect[] {
  return [RNE, RTZ, RDN, RUP, RMM].map((rm) => {
    const o = run(name, inputs, rm);
    if (o.status !== 0) throw new Error(`${name} reported illegal`);
    return [o.result, o.flags];
  });
}

/** Five identical expectations, for results that do not depend on the rounding mode. */
export function same(bits: bigint, flags: number): Expect[] {
  return [0, 1, 2, 3, 4].map(() => [bits, flags] as Expect);
}

/** Lists the five expectations RNE, RTZ, RDN, RUP, RMM that share one flag value. */
export function per(flags: number, rne: bigint, rtz: bigint, rdn: bigint, rup: bigint, rmm: bigint): Expect[] {
  return [rne, rtz, rdn, rup, rmm].map((b) => [b, flags] as Expect);
}
