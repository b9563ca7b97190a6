// The error kinds the CLI knows how to show. Anything else reaching the top is a bug in vm.

/** Something the user must fix: bad input, a missing file, a busy machine. Exit code 1 by default. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly options: { hint?: string; exitCode?: number } = {},
  ) {
    super(message);
    this.name = 'UserError';
  }
  get exitCode(): number {
    return this.options.exitCode ?? 1;
  }
}

/** An external program failed (qemu, qemu-img): says which, with its argv and exit code. */
export class ExternalError extends Error {
  constructor(
    message: string,
    readonly argv: string[],
    readonly code: number | null,
    readonly output = '',
  ) {
    super(message);
    this.name = 'ExternalError';
  }
}

/** Exit codes with a meaning, shared by every command. */
export const EXIT = {
  ok: 0,
  userError: 1,
  /** The machine is in the wrong state for the command (not created, not running). */
  wrongState: 2,
  /** Another command holds the machine's lock. */
  locked: 3,
  /** An external program (qemu) failed. */
  external: 4,
  /** The command exists but this build does not support it yet (suspend, resume). */
  unsupported: 5,
  /** `vm halt` had to stop a machine without the guest powering off (it could not be asked, or did not comply): unsynced guest data may be lost. */
  forcedStop: 6,
  /** A bug in vm itself. */
  internal: 70,
  /** `vm ssh -c`: the machine (its engine or agent) went away while the command ran, as ssh exits 255. */
  connectionLost: 255,
} as const;
