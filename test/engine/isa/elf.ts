// A small, strict reader for little-endian ELF64 RISC-V executables (bare-metal test programs,
// firmware images): header checks, PT_LOAD segments, entry point and symbol lookup.
// Reference: System V gABI "ELF-64 Object File Format" 1.5 (header, program and section header,
// symbol table layouts); RISC-V ELF psABI (EM_RISCV = 243, e_flags).
// Bad input never throws: parseElf returns { ok: false, error } with a sentence saying what is wrong.

import type { Ram } from '../../../src/emulator/memory/ram.js';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46]; // "\x7fELF"
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const EV_CURRENT = 1;
const ET_EXEC = 2;
const ET_DYN = 3;
const EM_RISCV = 243;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const PN_XNUM = 0xffff;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHN_UNDEF = 0;

export interface ElfSegment {
  /** Physical load address (p_paddr): where the loader puts it. */
  paddr: number;
  vaddr: number;
  /** Bytes from the file (p_filesz of them); the rest up to memSize is zero. */
  data: Uint8Array;
  memSize: number;
  /** PF_X = 1, PF_W = 2, PF_R = 4. */
  flags: number;
}

export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  /** STT_* (low 4 bits of st_info). */
  type: number;
  /** STB_* (high 4 bits of st_info). */
  bind: number;
}

export interface ElfImage {
  entry: number;
  /** e_flags: RVC = 1, float ABI in bits 2:1 (RISC-V psABI). */
  flags: number;
  segments: ElfSegment[];
  /** Defined symbols from every SHT_SYMTAB section (empty when the file is stripped). */
  symbols: ElfSymbol[];
}

export type ElfResult = { ok: true; elf: ElfImage } | { ok: false; error: string };

/** The first defined symbol called `name`, preferring global over local ones. */
export function findSymbol(elf: ElfImage, name: string): ElfSymbol | undefined {
  let local: ElfSymbol | undefined;
  for (const s of elf.symbols) {
    if (s.name !== name) continue;
    if (s.bind !== 0) return s; // STB_GLOBAL / STB_WEAK
    local ??= s;
  }
  return local;
}

class ElfFormatError extends Error {}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Readers over the file that refuse to look past its end (an out-of-range DataView read throws). */
class Reader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  check(offset: number, size: number, what: string): void {
    if (offset < 0 || size < 0 || offset + size > this.bytes.length) {
      throw new ElfFormatError(`${what} (${size} bytes at offset ${offset}) lies past the end of the ${this.bytes.length}-byte file`);
    }
  }
  u16(off: number): number {
    return this.view.getUint16(off, true);
  }
  u32(off: number): number {
    return this.view.getUint32(off, true);
  }
  /** A 64-bit field that must fit a JavaScript number exactly. */
  u64(off: number, what: string): number {
    const v = this.view.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfFormatError(`${what} ${'0x' + v.toString(16)} is too large`);
    return Number(v);
  }
}

/** Parse an ELF64 little-endian RISC-V executable. */
export function parseElf(bytes: Uint8Array): ElfResult {
  try {
    return { ok: true, elf: parse(new Reader(bytes)) };
  } catch (e) {
    if (e instanceof ElfFormatError) return { ok: false, error: e.message };
    // Any other exception is a bug in this reader, not bad input: let it surface.
    throw e;
  }
}

function parse(r: Reader): ElfImage {
  const b = r.bytes;
  if (b.length < 4 || ELF_MAGIC.some((m, i) => b[i] !== m)) throw new ElfFormatError('not an ELF file (bad magic number)');
  if (b.length < EHDR_SIZE) throw new ElfFormatError(`truncated ELF header (${b.length} bytes, need ${EHDR_SIZE})`);
  if (b[4] !== ELFCLASS64) throw new ElfFormatError(`not a 64-bit ELF file (class ${b[4]})`);
  if (b[5] !== ELFDATA2LSB) throw new ElfFormatError(`not a little-endian ELF file (data encoding ${b[5]})`);
  if (b[6] !== EV_CURRENT) throw new ElfFormatError(`unknown ELF version ${b[6]}`);
  const type = r.u16(16);
  if (type === ET_DYN) throw new ElfFormatError('position-independent executable (ET_DYN): link with -no-pie at a fixed address');
  if (type !== ET_EXEC) throw new ElfFormatError(`not an executable (e_type ${type})`);
  const machine = r.u16(18);
  if (machine !== EM_RISCV) throw new ElfFormatError(`not a RISC-V file (e_machine ${machine})`);
  if (r.u32(20) !== EV_CURRENT) throw new ElfFormatError(`unknown ELF version ${r.u32(20)}`);
  const entry = r.u64(24, 'entry point');
  const phoff = r.u64(32, 'program header offset');
  const shoff = r.u64(40, 'section header offset');
  const flags = r.u32(48);
  if (r.u16(52) !== EHDR_SIZE) throw new ElfFormatError(`unexpected ELF header size ${r.u16(52)}`);
  const phentsize = r.u16(54);
  const phnum = r.u16(56);
  const shentsize = r.u16(58);
  const shnum = r.u16(60);
  const shstrndx = r.u16(62);

  if (phnum === 0) throw new ElfFormatError('no program headers: nothing to load');
  if (phnum === PN_XNUM) throw new ElfFormatError('extended program header numbering is not supported');
  if (phentsize !== PHDR_SIZE) throw new ElfFormatError(`unexpected program header size ${phentsize}`);
  r.check(phoff, phnum * PHDR_SIZE, 'program header table');

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * PHDR_SIZE;
    if (r.u32(ph) !== PT_LOAD) continue;
    const what = `segment ${i}`;
    const pflags = r.u32(ph + 4);
    const offset = r.u64(ph + 8, `${what} offset`);
    const vaddr = r.u64(ph + 16, `${what} virtual address`);
    const paddr = r.u64(ph + 24, `${what} physical address`);
    const fileSize = r.u64(ph + 32, `${what} file size`);
    const memSize = r.u64(ph + 40, `${what} memory size`);
    if (fileSize > memSize) throw new ElfFormatError(`${what}: file size ${fileSize} exceeds memory size ${memSize}`);
    if (paddr + memSize > Number.MAX_SAFE_INTEGER) throw new ElfFormatError(`${what} ends beyond the addressable range`);
    r.check(offset, fileSize, what);
    segments.push({ paddr, vaddr, data: r.bytes.subarray(offset, offset + fileSize), memSize, flags: pflags });
  }
  if (segments.length === 0) throw new ElfFormatError('no loadable (PT_LOAD) segments');
  const sorted = [...segments].sort((a, b2) => a.paddr - b2.paddr);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.paddr < prev.paddr + prev.memSize) {
      throw new ElfFormatError(`segments at ${hex(prev.paddr)} and ${hex(cur.paddr)} overlap`);
    }
  }
  if (!segments.some((s) => entry >= s.vaddr && entry < s.vaddr + s.memSize)) {
    throw new ElfFormatError(`entry point ${hex(entry)} is outside every loadable segment`);
  }

  const symbols = shoff === 0 ? [] : readSymbols(r, shoff, shentsize, shnum, shstrndx);
  return { entry, flags, segments, symbols };
}

interface Section {
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

function readSymbols(r: Reader, shoff: number, shentsize: number, shnum: number, shstrndx: number): ElfSymbol[] {
  if (shnum === 0) throw new ElfFormatError('extended section numbering is not supported');
  if (shentsize !== SHDR_SIZE) throw new ElfFormatError(`unexpected section header size ${shentsize}`);
  if (shstrndx >= shnum && shstrndx !== SHN_UNDEF) throw new ElfFormatError(`section name table index ${shstrndx} is out of range`);
  r.check(shoff, shnum * SHDR_SIZE, 'section header table');
  const sections: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * SHDR_SIZE;
    sections.push({
      type: r.u32(sh + 4),
      offset: r.u64(sh + 24, `section ${i} offset`),
      size: r.u64(sh + 32, `section ${i} size`),
      link: r.u32(sh + 40),
      entsize: r.u64(sh + 56, `section ${i} entry size`),
    });
  }
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const symbols: ElfSymbol[] = [];
  sections.forEach((sec, i) => {
    if (sec.type !== SHT_SYMTAB) return;
    if (sec.entsize !== SYM_SIZE) throw new ElfFormatError(`symbol table ${i}: entry size ${sec.entsize}, expected ${SYM_SIZE}`);
    if (sec.size % SYM_SIZE !== 0) throw new ElfFormatError(`symbol table ${i}: size ${sec.size} is not a multiple of ${SYM_SIZE}`);
    r.check(sec.offset, sec.size, `symbol table ${i}`);
    const strtab = sections[sec.link];
    if (strtab === undefined || strtab.type !== SHT_STRTAB) {
      throw new ElfFormatError(`symbol table ${i}: linked section ${sec.link} is not a string table`);
    }
    r.check(strtab.offset, strtab.size, `string table ${sec.link}`);
    for (let off = sec.offset; off < sec.offset + sec.size; off += SYM_SIZE) {
      const shndx = r.u16(off + 6);
      if (shndx === SHN_UNDEF) continue;
      const nameOff = r.u32(off);
      if (nameOff >= strtab.size) throw new ElfFormatError(`symbol name offset ${nameOff} is outside string table ${sec.link}`);
      const start = strtab.offset + nameOff;
      const limit = strtab.offset + strtab.size;
      let end = start;
      while (end < limit && r.bytes[end] !== 0) end++;
      if (end === limit) throw new ElfFormatError(`symbol name at offset ${nameOff} is not terminated in string table ${sec.link}`);
      const info = r.bytes[off + 4]!;
      symbols.push({
        name: decoder.decode(r.bytes.subarray(start, end)),
        value: r.u64(off + 8, 'symbol value'),
        size: r.u64(off + 16, 'symbol size'),
        type: info & 0xf,
        bind: info >> 4,
      });
    }
  });
  return symbols;
}

/**
 * Copy every segment to its physical address in `ram` and zero the rest of its memory size.
 * Returns an error sentence (and loads nothing) when a segment does not fit in RAM.
 */
export function loadElfSegments(elf: ElfImage, ram: Ram): string | undefined {
  for (const s of elf.segments) {
    if (s.paddr < ram.base || s.paddr + s.memSize > ram.end) {
      return `segment ${hex(s.paddr)}-${hex(s.paddr + s.memSize)} lies outside RAM ${hex(ram.base)}-${hex(ram.end)}`;
    }
  }
  for (const s of elf.segments) {
    const off = s.paddr - ram.base;
    ram.bytes.set(s.data, off);
    ram.bytes.fill(0, off + s.data.length, off + s.memSize);
  }
  return undefined;
}
