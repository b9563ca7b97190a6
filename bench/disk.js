#!/usr/bin/env node
// Root-disk throughput alone, builtin beside qemu-system-riscv64 (TCG), on the bundled tiny box: guest
// `dd` to the ext4 root on /dev/vda (write with conv=fsync, read after dropping caches), repeated
// BENCH_DISK_REPS times on one boot, plus a 4 KiB-block O_DIRECT write (many small requests).
// Same plumbing as bench/io.js (bench/lib/machine.js), without the network steps, so a disk change
// can be measured in a minute. Times are host wall clock around the agent command.
// Env: BENCH_DISK_MB (dd size, default 32), BENCH_DISK_REPS (default 2), BENCH_DISK_ENGINES
// (comma list, default "qemu,builtin"), BENCH_TIMEOUT_S (per boot, default 180), BENCH_DISK_PROF_DIR
// (profile the builtin engine process with node --cpu-prof into that folder).
//   node bench/disk.js [--json]      bench/run.js can import it (name, run).

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanUpMachine, configFor, DIST, guestSh, runtimePaths, startTime, unpackBox, waitGone, waitReady } from './lib/machine.js';
import { report } from './lib/table.js';

const MIB = 1024 * 1024;
const DISK_MB = Number(process.env.BENCH_DISK_MB ?? 32);
const REPS = Number(process.env.BENCH_DISK_REPS ?? 2);
const ENGINES = (process.env.BENCH_DISK_ENGINES ?? 'qemu,builtin').split(',').filter(Boolean);
const BOOT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 180) * 1000;
const STEP_MS = 120_000;
const DD_FILE = '/vm-bench-disk.bin';
const SMALL_FILE = '/vm-bench-small.bin';
const SMALL_COUNT = 1024; // 4 MiB in 4 KiB writes

export const name = 'disk';

const sh = (agent, script) => guestSh(agent, script, STEP_MS);

async function measure(engineName, engine, box, project) {
  const { waitForAgent } = await import(join(DIST, 'core/agent/client.js'));
  const config = configFor(box, project, engineName, { macByte: 3, bootTimeoutMs: BOOT_MS });
  const a = await engine.availability(config);
  if (!a.ok) throw new Error(`${engineName} engine unavailable: ${a.reason}`);
  const stateDir = config.project.stateDir;
  const paths = runtimePaths(stateDir);
  await engine.prepare(config);
  const proc = await engine.start(config, paths);
  const since = startTime(proc.pid);
  let agent;
  try {
    await waitReady(paths.consoleLog, proc.pid, since, BOOT_MS);
    agent = await waitForAgent(paths.agentSocket, { timeoutMs: BOOT_MS });
    const mounts = (await sh(agent, 'cat /proc/mounts')).out;
    if (!mounts.split('\n').some((l) => /^\/dev\/vda \/ ext4 /.test(l))) throw new Error(`/ is not the ext4 root disk /dev/vda:\n${mounts}`);
    const out = { write: [], read: [], small: [] };
    for (let i = 0; i < REPS; i++) {
      out.write.push((await sh(agent, `dd if=/dev/zero of=${DD_FILE} bs=1M count=${DISK_MB} conv=fsync 2>/dev/null`)).seconds);
      await sh(agent, 'sync && echo 3 > /proc/sys/vm/drop_caches');
      const r = await sh(agent, `dd if=${DD_FILE} of=/dev/null bs=1M`);
      if (!r.err.includes(`${DISK_MB * MIB} bytes`)) throw new Error(`dd read back the wrong size: ${r.err}`);
      out.read.push(r.seconds);
      out.small.push((await sh(agent, `dd if=/dev/zero of=${SMALL_FILE} bs=4k count=${SMALL_COUNT} oflag=direct conv=fsync`)).seconds);
      await sh(agent, `rm -f ${DD_FILE} ${SMALL_FILE} && sync`);
    }
    await agent.poweroff(5000).catch(() => undefined);
    await waitGone(proc.pid, since, 15_000);
    return out;
  } finally {
    agent?.close();
    await cleanUpMachine({ pid: proc.pid, since, engine, config, runDir: paths.runDir });
  }
}

const rate = (bytes, xs) => xs.map((s) => (bytes / MIB / s).toFixed(1)).join('/');
const best = (xs) => Math.min(...xs);

/** BENCH_DISK_PROF_DIR: run the engine process under `node --cpu-prof` (it clears NODE_OPTIONS). */
function profileEngine(dir) {
  const wrapper = join(dir, 'node-cpu-prof.sh');
  mkdirSync(dir, { recursive: true });
  writeFileSync(wrapper, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} --cpu-prof --cpu-prof-dir=${JSON.stringify(dir)} "$@"\n`, { mode: 0o755 });
  process.execPath = wrapper;
}

export async function run() {
  if (process.env.BENCH_DISK_PROF_DIR) profileEngine(process.env.BENCH_DISK_PROF_DIR);
  if (!existsSync(join(DIST, 'engines/builtin/builtin-engine.js'))) throw new Error('dist/ is missing: run npm run build first');
  const engines = {
    qemu: async () => new (await import(join(DIST, 'engines/qemu/index.js'))).QemuEngine(),
    builtin: async () => new (await import(join(DIST, 'engines/builtin/builtin-engine.js'))).BuiltinEngine(),
  };
  const project = mkdtempSync(join(tmpdir(), 'vm-bench-disk-'));
  const got = {};
  const errors = {};
  try {
    const box = unpackBox(project);
    for (const e of ENGINES) {
      try {
        got[e] = await measure(e, await engines[e](), box, project);
      } catch (err) {
        errors[e] = err.message;
      }
    }
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
  const b = got.builtin;
  const q = got.qemu;
  const rows = [];
  const row = (bench, key, bytes) => {
    if (!b) return { bench, error: `builtin engine: ${errors.builtin ?? 'not run'}` };
    const detail = [`builtin ${rate(bytes, b[key])} MiB/s`];
    if (q) detail.push(`qemu ${rate(bytes, q[key])} MiB/s`);
    else detail.push(`no qemu figure: ${errors.qemu ?? 'not run'}`);
    return { bench, ours: best(b[key]), reference: q ? best(q[key]) : undefined, detail: detail.join('; ') };
  };
  rows.push(row(`root disk dd write ${DISK_MB} MiB bs=1M conv=fsync`, 'write', DISK_MB * MIB));
  rows.push(row(`root disk dd read ${DISK_MB} MiB bs=1M, caches dropped`, 'read', DISK_MB * MIB));
  rows.push(row(`root disk dd write 4 MiB bs=4k oflag=direct`, 'small', SMALL_COUNT * 4096));
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) report(await run());
