// `vm status`: each machine of the project and its state. Imports core lazily so the CLI's startup
// stays free of engine code. The common forms are answered without oclif by fast-status.ts (see
// bin/run.js); this command is the reference for the flags and serves everything else (--help...).
import { Args } from '@oclif/core';
import { fileFlag, jsonFlag } from '../flags.js';
import { BaseCommand } from '../base-command.js';

export default class Status extends BaseCommand {
  static override description = 'Show the state of the project\'s machines: not created, running, halted or aborted';
  static override examples = [
    { description: 'Every machine of the Vmfile found from here upwards', command: '<%= config.bin %> status' },
    { description: 'Two machines, as JSON', command: '<%= config.bin %> status web db --json' },
    { description: 'Another project', command: '<%= config.bin %> status -f ../other/Vmfile' },
  ];
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'machine name (several allowed); all machines when omitted' }),
  };
  static override flags = {
    file: fileFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Status);
    const { projectStatus } = await import('../../core/machines/project-status.js');
    const { printStatus } = await import('../ui/status-view.js');
    printStatus(await projectStatus({ file: flags.file, names: argv as string[] }), flags.json);
  }
}
