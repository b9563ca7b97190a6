#!/usr/bin/env node
// The builtin engine beside qemu (TCG) on the same box (the bundled riscv64 tiny box), both driven
// through the Engine interface exactly as `vm up` drives them: start-to-ready time (engine start until
// the box's `vm: ready` line reaches console.log) and in-guest CPU speed, run through the guest agent
// and timed on the host: the busybox ash loop from shared/notes/measurements.md and sha256sum of the
// busybox binary. "ours" is the builtin engine as shipped (translation on; VM_JIT_THRESHOLD from the
// environment applies), "interpreter" the builtin engine with VM_JIT_THRESHOLD=0, "reference" qemu TCG.
// KVM does not apply: the box is riscv64 and KVM runs only guests of the host's architecture.
// Needs the compiled code (npm run build), qemu-system-riscv64 and qemu-img.
// Env: BENCH_QEMU_RUNS (boots per engine, default 3), BENCH_LOOP (loop iterations, default 50000),
// BENCH_TIMEOUT_S (per boot, default 180).
//   node bench/qemu.js            the table
//   node bench/qemu.js --json     the figures as JSON
//   bench/run.js imports it (name, run) for `npm run bench`.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanUpMachine, configFor as baseConfig, DIST, median, runtimePaths, startTime, unpackBox, waitGone, waitReady as waitReadyFor } from './lib/machine.js';
import { report } from './lib/table.js';

const LOOP = Number(process.env.BENCH_LOOP ?? 50_000);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 180) * 1000;
const SHA_REPEAT = 10;

export const name = 'qemu';

const configFor = (box, project, engine) => baseConfig(box, project, engine, { macByte: 0, bootTimeoutMs: TIMEOUT_MS });

/** A machine's config and runtime paths; the runtime dir is made here (short, under /tmp). */
function machine(box, project, engine) {
  const config = configFor(box, project, engine);
  return { config, paths: runtimePaths(config.project.stateDir) };
}

const waitReady = (consoleLog, pid, since) => waitReadyFor(consoleLog, pid, since, TIMEOUT_MS);

/** Host wall time of one command run through the agent; fails unless it exits 0. */
async function timed(agent, script) {
  const t0 = performance.now();
  const r = await agent.run({ argv: ['sh', '-c', script] });
  const s = (performance.now() - t0) / 1000;
  if (r.status.code !== 0) throw new Error(`guest command failed (${JSON.stringify(r.status)}): ${script}\n${r.stderr}`);
  return s;
}

/** One boot on `engine`: ready time, then the CPU figures asked for (`cpu`: 'ash', 'sha'), then a clean stop. */
async function oneRun(engine, engineName, box, project, cpu) {
  const { waitForAgent } = await import(join(DIST, 'core/agent/client.js'));
  const m = machine(box, project, engineName);
  await engine.prepare(m.config);
  const t0 = performance.now();
  const proc = await engine.start(m.config, m.paths);
  const since = startTime(proc.pid);
  try {
    await waitReady(m.paths.consoleLog, proc.pid, since);
    const ready = (performance.now() - t0) / 1000;
    const out = { ready, accel: proc.accel };
    if (cpu.length > 0) {
      const agent = await waitForAgent(m.paths.agentSocket, { timeoutMs: TIMEOUT_MS });
      try {
        if (cpu.includes('ash')) out.loop = await timed(agent, `i=0; while [ $i -lt ${LOOP} ]; do i=$((i+1)); done`);
        if (cpu.includes('sha')) out.sha = await timed(agent, `for n in $(seq ${SHA_REPEAT}); do sha256sum /bin/busybox >/dev/null; done`);
        await agent.poweroff(5000).catch(() => undefined);
      } finally {
        agent.close();
      }
      await waitGone(proc.pid, since, 30_000);
    }
    return out;
  } finally {
    await cleanUpMachine({ pid: proc.pid, since, engine, config: m.config, runDir: m.paths.runDir });
  }
}

async function measure(engineName, engine, box, project, runs, cpu) {
  const a = await engine.availability(configFor(box, project, engineName));
  if (!a.ok) throw new Error(`${engineName} engine unavailable: ${a.reason}${a.hint ? ` (${a.hint})` : ''}`);
  const results = [];
  // the first boot also measures CPU; the others only time boot to ready
  for (let i = 0; i < runs; i++) results.push(await oneRun(engine, engineName, box, project, i === 0 ? cpu : []));
  return {
    ready: median(results.map((r) => r.ready)),
    readyAll: results.map((r) => Number(r.ready.toFixed(3))),
    loop: results[0].loop,
    sha: results[0].sha,
    accel: results[0].accel,
  };
}

/** The builtin engine with translation off: the engine process inherits this environment. */
async function interpreted(fn) {
  const saved = process.env.VM_JIT_THRESHOLD;
  process.env.VM_JIT_THRESHOLD = '0';
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.VM_JIT_THRESHOLD;
    else process.env.VM_JIT_THRESHOLD = saved;
  }
}

export const keys = ['ready', 'ash', 'sha'];

export async function run({ runs = 3, only } = {}) {
  const want = (k) => !only || only.has(k);
  // Boot-to-ready is a median over several boots; the CPU rows need one boot.
  const n = want('ready') ? Math.max(1, Math.min(runs, Number(process.env.BENCH_QEMU_RUNS ?? 3))) : 1;
  const cpu = ['ash', 'sha'].filter(want);
  if (!existsSync(join(DIST, 'engines/qemu/index.js'))) throw new Error('dist/ is missing or stale: run npm run build first');
  const { QemuEngine } = await import(join(DIST, 'engines/qemu/index.js'));
  const { BuiltinEngine } = await import(join(DIST, 'engines/builtin/builtin-engine.js'));
  const project = mkdtempSync(join(tmpdir(), 'vm-bench-qemu-'));
  try {
    const box = unpackBox(project);
    const qemu = await measure('qemu', new QemuEngine(), box, project, n, cpu);
    let builtin;
    let builtinError;
    let interp;
    try {
      builtin = await measure('builtin', new BuiltinEngine(), box, project, n, cpu);
      interp = await interpreted(() => measure('builtin', new BuiltinEngine(), box, project, n, cpu));
    } catch (err) {
      builtinError = err.message;
    }
    const rows = [];
    const note = `qemu-system-riscv64 ${qemu.accel.toUpperCase()}, same tiny box, 1 cpu, 256 MiB`;
    const row = (key, bench, field, goalRatio, extra) =>
      builtin && interp
        ? {
            key,
            bench,
            ours: builtin[field],
            interpreter: interp[field],
            reference: qemu[field],
            goalRatio,
            detail: extra,
            referenceNote: key === 'ready' ? `${note}; boots per engine: ${n}` : undefined,
          }
        : { key, bench, error: `builtin engine: ${builtinError} (qemu alone: ${qemu[field]?.toFixed(3)} s)` };
    if (want('ready')) {
      const runsText = builtin && interp ? `runs: builtin ${builtin.readyAll.join(', ')} s, interpreter ${interp.readyAll.join(', ')} s, qemu ${qemu.readyAll.join(', ')} s` : undefined;
      rows.push(row('ready', 'start to ready through the Engine, tiny box', 'ready', undefined, runsText));
    }
    if (want('ash')) rows.push(row('ash', `guest ash loop x${LOOP}`, 'loop', 2.0));
    if (want('sha')) rows.push(row('sha', `guest sha256sum busybox x${SHA_REPEAT}`, 'sha', 1.5));
    return rows;
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) report(await run({ runs: Number(process.env.BENCH_QEMU_RUNS ?? 3) }));
