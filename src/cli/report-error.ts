// How an error becomes a message and an exit code, shared by the oclif commands and the fast
// `vm status` path (which runs without oclif). Loads nothing heavy.
import { ExternalError, UserError, EXIT } from '../core/errors.js';
import { engineUserError } from '../core/engine-errors.js';
import { paint } from './ui/color.js';

export function reportError(err: Error & { oclif?: { exit?: number } }): void {
  // oclif's own parse errors (unknown flag, missing arg) already read well.
  if (err.oclif !== undefined && !(err instanceof UserError)) {
    if (err.oclif.exit === 0) return;
    process.stderr.write(`${paint.red('Error:')} ${err.message}\n`);
    process.exitCode = EXIT.userError; // oclif says 2 for a bad flag; ours keeps 2 for "wrong machine state"
    return;
  }
  // An engine's error that no command turned into a message of its own still reads as one.
  const mapped = engineUserError(err);
  if (mapped !== err) return reportError(mapped as UserError);
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
