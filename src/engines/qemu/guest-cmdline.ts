// The kernel command line a qemu machine boots with: the config's (the box's plus the Vmfile's
// additions), then the parameters the bundled boxes' init reads (boxes/tiny/README.md): vm.hostname,
// vm.net for static private addresses, vm.mount for synced folders. Same order as the builtin engine.
import type { MachineConfig } from '../../model/machine-config.js';
import { guestParams, type ParamError } from '../guest-params.js';
import { QemuConfigError } from './errors.js';

const fail: ParamError = (message, hint) => new QemuConfigError(message, hint);

export function guestCmdline(c: MachineConfig): string {
  return [c.cmdline.trim(), ...guestParams(c, fail)].filter((s) => s !== '').join(' ');
}
