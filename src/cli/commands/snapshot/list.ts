// `vm snapshot list [NAME...]`: the snapshots of the project's machines.
import { MachinesCommand } from '../../base-command.js';
import { paint } from '../../ui/color.js';
import { humanBytes } from '../../snapshot-target.js';

export default class SnapshotList extends MachinesCommand {
  static override summary = 'List snapshots';

  async run(): Promise<void> {
    const a = await this.parseMachines();
    const sel = await this.selectNamed(a);
    const { listSnapshots } = await import('../../../core/machines/snapshots.js');
    const machines = await Promise.all(sel.machines.map(async (m) => ({ name: m.name, snapshots: await listSnapshots(sel.dir, m.name) })));
    if (a.json) {
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
