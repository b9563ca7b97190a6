// Bare-metal ISA programs (test/engine/isa) on the builtin hart, checked against expectations.txt;
// the committed binaries against a rebuild; and the same programs on qemu-system-riscv64 when
// it is installed (the reference they were validated on).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProgram, type Outcome } from './isa/run-program.js';

const ISA_DIR = fileURLToPath(new URL('./isa/', import.meta.url));
const BIN_DIR = join(ISA_DIR, 'bin');
const programs = readdirSync(BIN_DIR)
  .filter((f) => f.endsWith('.elf'))
  .map((f) => f.slice(0, -'.elf'.length))
  .sort();

/** program -> { qemu, builtin } outcomes from expectations.txt (absent = pass on both). */
function readExpectations(): Map<string, { qemu: Outcome; builtin: Outcome }> {
  const parse = (s: string): Outcome => (s === 'pass' || s === 'hang' ? s : Number(s));
  const map = new Map<string, { qemu: Outcome; builtin: Outcome }>();
  for (const line of readFileSync(join(ISA_DIR, 'expectations.txt'), 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [name, qemu, builtin] = line.trim().split(/\s+/);
    map.set(name!, { qemu: parse(qemu!), builtin: parse(builtin!) });
  }
  return map;
}
const expectations = readExpectations();

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

describe('ISA programs on the builtin hart', () => {
  it('has the programs', () => {
    expect(programs.length).toBeGreaterThanOrEqual(14);
  });

  // Interpreted, and with every entry point translated to WebAssembly at its first execution.
  for (const [mode, threshold] of [['interpreted', 0], ['translated', 1]] as const) {
    for (const name of programs) {
      const expected = expectations.get(name)?.builtin ?? 'pass';
      it(`${name} ${expected === 'pass' ? 'passes' : `ends with ${expected}`} (${mode})`, () => {
        const result = runProgram(readFileSync(join(BIN_DIR, `${name}.elf`)), threshold);
        expect(result.outcome, `${name}: ${result.detail}`).toBe(expected);
      });
    }
  }
});

describe('ISA program binaries', () => {
  const toolchain = hasCommand('riscv64-linux-gnu-gcc') && hasCommand('riscv64-linux-gnu-objdump');

  it.skipIf(!toolchain)('match a rebuild from the sources', () => {
    const committed = readFileSync(join(BIN_DIR, 'TOOLCHAIN'), 'utf8').trim();
    const current = execFileSync('riscv64-linux-gnu-as', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
    const out = mkdtempSync(join(tmpdir(), 'vm-isa-'));
    try {
      // build.sh also checks that rv64c really is made of 16-bit encodings.
      execFileSync(join(ISA_DIR, 'build.sh'), [out], { stdio: 'pipe' });
      const rebuilt = readdirSync(out).filter((f) => f.endsWith('.elf')).sort();
      expect(rebuilt).toEqual(programs.map((p) => `${p}.elf`).sort());
      if (current !== committed) {
        // Another binutils may lay out the same sources differently: then only the build itself is checked.
        console.warn(`ISA binaries were built with "${committed}", this machine has "${current}": not comparing bytes`);
        return;
      }
      for (const f of rebuilt) {
        const same = Buffer.compare(readFileSync(join(out, f)), readFileSync(join(BIN_DIR, f))) === 0;
        expect(same, `${f} differs from a rebuild: run test/engine/isa/build.sh and commit bin/`).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('ISA programs on QEMU (reference)', () => {
  it.skipIf(!hasCommand('qemu-system-riscv64'))(
    'end on qemu-system-riscv64 -M virt as expectations.txt says',
    () => {
      const run = spawnSync(join(ISA_DIR, 'run-on-qemu.sh'), [], { encoding: 'utf8', timeout: 170_000 });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout.trim().split('\n')).toHaveLength(programs.length);
    },
    180_000,
  );
});
