// `npm run bench [-- ROW...]`: runs the bench modules in BENCHES and prints one table of our figures
// beside the reference tool's, as ratios. A bench module exports `name`, optionally `keys` (the row
// keys it can produce; default [name]) and `run({ runs, only })` returning rows of
// { key?, bench, ours, interpreter?, reference?, goal?, goalRatio?, detail?, referenceNote?, error?, skipped? }
// (seconds). `ours` is the builtin engine as shipped (guest code translated from the default
// threshold on), `interpreter` the same work with VM_JIT_THRESHOLD=0; `goal` is seconds, `goalRatio`
// a bound on ours/reference; `skipped` says why a row was not measured and how to enable it. `only` is the set of keys asked for (undefined = all): a module may skip
// work for rows nobody asked for.
//   npm run bench                 every row
//   npm run bench -- boot ash     only the rows with those keys (or every row of a module: `qemu`)
//   npm run bench -- --list       the keys
import { fileURLToPath } from 'node:url';
import { printTable } from './lib/table.js';

const BENCHES = ['./status.js', './boot.js', './qemu.js', './cpu-loop.js', './debian-kernel.js', './debian-box.js', './box-build.js', './p9.js', './io.js', './disk.js', './snapshot.js', './warm-start.js', './libvirt.js'];

/** The bench modules with their row keys. */
async function modules() {
  const out = [];
  for (const path of BENCHES) {
    const mod = await import(path);
    out.push({ path, mod, keys: mod.keys ?? [mod.name] });
  }
  return out;
}

/** Which modules run and which row keys they keep, from the command line words (keys or module names). */
export function select(mods, words) {
  if (words.length === 0) return mods.map((m) => ({ ...m, only: undefined }));
  const known = new Set(mods.flatMap((m) => [m.mod.name, ...m.keys]));
  const unknown = words.filter((w) => !known.has(w));
  if (unknown.length > 0) {
    throw new Error(`no bench row '${unknown.join("', '")}'; rows: ${mods.map((m) => `${m.mod.name} (${m.keys.join(' ')})`).join(', ')}`);
  }
  return mods.flatMap((m) => {
    const only = words.includes(m.mod.name) ? new Set(m.keys) : new Set(m.keys.filter((k) => words.includes(k)));
    return only.size > 0 ? [{ ...m, only }] : [];
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(process.env.BENCH_RUNS ?? 11);
  const words = process.argv.slice(2);
  const mods = await modules();
  if (words.includes('--list')) {
    for (const m of mods) console.log(`${m.mod.name}: ${m.keys.join(' ')}`);
    process.exit(0);
  }
  let chosen;
  try {
    chosen = select(mods, words);
  } catch (err) {
    console.error(`bench: ${err.message}`);
    process.exit(1);
  }
  const rows = [];
  for (const { path, mod, only } of chosen) {
    try {
      const got = await mod.run({ runs, only });
      rows.push(...got.filter((r) => !only || only.has(r.key ?? mod.name)));
    } catch (err) {
      rows.push({ bench: mod.name ?? path, error: err.message });
    }
  }
  printTable(rows);
  if (rows.some((r) => r.error)) process.exitCode = 1;
}
