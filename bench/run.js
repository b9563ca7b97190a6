// `npm run bench`: runs each bench module in BENCHES and prints one table of our figures beside the
// reference tool's, as ratios. A bench module exports `name` and `run({ runs })` returning rows of
// { bench, ours, reference?, goal?, detail?, referenceNote?, error? } (seconds).
import { fileURLToPath } from 'node:url';

const BENCHES = ['./status.js', './boot.js', './p9.js', './qemu.js', './io.js', './disk.js'];

/** Times in seconds: say which side is faster, and by how much, without ratios below 1. */
const ratio = (ours, reference) =>
  ours <= reference ? `ours ${(reference / ours).toFixed(1)}x faster` : `ours ${(ours / reference).toFixed(1)}x slower`;

const fmt = (s) => (s === undefined ? '-' : `${s.toFixed(3)} s`);

export function printTable(rows) {
  const cells = rows.map((r) =>
    r.error
      ? [r.bench, 'error', '-', '-', '-']
      : [
          r.bench,
          fmt(r.ours),
          fmt(r.reference),
          r.reference ? ratio(r.ours, r.reference) : '-',
          r.goal === undefined ? '-' : `${r.ours <= r.goal ? 'met' : 'MISSED'} (< ${r.goal} s)`,
        ],
  );
  const head = ['bench', 'ours', 'reference', 'ratio', 'goal'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((s, i) => s.padEnd(widths[i])).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
  for (const r of rows) {
    if (r.error) console.log(`  ${r.bench}: ${r.error}`);
    if (r.detail) console.log(`  ${r.bench}: ${r.detail}`);
    if (r.referenceNote) console.log(`  reference: ${r.referenceNote}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(process.env.BENCH_RUNS ?? 11);
  const rows = [];
  for (const path of BENCHES) {
    const mod = await import(path);
    try {
      rows.push(...(await mod.run({ runs })));
    } catch (err) {
      rows.push({ bench: mod.name ?? path, error: err.message });
    }
  }
  printTable(rows);
  if (rows.some((r) => r.error)) process.exitCode = 1;
}
