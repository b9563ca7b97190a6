// The ELF64 reader: what it takes from a good file, the exact error for each kind of bad file, and
// that no corruption or truncation makes it throw.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findSymbol, loadElfSegments, parseElf, type ElfImage } from './elf.js';
import { Ram } from '../../../src/emulator/memory/ram.js';

interface Seg {
  type?: number;
  paddr: number;
  vaddr?: number;
  data: number[];
  memSize?: number;
  flags?: number;
}
interface Sym {
  name: string;
  value: number;
  bind?: number; // 0 local, 1 global
  shndx?: number;
}

/** A minimal ELF64 RISC-V executable: header, program headers, data, then .symtab/.strtab/.shstrtab. */
function buildElf(opts: { entry: number; segments: Seg[]; symbols?: Sym[]; type?: number; machine?: number }): Uint8Array {
  const phoff = 64;
  const phnum = opts.segments.length;
  let off = phoff + 56 * phnum;
  const segOffsets = opts.segments.map((s) => {
    const o = off;
    off += s.data.length;
    return o;
  });
  const symbols = opts.symbols ?? [];
  const strtab: number[] = [0];
  const nameOff = symbols.map((s) => {
    const o = strtab.length;
    for (const ch of s.name) strtab.push(ch.charCodeAt(0));
    strtab.push(0);
    return o;
  });
  const symtabOff = off;
  const symtabSize = 24 * (symbols.length + 1);
  const strtabOff = symtabOff + symtabSize;
  const shoff = (strtabOff + strtab.length + 7) & ~7;
  const shnum = symbols.length ? 3 : 0;
  const total = shoff + 64 * shnum;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  v.setUint16(16, opts.type ?? 2, true);
  v.setUint16(18, opts.machine ?? 243, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(24, BigInt(opts.entry), true);
  v.setBigUint64(32, BigInt(phoff), true);
  v.setBigUint64(40, BigInt(shnum ? shoff : 0), true);
  v.setUint32(48, 5, true);
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, phnum, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, shnum, true);
  v.setUint16(62, 0, true);
  opts.segments.forEach((s, i) => {
    const ph = phoff + 56 * i;
    v.setUint32(ph, s.type ?? 1, true);
    v.setUint32(ph + 4, s.flags ?? 5, true);
    v.setBigUint64(ph + 8, BigInt(segOffsets[i]!), true);
    v.setBigUint64(ph + 16, BigInt(s.vaddr ?? s.paddr), true);
    v.setBigUint64(ph + 24, BigInt(s.paddr), true);
    v.setBigUint64(ph + 32, BigInt(s.data.length), true);
    v.setBigUint64(ph + 40, BigInt(s.memSize ?? s.data.length), true);
    b.set(s.data, segOffsets[i]!);
  });
  symbols.forEach((s, i) => {
    const e = symtabOff + 24 * (i + 1);
    v.setUint32(e, nameOff[i]!, true);
    b[e + 4] = ((s.bind ?? 1) << 4) | 1;
    v.setUint16(e + 6, s.shndx ?? 1, true);
    v.setBigUint64(e + 8, BigInt(s.value), true);
  });
  b.set(strtab, strtabOff);
  if (shnum) {
    // [0] null, [1] .symtab linked to [2] .strtab.
    const sh1 = shoff + 64;
    v.setUint32(sh1 + 4, 2, true);
    v.setBigUint64(sh1 + 24, BigInt(symtabOff), true);
    v.setBigUint64(sh1 + 32, BigInt(symtabSize), true);
    v.setUint32(sh1 + 40, 2, true);
    v.setBigUint64(sh1 + 56, 24n, true);
    const sh2 = shoff + 128;
    v.setUint32(sh2 + 4, 3, true);
    v.setBigUint64(sh2 + 24, BigInt(strtabOff), true);
    v.setBigUint64(sh2 + 32, BigInt(strtab.length), true);
  }
  return b;
}

const GOOD = {
  entry: 0x8000_0000,
  segments: [
    { paddr: 0x8000_0000, data: [0x13, 0, 0, 0, 0x6f, 0, 0, 0] },
    { paddr: 0x8000_1000, data: [1, 2, 3, 4], memSize: 16, flags: 6 },
  ],
  symbols: [
    { name: 'tohost', value: 0x8000_1000 },
    { name: 'dup', value: 1, bind: 0 },
    { name: 'dup', value: 2, bind: 1 },
    { name: 'undef', value: 3, shndx: 0 },
  ],
};

function ok(bytes: Uint8Array): ElfImage {
  const r = parseElf(bytes);
  if (!r.ok) throw new Error(`unexpected error: ${r.error}`);
  return r.elf;
}
function error(bytes: Uint8Array): string {
  const r = parseElf(bytes);
  if (r.ok) throw new Error('expected an error');
  return r.error;
}
function patch(bytes: Uint8Array, f: (v: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  f(new DataView(copy.buffer));
  return copy;
}

describe('parseElf on good files', () => {
  it('reads entry, flags, segments and symbols', () => {
    const elf = ok(buildElf(GOOD));
    expect(elf.entry).toBe(0x8000_0000);
    expect(elf.flags).toBe(5);
    expect(elf.segments.map((s) => [s.paddr, s.data.length, s.memSize, s.flags])).toEqual([
      [0x8000_0000, 8, 8, 5],
      [0x8000_1000, 4, 16, 6],
    ]);
    expect(findSymbol(elf, 'tohost')?.value).toBe(0x8000_1000);
    expect(findSymbol(elf, 'dup')?.value).toBe(2); // the global one
    expect(findSymbol(elf, 'undef')).toBeUndefined(); // undefined symbols are skipped
    expect(findSymbol(elf, 'missing')).toBeUndefined();
  });

  it('skips non-PT_LOAD program headers and accepts a file without sections', () => {
    const elf = ok(buildElf({ entry: 0x8000_0000, segments: [{ type: 0x70000003, paddr: 0, data: [9] }, { paddr: 0x8000_0000, data: [0, 0, 0, 0] }] }));
    expect(elf.segments).toHaveLength(1);
    expect(elf.symbols).toEqual([]);
  });

  it('reads the committed ISA programs', () => {
    const bytes = readFileSync(fileURLToPath(new URL('./bin/rv64i.elf', import.meta.url)));
    const elf = ok(bytes);
    expect(elf.entry).toBe(0x8000_0000);
    expect(elf.flags & 1).toBe(1); // RVC
    expect(findSymbol(elf, '_start')?.value).toBe(0x8000_0000);
    expect(findSymbol(elf, 'tohost')!.value % 8).toBe(0);
    expect(findSymbol(elf, 'fail_info')).toBeDefined();
  });
});

describe('parseElf on bad files', () => {
  const good = buildElf(GOOD);
  const cases: [string, Uint8Array, string][] = [
    ['empty', new Uint8Array(0), 'not an ELF file (bad magic number)'],
    ['text', new TextEncoder().encode('#!/bin/sh\necho hi\n'), 'not an ELF file (bad magic number)'],
    ['truncated header', good.slice(0, 40), 'truncated ELF header (40 bytes, need 64)'],
    ['32-bit', patch(good, (v) => v.setUint8(4, 1)), 'not a 64-bit ELF file (class 1)'],
    ['big-endian', patch(good, (v) => v.setUint8(5, 2)), 'not a little-endian ELF file (data encoding 2)'],
    ['ident version', patch(good, (v) => v.setUint8(6, 0)), 'unknown ELF version 0'],
    ['ET_DYN', buildElf({ ...GOOD, type: 3 }), 'position-independent executable (ET_DYN): link with -no-pie at a fixed address'],
    ['relocatable', buildElf({ ...GOOD, type: 1 }), 'not an executable (e_type 1)'],
    ['x86-64', buildElf({ ...GOOD, machine: 62 }), 'not a RISC-V file (e_machine 62)'],
    ['no program headers', patch(good, (v) => v.setUint16(56, 0, true)), 'no program headers: nothing to load'],
    ['PN_XNUM', patch(good, (v) => v.setUint16(56, 0xffff, true)), 'extended program header numbering is not supported'],
    ['phentsize', patch(good, (v) => v.setUint16(54, 32, true)), 'unexpected program header size 32'],
    [
      'program headers past the end',
      patch(good, (v) => v.setBigUint64(32, BigInt(good.length - 10), true)),
      `program header table (112 bytes at offset ${good.length - 10}) lies past the end of the ${good.length}-byte file`,
    ],
    [
      'huge 64-bit offset',
      patch(good, (v) => v.setBigUint64(32, 0xffff_ffff_ffff_0000n, true)),
      'program header offset 0xffffffffffff0000 is too large',
    ],
    [
      'segment data past the end',
      patch(good, (v) => (v.setBigUint64(64 + 32, 0x10000n, true), v.setBigUint64(64 + 40, 0x10000n, true))),
      `segment 0 (65536 bytes at offset 176) lies past the end of the ${good.length}-byte file`,
    ],
    ['filesz > memsz', patch(good, (v) => v.setBigUint64(64 + 40, 4n, true)), 'segment 0: file size 8 exceeds memory size 4'],
    [
      'segment beyond 2^53',
      patch(good, (v) => v.setBigUint64(64 + 24, BigInt(Number.MAX_SAFE_INTEGER - 2), true)),
      'segment 0 ends beyond the addressable range',
    ],
    ['overlapping segments', patch(good, (v) => v.setBigUint64(64 + 56 + 24, 0x8000_0004n, true)), 'segments at 0x80000000 and 0x80000004 overlap'],
    ['entry outside', patch(good, (v) => v.setBigUint64(24, 0x9000_0000n, true)), 'entry point 0x90000000 is outside every loadable segment'],
    ['only non-loadable segments', patch(good, (v) => (v.setUint32(64, 4, true), v.setUint32(120, 4, true))), 'no loadable (PT_LOAD) segments'],
  ];
  for (const [what, bytes, message] of cases) {
    it(`${what}: ${message}`, () => {
      expect(error(bytes)).toBe(message);
    });
  }

  // Offsets into the section headers of `good`: [1] = .symtab, [2] = .strtab.
  const shoff = Number(new DataView(good.buffer).getBigUint64(40, true));
  const symtab = shoff + 64;
  const strtab = shoff + 128;
  const sectionCases: [string, Uint8Array, string][] = [
    ['shentsize', patch(good, (v) => v.setUint16(58, 40, true)), 'unexpected section header size 40'],
    ['extended section numbering', patch(good, (v) => v.setUint16(60, 0, true)), 'extended section numbering is not supported'],
    ['section headers past the end', patch(good, (v) => v.setUint16(60, 50, true)), `section header table (3200 bytes at offset ${shoff}) lies past the end of the ${good.length}-byte file`],
    ['symbol entry size', patch(good, (v) => v.setBigUint64(symtab + 56, 16n, true)), 'symbol table 1: entry size 16, expected 24'],
    ['symbol table size', patch(good, (v) => v.setBigUint64(symtab + 32, 25n, true)), 'symbol table 1: size 25 is not a multiple of 24'],
    ['symtab link', patch(good, (v) => v.setUint32(symtab + 40, 7, true)), 'symbol table 1: linked section 7 is not a string table'],
    ['symtab linked to itself', patch(good, (v) => v.setUint32(symtab + 40, 1, true)), 'symbol table 1: linked section 1 is not a string table'],
    [
      'name offset outside the string table',
      patch(good, (v) => v.setUint32(Number(v.getBigUint64(symtab + 24, true)) + 24, 999, true)),
      'symbol name offset 999 is outside string table 2',
    ],
    [
      'unterminated name',
      // Cut the string table's last NUL and make its symbol ("undef", name at 16) a defined one.
      patch(good, (v) => {
        v.setBigUint64(strtab + 32, v.getBigUint64(strtab + 32, true) - 1n, true);
        v.setUint16(Number(v.getBigUint64(symtab + 24, true)) + 4 * 24 + 6, 1, true);
      }),
      'symbol name at offset 16 is not terminated in string table 2',
    ],
  ];
  for (const [what, bytes, message] of sectionCases) {
    it(`${what}: ${message}`, () => {
      expect(error(bytes)).toBe(message);
    });
  }

  it('never throws on any truncation or single-byte corruption of a real program', () => {
    const real = new Uint8Array(readFileSync(fileURLToPath(new URL('./bin/rv64m.elf', import.meta.url))));
    for (let n = 0; n < real.length; n += 7) expect(() => parseElf(real.subarray(0, n))).not.toThrow();
    // Corrupt every byte of the headers and tables (where the reader looks), one at a time.
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    const shoffReal = Number(new DataView(real.buffer, real.byteOffset).getBigUint64(40, true));
    const spots = [...Array(64 + 56 * 4).keys(), ...Array.from({ length: real.length - shoffReal }, (_, i) => shoffReal + i)];
    for (const at of spots) {
      const copy = real.slice();
      copy[at] = copy[at]! ^ (next() | 1);
      expect(() => parseElf(copy), `byte ${at}`).not.toThrow();
    }
  });
});

describe('loadElfSegments', () => {
  it('copies file bytes and zeroes the rest of each segment', () => {
    const elf = ok(buildElf(GOOD));
    const ram = new Ram(0x8000_0000, 0x1_0000);
    ram.bytes.fill(0xee);
    expect(loadElfSegments(elf, ram)).toBeUndefined();
    expect([...ram.bytes.subarray(0, 8)]).toEqual([0x13, 0, 0, 0, 0x6f, 0, 0, 0]);
    expect([...ram.bytes.subarray(0x1000, 0x1010)]).toEqual([1, 2, 3, 4, ...Array(12).fill(0)]);
    expect(ram.bytes[0x1010]).toBe(0xee); // past memSize: untouched
  });

  it('refuses a segment outside RAM and loads nothing', () => {
    const elf = ok(buildElf({ entry: 0x8000_0000, segments: [{ paddr: 0x8000_0000, data: [1] }, { paddr: 0x8000_fff0, data: [2], memSize: 0x20 }] }));
    const ram = new Ram(0x8000_0000, 0x1_0000);
    expect(loadElfSegments(elf, ram)).toBe('segment 0x8000fff0-0x80010010 lies outside RAM 0x80000000-0x80010000');
    expect(ram.bytes[0]).toBe(0);
  });
});
