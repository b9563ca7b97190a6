// `vm snapshot push [NAME]`: a snapshot under a generated name, for `vm snapshot pop` (as Vagrant's).
import { Args } from '@oclif/core';
import { fileFlag } from '../../flags.js';
import { BaseCommand } from '../../base-command.js';
import { humanBytes } from '../../snapshot-target.js';

export default class SnapshotPush extends BaseCommand {
  static override summary = 'Take a snapshot onto the stack `vm snapshot pop` restores from';
  static override args = { name: Args.string({ description: 'machine name (may be left out when the Vmfile has one machine)', ignoreStdin: true }) };
  static override flags = { file: fileFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SnapshotPush);
    const { selectOne } = await import('../../../core/lifecycle/select.js');
    const { pushName, saveSnapshot } = await import('../../../core/machines/snapshots.js');
    const { sel, config } = await selectOne({ file: flags.file, name: args.name, cwd: process.cwd(), command: 'vm snapshot push' });
    const info = await saveSnapshot(sel.dir, config, pushName(), { command: `vm snapshot push ${config.name}` });
    this.log(`${config.name}: pushed snapshot '${info.name}' (${info.memory ? 'disks and memory' : 'disks'}, ${humanBytes(info.bytes)})`);
  }
}
