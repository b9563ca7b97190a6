// The qemu engine's own error form; the others it throws are the engine contract's (engines/errors.ts).
import { EngineConfigError } from '../errors.js';

/** A machine config qemu cannot express (too many devices, an address form slirp lacks); the message
 *  carries the hint in parentheses as well. */
export class QemuConfigError extends EngineConfigError {
  constructor(message: string, hint?: string) {
    super(hint ? `${message} (${hint})` : message, hint);
  }
}
