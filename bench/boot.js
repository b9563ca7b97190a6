#!/usr/bin/env node
// Boot-to-shell time of the bundled tiny box: the builtin engine (host SBI and OpenSBI firmware)
// beside qemu-system-riscv64 (TCG) on the same kernel and initrd, and their ratio. "Shell" means the
// box's ready line (`vm: ready`) on the serial console; each run is a fresh process, as `vm` uses it.
// Each builtin configuration boots translated (as shipped; VM_JIT_THRESHOLD from the environment
// applies) and interpreted only (VM_JIT_THRESHOLD=0).
// Needs the compiled code (npm run build). Env: BENCH_RUNS (default 3), BENCH_TIMEOUT_S (default 120).
//   node bench/boot.js            the table
//   node bench/boot.js --json     the figures as JSON
//   bench/run.js imports it (name, run) for `npm run bench`.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinBoot, hasQemu, qemuBoot } from './lib/boot-timing.js';
import { DIST, median, READY, ROOT } from './lib/machine.js';

const FW_JUMP = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 120) * 1000;
const MEMORY_MIB = 256;

const builtinRun = (box, firmware, interpreter) =>
  builtinBoot(
    { kernel: box.kernel, initrd: box.initrd, firmware, memoryBytes: MEMORY_MIB << 20, cpus: 1, cmdline: box.cmdline },
    { interpreter, type: 'poweroff\n', timeoutMs: TIMEOUT_MS },
  );

const qemuRun = (box) => qemuBoot({ kernel: box.kernel, initrd: box.initrd, cmdline: box.cmdline, memoryMiB: MEMORY_MIB, marker: READY, type: 'poweroff\n', timeoutMs: TIMEOUT_MS });

/** Median figures for each configuration (builtin SBI, builtin OpenSBI, qemu) over `runs` boots. */
async function measure(runs) {
  if (!existsSync(join(DIST, 'engines/builtin/builtin-machine.js'))) {
    throw new Error('bench/boot.js needs the compiled code: run `npm run build` first');
  }
  const { resolveBox } = await import(join(DIST, 'core/boxes/catalog.js'));
  const home = mkdtempSync(join(tmpdir(), 'vm-bench-'));
  try {
    const box = await resolveBox('tiny', undefined, { loc: { home, bundledDir: join(ROOT, 'boxes') } });
    const builtin = [
      { name: 'builtin, host SBI', firmware: undefined },
      ...(existsSync(FW_JUMP) ? [{ name: 'builtin, OpenSBI fw_jump', firmware: FW_JUMP }] : []),
    ];
    const configs = [
      ...builtin.flatMap((b) => [
        { name: b.name, run: () => builtinRun(box, b.firmware, false) },
        { name: b.name, interpreter: true, run: () => builtinRun(box, b.firmware, true) },
      ]),
      ...((await hasQemu()) ? [{ name: 'qemu TCG (OpenSBI)', run: () => qemuRun(box), qemu: true }] : []),
    ];
    const rows = [];
    for (const c of configs) {
      const done = [];
      let error;
      for (let i = 0; i < runs; i++) {
        const r = await c.run();
        if (r.error) {
          error = r.error;
          break;
        }
        done.push(r);
      }
      rows.push({
        name: c.name,
        qemu: c.qemu === true,
        interpreter: c.interpreter === true,
        error,
        readyS: done.length ? median(done.map((r) => r.readyMs)) / 1000 : null,
        totalS: done.length ? median(done.map((r) => r.totalMs)) / 1000 : null,
        mInstr: done.length && done[0].readyInstr ? median(done.map((r) => r.readyInstr)) / 1e6 : null,
      });
    }
    const qemu = rows.find((r) => r.qemu && r.readyS !== null);
    for (const r of rows) r.ratio = qemu && r.readyS !== null ? r.readyS / qemu.readyS : null;
    return rows;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export const name = 'boot';

export const keys = ['boot'];

/** bench/run.js interface: one row per builtin configuration (translated, and interpreted beside it),
 *  qemu TCG as the reference. Boots are slow: at most 3 runs. */
export async function run({ runs }) {
  const rows = await measure(Math.min(runs, 3));
  const qemu = rows.find((r) => r.qemu);
  const threshold = process.env.VM_JIT_THRESHOLD === undefined ? '' : `; translated with VM_JIT_THRESHOLD=${process.env.VM_JIT_THRESHOLD}`;
  return rows
    .filter((r) => !r.qemu && !r.interpreter)
    .map((r) => {
      const interp = rows.find((i) => i.interpreter && i.name === r.name);
      return {
        key: 'boot',
        bench: `tiny box boot to shell (${r.name})`,
        ours: r.readyS ?? undefined,
        interpreter: interp?.readyS ?? undefined,
        reference: qemu?.readyS ?? undefined,
        goal: 3,
        goalRatio: 1.5,
        error: r.error ?? (interp?.error ? `interpreter: ${interp.error}` : undefined),
        detail: r.mInstr ? `${r.mInstr.toFixed(0)} M guest instructions to the shell; power-off after ${r.totalS.toFixed(2)} s${threshold}` : undefined,
        referenceNote: qemu ? undefined : 'qemu-system-riscv64 not installed',
      };
    })
    .map((row, i, all) => (i < all.length - 1 || !qemu ? row : { ...row, referenceNote: 'qemu-system-riscv64 -M virt (TCG, its bundled OpenSBI), same kernel and initrd' }));
}

async function main() {
  const json = process.argv.includes('--json');
  let rows;
  try {
    rows = await measure(RUNS);
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ bench: 'boot', target_s: 3, rows }, null, 2)}\n`);
    return;
  }
  const f = (v, d = 2) => (v === null || v === undefined ? '-' : v.toFixed(d));
  console.log(`tiny box boot to shell prompt (median of ${RUNS}; target under 3 s)`);
  console.log('| engine | to shell (s) | to power-off (s) | guest M instr to shell | vs qemu |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) {
    if (r.interpreter) r.name = `${r.name}, interpreter`;
    if (r.error) console.log(`| ${r.name} | failed: ${r.error} | | | |`);
    else console.log(`| ${r.name} | ${f(r.readyS)} | ${f(r.totalS)} | ${f(r.mInstr, 0)} | ${r.qemu ? '1.00' : f(r.ratio)}x |`);
  }
  if (!rows.some((r) => r.qemu)) console.log('(qemu-system-riscv64 not installed: no reference row)');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
