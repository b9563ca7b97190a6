// A minimal WebAssembly binary writer (core spec 2.0, chapter 5 "Binary Format"): just what the
// translator emits. Function bodies are written straight into one growable byte buffer with the
// opcode helpers below; Module assembles the sections around them.

/** Value types (5.3.1). */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;
/** Block type of a block/loop/if without a result (5.4.1). */
export const VOID = 0x40;

/** Opcodes used by the translator (5.4). */
export const OP = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  brTable: 0x0e,
  return: 0x0f,
  call: 0x10,
  callIndirect: 0x11,
  drop: 0x1a,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  f64Load: 0x2b,
  i64Load8s: 0x30,
  i64Load8u: 0x31,
  i64Load16s: 0x32,
  i64Load16u: 0x33,
  i64Load32s: 0x34,
  i64Load32u: 0x35,
  i32Store: 0x36,
  i64Store: 0x37,
  i64Store8: 0x3c,
  i64Store16: 0x3d,
  i64Store32: 0x3e,
  i32Const: 0x41,
  i64Const: 0x42,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GeS: 0x4e,
  i32GtS: 0x4a,
  i32GtU: 0x4b,
  i32LeU: 0x4d,
  i64Eqz: 0x50,
  i64Eq: 0x51,
  i64Ne: 0x52,
  i64LtS: 0x53,
  i64LtU: 0x54,
  i64GtS: 0x55,
  i64GtU: 0x56,
  i64GeS: 0x59,
  i64GeU: 0x5a,
  f64Eq: 0x61,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivS: 0x6d,
  i32DivU: 0x6e,
  i32RemS: 0x6f,
  i32RemU: 0x70,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrS: 0x75,
  i32ShrU: 0x76,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i64DivS: 0x7f,
  i64DivU: 0x80,
  i64RemS: 0x81,
  i64RemU: 0x82,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrS: 0x87,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
  i64ExtendI32s: 0xac,
  i64ExtendI32u: 0xad,
  i64TruncF64s: 0xb0,
  f64ConvertI64s: 0xb9,
} as const;

const F64_SCRATCH = new DataView(new ArrayBuffer(8));

/** A growable byte buffer with LEB128 writers (5.2.2). */
export class Bytes {
  buf: Uint8Array;
  len = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  byte(b: number): void {
    if (this.len === this.buf.length) this.grow(1);
    this.buf[this.len++] = b;
  }

  bytes(src: Uint8Array): void {
    this.grow(src.length);
    this.buf.set(src, this.len);
    this.len += src.length;
  }

  u32(v: number): void {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
  }

  /** Signed LEB128 of an integer-valued double (exact for |v| <= 2^53; i32 and i64 immediates). */
  sleb(v: number): void {
    for (;;) {
      const b = ((v % 128) + 128) % 128;
      v = Math.floor(v / 128);
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return;
    }
  }

  f64(v: number): void {
    F64_SCRATCH.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.byte(F64_SCRATCH.getUint8(i));
  }

  name(s: string): void {
    this.u32(s.length);
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** Function signature: parameter and result value types. */
export interface FuncType {
  params: number[];
  results: number[];
}

export interface ImportedFunc {
  module: string;
  name: string;
  type: FuncType;
}

export interface DefinedFunc {
  type: FuncType;
  /** Locals after the parameters, as (count, type) runs. */
  locals: [number, number][];
  /** The body's instructions (without the final `end`, which is added). */
  body: Uint8Array;
  /** Exported under this name when set. */
  export?: string;
  /** Its name in the module's name section (custom section "name", appendix 7.4), which V8's
   *  profiler and stack traces show instead of wasm-function[N]. */
  name?: string;
}

function sameType(a: FuncType, b: FuncType): boolean {
  return a.params.length === b.params.length && a.results.length === b.results.length && a.params.every((p, i) => p === b.params[i]) && a.results.every((r, i) => r === b.results[i]);
}

function section(out: Bytes, id: number, content: Bytes): void {
  out.byte(id);
  out.u32(content.len);
  out.bytes(content.view());
}

/** Encode a module that imports one memory (module "e", name "mem"), with `table` the funcref table
 *  ("e", "tab"), and `imports`, and defines `funcs` (exported under their `export` names). Function
 *  indices: imports first, in order, then `funcs`; type indices: `firstTypes` first (for
 *  call_indirect), then as met. */
export function encodeModule(imports: ImportedFunc[], funcs: DefinedFunc[], { table = false, firstTypes = [] }: { table?: boolean; firstTypes?: FuncType[] } = {}): Uint8Array {
  const types: FuncType[] = [...firstTypes];
  const typeIndex = (t: FuncType): number => {
    let i = types.findIndex((u) => sameType(u, t));
    if (i < 0) i = types.push(t) - 1;
    return i;
  };
  const importTypes = imports.map((f) => typeIndex(f.type));
  const funcTypes = funcs.map((f) => typeIndex(f.type));
  const codeSize = funcs.reduce((n, f) => n + f.body.length + 16, 0);

  const out = new Bytes(codeSize + 1024);
  out.bytes(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));

  const ts = new Bytes();
  ts.u32(types.length);
  for (const t of types) {
    ts.byte(0x60);
    ts.u32(t.params.length);
    for (const p of t.params) ts.byte(p);
    ts.u32(t.results.length);
    for (const r of t.results) ts.byte(r);
  }
  section(out, 1, ts);

  const is = new Bytes();
  is.u32(imports.length + (table ? 2 : 1));
  is.name('e');
  is.name('mem');
  is.byte(0x02); // memory
  is.byte(0x00); // limits: min only
  is.u32(0);
  if (table) {
    is.name('e');
    is.name('tab');
    is.byte(0x01); // table
    is.byte(0x70); // funcref
    is.byte(0x00);
    is.u32(0);
  }
  imports.forEach((f, i) => {
    is.name(f.module);
    is.name(f.name);
    is.byte(0x00);
    is.u32(importTypes[i]!);
  });
  section(out, 2, is);

  const fs = new Bytes();
  fs.u32(funcs.length);
  for (const t of funcTypes) fs.u32(t);
  section(out, 3, fs);

  const exported = funcs.map((f, i) => [f.export, imports.length + i] as const).filter((e): e is readonly [string, number] => e[0] !== undefined);
  const es = new Bytes();
  es.u32(exported.length);
  for (const [name, index] of exported) {
    es.name(name);
    es.byte(0x00);
    es.u32(index);
  }
  section(out, 7, es);

  const cs = new Bytes(codeSize + 64);
  cs.u32(funcs.length);
  for (const f of funcs) {
    const size = f.body.length + 1 + localsSize(f.locals);
    cs.u32(size);
    cs.u32(f.locals.length);
    for (const [count, type] of f.locals) {
      cs.u32(count);
      cs.byte(type);
    }
    cs.bytes(f.body);
    cs.byte(OP.end);
  }
  section(out, 10, cs);

  const named = funcs.map((f, i) => [f.name, imports.length + i] as const).filter((e): e is readonly [string, number] => e[0] !== undefined);
  if (named.length > 0) {
    const names = new Bytes();
    names.u32(named.length);
    for (const [name, index] of named) {
      names.u32(index);
      names.name(name);
    }
    const ns = new Bytes();
    ns.name('name');
    ns.byte(1); // function names
    ns.u32(names.len);
    ns.bytes(names.view());
    section(out, 0, ns);
  }
  return out.view().slice();
}

function lebSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function localsSize(locals: [number, number][]): number {
  return lebSize(locals.length) + locals.reduce((n, [count]) => n + lebSize(count) + 1, 0);
}
