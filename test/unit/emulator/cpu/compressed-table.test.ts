// The lazily filled RV64C expansion table (src/emulator/cpu/compressed.ts): every 16-bit pattern must
// read back exactly what expand() computes, whether or not it was filled before, and never 0 (the
// "not yet filled" marker the hot loop tests).

import { describe, expect, it } from 'vitest';
import { EXPANDED, ILLEGAL, expand, expanded } from '../../../../src/emulator/cpu/compressed.js';

describe('RV64C expansion table', () => {
  it('fills each entry on first use with expand(), ILLEGAL for reserved encodings', () => {
    let illegal = 0;
    const wrong: number[] = [];
    for (let c = 0; c < 65536; c++) {
      if ((c & 3) === 3) continue;
      const want = expand(c) || ILLEGAL;
      // First use fills the entry, the second reads the cache.
      if (expanded(c) !== want || EXPANDED[c] !== want || expanded(c) !== want || want === 0) wrong.push(c);
      if (want === ILLEGAL) illegal++;
    }
    expect(wrong).toEqual([]);
    // c.unimp (0x0000) and the reserved quadrant-0 encodings at least.
    expect(expanded(0)).toBe(ILLEGAL);
    expect(illegal).toBeGreaterThan(1000);
    // c.addi x5, 1 -> addi x5, x5, 1
    expect(expanded(0x0285)).toBe((1 << 20) | (5 << 15) | (5 << 7) | 0x13);
  });
});
