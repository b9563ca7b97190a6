// `vm box remove NAME`: delete a stored box, unless a machine still uses it.
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';

export default class BoxRemove extends BaseCommand {
  static override description =
    'Remove a box from the local store. Refuses while a machine (of any project on this host) was created from it, unless --force. A bundled box stays available and is installed again on next use.';
  static override examples = [
    { description: 'The only stored version of a box', command: '<%= config.bin %> box remove debian' },
    { description: 'One version of several', command: '<%= config.bin %> box remove debian --version 1.2.0' },
  ];
  static override args = {
    name: Args.string({ description: 'box name', required: true }),
  };
  static override flags = {
    version: Flags.string({ description: 'the version to remove (needed when several are stored)' }),
    all: Flags.boolean({ description: 'remove every stored version', exclusive: ['version'] }),
    force: Flags.boolean({ description: 'remove it even though machines use it' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BoxRemove);
    const { removeBox } = await import('../../../core/boxes/store.js');
    const removed = await removeBox(args.name, { version: flags.version, all: flags.all, force: flags.force });
    for (const b of removed) this.log(`Removed box '${b.name}' ${b.version}`);
  }
}
