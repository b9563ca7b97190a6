// The engine object for a machine, with "this engine cannot run that machine here" as a UserError.
import type { Engine } from '../../../engines/engine.js';
import type { MachineConfig } from '../../../model/machine-config.js';
import { getEngine } from '../../../engines/registry.js';
import { UserError } from '../../errors.js';

export async function engineFor(config: MachineConfig, opts: { checkAvailability?: boolean } = {}): Promise<Engine> {
  const engine = await getEngine(config.engine);
  if (opts.checkAvailability) {
    const a = await engine.availability(config);
    if (!a.ok) throw new UserError(`machine '${config.name}' cannot run on the ${config.engine} engine here: ${a.reason}`, { hint: a.hint, ...(a.exitCode ? { exitCode: a.exitCode } : {}) });
  }
  return engine;
}
