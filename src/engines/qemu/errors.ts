// The qemu engine's errors. The engines layer cannot import core's UserError, so these follow the
// shapes core already turns into messages: `DiskError` (name + hint) from prepare and destroyDisks,
// and errors carrying `logTail` from start (see core/lifecycle/engine-for.ts).

/** A disk or overlay that cannot be made or used; the message names the file, the hint says what to do. */
export class QemuDiskError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    // core maps errors named DiskError to UserError (engine-for.ts asUserError)
    this.name = 'DiskError';
  }
}

/** qemu could not start this machine; `logTail` is the end of its engine.log (may be empty). */
export class QemuStartError extends Error {
  constructor(
    message: string,
    readonly logTail = '',
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'QemuStartError';
  }
}

/** A machine config qemu cannot express (too many devices, an address form slirp lacks). */
export class QemuConfigError extends QemuStartError {
  constructor(message: string, hint?: string) {
    super(hint ? `${message} (${hint})` : message, '', hint);
    this.name = 'QemuConfigError';
  }
}
