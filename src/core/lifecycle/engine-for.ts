// The engine object for a machine, with "this engine cannot run that machine here" as a UserError.
import type { Engine } from '../../engines/engine.js';
import type { MachineConfig } from '../../engines/machine-config.js';
import { getEngine } from '../../engines/registry.js';
import { UserError } from '../errors.js';

export async function engineFor(config: MachineConfig, opts: { checkAvailability?: boolean } = {}): Promise<Engine> {
  const engine = await getEngine(config.engine);
  if (opts.checkAvailability) {
    const a = await engine.availability(config);
    if (!a.ok) throw new UserError(`machine '${config.name}' cannot run on the ${config.engine} engine here: ${a.reason}`, { hint: a.hint, ...(a.exitCode ? { exitCode: a.exitCode } : {}) });
  }
  return engine;
}

/** An engine start failure as the user should see it: what happened and the engine log's end. */
export function startFailure(name: string, err: unknown, engineLog: string): unknown {
  if (err instanceof UserError) return err;
  // Engines reject start with an Error carrying `logTail` (see Engine.start); anything else is a bug.
  if (err instanceof Error && typeof (err as { logTail?: unknown }).logTail === 'string') {
    const tail = (err as Error & { logTail: string }).logTail.trim().split('\n').slice(-15).map((l) => `  | ${l}`).join('\n');
    const hint = (err as { hint?: unknown }).hint;
    const exitCode = (err as { exitCode?: unknown }).exitCode;
    return new UserError(`machine '${name}' did not start: ${err.message}${tail ? `\n${tail}` : ''}`, {
      hint: typeof hint === 'string' && hint ? hint : `the whole engine log is ${engineLog}`,
      ...(typeof exitCode === 'number' ? { exitCode } : {}),
    });
  }
  return asUserError(err);
}

/** Engine errors meant for the user (DiskError, BootFileError: a message and a hint) as UserErrors. */
export function asUserError(err: unknown): unknown {
  if (err instanceof UserError || !(err instanceof Error)) return err;
  if (err.name === 'DiskError' || err.name === 'BootFileError' || err.name.startsWith('Libvirt') || err.name === 'VirshCommandError') {
    const hint = (err as { hint?: unknown }).hint;
    const exitCode = (err as { exitCode?: unknown }).exitCode;
    return new UserError(err.message, { ...(typeof hint === 'string' ? { hint } : {}), ...(typeof exitCode === 'number' ? { exitCode } : {}) });
  }
  return err;
}
