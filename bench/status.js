// Bench: wall time of `vm status` on a fresh one-machine project (median of N runs), beside
// `vagrant status` on a 3-line Vagrantfile when vagrant is installed. Goal: under 0.2 s.
// Run alone with `node bench/status.js [RUNS]`, or through `npm run bench`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable } from './lib/table.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));
export const name = 'status';
export const goalSeconds = 0.2;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Median wall seconds of `argv` over `runs` runs (after one warm-up run), or an error text. */
function time(argv, opts, runs) {
  const once = () => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { ...opts, encoding: 'utf8' });
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    return { secs, r };
  };
  const warm = once();
  if (warm.r.error || warm.r.status !== 0) {
    return { error: `${argv.join(' ')} failed (${warm.r.error?.message ?? `exit ${warm.r.status}`}): ${(warm.r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
  }
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(once().secs);
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), output: warm.r.stdout.trim() };
}

function hasVagrant() {
  const r = spawnSync('vagrant', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Measures and returns rows for the bench table. */
export async function run({ runs = 11 } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'vm-bench-status-'));
  try {
    const project = join(root, 'project');
    const home = join(root, 'home');
    spawnSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'Vmfile'), 'box: tiny\n');
    const env = { ...process.env, VM_HOME: home, NO_COLOR: '1' };
    const ours = time([process.execPath, join(REPO, 'bin/run.js'), 'status'], { cwd: project, env }, runs);
    const rows = [];
    if (ours.error) rows.push({ bench: 'vm status', error: ours.error });
    else rows.push({ bench: 'vm status (fresh project)', ours: ours.median, detail: `min ${ours.min.toFixed(3)} s, max ${ours.max.toFixed(3)} s, ${runs} runs: "${ours.output}"`, goal: goalSeconds });

    const vagrant = hasVagrant();
    if (!vagrant) {
      rows[0].reference = undefined;
      rows[0].referenceNote = 'vagrant not installed (Debian package `vagrant`; about 1.8 s measured here before)';
      return rows;
    }
    const vproject = join(root, 'vagrant');
    spawnSync('mkdir', ['-p', vproject]);
    writeFileSync(join(vproject, 'Vagrantfile'), 'Vagrant.configure("2") do |config|\n  config.vm.box = "debian/bookworm64"\nend\n');
    const venv = { ...process.env, VAGRANT_HOME: join(root, 'vagrant-home'), VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_NO_COLOR: '1' };
    const ref = time(['vagrant', 'status'], { cwd: vproject, env: venv }, Math.max(3, Math.floor(runs / 2)));
    if (ref.error) rows[0].referenceNote = ref.error;
    else {
      rows[0].reference = ref.median;
      rows[0].referenceNote = `${vagrant}: "${ref.output.split('\n').find((l) => l.startsWith('default')) ?? ''}"`;
    }
    return rows;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) printTable(await run({ runs: Number(process.argv[2] ?? 11) }));
