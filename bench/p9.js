#!/usr/bin/env node
// Synced-folder throughput through virtio-9p: sequential read and write (dd bs=1M) and small-file
// creation (xargs touch) inside the tiny box, on the builtin engine (our 9P server) beside
// qemu-system-riscv64 TCG serving the same folder with its `local` fsdev (what -virtfs uses; given as
// -fsdev + virtio-9p-device because the tiny kernel has no PCI). Times are host wall-clock from the
// command typed on the console to its end marker; each engine boots once and repeats each step.
// Needs the compiled code (npm run build). Env: BENCH_P9_MB (default 32), BENCH_P9_FILES (default 300),
// BENCH_TIMEOUT_S (per step, default 600).
//   node bench/p9.js            the table
//   node bench/p9.js --json     the figures as JSON
//   bench/run.js imports it (name, run) for `npm run bench`.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const MB = Number(process.env.BENCH_P9_MB ?? 32);
const FILES = Number(process.env.BENCH_P9_FILES ?? 300);
const STEP_TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 600) * 1000;
const BOOT_TIMEOUT_MS = 180_000;
const TAG = 'share';
const GUEST = '/mnt/share';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A guest shell on a serial console: `sh` types a command and resolves with its output and time. */
class GuestShell {
  constructor(write) {
    this.write = write;
    this.text = '';
    this.seq = 0;
  }

  feed(chunk) {
    this.text += chunk.toString('latin1');
    // Keep memory bounded over long runs: only the tail can still hold a marker we wait for.
    if (this.text.length > 4 << 20) this.text = this.text.slice(-(1 << 20));
  }

  async waitFor(re, ms, what) {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.text);
      if (m) return m;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; console tail: ${this.text.slice(-400)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async sh(cmd, ms = STEP_TIMEOUT_MS) {
    const n = ++this.seq;
    this.text = '';
    const t0 = performance.now();
    this.write(`echo "@@B$((${n}))@@"; { ${cmd} ; } 2>&1; echo "@@E$((${n})) rc=$?@@"\n`);
    const m = await this.waitFor(new RegExp(`@@B${n}@@\\r?\\n([\\s\\S]*?)@@E${n} rc=(\\d+)@@`), ms, `\`${cmd}\``);
    const seconds = (performance.now() - t0) / 1000;
    if (m[2] !== '0') throw new Error(`\`${cmd}\` failed in the guest (rc ${m[2]}): ${m[1].trim().slice(-300)}`);
    return { out: m[1].replace(/\r/g, ''), seconds };
  }
}

/** The three steps, `reps` times each, checked on the host side. */
async function workload(shell, share, reps) {
  const bytes = MB * 1024 * 1024;
  writeFileSync(join(share, 'r.bin'), randomBytes(bytes));
  const times = { read: [], write: [], create: [] };
  for (let i = 0; i < reps; i++) {
    times.write.push((await shell.sh(`dd if=/dev/zero of=${GUEST}/w.bin bs=1M count=${MB} 2>/dev/null`)).seconds);
    if (statSync(join(share, 'w.bin')).size !== bytes) throw new Error('the written file has the wrong size on the host');
    times.read.push((await shell.sh(`dd if=${GUEST}/r.bin of=/dev/null bs=1M 2>/dev/null`)).seconds);
    const dir = `s${i}`;
    times.create.push((await shell.sh(`mkdir ${GUEST}/${dir} && cd ${GUEST}/${dir} && seq 1 ${FILES} | xargs touch; cd /`)).seconds);
    if (readdirSync(join(share, dir)).length !== FILES) throw new Error(`expected ${FILES} files on the host`);
  }
  return { read: median(times.read), write: median(times.write), create: median(times.create) };
}

async function builtinEngine(box, share, reps) {
  const { startBuiltinMachine } = await import(join(DIST, 'engines/builtin/builtin-machine.js'));
  const { createSyncedFolderDevices } = await import(join(DIST, 'engines/builtin/p9/synced-folders.js'));
  const { syncedFolderParams } = await import(join(DIST, 'engines/builtin/guest-params.js'));
  const folders = [{ hostPath: share, guestPath: GUEST, readOnly: false, tag: TAG }];
  const devices = await createSyncedFolderDevices({ syncedFolders: folders });
  const vm = await startBuiltinMachine({
    kernel: box.kernel,
    initrd: box.initrd,
    memoryBytes: 256 << 20,
    cpus: 1,
    cmdline: `${box.cmdline} vm.root=none ${syncedFolderParams(folders).join(' ')}`,
    devices: { console: false, rng: false, extra: devices },
  });
  const shell = new GuestShell((s) => vm.write(s));
  vm.output.on('data', (c) => shell.feed(c));
  try {
    let timer;
    const ready = await Promise.race([vm.ready.then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), BOOT_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (!ready) throw new Error(`builtin engine: no ready line; console tail: ${vm.consoleTail().slice(-300)}`);
    return await workload(shell, share, reps);
  } finally {
    vm.stop();
    await vm.exit;
  }
}

async function qemuEngine(box, share, reps) {
  const args = [
    '-M', 'virt', '-m', '256M', '-smp', '1', '-nographic', '-no-reboot',
    '-kernel', box.kernel, '-initrd', box.initrd,
    '-append', `${box.cmdline} vm.root=none vm.mount=${TAG}:${GUEST}`,
    '-fsdev', `local,id=fs0,path=${share},security_model=none`,
    '-device', `virtio-9p-device,fsdev=fs0,mount_tag=${TAG}`,
  ];
  const p = spawn('qemu-system-riscv64', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const shell = new GuestShell((s) => p.stdin.write(s));
  let err = '';
  p.stdout.on('data', (c) => shell.feed(c));
  p.stderr.on('data', (c) => (err += c));
  const exited = new Promise((r) => p.on('close', r));
  try {
    await Promise.race([
      shell.waitFor(/vm: ready/, BOOT_TIMEOUT_MS, 'the ready line'),
      exited.then(() => {
        throw new Error(`qemu exited before the ready line: ${err.trim().slice(-300)}`);
      }),
    ]);
    return await workload(shell, share, reps);
  } finally {
    p.kill('SIGKILL');
    await exited;
  }
}

function hasQemu() {
  return new Promise((resolve) => {
    const p = spawn('qemu-system-riscv64', ['--version'], { stdio: 'ignore' });
    p.on('error', () => resolve(false));
    p.on('close', (code) => resolve(code === 0));
  });
}

/** Seconds per step on each engine (qemu null when missing). */
async function measure(reps) {
  if (!existsSync(join(DIST, 'engines/builtin/p9/synced-folders.js'))) {
    throw new Error('bench/p9.js needs the compiled code: run `npm run build` first');
  }
  const { resolveBox } = await import(join(DIST, 'core/boxes/catalog.js'));
  const home = mkdtempSync(join(tmpdir(), 'vm-bench-p9-'));
  try {
    const box = await resolveBox('tiny', undefined, { loc: { home: join(home, 'store'), bundledDir: join(ROOT, 'boxes') } });
    const run = async (engine) => {
      const share = mkdtempSync(join(home, 'share-'));
      try {
        return await engine(box, share, reps);
      } finally {
        rmSync(share, { recursive: true, force: true });
      }
    };
    const builtin = await run(builtinEngine);
    const qemu = (await hasQemu()) ? await run(qemuEngine) : null;
    return { builtin, qemu };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export const name = 'p9';

const rate = (amount, s, unit) => `${(amount / s).toFixed(1)} ${unit}`;

/** bench/run.js interface: seconds for each step, qemu's as the reference, rates in the detail. */
export async function run({ runs }) {
  const { builtin, qemu } = await measure(Math.min(runs, 3));
  const note = qemu ? 'qemu-system-riscv64 -M virt (TCG), fsdev local (security_model=none) + virtio-9p-device, same box and commands' : 'qemu-system-riscv64 not installed';
  const steps = [
    ['read', `9p sequential read ${MB} MB (dd bs=1M)`, MB, 'MB/s'],
    ['write', `9p sequential write ${MB} MB (dd bs=1M)`, MB, 'MB/s'],
    ['create', `9p create ${FILES} small files (xargs touch)`, FILES, 'files/s'],
  ];
  return steps.map(([key, bench, amount, unit], i) => ({
    bench,
    ours: builtin[key],
    reference: qemu?.[key],
    detail: `${rate(amount, builtin[key], unit)}${qemu ? ` vs qemu ${rate(amount, qemu[key], unit)}` : ''}`,
    referenceNote: i === steps.length - 1 ? note : undefined,
  }));
}

async function main() {
  const reps = Number(process.env.BENCH_RUNS ?? 1);
  let r;
  try {
    r = await measure(reps);
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ bench: 'p9', mb: MB, files: FILES, reps, seconds: r }, null, 2)}\n`);
    return;
  }
  const f = (eng, key, amount, unit) => (eng ? `${eng[key].toFixed(2)} s (${rate(amount, eng[key], unit)})` : '-');
  console.log(`synced folder over virtio-9p, tiny box (median of ${reps})`);
  console.log('| step | builtin | qemu TCG | qemu faster by |');
  console.log('| --- | --- | --- | --- |');
  for (const [key, label, amount, unit] of [['read', `read ${MB} MB`, MB, 'MB/s'], ['write', `write ${MB} MB`, MB, 'MB/s'], ['create', `create ${FILES} files`, FILES, 'files/s']]) {
    console.log(`| ${label} | ${f(r.builtin, key, amount, unit)} | ${f(r.qemu, key, amount, unit)} | ${r.qemu ? `${(r.builtin[key] / r.qemu[key]).toFixed(1)}x` : '-'} |`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
