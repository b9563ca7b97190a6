// The kernel command line a qemu machine boots with: the config's (the box's plus the Vmfile's
// additions), then the parameters the bundled boxes' init reads (boxes/tiny/README.md): vm.hostname,
// vm.net for static private addresses, vm.mount for synced folders. Same order as the builtin engine.
import type { MachineConfig } from '../machine-config.js';
import { privateNetworkGuestParam } from '../private-network.js';
import { QemuConfigError } from './errors.js';

/** What the box's init cannot take in a parameter value: it splits on blanks, and on ':' in vm.mount. */
const UNMOUNTABLE = /[\s:\x00-\x1f\x7f]/;
const UNSAFE_VALUE = /[\s\x00-\x1f\x7f]/;

export function guestParams(c: MachineConfig): string[] {
  if (UNSAFE_VALUE.test(c.hostname)) throw new QemuConfigError(`hostname ${JSON.stringify(c.hostname)} cannot go on the kernel command line (blanks or control characters)`);
  const out = [`vm.hostname=${c.hostname}`];
  c.nics.forEach((nic, i) => {
    if (nic.type === 'private' && nic.ip) out.push(privateNetworkGuestParam(i, nic.ip));
  });
  for (const f of c.syncedFolders) {
    if (UNMOUNTABLE.test(f.guestPath) || UNMOUNTABLE.test(f.tag)) {
      throw new QemuConfigError(
        `synced folder guest path '${f.guestPath}' cannot be passed to the box's init (spaces, ':' and control characters are not allowed)`,
        'choose a guest path without spaces or colons',
      );
    }
    out.push(`vm.mount=${f.tag}:${f.guestPath}${f.readOnly ? ':ro' : ''}`);
  }
  return out;
}

export function guestCmdline(c: MachineConfig): string {
  return [c.cmdline.trim(), ...guestParams(c)].filter((s) => s !== '').join(' ');
}
