// The interpreter's integer ALU, branch, load and store cases are generated from the instruction table (isa.ts `alu`) by
// src/emulator/cpu/interpreter-codegen.ts: execute.ts must hold exactly what the generator writes.
// The instructions' behaviour is tested where it always was (rv64i.test.ts, rv64m.test.ts, the
// differential fuzzer in jit.test.ts, isa.test.ts for which encodings are legal).

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GENERATED_BEGIN, GENERATED_END, interpreterCases, withGeneratedSection } from '../../../../src/emulator/cpu/interpreter-codegen.js';
import { INSTRUCTIONS } from '../../../../src/emulator/cpu/isa.js';

const file = fileURLToPath(new URL('../../../../src/emulator/cpu/execute.ts', import.meta.url));

describe('interpreter code generated from the instruction table', () => {
  it('execute.ts holds the generated ALU cases (VM_UPDATE_GENERATED=1 rewrites them)', () => {
    const source = readFileSync(file, 'utf8');
    const fresh = withGeneratedSection(source, interpreterCases());
    if (process.env.VM_UPDATE_GENERATED === '1') writeFileSync(file, fresh);
    expect(readFileSync(file, 'utf8') === fresh, 'isa.ts or interpreter-codegen.ts changed: run VM_UPDATE_GENERATED=1 npx vitest run test/unit/emulator/cpu/interpreter-codegen.test.ts').toBe(true);
  });

  it('every ALU, branch, integer load and store instruction of the table has its case, and the hand-written cases none', () => {
    const generated = interpreterCases();
    const described = INSTRUCTIONS.filter((s) => s.alu !== null || s.branch !== null || s.load !== null || (s.match & 0x7f) === 0x23);
    expect(described.length).toBe(41 + 6 + 7 + 4); // RV64I and M ALU, branches, loads, stores
    for (const spec of described) expect(generated, spec.name).toContain(`// ${spec.name.toUpperCase()}\n`);
    const source = readFileSync(file, 'utf8');
    const outside = source.slice(0, source.indexOf(GENERATED_BEGIN)) + source.slice(source.indexOf(GENERATED_END));
    for (const opcode of new Set(described.map((s) => s.match & 0x7f))) {
      expect(outside, `opcode 0x${opcode.toString(16)} handled by hand`).not.toContain(`// opcode 0x${opcode.toString(16)}\n`);
    }
  });

  it('refuses a source without the markers', () => {
    expect(() => withGeneratedSection('no markers here', 'x')).toThrow(/markers are missing/);
  });
});
