// `vm snapshot restore [NAME] SNAP`: put the machine back to a snapshot and start it from there.
import { Flags } from '@oclif/core';
import { fileFlag } from '../../flags.js';
import { BaseCommand } from '../../base-command.js';
import { snapshotArgs, snapshotTarget } from '../../snapshot-target.js';

export default class SnapshotRestore extends BaseCommand {
  static override summary = 'Put a machine back to a snapshot';
  static override description =
    "Stops the machine if it runs (what it did since is lost), puts the snapshot's disks back, and starts it: a snapshot with memory continues the guest where it was taken, a disk-only one boots. Later snapshots are kept.";
  static override args = snapshotArgs;
  static override flags = { file: fileFlag, start: Flags.boolean({ description: 'start the machine after restoring', default: true, allowNo: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SnapshotRestore);
    const { config, sel, snap } = await snapshotTarget(flags.file, args.name, args.snapshot, 'vm snapshot restore');
    const { restoreSnapshot } = await import('../../../core/machines/snapshots.js');
    const info = await restoreSnapshot(sel.dir, config, snap, { command: `vm snapshot restore ${config.name} ${snap}` });
    this.log(`${config.name}: restored snapshot '${snap}' (${info.memory ? 'disks and memory' : 'disks'})`);
    if (!flags.start) return;
    const { runUpTaskList } = await import('../up.js');
    await runUpTaskList({ ...sel, machines: [config] }, { provision: false, command: `vm snapshot restore ${config.name} ${snap}` });
  }
}
