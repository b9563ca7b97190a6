// Test fixture: a real Ram + Bus with one or more Harts, programs loaded as instruction words.

import { Bus, type MmioDevice } from '../../../../src/emulator/memory/bus.js';
import { Ram } from '../../../../src/emulator/memory/ram.js';
import { Domain } from '../../../../src/emulator/cpu/domain.js';
import { Hart } from '../../../../src/emulator/cpu/hart.js';
import { PRIV_M, type HartControl, type Privilege } from '../../../../src/emulator/cpu/hart-api.js';
import { wfi, type Word } from './asm.js';

export const RAM_BASE = 0x8000_0000;

export interface TestMachine {
  ram: Ram;
  bus: Bus;
  /** The harts' coherence domain, built here as machine/virt.ts builds it. */
  domain: Domain;
  hart: Hart;
  harts: Hart[];
  time: { now: number };
  /** Write instruction words (32-bit, or 16-bit when < 0x10000 and marked via `half`) at `addr`. */
  load(addr: number, code: (Word | Word[])[]): number;
  loadHalves(addr: number, halves: number[]): number;
  /** Load `code` at RAM_BASE followed by a WFI, reset to it and run until the WFI parks the hart. */
  run(code: (Word | Word[])[], opts?: { priv?: Privilege; budget?: number }): number;
  x(reg: number): bigint;
  csr(num: number): bigint;
  read64(addr: number): bigint;
  write64(addr: number, v: bigint): void;
  read32(addr: number): number;
  write32(addr: number, v: number): void;
}

export function makeMachine(
  opts: { ramSize?: number; harts?: number; sbiCall?: (h: HartControl) => void; devices?: [number, number, MmioDevice][] } = {},
): TestMachine {
  const ram = new Ram(RAM_BASE, opts.ramSize ?? 4 * 1024 * 1024);
  const bus = new Bus(ram);
  for (const [base, size, dev] of opts.devices ?? []) bus.map(`dev@${base.toString(16)}`, base, size, dev);
  const time = { now: 0 };
  const domain = new Domain(ram);
  const host = { bus, clock: { now: () => time.now }, domain, sbiCall: opts.sbiCall };
  const harts: Hart[] = [];
  for (let i = 0; i < (opts.harts ?? 1); i++) harts.push(new Hart(i, host));
  // VM_TEST_JIT=N runs every test with block translation after N executions (1 = translate at once).
  const jit = process.env.VM_TEST_JIT;
  if (jit !== undefined) for (const h of harts) h.jit.threshold = Number(jit);
  const hart = harts[0];
  const m: TestMachine = {
    ram,
    bus,
    domain,
    hart,
    harts,
    time,
    load(addr, code) {
      let a = addr;
      for (const w of code.flat()) {
        ram.view.setUint32(a - RAM_BASE, w >>> 0, true);
        a += 4;
      }
      return a;
    },
    loadHalves(addr, halves) {
      let a = addr;
      for (const hw of halves) {
        ram.view.setUint16(a - RAM_BASE, hw & 0xffff, true);
        a += 2;
      }
      return a;
    },
    run(code, o = {}) {
      m.load(RAM_BASE, [...code, wfi()]);
      hart.reset(BigInt(RAM_BASE), o.priv ?? PRIV_M, 0n, 0n);
      return hart.run(o.budget ?? 100_000);
    },
    x: (reg) => BigInt.asUintN(64, hart.getX(reg)),
    csr: (num) => BigInt.asUintN(64, hart.getCsr(num)),
    read64: (addr) => ram.view.getBigUint64(addr - RAM_BASE, true),
    write64: (addr, v) => ram.view.setBigUint64(addr - RAM_BASE, BigInt.asUintN(64, v), true),
    read32: (addr) => ram.view.getUint32(addr - RAM_BASE, true),
    write32: (addr, v) => ram.view.setUint32(addr - RAM_BASE, v >>> 0, true),
  };
  return m;
}

/** Unsigned 64-bit view of a signed value, for expectations written as negative numbers. */
export const u64 = (v: bigint | number): bigint => BigInt.asUintN(64, BigInt(v));
