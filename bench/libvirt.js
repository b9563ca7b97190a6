#!/usr/bin/env node
// The libvirt engine beside the qemu engine: `vm up` of the bundled tiny box to ready, as a user runs
// it (the CLI in a fresh project with a one-machine Vmfile, timed from the command's start to its
// exit: Vmfile, disks, engine start, boot, the guest agent's answer), then `vm destroy`. Both engines
// run the same qemu-system-riscv64 (TCG) on this host with the same Vmfile apart from `engine:`, so
// the ratio is what libvirt's path costs: virsh calls, the domain keeper, the console through
// `virsh console`. The runs take turns (libvirt, qemu, then qemu, libvirt, ...) because the load of
// a shared host changes between minutes more than between engines; the figures are medians.
// libvirt uploads the box into its pool on the first `vm up` only: that first up is run once before
// the timed ones and reported in the detail, not in the median. The pool is the bench's own
// (vm-bench-<pid>), deleted with its volumes at the end; the host's `vm` pool is not touched.
// Skipped, with the reason, when no libvirt daemon answers (or it has no riscv64 qemu).
// Env: BENCH_LIBVIRT_RUNS (ups per engine, default 5), BENCH_LIBVIRT_URI (default $VM_LIBVIRT_URI,
// else qemu:///system; a remote URI measures that host's libvirt against this host's qemu).
//   node bench/libvirt.js [--json]       bench/run.js imports it (name, keys, run).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasQemu } from './lib/boot-timing.js';
import { deletePool, virshAt } from './lib/libvirt-pool.js';
import { DIST, median, ROOT } from './lib/machine.js';
import { report } from './lib/table.js';

const RUNS = Number(process.env.BENCH_LIBVIRT_RUNS ?? 5);
const URI = process.env.BENCH_LIBVIRT_URI ?? process.env.VM_LIBVIRT_URI ?? 'qemu:///system';
const TIMEOUT_S = 300;
const BIN = join(ROOT, 'bin/run.js');

export const name = 'libvirt';
export const keys = ['libvirt-up'];

const virsh = (...args) => virshAt(URI, ...args);

/** Why the row cannot be measured here, or undefined. */
async function skipReason() {
  const v = spawnSync('virsh', ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return 'virsh is not installed (apt-get install libvirt-clients libvirt-daemon-system qemu-system-misc)';
  const ver = virsh('version');
  if (ver.status !== 0) {
    return `libvirtd is not reachable at ${URI}: ${ver.stderr.trim().split('\n').pop()} (start it: systemctl start libvirtd; without systemd: virtlogd -d && libvirtd -d)`;
  }
  if (virsh('domcapabilities', '--arch', 'riscv64', '--virttype', 'qemu').status !== 0) return `libvirt at ${URI} has no qemu-system-riscv64 (apt-get install qemu-system-misc on that host)`;
  if (!(await hasQemu())) return 'qemu-system-riscv64 is not installed here, so the qemu engine cannot be measured beside it (apt-get install qemu-system-misc)';
  return undefined;
}

/** Runs `vm ARGS` to completion; resolves with its exit code, output and wall time in seconds. */
function vm(args, { cwd, env, timeoutS = TIMEOUT_S }) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

const lastLines = (text) => text.trim().split('\n').slice(-4).join(' | ');

/** One `vm up` of a fresh tiny-box machine on `engine`, then its `vm destroy`: the up's wall time and the "Booted in" it reports. */
async function upOnce(engine, pool) {
  const project = mkdtempSync(join(tmpdir(), `vm-bench-libvirt-${engine}-`));
  const runtime = mkdtempSync('/tmp/vmb-');
  const env = { VM_RUNTIME_DIR: runtime };
  try {
    const libvirt = engine === 'libvirt' ? `libvirt: {uri: "${URI}", pool: ${pool}}\n` : '';
    writeFileSync(join(project, 'Vmfile'), `box: tiny\nengine: ${engine}\n${libvirt}`);
    const up = await vm(['up'], { cwd: project, env });
    if (up.code !== 0) throw new Error(`vm up on the ${engine} engine failed (exit ${up.code}): ${lastLines(up.out)}`);
    const booted = /Booted in ([\d.]+) s/.exec(up.out);
    return { seconds: up.seconds, booted: booted ? Number(booted[1]) : undefined };
  } finally {
    const gone = await vm(['destroy', '--force'], { cwd: project, env, timeoutS: 120 });
    rmSync(project, { recursive: true, force: true });
    rmSync(runtime, { recursive: true, force: true });
    if (gone.code !== 0) throw new Error(`vm destroy on the ${engine} engine failed (exit ${gone.code}): ${lastLines(gone.out)}`);
  }
}

const secs = (xs) => xs.map((s) => (s === undefined ? '?' : s.toFixed(2))).join(', ');

export async function run() {
  const bench = 'vm up to ready, tiny box: libvirt engine vs qemu engine';
  const skipped = await skipReason();
  if (skipped) return [{ key: 'libvirt-up', bench, skipped }];
  if (!existsSync(join(DIST, 'cli/commands/up.js'))) throw new Error('run `npm run build` first (dist/ is missing)');
  const pool = `vm-bench-${process.pid}`;
  const got = { libvirt: [], qemu: [] };
  let first;
  try {
    // untimed: uploads the box into the pool (once per pool, as on a user's host)
    first = await upOnce('libvirt', pool);
    for (let i = 0; i < RUNS; i++) {
      for (const engine of i % 2 === 0 ? ['libvirt', 'qemu'] : ['qemu', 'libvirt']) got[engine].push(await upOnce(engine, pool));
    }
  } finally {
    // The bench's pool, with the box volumes the first up uploaded into it.
    deletePool(URI, pool);
  }
  const figure = (engine) => median(got[engine].map((r) => r.seconds));
  return [
    {
      key: 'libvirt-up',
      bench,
      ours: figure('libvirt'),
      reference: figure('qemu'),
      detail:
        `each vm up (s): libvirt ${secs(got.libvirt.map((r) => r.seconds))}; qemu ${secs(got.qemu.map((r) => r.seconds))}. ` +
        `"Booted in" (engine start to agent-ready, s): libvirt ${secs(got.libvirt.map((r) => r.booted))}; qemu ${secs(got.qemu.map((r) => r.booted))}. ` +
        `First libvirt up, uploading the box into the pool (not in the median): ${first.seconds.toFixed(2)} s`,
      referenceNote: `ours here: engine libvirt at ${URI}; reference: engine qemu on this host; both qemu-system-riscv64 TCG, 1 cpu, the Vmfile's defaults; ups per engine: ${RUNS}, taking turns`,
    },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) report(await run());
