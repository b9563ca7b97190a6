// `vm suspend`: not available yet. It says so (exit code 5, "not supported") rather than faking it.
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { EXIT, UserError } from '../../core/errors.js';

export default class Suspend extends BaseCommand {
  static override summary = 'Not available yet: save a running machine to disk and stop it';
  static override description =
    'NOT AVAILABLE YET. Neither engine can save a running machine\'s memory and devices to disk and restore them, so this command only says so and exits with code 5 ("not supported"). Use `vm halt` and `vm up`: disk contents survive, running programs do not.';
  static override args = {
    name: Args.string({ description: 'machine name', ignoreStdin: true }),
  };
  static override flags = {
    file: Flags.string({ char: 'f', description: 'the Vmfile (or a folder holding one)', env: 'VM_FILE' }),
  };

  async run(): Promise<void> {
    await this.parse(Suspend);
    throw new UserError('`vm suspend` is not available yet: vm cannot save and restore a running machine\'s memory', {
      exitCode: EXIT.unsupported,
      hint: '`vm halt` then `vm up` keeps the disks (running programs are not kept)',
    });
  }
}
