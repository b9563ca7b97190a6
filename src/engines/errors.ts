// The errors an engine reports to core, one class per kind of failure. Every engine throws these
// (or subclasses of them) from the Engine methods, and core tells them apart with `instanceof` and
// `kind` (core/engine-errors.ts), never by an error's name or message. The engines layer cannot
// import core's UserError or its exit codes, so an error says what failed and who failed; core
// decides the message and the exit code.

export type EngineErrorKind = 'disk' | 'boot-file' | 'config' | 'start' | 'external' | 'unsupported';

/** A failure the user can act on: the message says what is wrong, the hint what to do. */
export abstract class EngineError extends Error {
  abstract readonly kind: EngineErrorKind;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A disk or overlay that cannot be made or used; the message names the file. */
export class DiskError extends EngineError {
  readonly kind = 'disk';
}

/** A boot file (kernel, initrd, firmware, a synced folder, a device the machine needs) that cannot be used. */
export class BootFileError extends EngineError {
  readonly kind = 'boot-file';
}

/** A machine config this engine cannot express (too many devices, an address form it lacks). */
export class EngineConfigError extends EngineError {
  readonly kind = 'config';
}

/** The engine could not start the machine; `logTail` is the end of its engine.log (may be empty). */
export class EngineStartError extends EngineError {
  readonly kind = 'start';
  constructor(
    message: string,
    readonly logTail = '',
    hint?: string,
  ) {
    super(message, hint);
  }
}

/**
 * A program outside vm that the engine drives (virsh, libvirtd) failed; the CLI's exit code table
 * gives these their own code. `logTail` is the engine.log's end when it happened during start.
 */
export class ExternalEngineError extends EngineError {
  readonly kind = 'external';
  constructor(
    message: string,
    hint?: string,
    readonly logTail = '',
  ) {
    super(message, hint);
  }
}

/** An operation this engine does not offer (asked for although its refusal method said so). */
export class EngineUnsupportedError extends EngineError {
  readonly kind = 'unsupported';
}
