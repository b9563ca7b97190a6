#!/usr/bin/env node
// Guest instructions per second on a tight loop: the 11-instruction RV64 loop of
// ../shared/notes/measurements.md (xorshift64 slli/xor/srli, add, sd, ld, addi, bne), run bare in
// M-mode, translated through Sv39 in S-mode, and as compiled code looks (about half compressed).
// Three figures per case: the builtin hart as shipped (WebAssembly regions from the default
// threshold; VM_JIT_THRESHOLD applies), the builtin interpreter alone (threshold 0), and
// qemu-system-riscv64 TCG running the same loop body as a bare-metal -bios image (it sets up the
// same Sv39 mapping itself, then reports through the virt test device; its process start is taken
// out by timing a 1-iteration run of the same image). Every result is checked bit-exact against the
// same computation in BigInt (qemu's image compares and exits non-zero on a mismatch).
// Needs the compiled code (npm run build). Env: BENCH_ITERS (default 5e6 loop iterations),
// BENCH_QEMU_ITERS (default 1e8: qemu runs this loop so fast that a shorter run is mostly process start),
// BENCH_DIST (another build output folder).
//   node bench/cpu-loop.js          the table
//   node bench/cpu-loop.js --json   the figures as JSON
//   exports name and run({ runs }) in bench/run.js's row format (seconds for 10^8 instructions).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { report } from './lib/table.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = process.env.BENCH_DIST ?? join(ROOT, 'dist');
export const name = 'cpu-loop';

const RAM_BASE = 0x8000_0000;
const DATA = RAM_BASE + 0x10000;
const ROOT_PT = RAM_BASE + 0x20000;
const ITERS = Number(process.env.BENCH_ITERS ?? 5e6);
const QEMU_ITERS = Number(process.env.BENCH_QEMU_ITERS ?? 1e8);
const SEED = 0x9e3779b97f4a7c15n;
/** The virt machine's test device (qemu hw/misc/sifive_test.c): 0x5555 powers off, (code << 16) | 0x3333 exits with code. */
const VIRT_TEST = 0x100000;
/** Loop body plus its branch. */
const LOOP_INSNS = 11;

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
const auipc = (rd) => ((rd << 7) | 0x17) >>> 0;
const csrw = (csr, rs1) => I(csr, rs1, 1, 0, 0x73);
const csrs = (csr, rs1) => I(csr, rs1, 2, 0, 0x73);
const sw = (rs2, rs1, off) => S(off, rs2, rs1, 2);
const beq = (a, b, off) => B(off, b, a, 0);
const mret = () => 0x30200073;
const jSelf = () => 0x6f;
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

/**
 * The loop as [{ bits, size }]: x8 = sum, x9 = loaded back, x10 = DATA, x11 = counter, x12 = state.
 * `target` 'builtin' ends in wfi (the host set up paging and reads x8); 'qemu' sets up paging itself
 * for Sv39 (PMP open to S-mode, the page table below, satp, mret into S) and ends by comparing x8
 * with the expected sum and reporting through the test device.
 */
function program(compressed, iters, { target = 'builtin', mode = 'bare' } = {}) {
  const w = (bits) => ({ bits, size: 4 });
  const c = (bits) => ({ bits, size: 2 });
  const pre = [...li(12, SEED), ...li(11, iters), ...li(10, DATA), addi(8, 0, 0)].map(w);
  const body = compressed
    ? [w(slli(13, 12, 13)), c(cXor(12, 13)), w(srli(13, 12, 7)), c(cXor(12, 13)), w(slli(13, 12, 17)), c(cXor(12, 13)), c(cAdd(8, 12)), c(cSd(8, 10, 0)), c(cLd(9, 10, 0)), c(cAddi(11, -1))]
    : [w(slli(13, 12, 13)), w(xor(12, 12, 13)), w(srli(13, 12, 7)), w(xor(12, 12, 13)), w(slli(13, 12, 17)), w(xor(12, 12, 13)), w(add(8, 8, 12)), w(sd(8, 10, 0)), w(ld(9, 10, 0)), w(addi(11, 11, -1))];
  const bodySize = body.reduce((s, i) => s + i.size, 0);
  const loop = [...body, w(bne(11, 0, -bodySize))];
  if (target === 'builtin') return [...pre, ...loop, w(wfi())];
  const setup = [];
  if (mode === 'sv39') {
    setup.push(
      // pmpaddr0 all ones with A=NAPOT: one PMP entry opening all memory to S-mode (privileged spec 3.7)
      addi(5, 0, -1), csrw(0x3b0, 5), addi(5, 0, 0x1f), csrw(0x3a0, 5),
      // gigapage 0 (the test device) and gigapage 2 (RAM), identity-mapped: V R W X A D
      ...li(6, ROOT_PT), ...li(5, 0xcf), sd(5, 6, 0), ...li(5, (BigInt(RAM_BASE >>> 12) << 10n) | 0xcfn), sd(5, 6, 16),
      ...li(5, (8n << 60n) | BigInt(ROOT_PT >>> 12)), csrw(0x180, 5),
      // mstatus.MPP = S, mepc = the instruction after mret
      ...li(5, 0x800), csrs(0x300, 5), auipc(5), addi(5, 5, 16), csrw(0x341, 5), mret(),
    );
  }
  // exit 0 when x8 is the expected sum, else exit 1 (lui+addi: two instructions, skipped by the beq)
  const fail = [lui(6, 0x13), addi(6, 6, 0x333)];
  const check = [...li(5, VIRT_TEST), ...li(6, 0x5555), ...li(14, expected(iters)), beq(8, 14, 4 + 4 * fail.length), ...fail, sw(6, 5, 0), jSelf()];
  return [...setup.map(w), ...pre, ...loop, ...check.map(w)];
}

/** x8 after `iters` iterations, computed in 32-bit halves (BigInt is too slow for qemu's iteration count). */
const sums = new Map();
function expected(iters) {
  if (sums.has(iters)) return sums.get(iters);
  let hi = Number(SEED >> 32n) >>> 0;
  let lo = Number(SEED & 0xffffffffn) >>> 0;
  let sHi = 0;
  let sLo = 0;
  for (let i = 0; i < iters; i++) {
    hi = (hi ^ ((hi << 13) | (lo >>> 19))) >>> 0; // s ^= s << 13
    lo = (lo ^ (lo << 13)) >>> 0;
    lo = (lo ^ ((lo >>> 7) | (hi << 25))) >>> 0; // s ^= s >> 7
    hi = (hi ^ (hi >>> 7)) >>> 0;
    hi = (hi ^ ((hi << 17) | (lo >>> 15))) >>> 0; // s ^= s << 17
    lo = (lo ^ (lo << 17)) >>> 0;
    const l = sLo + lo; // sum += s
    sLo = l >>> 0;
    sHi = (sHi + hi + (l > 0xffffffff ? 1 : 0)) >>> 0;
  }
  const sum = (BigInt(sHi) << 32n) | BigInt(sLo);
  sums.set(iters, sum);
  return sum;
}

/** The translation threshold of the "ours" figure: VM_JIT_THRESHOLD when set, else the hart's default. */
function shippedThreshold() {
  const env = process.env.VM_JIT_THRESHOLD;
  return env !== undefined && /^\d+$/.test(env) ? Number(env) : undefined;
}

async function measure(mode, compressed, interpreter) {
  await import(join(DIST, 'engines/builtin/builtin-machine.js')); // its V8 flags for translated code, as the engine runs
  const { Ram } = await import(join(DIST, 'emulator/memory/ram.js'));
  const { Bus } = await import(join(DIST, 'emulator/memory/bus.js'));
  const { Domain } = await import(join(DIST, 'emulator/cpu/domain.js'));
  const { Hart } = await import(join(DIST, 'emulator/cpu/hart.js'));
  const { warmUpInterpreter } = await import(join(DIST, 'emulator/machine/warmup.js'));
  // As the board does before it builds its harts (machine/virt.ts).
  warmUpInterpreter();
  const ram = new Ram(RAM_BASE, 1 << 20);
  const bus = new Bus(ram);
  const hart = new Hart(0, { bus, clock: { now: () => 0 }, domain: new Domain(ram) });
  if (interpreter) hart.jit.threshold = 0;
  else if (shippedThreshold() !== undefined) hart.jit.threshold = shippedThreshold();
  let a = RAM_BASE;
  for (const { bits, size } of program(compressed, ITERS)) {
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
  // Between slices the event loop turns, as the machine's scheduler lets it: batches of translated
  // code are compiled in the background and installed there.
  while (!hart.waiting && n < ITERS * 20) {
    n += hart.run(1_000_000);
    await new Promise((r) => setImmediate(r));
  }
  const dt = (performance.now() - t0) / 1000;
  const c1 = process.cpuUsage(c0);
  const cpu = (c1.user + c1.system) / 1e6;
  const ok = hart.getX(8) === expected(ITERS);
  // Per CPU-second too: on a shared machine, wall time includes other processes' turns.
  return { n, dt, mips: n / dt / 1e6, cpuMips: n / cpu / 1e6, ok };
}

/** Wall seconds of one qemu run of the image for `iters` iterations; throws unless it reports the right sum. */
function qemuOnce(dir, mode, compressed, iters) {
  const file = join(dir, `loop-${mode}-${compressed ? 'c' : 'w'}-${iters}.bin`);
  const words = program(compressed, iters, { target: 'qemu', mode });
  const buf = Buffer.alloc(words.reduce((s, i) => s + i.size, 0));
  let a = 0;
  for (const { bits, size } of words) {
    if (size === 4) buf.writeUInt32LE(bits, a);
    else buf.writeUInt16LE(bits, a);
    a += size;
  }
  writeFileSync(file, buf);
  const t0 = performance.now();
  const r = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-m', '256', '-nodefaults', '-display', 'none', '-bios', file], { encoding: 'utf8', timeout: 120_000 });
  const dt = (performance.now() - t0) / 1000;
  if (r.error) throw new Error(`qemu-system-riscv64: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`qemu-system-riscv64 ran the loop image to status ${r.status} (1 = wrong checksum): ${r.stderr.trim().slice(-300)}`);
  return dt;
}

/** qemu TCG on the same loop: (run of QEMU_ITERS - run of 1 iteration), best of 3 each. */
function measureQemu(dir, mode, compressed) {
  const best = (iters) => Math.min(...[0, 1, 2].map(() => qemuOnce(dir, mode, compressed, iters)));
  const base = best(1);
  const full = best(QEMU_ITERS);
  const n = (QEMU_ITERS - 1) * LOOP_INSNS;
  const dt = Math.max(full - base, 1e-6);
  return { n, dt, mips: n / dt / 1e6, base };
}

const CASES = [
  ['M-mode, bare, 32-bit encodings', 'bare', false],
  ['S-mode, Sv39, 32-bit encodings', 'sv39', false],
  ['S-mode, Sv39, mixed 16/32-bit', 'sv39', true],
];

export const keys = ['cpu-loop'];

export async function run() {
  if (!existsSync(join(DIST, 'emulator/cpu/hart.js'))) throw new Error('run `npm run build` first (dist/ is missing)');
  const haveQemu = spawnSync('qemu-system-riscv64', ['--version']).status === 0;
  const dir = mkdtempSync(join(tmpdir(), 'vm-bench-cpu-loop-'));
  const rows = [];
  try {
    for (const [label, mode, compressed] of CASES) {
      const t = await measure(mode, compressed, false);
      const i = await measure(mode, compressed, true);
      if (!t.ok || !i.ok) throw new Error(`${label}: wrong result (the hart computed a different checksum${t.ok ? ' interpreted' : ' translated'})`);
      let q;
      let qemuError;
      if (haveQemu) {
        try {
          q = measureQemu(dir, mode, compressed);
        } catch (err) {
          qemuError = err.message;
        }
      }
      const per1e8 = (r) => (r.dt / r.n) * 1e8;
      const mips = (r) => `${r.mips.toFixed(1)}`;
      rows.push({
        key: 'cpu-loop',
        bench: `cpu loop: ${label}`,
        ours: per1e8(t),
        interpreter: per1e8(i),
        reference: q ? per1e8(q) : undefined,
        detail:
          `M guest instr/s: translated ${mips(t)} (${t.cpuMips.toFixed(1)} per CPU-second), interpreter ${mips(i)} (${i.cpuMips.toFixed(1)})` +
          (q ? `, qemu ${mips(q)} (process start ${q.base.toFixed(3)} s taken out)` : `; no qemu figure: ${qemuError ?? 'qemu-system-riscv64 not installed'}`),
        referenceNote: rows.length === 0 && q ? `qemu-system-riscv64 TCG, the same loop as a -bios image, ${QEMU_ITERS} iterations; seconds per 10^8 instructions` : undefined,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) report(await run());
