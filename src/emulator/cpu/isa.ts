// The RV64GC instruction table: one entry per instruction with its encoding (mask and match, as in
// the RISC-V opcodes database), its operands and what the translator does with it. Unprivileged
// spec 20191213 ch. 2 (RV32I), 5 (RV64I), 7 (M), 8 (A), 9 (Zicsr), 11-12 (F, D), 24 (the opcode
// map); privileged v1.12 3.3 and 4.2.1 for the SYSTEM instructions. Compressed instructions are not
// here: compressed.ts expands each to the 32-bit instruction it stands for (spec ch. 16).
//
// What is derived from it (as v86 drives its interpreter and JIT decoders from gen/x86_table.js):
//   - for the integer ALU instructions (`alu`: what each computes), the conditional branches
//     (`branch`: when each is taken) and the integer loads and stores (`bytes`, `load`: how wide,
//     how extended), both execution forms: the interpreter's cases in execute.ts,
//     written by interpreter-codegen.ts, and the translator's wasm (jit/region.ts alu, insn);
//   - the translator's decode: which instructions a region runs inline, which it runs by calling the
//     interpreter's handler, which end a block and how (jit/region.ts kindOf);
//   - instruction names for the profile (`vm debug boot --profile`) and for test failures;
//   - the differential fuzzer's instruction generator (every entry the translator takes is drawn);
//   - a test that the interpreter (execute.ts) accepts exactly the encodings this table lists.
// The primitive operations are written once per execution form: each AluOp as a JavaScript
// template on 32-bit halves (interpreter-codegen.ts) and as wasm i64/i32 instructions (region.ts).
// The instructions not yet described here (jumps, LUI/AUIPC, SYSTEM, FENCE) still have
// their semantics written by hand in both forms (execute.ts and jit/region.ts); the translator
// calls the interpreter's handlers for everything marked 'call' (amo.ts, fpu/, csr.ts).

/** What a translated region does with an instruction. */
export type Translation =
  /** emitted as wasm inside the region */
  | 'inline'
  /** the region calls the interpreter's own handler for it (jit/translate.ts interpretOne) */
  | 'call'
  /** 'call' when its CSR is one regions may touch (jit/region.ts CALLED_CSRS), else 'interpret' */
  | 'csr'
  /** the region ends before it; the interpreter runs it (it may change privilege, translation or
   *  interrupt state, which regions never re-check) */
  | 'interpret';

/**
 * What an integer ALU instruction computes: rd = op(rs1, second operand), the second operand being
 * rs2 or the sign-extended I-type immediate (for shifts, its shift amount), on all 64 bits or, for
 * the W forms, on the low 32 bits with the result sign-extended (unprivileged spec 2.4, 5.2, 7.1,
 * 7.2). Shift amounts are the low 6 bits of the operand (5 for W forms). Division by zero and
 * overflow give the results of spec table 7.1.
 *
 * Both execution forms are derived from this: interpreter-codegen.ts writes the interpreter's ALU
 * cases in execute.ts from it, and jit/region.ts maps each op to its wasm instruction.
 */
export interface Alu {
  readonly op: AluOp;
  readonly src2: 'rs2' | 'imm';
  readonly word: boolean;
}

export type AluOp =
  | 'add' | 'sub' | 'sll' | 'slt' | 'sltu' | 'xor' | 'srl' | 'sra' | 'or' | 'and'
  | 'mul' | 'mulh' | 'mulhsu' | 'mulhu' | 'div' | 'divu' | 'rem' | 'remu';

/** When a conditional branch is taken: rs1 compared with rs2 on 64 bits, signed or unsigned
 *  (unprivileged spec 2.5). Derived from it like Alu: the interpreter's BRANCH case
 *  (interpreter-codegen.ts) and the translator's compare (jit/region.ts). */
export type Cond = 'eq' | 'ne' | 'lt' | 'ge' | 'ltu' | 'geu';

/** How control leaves an instruction. */
export type Flow = 'next' | 'branch' | 'jal' | 'jalr' | 'system';

/**
 * Operand fields, in assembly order. x: integer register, f: float register; d/s1/s2/s3 the rd,
 * rs1, rs2, rs3 positions. imm: I-type, simm: S-type, bimm: B-type, uimm: U-type, jimm: J-type,
 * shamt6/shamt5: shift amounts, csr: the CSR number, zimm: CSR immediate in the rs1 position,
 * rm: rounding mode, aqrl: the AMO ordering bits, fence: pred/succ.
 */
export type Operand =
  | 'xd' | 'xs1' | 'xs2' | 'fd' | 'fs1' | 'fs2' | 'fs3'
  | 'imm' | 'simm' | 'bimm' | 'uimm' | 'jimm' | 'shamt6' | 'shamt5'
  | 'csr' | 'zimm' | 'rm' | 'aqrl' | 'fence';

export interface InstructionSpec {
  readonly name: string;
  readonly mask: number;
  readonly match: number;
  readonly operands: readonly Operand[];
  readonly flow: Flow;
  readonly translation: Translation;
  /** The access size of loads and stores (integer, float and atomic), in bytes; 0 otherwise. */
  readonly bytes: number;
  /** What it computes, for the integer ALU instructions; null for the others. */
  readonly alu: Alu | null;
  /** When it is taken, for the conditional branches; null for the others. */
  readonly branch: Cond | null;
  /** How an integer load fills the register above its `bytes`: sign- or zero-extended (spec 5.3;
   *  LD fills it all: 'sign'); null for the others. */
  readonly load: 'sign' | 'zero' | null;
}

const OPERANDS: Record<string, readonly Operand[]> = {
  R: ['xd', 'xs1', 'xs2'],
  I: ['xd', 'xs1', 'imm'],
  SH6: ['xd', 'xs1', 'shamt6'],
  SH5: ['xd', 'xs1', 'shamt5'],
  U: ['xd', 'uimm'],
  J: ['xd', 'jimm'],
  B: ['xs1', 'xs2', 'bimm'],
  LOAD: ['xd', 'xs1', 'imm'],
  STORE: ['xs2', 'xs1', 'simm'],
  FLOAD: ['fd', 'xs1', 'imm'],
  FSTORE: ['fs2', 'xs1', 'simm'],
  AMO: ['xd', 'xs1', 'xs2', 'aqrl'],
  LR: ['xd', 'xs1', 'aqrl'],
  CSR: ['xd', 'xs1', 'csr'],
  CSRI: ['xd', 'zimm', 'csr'],
  FR: ['fd', 'fs1', 'fs2'],
  FRRM: ['fd', 'fs1', 'fs2', 'rm'],
  F1RM: ['fd', 'fs1', 'rm'],
  F4: ['fd', 'fs1', 'fs2', 'fs3', 'rm'],
  FCMP: ['xd', 'fs1', 'fs2'],
  F2X: ['xd', 'fs1', 'rm'],
  X2F: ['fd', 'xs1', 'rm'],
  FMVX: ['xd', 'fs1'],
  XMVF: ['fd', 'xs1'],
  FENCE: ['fence'],
  SFENCE: ['xs1', 'xs2'],
  NONE: [],
};

const table: InstructionSpec[] = [];

type Described = Partial<Pick<InstructionSpec, 'bytes' | 'alu' | 'branch' | 'load'>>;

function add(name: string, mask: number, match: number, form: keyof typeof OPERANDS, flow: Flow, translation: Translation, more: Described = {}): void {
  table.push({ name, mask: mask | 0, match: match | 0, operands: OPERANDS[form]!, flow, translation, bytes: 0, alu: null, branch: null, load: null, ...more });
}

/** An integer ALU instruction: always inline, always falls through. */
function addAlu(name: string, mask: number, match: number, form: keyof typeof OPERANDS, op: AluOp, word = false): void {
  add(name, mask, match, form, 'next', 'inline', { alu: { op, src2: form === 'R' ? 'rs2' : 'imm', word } });
}

const OPC = 0x7f;
const F3 = 0x707f;
const F7F3 = 0xfe00707f;

// RV64I (ch. 2 and 5)
add('lui', OPC, 0x37, 'U', 'next', 'inline');
add('auipc', OPC, 0x17, 'U', 'next', 'inline');
add('jal', OPC, 0x6f, 'J', 'jal', 'inline');
add('jalr', F3, 0x67, 'I', 'jalr', 'inline');
for (const [name, f3, cond] of [['beq', 0, 'eq'], ['bne', 1, 'ne'], ['blt', 4, 'lt'], ['bge', 5, 'ge'], ['bltu', 6, 'ltu'], ['bgeu', 7, 'geu']] as const) {
  add(name, F3, 0x63 | (f3 << 12), 'B', 'branch', 'inline', { branch: cond });
}
for (const [name, f3] of [['lb', 0], ['lh', 1], ['lw', 2], ['ld', 3], ['lbu', 4], ['lhu', 5], ['lwu', 6]] as const) {
  add(name, F3, 0x03 | (f3 << 12), 'LOAD', 'next', 'inline', { bytes: 1 << (f3 & 3), load: f3 >= 4 ? 'zero' : 'sign' });
}
for (const [name, f3] of [['sb', 0], ['sh', 1], ['sw', 2], ['sd', 3]] as const) {
  add(name, F3, 0x23 | (f3 << 12), 'STORE', 'next', 'inline', { bytes: 1 << f3 });
}
for (const [name, f3, op] of [['addi', 0, 'add'], ['slti', 2, 'slt'], ['sltiu', 3, 'sltu'], ['xori', 4, 'xor'], ['ori', 6, 'or'], ['andi', 7, 'and']] as const) {
  addAlu(name, F3, 0x13 | (f3 << 12), 'I', op);
}
addAlu('slli', 0xfc00707f, 0x1013, 'SH6', 'sll');
addAlu('srli', 0xfc00707f, 0x5013, 'SH6', 'srl');
addAlu('srai', 0xfc00707f, 0x40005013, 'SH6', 'sra');
for (const [name, f7, f3] of [
  ['add', 0, 0], ['sub', 0x20, 0], ['sll', 0, 1], ['slt', 0, 2], ['sltu', 0, 3],
  ['xor', 0, 4], ['srl', 0, 5], ['sra', 0x20, 5], ['or', 0, 6], ['and', 0, 7],
] as const) {
  addAlu(name, F7F3, 0x33 | (f3 << 12) | (f7 << 25), 'R', name);
}
addAlu('addiw', F3, 0x1b, 'I', 'add', true);
addAlu('slliw', F7F3, 0x101b, 'SH5', 'sll', true);
addAlu('srliw', F7F3, 0x501b, 'SH5', 'srl', true);
addAlu('sraiw', F7F3, 0x4000501b, 'SH5', 'sra', true);
for (const [name, f7, f3, op] of [['addw', 0, 0, 'add'], ['subw', 0x20, 0, 'sub'], ['sllw', 0, 1, 'sll'], ['srlw', 0, 5, 'srl'], ['sraw', 0x20, 5, 'sra']] as const) {
  addAlu(name, F7F3, 0x3b | (f3 << 12) | (f7 << 25), 'R', op, true);
}
// FENCE orders nothing here (one thread runs every hart); FENCE.I must drop stale translations.
add('fence', F3, 0x0f, 'FENCE', 'next', 'inline');
add('fence.i', F3, 0x100f, 'NONE', 'system', 'interpret');

// M (ch. 7)
for (const [name, f3] of [['mul', 0], ['mulh', 1], ['mulhsu', 2], ['mulhu', 3], ['div', 4], ['divu', 5], ['rem', 6], ['remu', 7]] as const) {
  addAlu(name, F7F3, 0x02000033 | (f3 << 12), 'R', name);
}
for (const [name, f3, op] of [['mulw', 0, 'mul'], ['divw', 4, 'div'], ['divuw', 5, 'divu'], ['remw', 6, 'rem'], ['remuw', 7, 'remu']] as const) {
  addAlu(name, F7F3, 0x0200003b | (f3 << 12), 'R', op, true);
}

// A (ch. 8): funct5 in bits 31:27, aq/rl free
for (const [suffix, f3] of [['w', 2], ['d', 3]] as const) {
  const bytes = f3 === 2 ? 4 : 8;
  add(`lr.${suffix}`, 0xf9f0707f, 0x1000002f | (f3 << 12), 'LR', 'next', 'call', { bytes });
  add(`sc.${suffix}`, 0xf800707f, 0x1800002f | (f3 << 12), 'AMO', 'next', 'call', { bytes });
  for (const [op, f5] of [['amoswap', 0x01], ['amoadd', 0x00], ['amoxor', 0x04], ['amoand', 0x0c], ['amoor', 0x08], ['amomin', 0x10], ['amomax', 0x14], ['amominu', 0x18], ['amomaxu', 0x1c]] as const) {
    add(`${op}.${suffix}`, 0xf800707f, (f5 << 27) | (f3 << 12) | 0x2f, 'AMO', 'next', 'inline', { bytes });
  }
}

// F and D (ch. 11 and 12): fmt in bits 26:25 (0 single, 1 double)
add('flw', F3, 0x2007, 'FLOAD', 'next', 'inline', { bytes: 4 });
add('fld', F3, 0x3007, 'FLOAD', 'next', 'inline', { bytes: 8 });
add('fsw', F3, 0x2027, 'FSTORE', 'next', 'inline', { bytes: 4 });
add('fsd', F3, 0x3027, 'FSTORE', 'next', 'inline', { bytes: 8 });
for (const [s, fmt] of [['s', 0], ['d', 1]] as const) {
  const f = fmt << 25;
  for (const [name, opcode] of [['fmadd', 0x43], ['fmsub', 0x47], ['fnmsub', 0x4b], ['fnmadd', 0x4f]] as const) {
    add(`${name}.${s}`, 0x0600007f, opcode | f, 'F4', 'next', 'call');
  }
  for (const [name, f5] of [['fadd', 0x00], ['fsub', 0x01], ['fmul', 0x02], ['fdiv', 0x03]] as const) {
    add(`${name}.${s}`, 0xfe00007f, 0x53 | (f5 << 27) | f, 'FRRM', 'next', 'call');
  }
  add(`fsqrt.${s}`, 0xfff0007f, 0x58000053 | f, 'F1RM', 'next', 'call');
  for (const [name, f3] of [['fsgnj', 0], ['fsgnjn', 1], ['fsgnjx', 2]] as const) add(`${name}.${s}`, F7F3, 0x20000053 | (f3 << 12) | f, 'FR', 'next', 'call');
  add(`fmin.${s}`, F7F3, 0x28000053 | f, 'FR', 'next', 'call');
  add(`fmax.${s}`, F7F3, 0x28001053 | f, 'FR', 'next', 'call');
  for (const [name, f3] of [['fle', 0], ['flt', 1], ['feq', 2]] as const) add(`${name}.${s}`, F7F3, 0xa0000053 | (f3 << 12) | f, 'FCMP', 'next', 'call');
  add(`fclass.${s}`, 0xfff0707f, 0xe0001053 | f, 'FMVX', 'next', 'call');
  for (const [to, r] of [['w', 0], ['wu', 1], ['l', 2], ['lu', 3]] as const) {
    add(`fcvt.${to}.${s}`, 0xfff0007f, 0xc0000053 | (r << 20) | f, 'F2X', 'next', 'call');
    add(`fcvt.${s}.${to}`, 0xfff0007f, 0xd0000053 | (r << 20) | f, 'X2F', 'next', 'call');
  }
}
add('fcvt.s.d', 0xfff0007f, 0x40100053, 'F1RM', 'next', 'call');
add('fcvt.d.s', 0xfff0007f, 0x42000053, 'F1RM', 'next', 'call');
add('fmv.x.w', 0xfff0707f, 0xe0000053, 'FMVX', 'next', 'call');
add('fmv.w.x', 0xfff0707f, 0xf0000053, 'XMVF', 'next', 'call');
add('fmv.x.d', 0xfff0707f, 0xe2000053, 'FMVX', 'next', 'call');
add('fmv.d.x', 0xfff0707f, 0xf2000053, 'XMVF', 'next', 'call');

// Zicsr (ch. 9)
for (const [name, f3] of [['csrrw', 1], ['csrrs', 2], ['csrrc', 3]] as const) add(name, F3, 0x73 | (f3 << 12), 'CSR', 'next', 'csr');
for (const [name, f3] of [['csrrwi', 5], ['csrrsi', 6], ['csrrci', 7]] as const) add(name, F3, 0x73 | (f3 << 12), 'CSRI', 'next', 'csr');

// Privileged (v1.12 3.3, 4.2.1)
add('ecall', -1, 0x73, 'NONE', 'system', 'interpret');
add('ebreak', -1, 0x100073, 'NONE', 'system', 'interpret');
add('sret', -1, 0x10200073, 'NONE', 'system', 'interpret');
add('mret', -1, 0x30200073, 'NONE', 'system', 'interpret');
add('wfi', -1, 0x10500073, 'NONE', 'system', 'interpret');
add('sfence.vma', 0xfe007fff, 0x12000073, 'SFENCE', 'system', 'interpret');

/** Every instruction, in the order above. */
export const INSTRUCTIONS: readonly InstructionSpec[] = table;

/** The table split by major opcode (bits 6:0), so decoding scans a handful of entries. */
const byOpcode: InstructionSpec[][] = Array.from({ length: 128 }, () => []);
for (const spec of table) byOpcode[spec.match & OPC]!.push(spec);

/** The instruction a 32-bit (or expanded compressed) word encodes; null for an illegal encoding. */
export function decode(insn: number): InstructionSpec | null {
  for (const spec of byOpcode[insn & OPC]!) if ((insn & spec.mask) === spec.match) return spec;
  return null;
}

const signExtend = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);

/** The value of operand `op` in `insn` (immediates sign-extended as the spec says). */
export function operand(insn: number, op: Operand): number {
  switch (op) {
    case 'xd':
    case 'fd':
      return (insn >>> 7) & 31;
    case 'xs1':
    case 'fs1':
    case 'zimm':
      return (insn >>> 15) & 31;
    case 'xs2':
    case 'fs2':
      return (insn >>> 20) & 31;
    case 'fs3':
      return insn >>> 27;
    case 'imm':
      return insn >> 20;
    case 'simm':
      return ((insn >> 25) << 5) | ((insn >>> 7) & 31);
    case 'bimm':
      return signExtend(((insn >>> 31) << 12) | (((insn >>> 7) & 1) << 11) | (((insn >>> 25) & 0x3f) << 5) | (((insn >>> 8) & 0xf) << 1), 13);
    case 'uimm':
      return insn >>> 12;
    case 'jimm':
      return signExtend(((insn >>> 31) << 20) | (((insn >>> 12) & 0xff) << 12) | (((insn >>> 20) & 1) << 11) | (((insn >>> 21) & 0x3ff) << 1), 21);
    case 'shamt6':
      return (insn >>> 20) & 63;
    case 'shamt5':
      return (insn >>> 20) & 31;
    case 'csr':
      return insn >>> 20;
    case 'rm':
      return (insn >>> 12) & 7;
    case 'aqrl':
      return (insn >>> 25) & 3;
    case 'fence':
      return (insn >>> 20) & 0xff;
  }
}

/** Place operand `op` = `v` into an encoding (the inverse of `operand`). */
export function withOperand(insn: number, op: Operand, v: number): number {
  switch (op) {
    case 'xd':
    case 'fd':
      return (insn & ~(31 << 7)) | ((v & 31) << 7);
    case 'xs1':
    case 'fs1':
    case 'zimm':
      return (insn & ~(31 << 15)) | ((v & 31) << 15);
    case 'xs2':
    case 'fs2':
      return (insn & ~(31 << 20)) | ((v & 31) << 20);
    case 'fs3':
      return (insn & 0x07ffffff) | ((v & 31) << 27);
    case 'imm':
    case 'csr':
      return (insn & 0xfffff) | ((v & 0xfff) << 20);
    case 'simm':
      return (insn & 0x01fff07f) | (((v >> 5) & 0x7f) << 25) | ((v & 31) << 7);
    case 'bimm':
      return (insn & 0x01fff07f) | (((v >> 12) & 1) << 31) | (((v >> 5) & 0x3f) << 25) | (((v >> 1) & 0xf) << 8) | (((v >> 11) & 1) << 7);
    case 'uimm':
      return (insn & 0xfff) | ((v & 0xfffff) << 12);
    case 'jimm':
      return (insn & 0xfff) | (((v >> 20) & 1) << 31) | (((v >> 1) & 0x3ff) << 21) | (((v >> 11) & 1) << 20) | (((v >> 12) & 0xff) << 12);
    case 'shamt6':
      return (insn & ~(63 << 20)) | ((v & 63) << 20);
    case 'shamt5':
      return (insn & ~(31 << 20)) | ((v & 31) << 20);
    case 'rm':
      return (insn & ~(7 << 12)) | ((v & 7) << 12);
    case 'aqrl':
      return (insn & ~(3 << 25)) | ((v & 3) << 25);
    case 'fence':
      return (insn & ~(0xff << 20)) | ((v & 0xff) << 20);
  }
}

/** `spec` with its operands set to `values` (in the order of spec.operands). */
export function encode(spec: InstructionSpec, values: readonly number[]): number {
  let insn = spec.match;
  spec.operands.forEach((op, i) => (insn = withOperand(insn, op, values[i] ?? 0)));
  return insn | 0;
}

const ROUNDING = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'rm5', 'rm6', 'dyn'];

/** Assembly text for `insn`, e.g. "addi x5, x6, -3"; "illegal 0x…" for an encoding not in the table. */
export function disassemble(insn: number): string {
  const spec = decode(insn);
  if (!spec) return `illegal 0x${(insn >>> 0).toString(16).padStart(8, '0')}`;
  const parts = spec.operands.map((op) => {
    const v = operand(insn, op);
    if (op[0] === 'x') return `x${v}`;
    if (op[0] === 'f' && op !== 'fence') return `f${v}`;
    if (op === 'csr') return `0x${v.toString(16).padStart(3, '0')}`;
    if (op === 'rm') return ROUNDING[v]!;
    if (op === 'aqrl') return ['', 'rl', 'aq', 'aqrl'][v]!;
    if (op === 'fence') return `0x${v.toString(16)}`;
    return String(v);
  });
  return `${spec.name}${parts.length > 0 ? ' ' : ''}${parts.filter((p) => p !== '').join(', ')}`;
}
