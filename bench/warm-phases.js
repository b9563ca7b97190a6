#!/usr/bin/env node
// Where a warm start's time goes: the bundled tiny box's machine resumed from its warm image on the
// builtin engine, as bench/warm-start.js does, with VM_START_TRACE=1, so that the engine process
// and the agent multiplexer mark their steps in engine.log (engines/shared/start-trace.ts). Prints
// each mark's time from the first step (finding the image), median over the runs, and the CPU time
// the engine and mux processes had used when the agent answered (steadier than wall time on a
// busy host). The warm image is made by one cold boot first, or kept in WARM_PHASES_CACHE (a
// folder) across runs of this script. WARM_PHASES_IDENTITY=1: then the agent commands that make the
// guest this machine (core/machines/warm-start.ts), as `vm up` runs them, and a second's wait, so
// that what the engine does after agent-ready (its deferred warm-up) is in the marks too.
// Env: BENCH_WARM_RUNS (default 5), WARM_PHASES_CACHE, WARM_PHASES_IDENTITY.
//   node bench/warm-phases.js [--json]
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanUpMachine, configFor, DIST, median, runtimePaths, sleep, startTime, unpackBox } from './lib/machine.js';

const RUNS = Number(process.env.BENCH_WARM_RUNS ?? 5);
const READY_TIMEOUT_MS = 180_000;
const TICK_MS = 10; // USER_HZ 100

process.env.VM_START_TRACE = '1';
const { BuiltinEngine } = await import(join(DIST, 'engines/builtin/builtin-engine.js'));
const { agentAnswers } = await import(join(DIST, 'core/lifecycle/guest/agent.js'));
const { startMuxWithEngine } = await import(join(DIST, 'core/agent/mux-connect.js'));
const { becomeThisMachine } = await import(join(DIST, 'core/machines/warm-start.js'));
const IDENTITY = process.env.WARM_PHASES_IDENTITY === '1';

const wall = () => performance.timeOrigin + performance.now();
/** utime + stime of a process in ms (clock ticks of 10 ms). */
function cpuMs(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return NaN;
  }
}
function muxPid(runDir) {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes('mux-main.js') && cmd.includes(runDir)) return Number(p);
    } catch {
      // gone
    }
  }
  return undefined;
}

const engine = new BuiltinEngine();
const project = mkdtempSync(join(tmpdir(), 'vm-bench-phases-'));
const keep = process.env.WARM_PHASES_CACHE;
const cache = keep ?? join(project, 'warm');
const runs = [];
let n = 0;
const up = async (box, mode) => {
  const config = { ...configFor(box, project, 'builtin', { macByte: ++n, bootTimeoutMs: READY_TIMEOUT_MS }), name: `m${n}`, hostname: `m${n}` };
  config.box = { ...box, ssh: { hostKey: '/etc/dropbear/dropbear_ed25519_host_key.pub' } };
  config.project = { ...config.project, stateDir: join(project, '.vm', 'machines', config.name) };
  const paths = runtimePaths(config.project.stateDir);
  let pid;
  let since;
  const marks = [];
  const mark = (m) => marks.push([wall(), 'bench', m]);
  try {
    const t0 = wall();
    mark('start');
    let resumeFrom;
    let from;
    if (mode === 'warm') {
      const found = await engine.warm.find(config, cache);
      if (!found.image) throw new Error(`no warm image: ${found.note ?? 'none saved'}`);
      mark('image found');
      from = found.image.from;
      resumeFrom = await engine.warm.prepare(config, found.image);
      mark('disks on the image');
    }
    await engine.prepare(config);
    mark('engine.prepare');
    const spawned = (p) => {
      pid = p;
      since = startTime(p);
      mark('engine spawned');
      if (resumeFrom) startMuxWithEngine(paths.agentSocket, paths.engineLog, READY_TIMEOUT_MS);
    };
    await engine.start(config, paths, { ...(resumeFrom ? { resumeFrom } : {}), spawned });
    mark('engine sockets answer');
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (await agentAnswers(paths, 2000)) break;
      if (startTime(pid) !== since) throw new Error('the engine process ended');
      if (Date.now() > deadline) throw new Error('no agent');
      await sleep(10);
    }
    mark('agent ready');
    const cpu = { engine: cpuMs(pid), mux: cpuMs(muxPid(paths.runDir) ?? -1), identity: undefined };
    if (mode === 'cold') {
      if (!existsSync(cache)) await engine.warm.save(config, paths, cache);
      return;
    }
    if (IDENTITY) {
      const { note } = await becomeThisMachine(config, paths, from);
      if (note) throw new Error(note);
      mark('identity done');
      cpu.identity = cpuMs(pid);
      await sleep(1000);
    }
    for (const line of readFileSync(paths.engineLog, 'utf8').split('\n')) {
      const m = /^trace (\d+\.\d+) (\d+\.\d+) (\S+) (.*)$/.exec(line);
      if (m) marks.push([Number(m[1]), m[3], m[4], Number(m[2])]);
    }
    marks.sort((a, b) => a[0] - b[0]);
    runs.push({ marks: marks.map(([t, who, m, c]) => ({ who, mark: m, ms: t - t0, cpu: c })), cpu });
  } finally {
    if (pid !== undefined) await cleanUpMachine({ pid, since, engine, config, runDir: paths.runDir });
  }
};
try {
  const box = unpackBox(project);
  if (!existsSync(join(cache))) await up(box, 'cold');
  for (let i = 0; i < RUNS; i++) await up(box, 'warm');
} finally {
  rmSync(project, { recursive: true, force: true });
}
// Median of each mark over the runs (by name, in the order of the first run).
const names = runs[0].marks.map((m) => `${m.who}: ${m.mark}`);
const rows = names.map((name) => {
  const xs = runs.map((r) => r.marks.find((m) => `${m.who}: ${m.mark}` === name)?.ms).filter((x) => x !== undefined);
  const cs = runs.map((r) => r.marks.find((m) => `${m.who}: ${m.mark}` === name)?.cpu).filter((x) => x !== undefined);
  return { name, ms: median(xs), all: xs, cpu: cs.length ? median(cs) : undefined };
});
rows.sort((a, b) => a.ms - b.ms);
const cpu = { engine: median(runs.map((r) => r.cpu.engine)), mux: median(runs.map((r) => r.cpu.mux)), identity: IDENTITY ? median(runs.map((r) => r.cpu.identity)) : undefined };
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ rows, cpu, runs }, null, 2));
} else {
  console.log('   wall ms     cpu ms  mark (median; wall of each run)');
  for (const r of rows) console.log(`${r.ms.toFixed(1).padStart(8)}  ${r.cpu === undefined ? '         ' : r.cpu.toFixed(1).padStart(9)}  ${r.name.padEnd(45)} [${r.all.map((x) => x.toFixed(0)).join(' ')}]`);
  console.log(`CPU at agent-ready (median of ${runs.length}): engine ${cpu.engine} ms, mux ${cpu.mux} ms [engine ${runs.map((r) => r.cpu.engine).join(' ')}]`);
  if (IDENTITY) console.log(`engine CPU once the guest is this machine: ${cpu.identity} ms [${runs.map((r) => r.cpu.identity).join(' ')}]`);
}
