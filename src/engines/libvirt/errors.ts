// The libvirt engine's errors, as a kind of the engine contract's errors (engines/errors.ts): the
// failing party is an external program (virsh / libvirtd), exit code 4 in the CLI's table.
import { ExternalEngineError } from '../errors.js';

/** Exit code for "an external program failed", for Availability (core/errors.ts EXIT.external; engines cannot import core). */
export const EXIT_EXTERNAL = 4;

export class LibvirtError extends ExternalEngineError {
  readonly exitCode = EXIT_EXTERNAL;
}

/** A machine config the libvirt engine cannot express (checked again by `vm validate`). */
export class LibvirtConfigError extends LibvirtError {}
