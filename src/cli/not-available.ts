// Commands a Vagrant user looks for that this build cannot do yet (suspend, resume): each says so
// and exits with EXIT.unsupported rather than faking it.
import { Args} from '@oclif/core';
import { fileFlag } from './flags.js';
import { EXIT, UserError } from '../core/errors.js';

export const NOT_AVAILABLE_DESCRIPTION =
  'NOT AVAILABLE YET. Neither engine can save a running machine\'s memory and devices to disk and restore them, so this command only says so and exits with code 5 ("not supported"). Use `vm halt` and `vm up`: disk contents survive, running programs do not.';

export const notAvailableArgs = {
  name: Args.string({ description: 'machine name', ignoreStdin: true }),
};

export const notAvailableFlags = {
  file: fileFlag,
};

export function notAvailable(command: string): UserError {
  return new UserError(`\`vm ${command}\` is not available yet: vm cannot save and restore a running machine's memory`, {
    exitCode: EXIT.unsupported,
    hint: '`vm halt` then `vm up` keeps the disks (running programs are not kept)',
  });
}
