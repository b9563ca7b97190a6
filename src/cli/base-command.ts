// The one place errors become messages and exit codes; every command extends this.
import { Command } from '@oclif/core';
import { ExternalError, UserError, EXIT } from '../core/errors.js';
import { paint } from './ui/color.js';

export abstract class BaseCommand extends Command {
  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own parse errors (unknown flag, missing arg) already read well.
    if (err.oclif !== undefined && !(err instanceof UserError)) {
      if (err.oclif.exit === 0) return;
      process.stderr.write(`${paint.red('Error:')} ${err.message}\n`);
      process.exitCode = err.oclif.exit ?? EXIT.userError;
      return;
    }
    if (err instanceof UserError) {
      process.stderr.write(`${paint.red('Error:')} ${err.message}\n`);
      if (err.options.hint) process.stderr.write(`${paint.dim('Hint:')} ${err.options.hint}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof ExternalError) {
      process.stderr.write(`${paint.red('Error:')} ${err.message}\n  command: ${err.argv.join(' ')}\n  exit code: ${err.code}\n`);
      if (err.output) process.stderr.write(err.output.trimEnd().split('\n').slice(-20).map((l) => `  | ${l}\n`).join(''));
      process.exitCode = EXIT.external;
      return;
    }
    process.stderr.write(`${paint.red('Internal error:')} ${err.message}\n`);
    if (process.env.VM_DEBUG) process.stderr.write(`${err.stack}\n`);
    else process.stderr.write('This is a bug in vm. Run again with VM_DEBUG=1 for details.\n');
    process.exitCode = EXIT.internal;
  }
}
