// `vm snapshot pop [NAME]`: restore the newest pushed snapshot and delete it.
import { Args, Flags } from '@oclif/core';
import { fileFlag } from '../../flags.js';
import { BaseCommand } from '../../base-command.js';
import { EXIT, UserError } from '../../../core/errors.js';

export default class SnapshotPop extends BaseCommand {
  static override summary = 'Restore the newest pushed snapshot and delete it';
  static override args = { name: Args.string({ description: 'machine name (may be left out when the Vmfile has one machine)', ignoreStdin: true }) };
  static override flags = { file: fileFlag, start: Flags.boolean({ description: 'start the machine after restoring', default: true, allowNo: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SnapshotPop);
    const { selectOne } = await import('../../../core/lifecycle/select.js');
    const { deleteSnapshot, lastPushed, restoreSnapshot } = await import('../../../core/machines/snapshots.js');
    const { sel, config } = await selectOne({ file: flags.file, name: args.name, cwd: process.cwd(), command: 'vm snapshot pop' });
    const last = await lastPushed(sel.dir, config.name);
    if (!last) throw new UserError(`machine '${config.name}' has no pushed snapshot`, { exitCode: EXIT.wrongState, hint: '`vm snapshot push` takes one' });
    await restoreSnapshot(sel.dir, config, last.name, { command: `vm snapshot pop ${config.name}` });
    await deleteSnapshot(sel.dir, config, last.name, { command: `vm snapshot pop ${config.name}` });
    this.log(`${config.name}: popped snapshot '${last.name}'`);
    if (!flags.start) return;
    const { runUpTaskList } = await import('../up.js');
    await runUpTaskList({ ...sel, machines: [config] }, { provision: false, command: `vm snapshot pop ${config.name}` });
  }
}
