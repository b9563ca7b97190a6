#!/usr/bin/env node
// Debian trixie's riscv64 kernel (linux-image-riscv64, 6.12) with a busybox initramfs whose /init
// prints a marker and powers off: process start to /init, and to power-off, on the builtin engine
// translated (as shipped) and interpreted only (VM_JIT_THRESHOLD=0), beside qemu-system-riscv64 TCG.
// The kernel is a real distribution kernel (module-heavy config, crypto self-tests, X.509 parsing,
// alternatives patching at boot), so this row shows what the tiny box's 6.1 tinyconfig hides.
//
// The kernel is fetched once, only when asked (about 113 MB from deb.debian.org), into a cache
// outside the repository: $VM_BENCH_CACHE, else $XDG_CACHE_HOME/vm-bench, else ~/.cache/vm-bench.
// Fetching uses mmdebstrap when installed (as ../shared/notes/debian-box.md does), else apt-get with
// a private state folder inside the cache (the host's apt configuration is not touched) and the
// host's debian-archive-keyring. The initramfs's static riscv64 busybox is the one in the bundled
// tiny box's initrd (boxes/tiny, built by its build.sh).
// Env: BENCH_DEBIAN_FETCH=1 (fetch when missing, e.g. under npm run bench), BENCH_DEBIAN_RUNS (boots
// per configuration, default 1), BENCH_DEBIAN_CPUS (default 1), BENCH_DEBIAN_TIMEOUT_S (per boot,
// default 400), BENCH_DEBIAN_ONLY (comma list of builtin,interpreter,qemu).
//   node bench/debian-kernel.js --fetch    fetch the kernel into the cache (then measure)
//   node bench/debian-kernel.js [--json]   the table (or the figures as JSON)
//   bench/run.js imports it (name, keys, run) for `npm run bench -- debian`.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { builtinBoot, hasQemu, qemuBoot } from './lib/boot-timing.js';
import { ARCHIVE, DIST, median } from './lib/machine.js';
import { report } from './lib/table.js';

const MIRROR = 'http://deb.debian.org/debian';
const SUITE = 'trixie';
const META_PACKAGE = 'linux-image-riscv64';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const MARKER = 'VM-BENCH-INIT';
const CMDLINE = 'console=ttyS0';
const MEMORY_MIB = 512;
const RUNS = Number(process.env.BENCH_DEBIAN_RUNS ?? 1);
const CPUS = Number(process.env.BENCH_DEBIAN_CPUS ?? 1);
const TIMEOUT_MS = Number(process.env.BENCH_DEBIAN_TIMEOUT_S ?? 400) * 1000;
const ONLY = (process.env.BENCH_DEBIAN_ONLY ?? 'builtin,interpreter,qemu').split(',');

export const name = 'debian';
export const keys = ['debian'];

/** Where the fetched kernel lives: never inside the repository. */
export function cacheDir() {
  const base = process.env.VM_BENCH_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'vm-bench');
  return join(base, `debian-${SUITE}-riscv64`);
}

const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n')}`);
  return r.stdout;
}

/** The kernel package linux-image-riscv64 points at, its .deb downloaded with apt-get into `work`. */
function aptDownload(work) {
  for (const d of ['etc/apt/sources.list.d', 'etc/apt/preferences.d', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'var/lib/dpkg', 'dl']) {
    mkdirSync(join(work, d), { recursive: true });
  }
  writeFileSync(join(work, 'var/lib/dpkg/status'), '');
  writeFileSync(join(work, 'etc/apt/sources.list'), `deb [arch=riscv64 signed-by=${KEYRING}] ${MIRROR} ${SUITE} main\n`);
  const opts = [
    '-o', `Dir=${work}`,
    '-o', `Dir::State::status=${join(work, 'var/lib/dpkg/status')}`,
    '-o', 'APT::Architecture=riscv64',
    '-o', 'APT::Architectures::=riscv64',
    '-o', 'Debug::NoLocking=1',
    // apt drops privileges to _apt for downloads, which cannot write into a root-owned cache
    '-o', 'APT::Sandbox::User=root',
  ];
  sh('apt-get', ['-q', ...opts, 'update']);
  const deps = sh('apt-cache', [...opts, 'depends', META_PACKAGE]);
  const pkg = /Depends: (linux-image-\S+-riscv64)\b/.exec(deps)?.[1];
  if (!pkg) throw new Error(`cannot tell which kernel package ${META_PACKAGE} depends on:\n${deps}`);
  sh('apt-get', ['-q', ...opts, 'download', pkg], { cwd: join(work, 'dl') });
  const deb = readdirSync(join(work, 'dl')).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${pkg} left no .deb`);
  const root = join(work, 'root');
  mkdirSync(root);
  // Only /boot from the package: the modules are not needed for an initramfs that only powers off.
  const tar = spawnSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "./boot/*"', 'sh', join(work, 'dl', deb), root], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`cannot unpack ${deb}: ${tar.stderr}`);
  return { root, pkg: deb.replace(/\.deb$/, '') };
}

/** Fetch the kernel into the cache: cache/vmlinux and cache/kernel.json. */
export function fetchKernel(dir = cacheDir()) {
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, 'fetch-'));
  try {
    let got;
    if (have('mmdebstrap')) {
      const root = join(work, 'root');
      sh('mmdebstrap', ['--arch=riscv64', '--variant=extract', `--include=${META_PACKAGE}`, SUITE, root, MIRROR]);
      got = { root, pkg: `${META_PACKAGE} via mmdebstrap` };
    } else {
      for (const tool of ['apt-get', 'apt-cache', 'dpkg-deb']) if (!have(tool)) throw new Error(`fetching needs mmdebstrap, or apt-get, apt-cache and dpkg-deb (${tool} is missing)`);
      if (!existsSync(KEYRING)) throw new Error(`fetching with apt-get needs ${KEYRING} (apt-get install debian-archive-keyring)`);
      got = aptDownload(work);
    }
    const image = readdirSync(join(got.root, 'boot')).find((f) => /^vmlinu[xz]-.*riscv64$/.test(f));
    if (!image) throw new Error(`no /boot/vmlinux-*-riscv64 in ${got.pkg}`);
    renameSync(join(got.root, 'boot', image), join(dir, 'vmlinux'));
    writeFileSync(join(dir, 'kernel.json'), `${JSON.stringify({ kernel: image, from: got.pkg, suite: SUITE, mirror: MIRROR, fetched: new Date().toISOString() }, null, 2)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---- the initramfs: newc cpio (the kernel's initramfs format, Documentation/driver-api/early-userspace/buffer-format.rst)

function readCpio(buf) {
  const out = new Map();
  const align = (n) => (n + 3) & ~3;
  let off = 0;
  while (off + 110 <= buf.length) {
    if (buf.toString('latin1', off, off + 6) !== '070701') throw new Error(`bad cpio magic at ${off}`);
    const field = (i) => parseInt(buf.toString('latin1', off + 6 + i * 8, off + 14 + i * 8), 16);
    const size = field(6);
    const nameSize = field(11);
    const entry = buf.toString('utf8', off + 110, off + 110 + nameSize - 1);
    const data = align(off + 110 + nameSize);
    if (entry === 'TRAILER!!!') break;
    out.set(entry.replace(/^\.\//, ''), buf.subarray(data, data + size));
    off = align(data + size);
  }
  return out;
}

/** entries: [{ name, mode, data?, rdev? }] -> newc bytes. */
function writeCpio(entries) {
  const parts = [];
  const pad = (n) => Buffer.alloc((4 - (n % 4)) % 4);
  const hex = (v) => (v >>> 0).toString(16).padStart(8, '0');
  let ino = 1;
  for (const e of [...entries, { name: 'TRAILER!!!', mode: 0 }]) {
    const data = e.data ?? Buffer.alloc(0);
    const nameBytes = Buffer.from(`${e.name}\0`);
    const [major, minor] = e.rdev ?? [0, 0];
    const head = Buffer.from(['070701', hex(ino++), hex(e.mode), hex(0), hex(0), hex(1), hex(0), hex(data.length), hex(0), hex(0), hex(major), hex(minor), hex(nameBytes.length), hex(0)].join(''), 'latin1');
    parts.push(head, nameBytes, pad(110 + nameBytes.length), data, pad(data.length));
  }
  return Buffer.concat(parts);
}

/** The tiny box's static riscv64 busybox, from its initrd inside the committed tiny.box. */
function tinyBusybox() {
  const tmp = mkdtempSync(join(tmpdir(), 'vm-bench-bb-'));
  try {
    const tar = spawnSync('tar', ['-xzf', ARCHIVE, '-C', tmp, 'initrd.gz'], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`cannot read initrd.gz from ${ARCHIVE}: ${tar.stderr}`);
    const bb = readCpio(gunzipSync(readFileSync(join(tmp, 'initrd.gz')))).get('bin/busybox');
    if (!bb) throw new Error(`no bin/busybox in ${ARCHIVE}'s initrd`);
    return Buffer.from(bb);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** cache/initrd.gz: busybox, /dev/console (the kernel opens it for init), and an /init that prints MARKER and powers off. */
function buildInitramfs(dir) {
  const init = `#!/bin/busybox sh\n/bin/busybox echo ${MARKER}\n/bin/busybox poweroff -f\n`;
  const cpio = writeCpio([
    { name: 'bin', mode: 0o40755 },
    { name: 'dev', mode: 0o40755 },
    { name: 'dev/console', mode: 0o20600, rdev: [5, 1] },
    { name: 'proc', mode: 0o40755 },
    { name: 'bin/busybox', mode: 0o100755, data: tinyBusybox() },
    { name: 'init', mode: 0o100755, data: Buffer.from(init) },
  ]);
  const path = join(dir, 'initrd.gz');
  writeFileSync(path, gzipSync(cpio));
  return path;
}

// ---- measuring

async function measure(dir) {
  const kernel = join(dir, 'vmlinux');
  const initrd = buildInitramfs(dir);
  const spec = { kernel, initrd, memoryBytes: MEMORY_MIB << 20, cpus: CPUS, cmdline: CMDLINE, readyMarker: MARKER };
  const configs = [
    ...(ONLY.includes('builtin') ? [{ id: 'builtin', run: () => builtinBoot(spec, { timeoutMs: TIMEOUT_MS }) }] : []),
    ...(ONLY.includes('interpreter') ? [{ id: 'interpreter', run: () => builtinBoot(spec, { interpreter: true, timeoutMs: TIMEOUT_MS }) }] : []),
    ...(ONLY.includes('qemu') && (await hasQemu())
      ? [{ id: 'qemu', run: () => qemuBoot({ kernel, initrd, cmdline: CMDLINE, memoryMiB: MEMORY_MIB, cpus: CPUS, marker: MARKER, timeoutMs: TIMEOUT_MS }) }]
      : []),
  ];
  const got = {};
  for (const c of configs) {
    const done = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await c.run();
      if (r.error) {
        got[c.id] = { error: r.error };
        break;
      }
      if (r.exit !== 'poweroff') {
        got[c.id] = { error: `reached /init but ended with ${r.exit}, not a power-off` };
        break;
      }
      done.push(r);
    }
    if (!got[c.id]) {
      got[c.id] = {
        init: median(done.map((r) => r.readyMs)) / 1000,
        poweroff: median(done.map((r) => r.totalMs)) / 1000,
        mInstr: done[0].readyInstr ? done[0].readyInstr / 1e6 : undefined,
      };
    }
  }
  return got;
}

const enableHint = () =>
  `no Debian kernel in ${cacheDir()}: run \`node bench/debian-kernel.js --fetch\` once (downloads ~113 MB from ${MIRROR}), or set BENCH_DEBIAN_FETCH=1`;

export async function run({ fetch = process.env.BENCH_DEBIAN_FETCH === '1' } = {}) {
  const dir = cacheDir();
  const title = (what) => `Debian ${SUITE} kernel + busybox initramfs, ${what}`;
  if (!existsSync(join(dir, 'vmlinux'))) {
    if (!fetch) return [{ key: 'debian', bench: title('start to /init'), skipped: enableHint() }];
    fetchKernel(dir);
  }
  if (!existsSync(join(DIST, 'engines/builtin/builtin-machine.js'))) throw new Error('run `npm run build` first (dist/ is missing)');
  const info = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8'));
  const got = await measure(dir);
  const b = got.builtin;
  const i = got.interpreter;
  const q = got.qemu;
  const errors = Object.entries(got)
    .filter(([, v]) => v.error)
    .map(([k, v]) => `${k}: ${v.error}`);
  const row = (field, what, goalRatio) => ({
    key: 'debian',
    bench: title(what),
    ours: b?.[field],
    interpreter: i?.[field],
    reference: q?.[field],
    goalRatio,
    error: errors.length > 0 ? errors.join('; ') : undefined,
    detail: field === 'init' && b?.mInstr ? `${b.mInstr.toFixed(0)} M guest instructions to /init` : undefined,
    referenceNote:
      field === 'init'
        ? `qemu-system-riscv64 -M virt TCG; ${info.kernel} from ${info.from}; ${CPUS} cpu, ${MEMORY_MIB} MiB, "${CMDLINE}"; boots per configuration: ${RUNS}${q ? '' : ' (no qemu figure)'}`
        : undefined,
  });
  return [row('init', 'start to /init', 2.0), row('poweroff', 'start to power-off')];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const fetch = process.argv.includes('--fetch');
  report(await run({ fetch: fetch || process.env.BENCH_DEBIAN_FETCH === '1' }));
}
