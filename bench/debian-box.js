#!/usr/bin/env node
// The debian-13 box (`vm box build boxes/debian-13`) from `vm up` to agent-ready, as a user runs it:
// the CLI in a fresh project with a one-machine Vmfile, timed from the command's start to its exit
// (Vmfile, overlay, engine start, kernel, initrd, systemd, the guest agent's `ready`), on the builtin
// engine ("ours", as shipped) and on qemu-system-riscv64 TCG ("reference"), then `vm destroy`.
// The guest's own account of the boot (`systemd-analyze`: kernel + userspace, on the guest's clock) is
// printed beside each figure. The target: the builtin engine within 2.0x of qemu TCG on this
// boot, as for the Debian kernel alone (bench/debian-kernel.js).
//
// The box is not built here (that takes minutes and root): the row is skipped, saying how, when
// there is none. Where it is looked for: BENCH_DEBIAN_BOX=PATH (a .box archive or a store folder,
// added to a temporary store first, not timed), else the user's store ($VM_HOME or the default).
// BENCH_DEBIAN_BOX=OLD.box,NEW.box compares builds of the box: a row per version, measured in the
// same minutes (the runs take turns: each round boots every version on every engine in turn), since
// on a shared host the load changes between runs more than a box change moves the figure.
// Each run's figures are printed, not only the median: `vm up` to its exit, and the "Booted in" time
// it reports (engine start to the guest agent's answer, the agent-ready).
// Env: BENCH_DEBIAN_BOX_RUNS (ups per engine and version, default 1), BENCH_DEBIAN_BOX_ONLY (comma
// list of builtin,qemu), BENCH_DEBIAN_BOX_TIMEOUT_S (per up, default 1800), BENCH_DEBIAN_BOX_NAME (the
// box, default debian-13; debian-13-x86_64 with BENCH_DEBIAN_BOX_ONLY=qemu for the x86_64 recipe).
//   node bench/debian-box.js [--json]   the table (or the figures as JSON)
//   bench/run.js imports it (name, keys, run) for `npm run bench -- debian-box`.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasQemu } from './lib/boot-timing.js';
import { DIST, median, ROOT } from './lib/machine.js';
import { report } from './lib/table.js';

const BOX = process.env.BENCH_DEBIAN_BOX_NAME ?? 'debian-13';
const RUNS = Number(process.env.BENCH_DEBIAN_BOX_RUNS ?? 1);
const ONLY = (process.env.BENCH_DEBIAN_BOX_ONLY ?? 'builtin,qemu').split(',');
const TIMEOUT_S = Number(process.env.BENCH_DEBIAN_BOX_TIMEOUT_S ?? 1800);
const MEMORY = '1G';
const BIN = join(ROOT, 'bin/run.js');

export const name = 'debian-box';
export const keys = ['debian-box'];

/** Runs `vm ARGS` to completion; resolves with its exit code, output and wall time in seconds. */
function vm(args, { cwd = tmpdir(), env, timeoutS = 600 } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

const lastLines = (r) => (r.stderr || r.stdout).trim().split('\n').slice(-4).join(' | ');

/**
 * The store holding the box: { env } for the vm commands, the versions to measure (one, unless
 * BENCH_DEBIAN_BOX names several builds), and a cleanup; undefined when there is none.
 */
async function locateBox() {
  const paths = (process.env.BENCH_DEBIAN_BOX ?? '').split(',').filter(Boolean);
  if (paths.length > 0) {
    const home = mkdtempSync(join(tmpdir(), 'vm-bench-debian-home-'));
    const cleanup = () => rmSync(home, { recursive: true, force: true });
    const versions = [];
    for (const path of paths) {
      if (!existsSync(path)) {
        cleanup();
        throw new Error(`BENCH_DEBIAN_BOX: ${path} does not exist`);
      }
      const added = await vm(['box', 'add', path], { env: { VM_HOME: home }, timeoutS: 1200 });
      // "Added box 'NAME' VERSION (ARCH; ENGINES) in DIR"
      const m = /box '([^']+)' (\S+) \(/.exec(added.stdout);
      if (added.code !== 0 || !m || m[1] !== BOX) {
        cleanup();
        throw new Error(`vm box add ${path} failed or added no ${BOX} box: ${lastLines(added)}`);
      }
      versions.push({ version: m[2], where: path });
    }
    return { env: { VM_HOME: home }, versions, cleanup };
  }
  const list = await vm(['box', 'list', '--json']);
  if (list.code !== 0) throw new Error(`vm box list failed: ${lastLines(list)}`);
  const box = JSON.parse(list.stdout).find((b) => b.name === BOX);
  if (!box) return undefined;
  return { env: {}, versions: [{ version: box.version, where: `${box.path} (${box.version})` }], cleanup: () => {} };
}

/**
 * One `vm up` of a fresh machine of box `version` on `engine`: its wall time, the agent-ready time
 * `vm up` reports ("Booted in X s"), and the guest's systemd-analyze line.
 */
async function upOnce(engine, version, env) {
  const project = mkdtempSync(join(tmpdir(), `vm-bench-debian-${engine}-`));
  const runtime = mkdtempSync('/tmp/vmb-');
  const e = { ...env, VM_RUNTIME_DIR: runtime };
  try {
    writeFileSync(join(project, 'Vmfile'), `box: {name: ${BOX}, version: "${version}"}\nengine: ${engine}\nmemory: ${MEMORY}\nboot_timeout: ${Math.ceil(TIMEOUT_S / 60)}m\n`);
    const up = await vm(['up'], { cwd: project, env: e, timeoutS: TIMEOUT_S + 60 });
    if (up.code !== 0) return { error: `vm up on ${engine} (${BOX} ${version}) failed (exit ${up.code}): ${lastLines(up)}` };
    const booted = /Booted in ([\d.]+) s/.exec(up.stdout + up.stderr);
    // Ready comes before the rest of the boot: let systemd finish, then ask it where the time went.
    // Polled: `systemctl is-system-running --wait` was once seen never to return.
    const settle = 'for i in $(seq 300); do case $(systemctl is-system-running) in running|degraded) break;; esac; sleep 1; done; systemd-analyze | head -n 1';
    const analyze = await vm(['ssh', '-c', settle], { cwd: project, env: e, timeoutS: 600 });
    return {
      seconds: up.seconds,
      booted: booted ? Number(booted[1]) : undefined,
      guest: analyze.code === 0 ? analyze.stdout.trim() : `systemd-analyze failed: ${lastLines(analyze)}`,
    };
  } finally {
    await vm(['destroy', '--force'], { cwd: project, env: e, timeoutS: 120 });
    rmSync(project, { recursive: true, force: true });
    rmSync(runtime, { recursive: true, force: true });
  }
}

const secs = (s) => (s === undefined ? '?' : `${s.toFixed(1)}`);

export async function run() {
  const bench = `${BOX} box: vm up to agent-ready`;
  if (!existsSync(join(DIST, 'cli/commands/up.js'))) throw new Error('run `npm run build` first (dist/ is missing)');
  const store = await locateBox();
  if (!store) {
    return [{ key: 'debian-box', bench, skipped: `no ${BOX} box in the store: build it with \`sudo vm box build boxes/${BOX}\` (minutes; needs root, mmdebstrap and qemu-user-static), or set BENCH_DEBIAN_BOX=PATH to a built .box` }];
  }
  try {
    const qemu = await hasQemu();
    const engines = ONLY.filter((e) => e === 'builtin' || (e === 'qemu' && qemu));
    /** got[version][engine]: { runs: [...] } or { error } */
    const got = Object.fromEntries(store.versions.map((v) => [v.version, Object.fromEntries(engines.map((e) => [e, { runs: [] }]))]));
    for (let i = 0; i < RUNS; i++) {
      for (const engine of engines) {
        for (const { version } of store.versions) {
          const g = got[version][engine];
          if (g.error) continue;
          const r = await upOnce(engine, version, store.env);
          if (r.error) g.error = r.error;
          else g.runs.push(r);
        }
      }
    }
    const rows = [];
    for (const { version, where } of store.versions) {
      const byEngine = got[version];
      const figure = (engine) => (byEngine[engine]?.runs.length ? median(byEngine[engine].runs.map((r) => r.seconds)) : undefined);
      const each = engines
        .filter((e) => byEngine[e].runs.length > 0)
        .map((e) => `${e}: vm up ${byEngine[e].runs.map((r) => secs(r.seconds)).join(', ')} s; agent-ready ${byEngine[e].runs.map((r) => secs(r.booted)).join(', ')} s; guest ${byEngine[e].runs.map((r) => r.guest).join('; ')}`);
      const label = store.versions.length > 1 ? `${bench} (${version})` : bench;
      // The figures that were measured stay in the table when the other engine failed; each failure
      // is a row of its own (and makes `npm run bench` exit non-zero).
      rows.push({
        key: 'debian-box',
        bench: label,
        ours: figure('builtin'),
        reference: figure('qemu'),
        goalRatio: 2.0,
        detail: each.length > 0 ? `each run (guest systemd-analyze on the guest clock) - ${each.join(' / ')}` : undefined,
        referenceNote: `qemu TCG through \`vm up\` (engine: qemu); box ${BOX} ${version} from ${where}; 1 cpu, ${MEMORY}; ups per engine: ${RUNS}${figure('qemu') !== undefined ? '' : ' (no qemu figure)'}`,
      });
      for (const engine of engines) {
        if (byEngine[engine].error) rows.push({ key: 'debian-box', bench: `${label} (${engine})`, error: byEngine[engine].error });
      }
    }
    return rows;
  } finally {
    store.cleanup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) report(await run());
