// A provisioner that failed: the message says which and how (with the script's own exit code); the
// command exits 1, a failed guest command in the README's exit-code table, so every failure of `vm up`
// reads the same to a script whatever the provisioner returned.
import type { ExitStatus } from '../agent/index.js';
import { EXIT, UserError } from '../errors.js';

/** Exit code for a provisioner killed by a signal, as a shell reports it. */
export const exitCodeOf = (s: ExitStatus): number => ('code' in s ? s.code : 128 + s.signalNumber);

export const describeExit = (s: ExitStatus): string => ('code' in s ? `exit code ${s.code}` : `signal ${s.signal}${s.coreDumped ? ' (core dumped)' : ''}`);

export class ProvisionError extends UserError {
  constructor(machine: string, provisioner: string, status: ExitStatus) {
    super(`provisioner '${provisioner}' of machine '${machine}' failed with ${describeExit(status)}`, {
      exitCode: EXIT.userError,
      hint: `its output is above; the machine keeps running. Fix it and run \`vm provision ${machine}\``,
    });
    this.name = 'ProvisionError';
  }
}
