// Shared by the benches that time a kernel boot from process start to a console marker and on to
// power-off (bench/boot.js, bench/debian-kernel.js): the builtin engine in a fresh node process (this
// file is its child script), and qemu-system-riscv64 (TCG) on the same kernel and initrd. Both are
// timed from the spawn: process start-up is part of what a user waits for.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST } from './machine.js';

const CHILD_READY = 'BENCH-READY';

/** One boot in this process (the child side): announces the marker, types `type` then, prints its figures. */
async function child(spec, timeoutMs, type) {
  const { startBuiltinMachine } = await import(join(DIST, 'engines/builtin/builtin-machine.js'));
  const { readyMarker, ...bootSpec } = spec;
  const vm = await startBuiltinMachine(bootSpec);
  const timer = setTimeout(() => vm.stop(), timeoutMs);
  let readyInstr = null;
  const onReady = () => {
    if (readyInstr !== null) return;
    readyInstr = vm.stats().instructions;
    process.stdout.write(`${CHILD_READY}\n`);
    if (type) vm.write(type);
  };
  if (readyMarker) {
    // A kernel without a box prints its own marker, not the box's ready line: watch the console.
    let seen = '';
    vm.output.on('data', (c) => {
      seen = (seen + c.toString('latin1')).slice(-(readyMarker.length + 4096));
      if (seen.includes(readyMarker)) onReady();
    });
  } else {
    vm.output.resume();
    vm.ready.then(onReady);
  }
  const exit = await vm.exit;
  clearTimeout(timer);
  process.stdout.write(`${JSON.stringify({ readyInstr, totalInstr: vm.stats().instructions, exit: exit.kind, tail: readyInstr === null ? vm.consoleTail().slice(-600) : undefined })}\n`);
}

function runProcess(cmd, args, { onOutput, env, timeoutMs }) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (c) => {
      out += c.toString('latin1');
      onOutput?.(out, p);
    });
    p.stderr.on('data', (c) => (err += c));
    p.stdin.on('error', () => undefined);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/**
 * Boots `spec` (a BuiltinBootSpec: kernel, initrd, firmware, memoryBytes, cpus, cmdline, readyMarker)
 * on the builtin engine in a fresh process; `interpreter` turns translation off (VM_JIT_THRESHOLD=0),
 * else the environment's VM_JIT_THRESHOLD (if any) applies. Returns { readyMs, totalMs, readyInstr,
 * totalInstr, exit } or { error }.
 */
export async function builtinBoot(spec, { interpreter = false, type, timeoutMs }) {
  const t0 = performance.now();
  let readyMs = null;
  const args = [fileURLToPath(import.meta.url), '--child', JSON.stringify({ spec, timeoutMs, type })];
  const r = await runProcess(process.execPath, args, {
    env: interpreter ? { ...process.env, VM_JIT_THRESHOLD: '0' } : process.env,
    timeoutMs: timeoutMs + 30_000,
    onOutput: (out) => {
      if (readyMs === null && out.includes(CHILD_READY)) readyMs = performance.now() - t0;
    },
  });
  const totalMs = performance.now() - t0;
  try {
    const j = JSON.parse(r.out.trim().split('\n').pop());
    if (readyMs === null) return { error: `no ready line (exit: ${j.exit}); console tail: ${JSON.stringify(j.tail)}` };
    return { readyMs, totalMs, readyInstr: j.readyInstr, totalInstr: j.totalInstr, exit: j.exit };
  } catch {
    return { error: `child failed (${r.code}): ${r.err.trim().split('\n').slice(-3).join(' | ')}` };
  }
}

/** The same boot on qemu-system-riscv64 -M virt (TCG, its bundled OpenSBI); `type` is typed at the marker. */
export async function qemuBoot({ kernel, initrd, cmdline, memoryMiB, cpus = 1, marker, type, timeoutMs }) {
  const t0 = performance.now();
  let readyMs = null;
  const args = ['-M', 'virt', '-m', `${memoryMiB}M`, '-smp', String(cpus), '-nographic', '-no-reboot', '-kernel', kernel, '-initrd', initrd, '-append', cmdline];
  const r = await runProcess('qemu-system-riscv64', args, {
    timeoutMs,
    onOutput: (out, p) => {
      if (readyMs === null && out.includes(marker)) {
        readyMs = performance.now() - t0;
        if (type) p.stdin.write(type);
      }
    },
  });
  if (readyMs === null) return { error: `no ready line (qemu exit ${r.code}): ${r.err.trim().slice(-200)} ${JSON.stringify(r.out.slice(-400))}` };
  return { readyMs, totalMs: performance.now() - t0, exit: r.code === 0 ? 'poweroff' : `code ${r.code}` };
}

export function hasQemu() {
  return new Promise((resolve) => {
    const p = spawn('qemu-system-riscv64', ['--version'], { stdio: 'ignore' });
    p.on('error', () => resolve(false));
    p.on('close', (code) => resolve(code === 0));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  const { spec, timeoutMs, type } = JSON.parse(process.argv[3]);
  await child(spec, timeoutMs, type);
}
