#!/usr/bin/env node
// Boot-to-shell time of the bundled tiny box: the builtin engine (host SBI and OpenSBI firmware)
// beside qemu-system-riscv64 (TCG) on the same kernel and initrd, and their ratio. "Shell" means the
// box's ready line (`vm: ready`) on the serial console; each run is a fresh process, as `vm` uses it.
// Needs the compiled code (npm run build). Env: BENCH_RUNS (default 3), BENCH_TIMEOUT_S (default 120).
//   node bench/boot.js            the table
//   node bench/boot.js --json     the figures as JSON
//   bench/run.js imports it (name, run) for `npm run bench`.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const FW_JUMP = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';
const READY = 'vm: ready';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 120) * 1000;
const MEMORY = '256M';

/** One boot in this process (the child side): announces the ready line, then prints its figures. */
async function child(kernel, initrd, cmdline, firmware) {
  const { startBuiltinMachine } = await import(join(DIST, 'engines/builtin/builtin-machine.js'));
  const vm = await startBuiltinMachine({ kernel, initrd, firmware: firmware || undefined, memoryBytes: 256 << 20, cpus: 1, cmdline });
  vm.output.resume();
  const timer = setTimeout(() => vm.stop(), TIMEOUT_MS);
  let readyInstr = null;
  vm.ready.then(() => {
    readyInstr = vm.stats().instructions;
    process.stdout.write('BENCH-READY\n');
    vm.write('poweroff\n');
  });
  const exit = await vm.exit;
  clearTimeout(timer);
  process.stdout.write(`${JSON.stringify({ readyInstr, exit: exit.kind })}\n`);
}

function runProcess(cmd, args, { onLine, input } = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), TIMEOUT_MS);
    p.stdout.on('data', (c) => {
      out += c.toString('latin1');
      onLine?.(out, p);
    });
    p.stderr.on('data', (c) => (err += c));
    if (input) p.stdin.end(input);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

async function builtinRun(box, firmware) {
  // Timed from the spawn, like the qemu row: node's start-up is part of what a user waits for.
  const t0 = performance.now();
  let readyMs = null;
  const args = [fileURLToPath(import.meta.url), '--child', box.kernel, box.initrd, box.cmdline, firmware ?? ''];
  const r = await runProcess(process.execPath, args, {
    onLine: (out) => {
      if (readyMs === null && out.includes('BENCH-READY')) readyMs = performance.now() - t0;
    },
  });
  const totalMs = performance.now() - t0;
  try {
    const j = JSON.parse(r.out.trim().split('\n').pop());
    if (readyMs === null) return { error: `no ready line (exit: ${j.exit})` };
    return { readyMs, totalMs, readyInstr: j.readyInstr, exit: j.exit };
  } catch {
    return { error: `child failed (${r.code}): ${r.err.trim().split('\n').slice(-3).join(' | ')}` };
  }
}

async function qemuRun(box) {
  const t0 = performance.now();
  let readyMs = null;
  const args = ['-M', 'virt', '-m', MEMORY, '-smp', '1', '-nographic', '-no-reboot', '-kernel', box.kernel, '-initrd', box.initrd, '-append', box.cmdline];
  const r = await runProcess('qemu-system-riscv64', args, {
    onLine: (out, p) => {
      if (readyMs === null && out.includes(READY)) {
        readyMs = performance.now() - t0;
        p.stdin.write('poweroff\n');
      }
    },
  });
  if (readyMs === null) return { error: `no ready line (qemu exit ${r.code}): ${r.err.trim().slice(-200)}` };
  return { readyMs, totalMs: performance.now() - t0, exit: r.code === 0 ? 'poweroff' : `code ${r.code}` };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function hasQemu() {
  return new Promise((resolve) => {
    const p = spawn('qemu-system-riscv64', ['--version'], { stdio: 'ignore' });
    p.on('error', () => resolve(false));
    p.on('close', (code) => resolve(code === 0));
  });
}

/** Median figures for each configuration (builtin SBI, builtin OpenSBI, qemu) over `runs` boots. */
async function measure(runs) {
  if (!existsSync(join(DIST, 'engines/builtin/builtin-machine.js'))) {
    throw new Error('bench/boot.js needs the compiled code: run `npm run build` first');
  }
  const { resolveBox } = await import(join(DIST, 'core/boxes/catalog.js'));
  const home = mkdtempSync(join(tmpdir(), 'vm-bench-'));
  try {
    const box = await resolveBox('tiny', undefined, { loc: { home, bundledDir: join(ROOT, 'boxes') } });
    const configs = [
      { name: 'builtin, host SBI', run: () => builtinRun(box) },
      ...(existsSync(FW_JUMP) ? [{ name: 'builtin, OpenSBI fw_jump', run: () => builtinRun(box, FW_JUMP) }] : []),
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

/** bench/run.js interface: one row per builtin configuration, qemu TCG as the reference. Boots are slow: at most 3 runs. */
export async function run({ runs }) {
  const rows = await measure(Math.min(runs, 3));
  const qemu = rows.find((r) => r.qemu);
  return rows
    .filter((r) => !r.qemu)
    .map((r) => ({
      bench: `tiny box boot to shell (${r.name})`,
      ours: r.readyS ?? undefined,
      reference: qemu?.readyS ?? undefined,
      goal: 3,
      error: r.error,
      detail: r.mInstr ? `${r.mInstr.toFixed(0)} M guest instructions to the shell; power-off after ${r.totalS.toFixed(2)} s` : undefined,
      referenceNote: qemu ? undefined : 'qemu-system-riscv64 not installed',
    }))
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
    if (r.error) console.log(`| ${r.name} | failed: ${r.error} | | | |`);
    else console.log(`| ${r.name} | ${f(r.readyS)} | ${f(r.totalS)} | ${f(r.mInstr, 0)} | ${r.qemu ? '1.00' : f(r.ratio)}x |`);
  }
  if (!rows.some((r) => r.qemu)) console.log('(qemu-system-riscv64 not installed: no reference row)');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], process.argv[5], process.argv[6]);
  else await main();
}
