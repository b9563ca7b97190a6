// How an engine's error (engines/errors.ts) reaches the user: a UserError with the engine's message
// and hint, and the exit code the CLI's table gives its kind. Told apart by class, never by name.
import { EngineError, EngineStartError, ExternalEngineError, type EngineErrorKind } from '../engines/errors.js';
import { EXIT, UserError } from './errors.js';

/** Exit code per kind (README: 4 an external program failed, 5 not supported, 1 anything the user fixes). */
const EXIT_CODE: Record<EngineErrorKind, number> = {
  disk: EXIT.userError,
  'boot-file': EXIT.userError,
  config: EXIT.userError,
  start: EXIT.userError,
  external: EXIT.external,
  unsupported: EXIT.unsupported,
};

/** Kinds that, thrown by Engine.start, mean the machine did not start (rather than a file to fix first). */
const START_KINDS: ReadonlySet<EngineErrorKind> = new Set(['start', 'config', 'external']);

const exitOption = (err: EngineError): { exitCode?: number } => (EXIT_CODE[err.kind] === EXIT.userError ? {} : { exitCode: EXIT_CODE[err.kind] });

/** An engine error as a UserError; anything else (a UserError already, or a bug) as it is. */
export function engineUserError(err: unknown): unknown {
  if (!(err instanceof EngineError)) return err;
  return new UserError(err.message, { ...(err.hint !== undefined ? { hint: err.hint } : {}), ...exitOption(err) });
}

/** An Engine.start failure as the user should see it: what happened and the engine log's end. */
export function startFailure(name: string, err: unknown, engineLog: string): unknown {
  if (!(err instanceof EngineError) || !START_KINDS.has(err.kind)) return engineUserError(err);
  const logTail = err instanceof EngineStartError || err instanceof ExternalEngineError ? err.logTail : '';
  const tail = logTail.trim().split('\n').slice(-15).map((l) => `  | ${l}`).join('\n');
  return new UserError(`machine '${name}' did not start: ${err.message}${logTail.trim() ? `\n${tail}` : ''}`, {
    hint: err.hint || `the whole engine log is ${engineLog}`,
    ...exitOption(err),
  });
}
