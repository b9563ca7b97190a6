#!/usr/bin/env node
// Disk snapshot save and restore on the root disk's layer chain (engines/shared/disk-chain.ts),
// builtin overlays beside qemu's qcow2 (qemu-img), on the bundled tiny box's root image: the top
// gets BENCH_SNAP_MB of writes (through the engine's own disk code: the builtin overlay, qemu-io),
// then a save freezes it as a layer, a restore starts a new top on it, a delete of the snapshot
// merges the layer back into the top. No guest runs: this is the disk part of `vm snapshot` of a
// halted machine, host wall clock per operation, best of BENCH_SNAP_REPS.
// Env: BENCH_SNAP_MB (default 64), BENCH_SNAP_REPS (default 3).
//   node bench/snapshot.js [--json]      bench/run.js can import it (name, keys, run).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFor, DIST, unpackBox } from './lib/machine.js';
import { report } from './lib/table.js';

const MIB = 1024 * 1024;
const MB = Number(process.env.BENCH_SNAP_MB ?? 64);
const REPS = Number(process.env.BENCH_SNAP_REPS ?? 3);

export const name = 'snapshot';
export const keys = ['snapshot-save', 'snapshot-restore', 'snapshot-delete'];

const time = async (f) => {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
};

async function builtinRound(box, dir) {
  const { OverlayDisk } = await import(join(DIST, 'engines/builtin/disk/overlay-disk.js'));
  const { LayeredDisk, chainAt } = await import(join(DIST, 'engines/builtin/disk/layered-disk.js'));
  const base = { path: box.rootDisk.path, sha256: box.rootDisk.sha256 };
  const top = join(dir, 'root.overlay');
  await OverlayDisk.create(top, base);
  const d = await LayeredDisk.open(top, { base });
  const chunk = new Uint8Array(MIB).fill(0x5a);
  for (let i = 0; i < MB; i++) await d.write(i * MIB, chunk);
  await d.close();
  const chain = chainAt(top, { base });
  const save = await time(() => chain.freeze('lbench'));
  const restore = await time(() => chain.restore('lbench'));
  const del = await time(() => chain.collapse(new Set()));
  return { save, restore, del };
}

async function qemuRound(box, dir) {
  const { qemuDiskChains } = await import(join(DIST, 'engines/qemu/qemu-img.js'));
  const config = { ...configFor(box, dir, 'qemu', {}), project: { dir, vmfile: join(dir, 'Vmfile'), stateDir: dir } };
  const top = join(dir, 'qemu-root.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', box.rootDisk.path, '-F', box.rootDisk.format, top]);
  execFileSync('qemu-io', ['-f', 'qcow2', '-c', `write -P 0x5a 0 ${MB * MIB}`, top], { stdio: 'ignore' });
  const [chain] = qemuDiskChains(config, async () => 'qemu-img');
  const save = await time(() => chain.freeze('lbench'));
  const restore = await time(() => chain.restore('lbench'));
  const del = await time(() => chain.collapse(new Set()));
  return { save, restore, del };
}

const best = (xs) => Math.min(...xs);

export async function run() {
  if (!existsSync(join(DIST, 'engines/shared/disk-chain.js'))) throw new Error('dist/ is missing: run npm run build first');
  const haveQemu = spawnSync('qemu-io', ['--version']).status === 0 && spawnSync('qemu-img', ['--version']).status === 0;
  const project = mkdtempSync(join(tmpdir(), 'vm-bench-snap-'));
  const got = { builtin: [], qemu: [] };
  try {
    const box = unpackBox(project);
    for (let i = 0; i < REPS; i++) {
      for (const [engine, round] of [['builtin', builtinRound], ...(haveQemu ? [['qemu', qemuRound]] : [])]) {
        const dir = join(project, `${engine}-${i}`);
        mkdirSync(dir);
        got[engine].push(await round(box, dir));
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
  const row = (bench, key) => ({
    key: `snapshot-${key === 'del' ? 'delete' : key}`,
    bench,
    ours: best(got.builtin.map((r) => r[key])),
    reference: haveQemu ? best(got.qemu.map((r) => r[key])) : undefined,
    referenceNote: haveQemu ? undefined : 'qemu-img/qemu-io not installed: no qemu figure',
    detail: `builtin overlays vs qemu-img qcow2 chain, ${MB} MiB written in the top`,
  });
  return [
    row(`snapshot save (freeze the top, ${MB} MiB written)`, 'save'),
    row('snapshot restore (new top on the layer)', 'restore'),
    row(`snapshot delete (merge the ${MB} MiB layer into the top)`, 'del'),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) report(await run());
