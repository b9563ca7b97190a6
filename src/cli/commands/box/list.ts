// `vm box list`: stored and bundled boxes.
import { jsonFlag } from '../../flags.js';
import { BaseCommand } from '../../base-command.js';
import { paint } from '../../ui/color.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
function humanSize(n: number | undefined): string {
  if (n === undefined) return '-';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[i]}`;
}

export default class BoxList extends BaseCommand {
  static override description = 'List the boxes in the local store and the boxes bundled with vm (installed on first use)';
  static override examples = [
    { description: 'As a table', command: '<%= config.bin %> box list' },
    { description: 'As JSON', command: '<%= config.bin %> box list --json' },
  ];
  static override flags = {
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BoxList);
    const { listBoxes } = await import('../../../core/boxes/catalog.js');
    const rows = await listBoxes();
    if (flags.json) {
      this.log(JSON.stringify(rows, null, 2));
      return;
    }
    if (rows.length === 0) {
      this.log('No boxes. Add one with `vm box add PATH`.');
      return;
    }
    const cells = rows.map((r) => [
      r.name,
      r.version,
      r.architecture ?? '-',
      r.engines?.join(',') ?? '-',
      humanSize(r.size),
      r.error ? 'broken' : r.source === 'bundled' ? (r.stored ? 'bundled (stored)' : 'bundled') : 'store',
    ]);
    const head = ['NAME', 'VERSION', 'ARCH', 'ENGINES', 'SIZE', 'SOURCE'];
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const line = (c: string[]): string => c.map((s, i) => (i === c.length - 1 ? s : s.padEnd(widths[i]!))).join('  ');
    this.log(paint.bold(line(head)));
    for (const c of cells) this.log(line(c));
    for (const r of rows) if (r.error) process.stderr.write(`${paint.yellow('Warning:')} ${r.name} ${r.version}: ${r.error}\n`);
  }
}
