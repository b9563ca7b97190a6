#!/usr/bin/env node
// Guest instructions per second of the builtin hart on a tight loop: the 11-instruction RV64 loop of
// ../shared/notes/measurements.md (xorshift64 slli/xor/srli, add, sd, ld, addi, bne), run bare in
// M-mode, translated through Sv39 in S-mode, and as compiled code looks (about half compressed).
// Each result is checked bit-exact against the same computation in BigInt.
// Needs the compiled code (npm run build). Env: BENCH_ITERS (default 5e6 loop iterations),
// BENCH_DIST (another build output folder).
//   node bench/cpu-loop.js          the table
//   node bench/cpu-loop.js --json   the figures as JSON
//   exports name and run({ runs }) in bench/run.js's row format (seconds for 10^8 instructions).

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = process.env.BENCH_DIST ?? join(ROOT, 'dist');
export const name = 'cpu-loop';

const RAM_BASE = 0x8000_0000;
const DATA = RAM_BASE + 0x10000;
const ROOT_PT = RAM_BASE + 0x20000;
const ITERS = Number(process.env.BENCH_ITERS ?? 5e6);
const SEED = 0x9e3779b97f4a7c15n;

// Encoders (unprivileged spec 20191213, chapter 24 and 16).
const R = (f7, rs2, rs1, f3, rd, op) => ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const I = (imm, rs1, f3, rd, op) => (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const S = (imm, rs2, rs1, f3) => ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
const B = (imm, rs2, rs1, f3) =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;
const slli = (rd, rs1, sh) => I(sh, rs1, 1, rd, 0x13);
const srli = (rd, rs1, sh) => I(sh, rs1, 5, rd, 0x13);
const addi = (rd, rs1, imm) => I(imm, rs1, 0, rd, 0x13);
const xor = (rd, a, b) => R(0, b, a, 4, rd, 0x33);
const add = (rd, a, b) => R(0, b, a, 0, rd, 0x33);
const sd = (rs2, rs1, off) => S(off, rs2, rs1, 3);
const ld = (rd, rs1, off) => I(off, rs1, 3, rd, 0x03);
const bne = (a, b, off) => B(off, b, a, 1);
const wfi = () => 0x10500073;
const lui = (rd, imm20) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37) >>> 0;
// Compressed forms (x8..x15 for the 3-bit register fields).
const cXor = (rd, rs2) => ((4 << 13) | (3 << 10) | ((rd - 8) << 7) | (1 << 5) | ((rs2 - 8) << 2) | 1) & 0xffff;
const cAdd = (rd, rs2) => ((4 << 13) | (1 << 12) | (rd << 7) | (rs2 << 2) | 2) & 0xffff;
const cSd = (rs2, rs1, off) => ((7 << 13) | (((off >> 3) & 7) << 10) | ((rs1 - 8) << 7) | (((off >> 6) & 3) << 5) | ((rs2 - 8) << 2)) & 0xffff;
const cLd = (rd, rs1, off) => ((3 << 13) | (((off >> 3) & 7) << 10) | ((rs1 - 8) << 7) | (((off >> 6) & 3) << 5) | ((rd - 8) << 2)) & 0xffff;
const cAddi = (rd, imm) => ((((imm >> 5) & 1) << 12) | (rd << 7) | ((imm & 31) << 2) | 1) & 0xffff;

/** li as lui+addi (+ shifts for 64-bit constants): [words]. */
function li(rd, v) {
  v = BigInt.asIntN(64, BigInt(v));
  if (v >= -(1n << 31n) && v < 1n << 31n) {
    const n = Number(v);
    const lo = (n << 20) >> 20;
    const hi = ((n - lo) >>> 12) & 0xfffff;
    return hi ? [lui(rd, hi), I(lo, rd, 0, rd, 0x1b)] : [addi(rd, 0, lo)];
  }
  const lo = BigInt.asIntN(12, v);
  let rest = (v - lo) >> 12n;
  let sh = 12;
  while ((rest & 1n) === 0n) {
    rest >>= 1n;
    sh++;
  }
  return [...li(rd, rest), slli(rd, rd, sh), ...(lo ? [addi(rd, rd, Number(lo))] : [])];
}

/** The loop as [{ bits, size }]: x8 = sum, x9 = loaded back, x10 = DATA, x11 = counter, x12 = state. */
function program(compressed) {
  const w = (bits) => ({ bits, size: 4 });
  const c = (bits) => ({ bits, size: 2 });
  const pre = [...li(12, SEED), ...li(11, ITERS), ...li(10, DATA), addi(8, 0, 0)].map(w);
  const body = compressed
    ? [w(slli(13, 12, 13)), c(cXor(12, 13)), w(srli(13, 12, 7)), c(cXor(12, 13)), w(slli(13, 12, 17)), c(cXor(12, 13)), c(cAdd(8, 12)), c(cSd(8, 10, 0)), c(cLd(9, 10, 0)), c(cAddi(11, -1))]
    : [w(slli(13, 12, 13)), w(xor(12, 12, 13)), w(srli(13, 12, 7)), w(xor(12, 12, 13)), w(slli(13, 12, 17)), w(xor(12, 12, 13)), w(add(8, 8, 12)), w(sd(8, 10, 0)), w(ld(9, 10, 0)), w(addi(11, 11, -1))];
  const bodySize = body.reduce((s, i) => s + i.size, 0);
  return [...pre, ...body, w(bne(11, 0, -bodySize)), w(wfi())];
}

function expected() {
  let s = SEED;
  let sum = 0n;
  const m = (1n << 64n) - 1n;
  for (let i = 0; i < ITERS; i++) {
    s ^= (s << 13n) & m;
    s ^= s >> 7n;
    s ^= (s << 17n) & m;
    sum = (sum + s) & m;
  }
  return sum;
}

async function measure(mode, compressed, jit) {
  const { Ram } = await import(join(DIST, 'emulator/machine/ram.js'));
  const { Bus } = await import(join(DIST, 'emulator/machine/bus.js'));
  const { Hart } = await import(join(DIST, 'emulator/cpu/hart.js'));
  const ram = new Ram(RAM_BASE, 1 << 20);
  const bus = new Bus(ram);
  const hart = new Hart(0, { bus, clock: { now: () => 0 } });
  if (hart.jit) hart.jit.threshold = jit ? 16 : 0;
  let a = RAM_BASE;
  for (const { bits, size } of program(compressed)) {
    if (size === 4) ram.view.setUint32(a - RAM_BASE, bits, true);
    else ram.view.setUint16(a - RAM_BASE, bits, true);
    a += size;
  }
  hart.reset(BigInt(RAM_BASE), mode === 'sv39' ? 1 : 3, 0n, 0n);
  if (mode === 'sv39') {
    // One 1 GiB leaf identity-maps RAM: V R W X A D.
    ram.view.setBigUint64(ROOT_PT - RAM_BASE + 2 * 8, (BigInt(RAM_BASE >>> 12) << 10n) | 0xcfn, true);
    hart.setCsr(0x180, (8n << 60n) | BigInt(ROOT_PT >>> 12));
  }
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let n = 0;
  while (!hart.waiting && n < ITERS * 20) n += hart.run(1_000_000);
  const dt = (performance.now() - t0) / 1000;
  const c1 = process.cpuUsage(c0);
  const cpu = (c1.user + c1.system) / 1e6;
  const ok = hart.getX(8) === expected();
  // Per CPU-second too: on a shared machine, wall time includes other processes' turns.
  return { n, dt, mips: n / dt / 1e6, cpuMips: n / cpu / 1e6, ok };
}

const CASES = [
  ['M-mode, bare, 32-bit encodings', 'bare', false, false],
  ['S-mode, Sv39, 32-bit encodings', 'sv39', false, false],
  ['S-mode, Sv39, mixed 16/32-bit', 'sv39', true, false],
  ['S-mode, Sv39, mixed, WebAssembly regions (threshold 16)', 'sv39', true, true],
];

export async function run() {
  if (!existsSync(join(DIST, 'emulator/cpu/hart.js'))) throw new Error('run `npm run build` first (dist/ is missing)');
  const rows = [];
  for (const [label, mode, compressed, jit] of CASES) {
    const r = await measure(mode, compressed, jit);
    if (!r.ok) throw new Error(`${label}: wrong result (the hart computed a different checksum)`);
    rows.push({ bench: `cpu loop: ${label}`, ours: (r.dt / r.n) * 1e8, detail: `${r.mips.toFixed(1)} M guest instr/s wall, ${r.cpuMips.toFixed(1)} per CPU-second (${r.n} instructions)` });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await run();
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
  else for (const r of rows) console.log(`${r.bench.padEnd(56)} ${r.detail}`);
}
