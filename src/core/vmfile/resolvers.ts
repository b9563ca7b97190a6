// What compiling a Vmfile needs from outside: finding a box, choosing an engine. Injected, so the
// Vmfile code does not depend on the box store or the engines (the CLI wires the real ones in).
import type { BoxRef, EngineName } from '../../model/machine-config.js';
import { UserError } from '../errors.js';

/** `box.url` and `box.checksum`: where a box not installed yet comes from. */
export interface BoxSource {
  url: string;
  /** sha256 of the archive: `sha256:HEX` or HEX. */
  checksum?: string;
}

/**
 * Finds the box a machine asks for: `name` and an optional version constraint as written
 * (`>=1.0`, `1.2.*`, ...), and where to download it when it is missing. Throws a UserError saying
 * what is wrong (not installed, no version matches); its message and hint are shown at the `box:`
 * line of the Vmfile. A read-only resolver that will not download throws BoxNotDownloadedError.
 */
export type BoxResolver = (name: string, constraint: string | undefined, source?: BoxSource) => BoxRef | Promise<BoxRef>;

/** The box is not installed but its Vmfile says where to get it: `vm up` will (status says "not created"). */
export class BoxNotDownloadedError extends UserError {
  constructor(
    readonly box: string,
    readonly url: string,
  ) {
    super(`box '${box}' is not installed yet: \`vm up\` downloads it from ${url}`, { hint: `or add it now with \`vm box add ${url} --name ${box}\`` });
    this.name = 'BoxNotDownloadedError';
  }
}

/** Picks the engine for `auto`, or confirms a requested one; throws a UserError when it cannot. */
export type EngineResolver = (requested: EngineName | 'auto', box: BoxRef) => EngineName | Promise<EngineName>;

/**
 * The default engine choice: `auto` means builtin when the box boots on it (nothing to install),
 * else qemu; an explicit engine must be one the box supports.
 */
export const engineFromBox: EngineResolver = (requested, box) => {
  const label = `box "${box.name}" ${box.version}`;
  if (requested !== 'auto') {
    if (box.engines.includes(requested)) return requested;
    // libvirt runs the box with qemu, on this host or another
    if (requested === 'libvirt' && box.engines.includes('qemu')) return requested;
    throw new UserError(`${label} does not boot on the ${requested} engine; it supports: ${box.engines.join(', ') || 'none'}`, {
      hint: box.engines.length ? `use \`engine: ${box.engines[0]}\` or \`engine: auto\`, or another box` : undefined,
    });
  }
  if (box.engines.includes('builtin')) return 'builtin';
  if (box.engines.includes('qemu')) return 'qemu';
  throw new UserError(`${label} names no engine it boots on (its box.json lists: ${box.engines.join(', ') || 'none'})`);
};
