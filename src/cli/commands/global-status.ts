// `vm global-status`: machines of every project on this host, from the index in the store.
import { Flags } from '@oclif/core';
import { jsonFlag } from '../flags.js';
import { BaseCommand } from '../base-command.js';
import { paint } from '../ui/color.js';

export default class GlobalStatus extends BaseCommand {
  static override description = 'List the machines of every project on this host (from the index in the box store), and the machines vm made on the libvirt hosts that index names, remote ones included (found by their domains\' metadata, even when their project or its .vm/ folder is gone)';
  static override examples = [
    { description: 'Every known machine, with its state checked now', command: '<%= config.bin %> global-status' },
    { description: 'Forget machines whose project or machine folder is gone', command: '<%= config.bin %> global-status --prune' },
  ];
  static override flags = {
    prune: Flags.boolean({ description: 'drop entries whose project folder or machine no longer exists (never one whose engine still runs), and follow moved project folders' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GlobalStatus);
    const { globalStatus, pruneIndex } = await import('../../core/machines/global-status.js');
    const warn = (m: string): void => {
      process.stderr.write(`${paint.yellow('Warning:')} ${m}\n`);
    };
    const pruned = flags.prune ? await pruneIndex({}, { warn }) : [];
    const machines = await globalStatus({}, { warn });
    if (flags.json) {
      this.log(JSON.stringify(flags.prune ? { machines, pruned } : machines, null, 2));
      return;
    }
    for (const p of pruned) {
      this.log(p.movedFrom ? `Moved ${p.name}: ${p.movedFrom} -> ${p.project}` : `Pruned ${p.name} in ${p.project} (${p.detail ?? p.status})`);
    }
    if (machines.length === 0) {
      this.log('No machines known on this host. `vm up` in a project adds its machines here.');
      return;
    }
    // a libvirt machine names its host (the URI without its parameters, which may name a key file) and its domain's state there
    const engine = (m: (typeof machines)[number]): string => (m.libvirt ? `libvirt ${m.libvirt.uri.replace(/\?.*$/, '')}` : m.engine);
    const state = (m: (typeof machines)[number]): string =>
      m.status + (m.pid !== undefined ? ` (pid ${m.pid})` : '') + (m.libvirt && m.status !== 'running' ? ` (domain ${m.libvirt.state})` : '') + (m.indexed === false ? ' (not indexed)' : '');
    const rows = machines.map((m) => [m.name, engine(m), state(m), m.project + (m.movedFrom ? ` (moved from ${m.movedFrom})` : '')]);
    const head = ['NAME', 'ENGINE', 'STATE', 'PROJECT'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
    this.log(paint.bold(line(head)));
    for (const r of rows) this.log(line(r));
    const stale = machines.filter((m) => m.stale).length;
    if (stale > 0 && !flags.prune) this.log(paint.dim(`${stale} entr${stale === 1 ? 'y is' : 'ies are'} stale; \`vm global-status --prune\` drops ${stale === 1 ? 'it' : 'them'}.`));
  }
}
