// The bench table: rows of bench/run.js's format (see there) printed beside the reference tool's
// figures as ratios, for `npm run bench` and for a bench module run on its own.

/** Times in seconds: say which side is faster, and by how much, without ratios below 1. */
const ratio = (ours, reference) =>
  ours <= reference ? `ours ${(reference / ours).toFixed(1)}x faster` : `ours ${(ours / reference).toFixed(1)}x slower`;

const fmt = (s) => (s === undefined ? '-' : `${s.toFixed(3)} s`);

function goal(r) {
  const parts = [];
  if (r.goal !== undefined) parts.push(`${r.ours <= r.goal ? 'met' : 'MISSED'} (< ${r.goal} s)`);
  if (r.goalRatio !== undefined && r.reference) parts.push(`${r.ours / r.reference <= r.goalRatio ? 'met' : 'MISSED'} (<= ${r.goalRatio}x ref)`);
  return parts.length > 0 ? parts.join(', ') : '-';
}

export function printTable(rows) {
  const withInterp = rows.some((r) => r.interpreter !== undefined);
  const cells = rows.map((r) => {
    const interp = withInterp ? [fmt(r.interpreter)] : [];
    const interpRatio = withInterp ? [r.interpreter !== undefined && r.reference ? ratio(r.interpreter, r.reference) : '-'] : [];
    return r.error || r.skipped
      ? [r.bench, r.error ? 'error' : 'skipped', ...interp.map(() => '-'), '-', '-', ...interpRatio.map(() => '-'), '-']
      : [r.bench, fmt(r.ours), ...interp, fmt(r.reference), r.ours !== undefined && r.reference ? ratio(r.ours, r.reference) : '-', ...interpRatio, r.ours !== undefined ? goal(r) : '-'];
  });
  const head = withInterp
    ? ['bench', 'ours', 'interpreter', 'reference', 'ratio', 'ratio, interpreter', 'goal']
    : ['bench', 'ours', 'reference', 'ratio', 'goal'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((s, i) => s.padEnd(widths[i])).join('  ').trimEnd();
  if (withInterp) console.log('ours: builtin engine as shipped (translation on); interpreter: builtin with VM_JIT_THRESHOLD=0');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
  for (const r of rows) {
    if (r.error) console.log(`  ${r.bench}: ${r.error}`);
    if (r.skipped) console.log(`  ${r.bench}: skipped: ${r.skipped}`);
    if (r.detail) console.log(`  ${r.bench}: ${r.detail}`);
    if (r.referenceNote) console.log(`  reference: ${r.referenceNote}`);
  }
}

/**
 * The end of a bench module run on its own (`node bench/disk.js [--json]`): its rows as JSON or as
 * the table, and exit status 1 when a row failed.
 */
export function report(rows) {
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
  else printTable(rows);
  if (rows.some((r) => r.error)) process.exitCode = 1;
}
