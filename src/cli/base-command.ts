// Every command extends this: errors become messages and exit codes in one place (report-error.ts).
import { Command } from '@oclif/core';
import { reportError } from './report-error.js';

export abstract class BaseCommand extends Command {
  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    reportError(err);
    return undefined;
  }
}
