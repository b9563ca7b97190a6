// Every command extends this: errors become messages and exit codes in one place (report-error.ts).
// Commands over the Vmfile's machines named on their command line share MachinesCommand.
import { Args, Command } from '@oclif/core';
import type { Selection } from '../core/lifecycle/select.js';
import { fileFlag, jsonFlag } from './flags.js';
import { reportError } from './report-error.js';

export abstract class BaseCommand extends Command {
  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    reportError(err);
    return undefined;
  }
}

/** What a MachinesCommand was given: the machine names (none: every machine), --file and --json. */
export interface MachinesArgs {
  names: string[];
  file?: string;
  json: boolean;
}

/** A command that reports on the Vmfile's machines it names (`vm port web db`), all of them when it names none. */
export abstract class MachinesCommand extends BaseCommand {
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'machine name (several allowed); all machines when omitted', ignoreStdin: true }),
  };
  static override flags = {
    file: fileFlag,
    json: jsonFlag,
  };

  protected async parseMachines(): Promise<MachinesArgs> {
    // oclif's parse copies a command class's own static properties only: the inherited ones are named.
    const c = this.ctor as typeof MachinesCommand;
    const { argv, flags } = await this.parse({ strict: c.strict, args: c.args, flags: c.flags, baseFlags: c.baseFlags });
    return { names: argv as string[], file: flags.file, json: flags.json };
  }

  /** The machines named (all when none) with their boxes described, never installed: nothing here boots. */
  protected async selectNamed(a: MachinesArgs): Promise<Selection> {
    const { selectMachines } = await import('../core/lifecycle/select.js');
    return selectMachines({ file: a.file, names: a.names, cwd: process.cwd(), readOnly: true });
  }
}
