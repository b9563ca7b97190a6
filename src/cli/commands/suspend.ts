// `vm suspend`: save running machines' whole state to disk and stop their engines.
import { Args } from '@oclif/core';
import { fileFlag } from '../flags.js';
import { BaseCommand } from '../base-command.js';
import { UserError } from '../../core/errors.js';
import { paint } from '../ui/color.js';

export default class Suspend extends BaseCommand {
  static override summary = 'Save running machines to disk and stop them';
  static override description =
    "Saves each machine's memory, CPU and device state to suspend.state in its folder (.vm/machines/NAME) and ends its engine; `vm status` then shows `suspended`. `vm resume` or `vm up` continues the guest where it was (programs, open files); `vm halt` discards the saved state. Builtin engine only: on qemu it says so and exits 5.";
  static override examples = [
    { description: 'Every running machine of the project', command: '<%= config.bin %> suspend' },
    { description: 'One machine', command: '<%= config.bin %> suspend web' },
  ];
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'machine name (several allowed); all machines when omitted', ignoreStdin: true }),
  };
  static override flags = { file: fileFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Suspend);
    const { selectMachines } = await import('../../core/lifecycle/select.js');
    const { suspendMachine } = await import('../../core/machines/suspend.js');
    const ora = (await import('ora')).default;
    const sel = await selectMachines({ file: flags.file, names: argv as string[], cwd: process.cwd(), readOnly: true });
    const errors: Error[] = [];
    for (const config of [...sel.machines].reverse()) {
      const spinner = ora({ text: `${config.name}: suspending`, stream: process.stderr, isSilent: process.stderr.isTTY !== true }).start();
      try {
        const r = await suspendMachine(sel.dir, config, { command: `vm suspend ${config.name}` });
        spinner.stop();
        this.log(`${config.name}: ${r.outcome === 'suspended' ? paint.green('suspended') : 'already suspended'}`);
      } catch (err) {
        spinner.stop();
        if (!(err instanceof UserError) || sel.machines.length === 1) throw err;
        process.stderr.write(`${paint.red('Error:')} ${err.message}\n`);
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}
