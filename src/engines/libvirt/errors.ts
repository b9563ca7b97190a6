// The libvirt engine's errors, in the shapes core already turns into messages (engine-for.ts):
// `logTail` + `hint` from start, and `exitCode` 4 because the failing party is an external program
// (virsh / libvirtd), as the CLI's exit code table says.

/** Exit code for "an external program failed" (core/errors.ts EXIT.external; engines cannot import core). */
export const EXIT_EXTERNAL = 4;

export class LibvirtError extends Error {
  readonly exitCode = EXIT_EXTERNAL;
  constructor(
    message: string,
    readonly hint?: string,
    readonly logTail = '',
  ) {
    super(message);
    this.name = 'LibvirtError';
  }
}

/** A machine config the libvirt engine cannot express (checked again by `vm validate`). */
export class LibvirtConfigError extends LibvirtError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'LibvirtConfigError';
  }
}
