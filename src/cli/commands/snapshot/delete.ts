// `vm snapshot delete [NAME] SNAP`: remove one snapshot; the others and the machine are untouched.
import { fileFlag } from '../../flags.js';
import { BaseCommand } from '../../base-command.js';
import { snapshotArgs, snapshotTarget } from '../../snapshot-target.js';

export default class SnapshotDelete extends BaseCommand {
  static override summary = 'Delete a snapshot';
  static override description = 'Removes one snapshot of a machine. Each snapshot holds its own copies, so the others (older or newer) and the machine itself are untouched.';
  static override args = snapshotArgs;
  static override flags = { file: fileFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SnapshotDelete);
    const { config, sel, snap } = await snapshotTarget(flags.file, args.name, args.snapshot, 'vm snapshot delete');
    const { deleteSnapshot } = await import('../../../core/machines/snapshots.js');
    await deleteSnapshot(sel.dir, config, snap, { command: `vm snapshot delete ${config.name} ${snap}` });
    this.log(`${config.name}: snapshot '${snap}' deleted`);
  }
}
