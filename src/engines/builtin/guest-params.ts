// Kernel parameters the bundled boxes' init reads (boxes/tiny/README.md) that come from the machine
// rather than the box: hostname, static addresses of private network cards, synced folder mounts.
// The same parameters, in the same order, as the qemu engine's guest command line.
import type { MachineConfig } from '../machine-config.js';
import { privateNetworkGuestParam } from '../private-network.js';
import { BootFileError } from './boot-files.js';
import { syncedFolderParams } from './p9/synced-folders.js';

/** A character the init would split a value on. */
const UNSAFE_VALUE = /[\s\x00-\x1f\x7f]/;

/** Parameters the engine appends after the config's own command line. Bad values are BootFileErrors. */
export function guestParams(config: MachineConfig): string[] {
  if (UNSAFE_VALUE.test(config.hostname)) {
    throw new BootFileError(`hostname ${JSON.stringify(config.hostname)} cannot go on the kernel command line (blanks or control characters)`);
  }
  const out = [`vm.hostname=${config.hostname}`];
  config.nics.forEach((nic, i) => {
    if (nic.type === 'private' && nic.ip) out.push(privateNetworkGuestParam(i, nic.ip));
  });
  return [...out, ...syncedFolderParams(config.syncedFolders)];
}
