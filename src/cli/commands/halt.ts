// `vm halt`: power machines off (the guest is asked first), leaving their disks for the next `vm up`.
import { Args, Flags } from '@oclif/core';
import { fileFlag } from '../flags.js';
import { BaseCommand } from '../base-command.js';
import { EXIT, UserError } from '../../core/errors.js';
import { paint } from '../ui/color.js';

export default class Halt extends BaseCommand {
  static override summary = 'Power machines off';
  static override description =
    'Asks each guest to power off (through its agent, or the engine\'s power button), waits up to --timeout seconds, then stops the engine (QMP quit, then SIGTERM, then SIGKILL). --force skips asking. Disk data the guest synced survives; `vm up` boots the machine again with it.';
  static override examples = [
    { description: 'Every machine of the project', command: '<%= config.bin %> halt' },
    { description: 'One machine, without asking the guest', command: '<%= config.bin %> halt web --force' },
  ];
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'machine name (several allowed); all machines when omitted', ignoreStdin: true }),
  };
  static override flags = {
    file: fileFlag,
    force: Flags.boolean({ description: 'stop the engine at once without asking the guest (unsynced data in the guest is lost)' }),
    timeout: Flags.integer({ description: 'seconds the guest gets to power off before it is stopped', default: 30, min: 1 }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Halt);
    const { selectMachines } = await import('../../core/lifecycle/select.js');
    const { haltMachine } = await import('../../core/lifecycle/power/halt.js');
    const ora = (await import('ora')).default;
    const sel = await selectMachines({ file: flags.file, names: argv as string[], cwd: process.cwd(), readOnly: true });
    const errors: Error[] = [];
    // Last declared first: a machine declared later may depend on an earlier one.
    for (const config of [...sel.machines].reverse()) {
      const spinner = ora({ text: `${config.name}: halting`, stream: process.stderr, isSilent: process.stderr.isTTY !== true }).start();
      try {
        const r = await haltMachine(sel.dir, config, { force: flags.force, timeoutMs: flags.timeout * 1000, command: `vm halt ${config.name}` });
        spinner.stop();
        const what =
          r.outcome === 'not running' ? 'not running'
          : r.outcome === 'was aborted' ? `was not running (${r.detail}); marked halted`
          : r.outcome === 'forced' ? `${paint.yellow('stopped by force')} (${r.detail}); data the guest had not synced may be lost`
          : `${paint.green('halted')}${r.detail ? ` (${r.detail})` : ''}`;
        this.log(`${config.name}: ${what}`);
        // a stop the user did not ask to force is not a clean halt: scripts must be able to tell
        if (r.outcome === 'forced' && !flags.force) process.exitCode = EXIT.forcedStop;
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
