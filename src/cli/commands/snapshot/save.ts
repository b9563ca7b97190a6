// `vm snapshot save [NAME] SNAP`: a named snapshot of a machine's disks, with its memory when it runs.
import { fileFlag } from '../../flags.js';
import { BaseCommand } from '../../base-command.js';
import { humanBytes, snapshotArgs, snapshotTarget } from '../../snapshot-target.js';

export default class SnapshotSave extends BaseCommand {
  static override summary = "Take a named snapshot of a machine's disks (and memory when it runs)";
  static override description =
    "Freezes each disk's copy-on-write top (the root disk's and the extra disks') as the snapshot's layer (the machine goes on in new ones, so the snapshot costs what was written since the last one); the snapshot's record is in .vm/machines/NAME/snapshots/SNAP. Taken of a running machine, its memory and device state is saved too, so `vm snapshot restore` continues that running guest (builtin: the guest is paused meanwhile; qemu: the machine is suspended and resumed); of a halted machine it is disk-only.";
  static override examples = [{ description: 'Before an upgrade', command: '<%= config.bin %> snapshot save default before-upgrade' }];
  static override args = snapshotArgs;
  static override flags = { file: fileFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SnapshotSave);
    const { config, sel, snap } = await snapshotTarget(flags.file, args.name, args.snapshot, 'vm snapshot save');
    const { saveSnapshot } = await import('../../../core/machines/snapshots.js');
    const info = await saveSnapshot(sel.dir, config, snap, { command: `vm snapshot save ${config.name} ${snap}` });
    this.log(`${config.name}: snapshot '${snap}' saved (${info.memory ? 'disks and memory' : 'disks'}, ${humanBytes(info.bytes)})`);
    if (!info.resume) return;
    // Taken suspended (qemu): the machine goes on from where it was.
    const { runUpTaskList } = await import('../up.js');
    await runUpTaskList({ ...sel, machines: [config] }, { provision: false, command: `vm snapshot save ${config.name} ${snap}` });
  }
}
