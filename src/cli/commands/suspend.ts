// `vm suspend`: not available yet; it says so (exit code 5, "not supported") rather than faking it.
import { BaseCommand } from '../base-command.js';
import { NOT_AVAILABLE_DESCRIPTION, notAvailable, notAvailableArgs, notAvailableFlags } from '../not-available.js';

export default class Suspend extends BaseCommand {
  static override summary = 'Not available yet: save a running machine to disk and stop it';
  static override description = NOT_AVAILABLE_DESCRIPTION;
  static override args = notAvailableArgs;
  static override flags = notAvailableFlags;

  async run(): Promise<void> {
    await this.parse(Suspend);
    throw notAvailable('suspend');
  }
}
