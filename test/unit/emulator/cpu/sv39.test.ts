// Sv39 on the hart: page walks through 4 KiB, 2 MiB and 1 GiB leaves, A/D updates in memory, every
// page-fault kind with stval, U/SUM, MXR, MPRV, non-canonical addresses, misaligned superpages,
// access faults during the walk, sfence.vma/satp flushing and TLB separation between privilege
// contexts (privileged spec v1.12, 4.3-4.4).

import { describe, expect, it } from 'vitest';
import * as A from './asm.js';
import { makeMachine, RAM_BASE, u64, type TestMachine } from './machine.js';
import { CODE, NO_TRAP, runPriv } from './priv-harness.js';
import { PRIV_M, PRIV_S, PRIV_U } from '../../../../src/emulator/cpu/hart-api.js';

const V = 1;
const R = 2;
const W = 4;
const X = 8;
const U = 16;
const AC = 64;
const D = 128;

const ROOT = RAM_BASE + 0x100000;
const DATA = RAM_BASE + 0x200000; // physical pages the tests map
const VA = 0x40000000n; // a virtual page outside the identity-mapped gigapage

class PageTables {
  next = ROOT + 0x1000;
  constructor(readonly m: TestMachine) {}
  get satp(): bigint {
    return (8n << 60n) | BigInt(ROOT >>> 12);
  }
  pteAddr(va: bigint, level: number): number {
    let table = ROOT;
    for (let l = 2; l > level; l--) {
      const a = table + Number((va >> BigInt(12 + 9 * l)) & 0x1ffn) * 8;
      let pte = this.m.read64(a);
      if ((pte & 1n) === 0n) {
        const page = this.next;
        this.next += 0x1000;
        pte = (BigInt(page >>> 12) << 10n) | 1n;
        this.m.write64(a, pte);
      }
      table = Number((pte >> 10n) << 12n);
    }
    return table + Number((va >> BigInt(12 + 9 * level)) & 0x1ffn) * 8;
  }
  map(va: bigint, pa: number | bigint, flags: number, level = 0): number {
    const a = this.pteAddr(va, level);
    this.m.write64(a, ((BigInt(pa) >> 12n) << 10n) | BigInt(flags));
    return a;
  }
  pte(va: bigint, level = 0): bigint {
    return this.m.read64(this.pteAddr(va, level));
  }
}

/** A machine whose RAM gigapage (0x8000_0000) is identity-mapped for S (or U) execution. */
function setup(opts: { userCode?: boolean } = {}): { m: TestMachine; pt: PageTables } {
  const m = makeMachine({ ramSize: 4 * 1024 * 1024 });
  const pt = new PageTables(m);
  pt.map(BigInt(RAM_BASE), RAM_BASE, V | R | W | X | AC | D | (opts.userCode ? U : 0), 2);
  return { m, pt };
}

function go(m: TestMachine, pt: PageTables, priv: 0 | 1 | 3, code: (number | number[])[], mstatus = 0n, medeleg = 0n) {
  return runPriv(priv, code, {
    machine: m,
    medeleg,
    csrs: [
      [A.CSR.satp, pt.satp],
      [A.CSR.mstatus, mstatus | (1n << 13n)],
    ],
  });
}

describe('translation', () => {
  it('4 KiB page: load/store reach the mapped physical page; A then D are set in the PTE', () => {
    const { m, pt } = setup();
    pt.map(VA, DATA, V | R | W);
    m.write64(DATA + 8, 0x1122334455667788n);
    const r = go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 8)]);
    expect(r.mcause).toBe(NO_TRAP);
    expect(m.x(5)).toBe(0x1122334455667788n);
    expect(pt.pte(VA) & BigInt(AC | D)).toBe(BigInt(AC));
    const r2 = go(m, pt, PRIV_S, [A.li(10, VA), A.li(6, 42), A.sd(6, 10, 16)]);
    expect(r2.mcause).toBe(NO_TRAP);
    expect(m.read64(DATA + 16)).toBe(42n);
    expect(pt.pte(VA) & BigInt(AC | D)).toBe(BigInt(AC | D));
  });
  it('2 MiB and 1 GiB leaves keep the low VPN bits of the address', () => {
    const { m, pt } = setup();
    pt.map(0x40200000n, RAM_BASE + 0x200000, V | R | AC, 1); // megapage
    pt.map(0xc0000000n, RAM_BASE, V | R | AC, 2); // gigapage -> RAM
    m.write64(RAM_BASE + 0x200000 + 0x12348, 0xabcn);
    m.write64(RAM_BASE + 0x312340, 0xdefn);
    const r = go(m, pt, PRIV_S, [A.li(10, 0x40200000n + 0x12348n), A.ld(5, 10, 0), A.li(10, 0xc0312340n), A.ld(6, 10, 0)]);
    expect(r.mcause).toBe(NO_TRAP);
    expect(m.x(5)).toBe(0xabcn);
    expect(m.x(6)).toBe(0xdefn);
  });
  it('high (negative) canonical addresses translate through VPN[2] = 0x1ff', () => {
    const { m, pt } = setup();
    const hiVa = 0xffffffffc0001000n;
    pt.map(hiVa, DATA, V | R | AC);
    m.write64(DATA, 77n);
    const r = go(m, pt, PRIV_S, [A.li(10, hiVa), A.ld(5, 10, 0)]);
    expect(r.mcause).toBe(NO_TRAP);
    expect(m.x(5)).toBe(77n);
  });
  it('MPRV makes M-mode loads/stores translate with MPP privilege; fetches stay untranslated', () => {
    const { m, pt } = setup();
    pt.map(VA, DATA, V | R | W | AC | D);
    m.write64(DATA, 5n);
    const mprvS = (1n << 17n) | (1n << 11n);
    const r = go(m, pt, PRIV_M, [A.li(10, VA), A.ld(5, 10, 0)], mprvS);
    expect(r.mcause).toBe(NO_TRAP);
    expect(m.x(5)).toBe(5n);
    // MPP = U: the page is not a U page -> load page fault
    const r2 = go(m, pt, PRIV_M, [A.li(10, VA), A.ld(5, 10, 0)], 1n << 17n);
    expect(r2.mcause).toBe(13n);
  });
  it('misaligned accesses succeed in S-mode, also across two mapped pages', () => {
    const { m, pt } = setup();
    pt.map(VA, DATA, V | R | W | AC | D);
    pt.map(VA + 0x1000n, DATA + 0x3000, V | R | W | AC | D);
    m.write32(DATA + 0xffc, 0x44332211);
    m.write32(DATA + 0x3000, 0x88776655);
    const r = go(m, pt, PRIV_S, [A.li(10, VA + 0xffcn), A.ld(5, 10, 0), A.lw(6, 10, 2), A.li(7, -1), A.sd(7, 10, 1)]);
    expect(r.mcause).toBe(NO_TRAP);
    expect(m.x(5)).toBe(0x8877665544332211n);
    expect(m.x(6)).toBe(0x66554433n);
    expect(m.read32(DATA + 0xffc)).toBe(0xffffff11);
    expect(m.read32(DATA + 0x3000)).toBe(0xffffffff);
    expect(m.read32(DATA + 0x3004)).toBe(0xff); // bytes 0xffd..0x1004: the last one lands at 0x3004
  });
});

describe('page faults', () => {
  it('invalid PTE: load 13, store 15, fetch 12, with the faulting virtual address', () => {
    const { m, pt } = setup();
    let r = go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 0x10)]);
    expect([r.mcause, r.mtval]).toEqual([13n, VA + 0x10n]);
    r = go(m, pt, PRIV_S, [A.li(10, VA), A.sb(5, 10, 3)]);
    expect([r.mcause, r.mtval]).toEqual([15n, VA + 3n]);
    r = go(m, pt, PRIV_S, [A.li(10, VA), A.jalr(0, 10, 0x24)]);
    expect([r.mcause, r.mepc, r.mtval]).toEqual([12n, VA + 0x24n, VA + 0x24n]);
  });
  it('permissions: store to read-only, fetch from non-executable, W without R is reserved', () => {
    const { m, pt } = setup();
    pt.map(VA, DATA, V | R | AC | D);
    expect(go(m, pt, PRIV_S, [A.li(10, VA), A.sd(0, 10, 0)]).mcause).toBe(15n);
    expect(go(m, pt, PRIV_S, [A.li(10, VA), A.jalr(0, 10, 0)]).mcause).toBe(12n);
    pt.map(VA, DATA, V | W | AC | D);
    expect(go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 0)]).mcause).toBe(13n);
  });
  it('reserved PTE bits 63:54 and a pointer PTE at level 0 fault', () => {
    const { m, pt } = setup();
    const a = pt.map(VA, DATA, V | R | AC);
    m.write64(a, m.read64(a) | (1n << 60n));
    expect(go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 0)]).mcause).toBe(13n);
    pt.map(VA, DATA, V); // non-leaf at the last level
    expect(go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 0)]).mcause).toBe(13n);
  });
  it('a misaligned superpage faults', () => {
    const { m, pt } = setup();
    pt.map(0x40200000n, RAM_BASE + 0x201000, V | R | AC, 1); // 2 MiB leaf, ppn[0] != 0
    expect(go(m, pt, PRIV_S, [A.li(10, 0x40200000n), A.ld(5, 10, 0)]).mcause).toBe(13n);
    pt.map(0x1c0000000n, RAM_BASE + 0x200000, V | R | AC, 2); // 1 GiB leaf, ppn[1:0] != 0
    expect(go(m, pt, PRIV_S, [A.li(10, 0x1c0000000n), A.ld(5, 10, 0)]).mcause).toBe(13n);
  });
  it('non-canonical addresses fault with the full address in stval', () => {
    const { m, pt } = setup();
    for (const va of [0x4000000000n, 0x8000000000000000n, 0xffffffbfffffff00n, 0x0000010000000000n]) {
      const r = go(m, pt, PRIV_S, [A.li(10, va), A.ld(5, 10, 0)]);
      expect(r.mcause).toBe(13n);
      expect(r.mtval).toBe(va);
    }
    const r = go(m, pt, PRIV_S, [A.li(10, 0x4000000000n), A.jalr(0, 10, 0)]);
    expect([r.mcause, r.mtval]).toEqual([12n, 0x4000000000n]);
  });
  it('a misaligned access whose second page is unmapped faults on that page', () => {
    const { m, pt } = setup();
    pt.map(VA, DATA, V | R | W | AC | D);
    const r = go(m, pt, PRIV_S, [A.li(10, VA + 0xffcn), A.ld(5, 10, 0)]);
    expect(r.mcause).toBe(13n);
    expect(r.mtval).toBe(VA + 0x1000n);
    m.write64(DATA + 0xff8, 0n);
    const r2 = go(m, pt, PRIV_S, [A.li(10, VA + 0xffcn), A.li(6, -1), A.sd(6, 10, 0)]);
    expect(r2.mcause).toBe(15n);
    expect(m.read64(DATA + 0xff8)).toBe(0n); // nothing written on the first page either
  });
  it('delegated page faults arrive in S with stval', () => {
    const { m, pt } = setup();
    const r = go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 8)], 0n, 1n << 13n);
    expect(r.mcause).toBe(NO_TRAP);
    expect([r.scause, r.stval]).toEqual([13n, VA + 8n]);
  });
});

describe('U bit, SUM and MXR', () => {
  it('S-mode loads from U pages need SUM; S can never execute U pages', () => {
    const { m, pt } = setup();
    pt.map(VA, DATA, V | R | W | X | U | AC | D);
    m.write64(DATA, 9n);
    expect(go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 0)]).mcause).toBe(13n);
    expect(go(m, pt, PRIV_S, [A.li(10, VA), A.sd(5, 10, 0)]).mcause).toBe(15n);
    const SUM = 1n << 18n;
    const ok = go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 0)], SUM);
    expect(ok.mcause).toBe(NO_TRAP);
    expect(m.x(5)).toBe(9n);
    expect(go(m, pt, PRIV_S, [A.li(10, VA), A.jalr(0, 10, 0)], SUM).mcause).toBe(12n);
  });
  it('U-mode cannot touch non-U pages', () => {
    const { m, pt } = setup({ userCode: true });
    pt.map(VA, DATA, V | R | W | AC | D);
    expect(go(m, pt, PRIV_U, [A.li(10, VA), A.ld(5, 10, 0)]).mcause).toBe(13n);
    pt.map(VA, DATA, V | R | W | U | AC | D);
    const r = go(m, pt, PRIV_U, [A.li(10, VA), A.ld(5, 10, 0)]);
    expect(r.mcause).toBe(2n); // only the final WFI (illegal in U) traps
  });
  it('MXR lets loads read execute-only pages', () => {
    const { m, pt } = setup();
    pt.map(VA, DATA, V | X | AC);
    m.write64(DATA, 3n);
    expect(go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 0)]).mcause).toBe(13n);
    const r = go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 0)], 1n << 19n);
    expect(r.mcause).toBe(NO_TRAP);
    expect(m.x(5)).toBe(3n);
  });
  it('translated code sees SUM set by a CSR write in a region: its user-page stores stay on the inline TLB path', () => {
    // The kernel sets sstatus.SUM around each copy to user memory. A region leaves after that write
    // (translate.ts interpretOne); the regions after it must check their TLB hits in the new context,
    // or every store of the copy takes the slow path (correct, but slow).
    const { m, pt } = setup();
    pt.map(VA, DATA, V | R | W | U | AC | D);
    m.hart.jit.threshold = 1;
    m.hart.jit.syncCompile = true;
    const TURNS = 500;
    const r = runPriv(PRIV_S, [A.li(10, VA), A.li(11, 1n << 18n), A.csrrs(0, A.CSR.sstatus, 11), A.li(12, TURNS), A.sd(12, 10, 0), A.addi(12, 12, -1), A.bne(12, 0, -8)], {
      machine: m,
      budget: 100_000,
      csrs: [
        [A.CSR.satp, pt.satp],
        [A.CSR.mstatus, 1n << 13n],
      ],
    });
    expect(r.mcause).toBe(NO_TRAP);
    expect(m.read64(DATA)).toBe(1n);
    expect(m.hart.jit.stats.translatedInsns).toBeGreaterThan(2 * TURNS);
    expect(m.hart.jit.stats.slowAccesses).toBeLessThan(10);
  });
  it('cached translations do not leak across a trap from U to S (TLB context)', () => {
    const m = makeMachine();
    const pt = new PageTables(m);
    // U code in 4 KiB U pages; the S handler on a page without U.
    for (let p = 0; p < 3; p++) pt.map(BigInt(CODE + p * 0x1000), CODE + p * 0x1000, V | R | X | U | AC | D);
    const sHandler = RAM_BASE + 0x5000;
    pt.map(BigInt(sHandler), sHandler, V | R | X | AC | D);
    pt.map(VA, DATA, V | R | W | U | AC | D);
    m.write64(DATA, 11n);
    // U loads the U page (now cached for U), then ecall -> S handler loads it with SUM = 0: must fault.
    m.load(sHandler, [A.csrr(23, A.CSR.scause), A.ld(6, 10, 0), A.wfi()]);
    const r = runPriv(PRIV_U, [A.li(10, VA), A.ld(5, 10, 0), A.ecall()], {
      machine: m,
      medeleg: (1n << 8n) | (1n << 13n),
      csrs: [
        [A.CSR.satp, pt.satp],
        [A.CSR.stvec, BigInt(sHandler)],
      ],
    });
    expect(r.mcause).toBe(NO_TRAP);
    expect(m.x(5)).toBe(11n);
    // the handler ran for the ecall, and its own load faulted (13) back into S with stval = VA
    expect(m.hart.getCsr(A.CSR.scause)).toBe(13n);
    expect(m.hart.getCsr(A.CSR.stval)).toBe(VA);
    expect(m.x(6)).toBe(0n);
  });
});

describe('flushing and access faults', () => {
  it('after changing a PTE, sfence.vma (all, or by address) makes the new mapping visible', () => {
    const { m, pt } = setup();
    const a = pt.map(VA, DATA, V | R | AC);
    m.write64(DATA, 1n);
    m.write64(DATA + 0x1000, 2n);
    const newPte = ((BigInt(DATA + 0x1000) >> 12n) << 10n) | BigInt(V | R | AC);
    for (const fence of [A.sfenceVma(0, 0), A.sfenceVma(10, 0)]) {
      m.write64(a, ((BigInt(DATA) >> 12n) << 10n) | BigInt(V | R | AC));
      const r = go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 0), A.li(11, a), A.li(12, newPte), A.sd(12, 11, 0), fence, A.ld(6, 10, 0)]);
      expect(r.mcause).toBe(NO_TRAP);
      expect([m.x(5), m.x(6)]).toEqual([1n, 2n]);
    }
  });
  it('sfence.vma of one address inside a 2 MiB page drops every cached slice of it', () => {
    const { m, pt } = setup();
    const big = 0x40200000n; // a 2 MiB-aligned virtual superpage
    const a = pt.map(big, DATA, V | R | AC, 1);
    m.write64(DATA, 1n);
    m.write64(DATA + 0x1000, 2n);
    const moved = ((BigInt(RAM_BASE) >> 12n) << 10n) | BigInt(V | R | AC); // the other 2 MiB of RAM
    // Cache two slices, move the superpage, fence by the second slice's address, read both again.
    const r = go(m, pt, PRIV_S, [
      A.li(10, big), A.ld(5, 10, 0), A.li(13, big + 0x1000n), A.ld(6, 13, 0),
      A.li(11, a), A.li(12, moved), A.sd(12, 11, 0), A.sfenceVma(13, 0),
      A.ld(7, 10, 0), A.ld(8, 13, 0),
    ]);
    expect(r.mcause).toBe(NO_TRAP);
    expect([m.x(5), m.x(6)]).toEqual([1n, 2n]);
    expect([m.x(7), m.x(8)]).toEqual([m.read64(RAM_BASE), m.read64(RAM_BASE + 0x1000)]);
    expect(m.x(8)).not.toBe(2n);
  });
  it('sfence.vma of an address outside every cached superpage keeps their entries', () => {
    const { m, pt } = setup();
    pt.map(VA, DATA, V | R | AC);
    m.write64(DATA, 5n);
    // The code runs from the identity-mapped gigapage: its fetch entries are slices of it. A fence of
    // a 4 KiB page elsewhere must not flush them; a fence anywhere inside the gigapage must.
    const r = go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 0), A.sfenceVma(10, 0)]);
    expect(r.mcause).toBe(NO_TRAP);
    const tlb = m.hart.tlb;
    const cached = (): number => tlb.fetchTag.filter((t, i) => i % 2 === 0 && t !== 0).length;
    expect(cached()).toBeGreaterThan(0);
    tlb.flushPage(Number(VA) + 0x3ff000, 0);
    expect(cached()).toBeGreaterThan(0);
    tlb.flushPage((RAM_BASE + 0x3ff000) | 0, 0); // another slot, inside the gigapage
    expect(cached()).toBe(0);
  });
  it('a satp write switches address spaces', () => {
    const { m, pt } = setup();
    pt.map(VA, DATA, V | R | AC);
    m.write64(DATA, 1n);
    // a second root that maps the code gigapage and VA elsewhere
    const root2 = RAM_BASE + 0x180000;
    m.write64(root2 + 2 * 8, ((BigInt(RAM_BASE) >> 12n) << 10n) | BigInt(V | R | W | X | AC | D));
    m.write64(root2 + 1 * 8, ((BigInt(RAM_BASE + 0x181000) >> 12n) << 10n) | BigInt(V));
    m.write64(RAM_BASE + 0x181000, ((BigInt(RAM_BASE + 0x182000) >> 12n) << 10n) | BigInt(V));
    m.write64(RAM_BASE + 0x182000, ((BigInt(DATA + 0x1000) >> 12n) << 10n) | BigInt(V | R | AC));
    m.write64(DATA + 0x1000, 2n);
    const satp2 = (8n << 60n) | BigInt(root2 >>> 12);
    const r = go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 0), A.li(11, satp2), A.csrw(A.CSR.satp, 11), A.ld(6, 10, 0)]);
    expect(r.mcause).toBe(NO_TRAP);
    expect([m.x(5), m.x(6)]).toEqual([1n, 2n]);
  });
  it('a page table outside RAM gives access faults of the access kind', () => {
    const m = makeMachine();
    const bad = (8n << 60n) | (0x1000n >> 12n); // root table at physical 0x1000: nothing there
    const r = runPriv(PRIV_S, [A.nop()], { machine: m, csrs: [[A.CSR.satp, bad]] });
    expect(r.mcause).toBe(1n);
    expect(r.mepc).toBe(BigInt(CODE));
    // from M (untranslated code) with MPRV: loads and stores walk the bad table
    const mprv = (1n << 17n) | (1n << 11n);
    const code = (op: number) => [A.li(10, 0x1000), op];
    expect(runPriv(PRIV_M, code(A.ld(5, 10, 0)), { machine: m, csrs: [[A.CSR.satp, bad], [A.CSR.mstatus, mprv]] }).mcause).toBe(5n);
    expect(runPriv(PRIV_M, code(A.sd(5, 10, 0)), { machine: m, csrs: [[A.CSR.satp, bad], [A.CSR.mstatus, mprv]] }).mcause).toBe(7n);
  });
  it('a leaf pointing outside RAM gives an access fault with the virtual address', () => {
    const { m, pt } = setup();
    pt.map(VA, 0x5000, V | R | W | AC | D);
    const r = go(m, pt, PRIV_S, [A.li(10, VA), A.ld(5, 10, 0x18)]);
    expect([r.mcause, r.mtval]).toEqual([5n, VA + 0x18n]);
  });
  it('M-mode ignores satp', () => {
    const { m, pt } = setup();
    const r = go(m, pt, PRIV_M, [A.li(10, RAM_BASE + 0x200000), A.ld(5, 10, 0)]);
    expect(r.mcause).toBe(NO_TRAP);
    void u64;
  });
});
