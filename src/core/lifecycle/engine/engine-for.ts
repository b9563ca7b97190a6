// The engine object for a machine, with "this engine cannot run that machine here" as a UserError.
import type { Engine } from '../../../engines/engine.js';
import type { MachineConfig } from '../../../model/machine-config.js';
import { getEngine } from '../../../engines/registry.js';
import { UserError } from '../../errors.js';
import { storeCacheDir, type StoreLocation } from '../../paths.js';

/** `loc`: the store whose cache folder the engine keeps host-wide verdicts in (default: $VM_HOME's). */
export async function engineFor(config: MachineConfig, opts: { checkAvailability?: boolean; loc?: StoreLocation } = {}): Promise<Engine> {
  const engine = await getEngine(config.engine, { cacheDir: storeCacheDir(opts.loc) });
  if (opts.checkAvailability) {
    const a = await engine.availability(config);
    if (!a.ok) throw new UserError(`machine '${config.name}' cannot run on the ${config.engine} engine here: ${a.reason}`, { hint: a.hint, ...(a.exitCode ? { exitCode: a.exitCode } : {}) });
  }
  return engine;
}
