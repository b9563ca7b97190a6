// Privileged-mode test fixture: code runs at a chosen privilege; traps land in recorders that copy
// the cause/epc/tval into registers and park the hart, so a test reads where and how it trapped.

import * as A from './asm.js';
import { makeMachine, RAM_BASE, type TestMachine } from './machine.js';
import type { Privilege } from '../../../../src/emulator/cpu/hart-api.js';

export const M_HANDLER = RAM_BASE + 0x3000;
export const S_HANDLER = RAM_BASE + 0x3100;
export const CODE = RAM_BASE;

/** x20/x21/x22 = mcause/mepc/mtval after an M trap; x23/x24/x25 = scause/sepc/stval after an S trap. */
export const NO_TRAP = 0xdeadn;

export interface PrivRun {
  m: TestMachine;
  mcause: bigint;
  mepc: bigint;
  mtval: bigint;
  scause: bigint;
  sepc: bigint;
  stval: bigint;
}

export function installHandlers(m: TestMachine): void {
  // WFI does not park while an interrupt is pending in mie: the jal keeps the hart here anyway.
  m.load(M_HANDLER, [A.csrr(20, A.CSR.mcause), A.csrr(21, A.CSR.mepc), A.csrr(22, A.CSR.mtval), A.wfi(), A.jal(0, 0)]);
  m.load(S_HANDLER, [A.csrr(23, A.CSR.scause), A.csrr(24, A.CSR.sepc), A.csrr(25, A.CSR.stval), A.wfi(), A.jal(0, 0)]);
}

/**
 * Reset into `priv` at CODE with mtvec/stvec on the recorders, medeleg/mideleg = `deleg` (default
 * none), then run `code` followed by a final WFI and a self-loop (a trap-free run stops there: from
 * U that WFI itself traps as illegal, which a test must expect).
 */
export function runPriv(
  priv: Privilege,
  code: (number | number[])[],
  opts: { medeleg?: bigint; mideleg?: bigint; csrs?: [number, bigint][]; budget?: number; machine?: TestMachine } = {},
): PrivRun {
  const m = opts.machine ?? makeMachine();
  installHandlers(m);
  m.load(CODE, [...code, A.wfi(), A.jal(0, 0)]);
  const h = m.hart;
  h.reset(BigInt(CODE), priv, 0n, 0n);
  h.setCsr(A.CSR.mtvec, BigInt(M_HANDLER));
  h.setCsr(A.CSR.stvec, BigInt(S_HANDLER));
  h.setCsr(A.CSR.medeleg, opts.medeleg ?? 0n);
  h.setCsr(A.CSR.mideleg, opts.mideleg ?? 0n);
  for (const [csr, v] of opts.csrs ?? []) h.setCsr(csr, v);
  for (const r of [20, 21, 22, 23, 24, 25]) h.setX(r, NO_TRAP);
  h.run(opts.budget ?? 10_000);
  return {
    m,
    mcause: m.x(20),
    mepc: m.x(21),
    mtval: m.x(22),
    scause: m.x(23),
    sepc: m.x(24),
    stval: m.x(25),
  };
}

/** Address of the n-th 32-bit word of `code` (after flattening li expansions before it). */
export function addrOf(code: (number | number[])[], index: number): bigint {
  return BigInt(CODE + 4 * code.slice(0, index).flat().length);
}
