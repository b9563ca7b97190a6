// The profile's names for instructions translated code left to the interpreter: counted by
// instruction-table entry (cpu/jit/cache.ts noteUntranslated), named from the table.

import { describe, expect, it } from 'vitest';
import { JitCache, JC_BYTES } from '../../../../src/emulator/cpu/jit/cache.js';
import { untranslatedName } from '../../../../src/engines/builtin/hart-profile.js';

function counted(words: number[]): Map<string, number> {
  const cache = new JitCache(new ArrayBuffer(JC_BYTES), 0);
  for (const w of words) cache.noteUntranslated(w);
  const out = new Map<string, number>();
  for (const [key, n] of cache.untranslated) out.set(untranslatedName(key), (out.get(untranslatedName(key)) ?? 0) + n);
  return out;
}

describe('untranslated instruction names', () => {
  it('one entry per instruction whatever its registers; CSR instructions by CSR; illegal words as such', () => {
    const names = counted([
      0x10200073, // sret
      0x10200073,
      0x12000073, // sfence.vma x0, x0
      0x12b50073, // sfence.vma x10, x11
      0x180022f3, // csrrs x5, satp, x0
      0x18059073, // csrrw x0, satp, x11
      0xc0102573, // csrrs x10, time, x0 (rdtime)
      0x0000100f, // fence.i
      0xffffffff,
    ]);
    expect(Object.fromEntries(names)).toEqual({
      sret: 2,
      'sfence.vma': 2,
      'csrrs 0x180': 1,
      'csrrw 0x180': 1,
      'csrrs 0xc01': 1,
      'fence.i': 1,
      'illegal 0xffffffff': 1,
    });
  });
});
