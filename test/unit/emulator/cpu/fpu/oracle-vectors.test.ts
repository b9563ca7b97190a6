// Every instruction of F and D against checked-in reference vectors produced by a RISC-V FPU
// (qemu-riscv64; see test/fixtures/fpu/gen): results bit for bit and fflags, in all five modes.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkLine, type Mismatch } from './harness.js';

const fixture = new URL('../../../../fixtures/fpu/oracle-vectors.txt.gz', import.meta.url);
const lines = gunzipSync(readFileSync(fixture)).toString('utf8').trim().split('\n');
const byOp = new Map<string, string[]>();
for (const line of lines) {
  const name = line.slice(0, line.indexOf(' '));
  if (!byOp.has(name)) byOp.set(name, []);
  byOp.get(name)!.push(line);
}

describe('reference vectors (RISC-V FPU via qemu-riscv64)', () => {
  it('covers every F and D instruction', () => {
    expect(byOp.size).toBe(58);
  });
  for (const [name, vectors] of byOp) {
    it(`${name}: ${vectors.length} vectors`, () => {
      const bad: Mismatch[] = [];
      vectors.forEach((line, i) => bad.push(...checkLine(line, i)));
      expect(bad.slice(0, 5)).toEqual([]);
    });
  }
});
