#!/usr/bin/env node
// Warm start (`warm_start:`, engines/builtin/warm/): the bundled tiny box's machine brought to
// agent-ready on the builtin engine by a cold boot, and by a resume from the warm image that cold
// boot saved, through the engine as `vm up` drives it: for warm, finding and checking the image,
// making the machine's disks on it, starting the engine process with the state to resume (and the
// machine's agent multiplexer process alongside); then until the guest agent answers a handshake
// through the multiplexer (`vm up`'s ready probe, which starts the multiplexer on a cold boot).
// Host wall clock from the first of these steps, median of BENCH_WARM_RUNS; the CLI's own start-up
// is not in it. In the detail (warm only): the part the engine process reports in engine.log, from
// reading the state to the guest running; then the agent commands that make the guest this machine
// (core/machines/warm-start.ts), after agent-ready.
// Env: BENCH_WARM_RUNS (default 3).
//   node bench/warm-start.js [--json]      bench/run.js can import it (name, keys, run).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanUpMachine, configFor, DIST, median, runtimePaths, sleep, startTime, unpackBox } from './lib/machine.js';
import { report } from './lib/table.js';

const RUNS = Number(process.env.BENCH_WARM_RUNS ?? 3);
const READY_TIMEOUT_MS = 180_000;

export const name = 'warm-start';
export const keys = ['warm-start-up'];

/** Asks the agent for a handshake until it answers, as `vm up`'s ready probe does (through the machine's agent multiplexer, started by the first ask). */
async function agentReady(agentAnswers, paths, pid, since) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await agentAnswers(paths, 2000)) return;
    if (startTime(pid) !== since) throw new Error('the engine process ended before its agent answered');
    await sleep(10);
  }
  throw new Error(`the agent did not answer within ${READY_TIMEOUT_MS / 1000} s`);
}

export async function run() {
  if (!existsSync(join(DIST, 'engines/builtin/warm/warm-image.js'))) throw new Error('dist/ is missing: run npm run build first');
  const { BuiltinEngine } = await import(join(DIST, 'engines/builtin/builtin-engine.js'));
  const { agentAnswers } = await import(join(DIST, 'core/lifecycle/guest/agent.js'));
  const { becomeThisMachine } = await import(join(DIST, 'core/machines/warm-start.js'));
  const { startMuxWithEngine } = await import(join(DIST, 'core/agent/mux-connect.js'));
  const engine = new BuiltinEngine();
  const project = mkdtempSync(join(tmpdir(), 'vm-bench-warm-'));
  const cache = join(project, 'warm');
  const cold = [];
  const warm = [];
  const identity = [];
  /** The engine's own account of a resume (engine.log): from its machine's start to the guest running. */
  const resumed = [];
  let n = 0;
  /** One machine to agent-ready: cold (saving the image the first time), or warm from it. */
  const up = async (box, mode) => {
    const config = { ...configFor(box, project, 'builtin', { macByte: ++n, bootTimeoutMs: READY_TIMEOUT_MS }), name: `m${n}`, hostname: `m${n}` };
    // as box.json says: the agent makes each warm machine a new ssh host key
    config.box = { ...box, ssh: { hostKey: '/etc/dropbear/dropbear_ed25519_host_key.pub' } };
    config.project = { ...config.project, stateDir: join(project, '.vm', 'machines', config.name) };
    const paths = runtimePaths(config.project.stateDir);
    let pid;
    let since;
    try {
      const t0 = performance.now();
      let resumeFrom;
      let from;
      if (mode === 'warm') {
        const found = await engine.warm.find(config, cache);
        if (!found.image) throw new Error(`no warm image: ${found.note ?? 'none saved'}`);
        from = found.image.from;
        resumeFrom = await engine.warm.prepare(config, found.image);
      }
      await engine.prepare(config);
      const spawned = (p) => {
        pid = p;
        since = startTime(p);
        // as `vm up` does for a resume: the agent multiplexer starts alongside the engine
        if (resumeFrom) startMuxWithEngine(paths.agentSocket, paths.engineLog, READY_TIMEOUT_MS);
      };
      const proc = await engine.start(config, paths, { ...(resumeFrom ? { resumeFrom } : {}), spawned });
      pid = proc.pid;
      await agentReady(agentAnswers, paths, pid, since);
      const seconds = (performance.now() - t0) / 1000;
      if (mode === 'warm') {
        const m = /resumed from .* in (\d+) ms/.exec(readFileSync(paths.engineLog, 'utf8'));
        if (m) resumed.push(Number(m[1]) / 1000);
        const t1 = performance.now();
        const { note } = await becomeThisMachine(config, paths, from);
        if (note) throw new Error(note);
        identity.push((performance.now() - t1) / 1000);
      }
      if (mode === 'cold' && !existsSync(join(cache))) await engine.warm.save(config, paths, cache);
      (mode === 'warm' ? warm : cold).push(seconds);
    } finally {
      if (pid !== undefined) await cleanUpMachine({ pid, since, engine, config, runDir: paths.runDir });
    }
  };
  try {
    const box = unpackBox(project);
    for (let i = 0; i < RUNS; i++) {
      await up(box, 'cold');
      await up(box, 'warm');
    }
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
  return [
    {
      key: 'warm-start-up',
      bench: 'vm up to agent-ready, warm (resume from the warm image), builtin',
      ours: median(warm),
      reference: median(cold),
      referenceNote: 'reference here: the same machine booted cold on the builtin engine',
      goal: 0.5,
      detail: `1 cpu, 256 MiB, NAT; of it, in the engine process from reading the state to the guest running: ${resumed.length ? `${median(resumed).toFixed(3)} s` : 'not logged'}; then making the guest this machine through the agent (including the wait for dropbear to restart with its new host key) took ${median(identity).toFixed(3)} s (median of ${RUNS})`,
    },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) report(await run());
