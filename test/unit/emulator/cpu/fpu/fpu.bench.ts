// Throughput of executeFp per instruction kind: `npx vitest bench --run test/unit/emulator/cpu/fpu`.
// Each iteration executes a block of 1000 instructions, so ops/s = reported hz * 1000. Use it to
// compare paths; absolute figures under vitest's harness came out several times below a plain
// node loop over the compiled module (e.g. fadd.d ~11 M/s here vs 50-90 M/s there).

import { bench, describe } from 'vitest';
import { createFpuState, executeFp } from '../../../../../src/emulator/cpu/fpu/index.js';
import { DYN, d, opFp, r4, s as boxS, setF } from './harness.js';

const BLOCK = 1000;

function setup(single: boolean) {
  const st = createFpuState();
  for (let i = 0; i < 32; i++) setF(st, i, single ? boxS(Math.fround(1 + i / 7.3)) : d(1 + i / 7.3));
  return st;
}

function case_(name: string, insn: number, single: boolean, frm = 0): void {
  const st = setup(single);
  st.frm = frm;
  const x = new Int32Array(64);
  x[10] = 12345;
  bench(name, () => {
    for (let i = 0; i < BLOCK; i++) executeFp(st, insn, x);
  });
}

describe('executeFp, 1000 instructions per iteration', () => {
  case_('fadd.d (RNE)', opFp(0x01, 2, 1, DYN, 3), false);
  case_('fmul.d (RNE)', opFp(0x09, 2, 1, DYN, 3), false);
  case_('fdiv.d (RNE)', opFp(0x0d, 2, 1, DYN, 3), false);
  case_('fsqrt.d (RNE)', opFp(0x2d, 0, 1, DYN, 3), false);
  case_('fmadd.d (RNE)', r4(0x43, 1, 4, 2, 1, DYN, 3), false);
  case_('fadd.s (RNE)', opFp(0x00, 2, 1, DYN, 3), true);
  case_('fmadd.s (RNE)', r4(0x43, 0, 4, 2, 1, DYN, 3), true);
  case_('fcvt.w.d (RTZ)', opFp(0x61, 0, 1, 1, 5), false);
  case_('feq.d', opFp(0x51, 2, 1, 2, 5), false);
  case_('fadd.d (RTZ, exact path)', opFp(0x01, 2, 1, 1, 3), false);
  case_('fmadd.d (RUP, exact path)', r4(0x43, 1, 4, 2, 1, 3, 3), false);
});
