#!/usr/bin/env node
// `vm box build boxes/debian-13` as a user runs it (`--force`, so the store's copy is not reused),
// into a temporary store: the Debian archive's Release, the download, every maintainer script under
// qemu-user (binfmt), the recipe's commands, mkfs.ext4 -d, the kernel, the initrd and the checksums,
// timed from the command's start to its exit, with the build's own count of each step.
// There is no reference tool doing the same work, so the row has no ratio.
// Downloaded packages are kept in BENCH_BOX_BUILD_CACHE (default ~/.cache/vm-bench/debs-riscv64)
// between runs: the row says whether this run downloaded them or found them there, since the
// download is the archive's speed, not ours.
// The row is skipped, saying why, where the host cannot build (not root, a host program or the
// riscv64 binfmt entry missing: what `vm box build` itself checks first).
// Env: BENCH_BOX_BUILD_RECIPE (a recipe folder or file, default boxes/debian-13).
//   node bench/box-build.js [--json]   the table (or the figures as JSON)
//   bench/run.js imports it (name, keys, run) for `npm run bench -- box-build`.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST, ROOT } from './lib/machine.js';
import { report } from './lib/table.js';

const RECIPE = resolve(process.env.BENCH_BOX_BUILD_RECIPE ?? join(ROOT, 'boxes/debian-13'));
const CACHE = process.env.BENCH_BOX_BUILD_CACHE ?? join(homedir(), '.cache/vm-bench/debs-riscv64');
const BIN = join(ROOT, 'bin/run.js');

export const name = 'box-build';
export const keys = ['box-build'];

/** Runs `vm ARGS` to completion; resolves with its exit code, output and wall time in seconds. */
function vm(args, env) {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmpdir(), env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 }));
  });
}

export async function run() {
  if (!existsSync(join(DIST, 'cli/commands/up.js'))) throw new Error('run `npm run build` first (dist/ is missing)');
  const { loadRecipe } = await import(join(DIST, 'core/boxes/recipe.js'));
  const { checkHostTools } = await import(join(DIST, 'core/boxes/build-tools.js'));
  const recipe = loadRecipe(RECIPE);
  const bench = `vm box build ${recipe.name} (${recipe.architecture})`;
  try {
    checkHostTools(recipe);
  } catch (err) {
    return [{ key: 'box-build', bench, skipped: `${err.message}${err.options?.hint ? ` (${err.options.hint})` : ''}` }];
  }
  mkdirSync(CACHE, { recursive: true });
  const cached = readdirSync(CACHE).filter((f) => f.endsWith('.deb')).length;
  const home = mkdtempSync(join(tmpdir(), 'vm-bench-box-build-'));
  try {
    const r = await vm(['box', 'build', RECIPE, '--json', '--force'], { VM_HOME: home, VM_BOX_BUILD_CACHE: CACHE });
    if (r.code !== 0) return [{ key: 'box-build', bench, error: `vm box build failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-4).join(' | ')}` }];
    const out = JSON.parse(r.stdout);
    return [
      {
        key: 'box-build',
        bench,
        ours: r.seconds,
        detail: `${out.packages} packages, ${cached > 0 ? `${cached} .debs already in ${CACHE}` : `downloaded into an empty ${CACHE}`}; the build's own count ${out.seconds} s`,
      },
    ];
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) report(await run());
