// `vm init`: write a commented Vmfile for a box in the current folder.
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';

export default class Init extends BaseCommand {
  static override summary = 'Write a commented Vmfile here';
  static override description = 'Writes a Vmfile declaring one machine on the given box (the bundled `tiny` box by default), with the other keys shown as comments. Refuses to replace an existing Vmfile unless --force.';
  static override examples = [
    { description: 'Start a project on the bundled box', command: '<%= config.bin %> init' },
    { description: 'Use another box, replacing the current Vmfile', command: '<%= config.bin %> init --box mybox --force' },
    { description: 'Write it somewhere else', command: '<%= config.bin %> init -f ../other/Vmfile' },
  ];
  static override flags = {
    box: Flags.string({ description: 'box the machine boots (see `vm box list`)', default: 'tiny', env: 'VM_BOX' }),
    force: Flags.boolean({ description: 'replace an existing Vmfile' }),
    file: Flags.string({ char: 'f', description: 'path of the Vmfile to write', default: 'Vmfile' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Init);
    const { initTarget, writeInitVmfile } = await import('../../core/vmfile/init-template.js');
    const { displayPath } = await import('../../core/vmfile/format-problems.js');
    const target = initTarget(flags.file, process.cwd());
    writeInitVmfile(target, { box: flags.box, force: flags.force });
    this.log(`Wrote ${displayPath(target, process.cwd())} (box ${flags.box}). Next: \`vm up\`.`);
  }
}
