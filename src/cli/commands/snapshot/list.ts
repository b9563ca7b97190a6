// `vm snapshot list [NAME...]`: the snapshots of the project's machines.
import { Args } from '@oclif/core';
import { fileFlag, jsonFlag } from '../../flags.js';
import { BaseCommand } from '../../base-command.js';
import { paint } from '../../ui/color.js';
import { humanBytes } from '../../snapshot-target.js';

export default class SnapshotList extends BaseCommand {
  static override summary = 'List snapshots';
  static override strict = false;
  static override args = { name: Args.string({ description: 'machine name (several allowed); all machines when omitted', ignoreStdin: true }) };
  static override flags = { file: fileFlag, json: jsonFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(SnapshotList);
    const { selectMachines } = await import('../../../core/lifecycle/select.js');
    const { listSnapshots } = await import('../../../core/machines/snapshots.js');
    const sel = await selectMachines({ file: flags.file, names: argv as string[], cwd: process.cwd(), readOnly: true });
    const machines = await Promise.all(sel.machines.map(async (m) => ({ name: m.name, snapshots: await listSnapshots(sel.dir, m.name) })));
    if (flags.json) {
      this.log(JSON.stringify({ machines }, null, 2));
      return;
    }
    for (const m of machines) {
      if (m.snapshots.length === 0) {
        this.log(`${m.name}: no snapshots`);
        continue;
      }
      this.log(paint.bold(m.name));
      for (const s of m.snapshots) this.log(`  ${s.name}  ${s.createdAt}  ${s.memory ? `disks+memory (${s.machineState})` : 'disks'}  ${humanBytes(s.bytes)}`);
    }
  }
}
