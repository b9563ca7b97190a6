// Kernel parameters the bundled boxes' init reads (boxes/tiny/README.md) that come from the machine
// rather than the box: vm.hostname, vm.net for static private addresses, vm.mount for synced folders.
// Both engines append them, in this order, after the config's own command line.
import type { MachineConfig, SyncedFolderConfig } from '../model/machine-config.js';
import { privateNetworkGuestParam } from './private-network.js';

/** A value the init cannot take: it splits parameters on blanks. */
const UNSAFE_VALUE = /[\s\x00-\x1f\x7f]/;
/** vm.mount values are also split on ':' (`vm validate` checks synced folders against it too). */
export const UNMOUNTABLE = /[\s:\x00-\x1f\x7f]/;

/** Each engine reports a bad value with its own error type (BootFileError, QemuConfigError). */
export type ParamError = (message: string, hint?: string) => Error;

/** `vm.mount=TAG:PATH[:ro]` for each folder. A path the init cannot parse fails rather than silently not mounting. */
export function syncedFolderParams(folders: readonly SyncedFolderConfig[], fail: ParamError): string[] {
  return folders.map((f) => {
    if (UNMOUNTABLE.test(f.guestPath) || UNMOUNTABLE.test(f.tag)) {
      throw fail(
        `synced folder guest path '${f.guestPath}' cannot be passed to the box's init (spaces, ':' and control characters are not allowed)`,
        'Choose a guest path without spaces or colons.',
      );
    }
    return `vm.mount=${f.tag}:${f.guestPath}${f.readOnly ? ':ro' : ''}`;
  });
}

export function guestParams(config: MachineConfig, fail: ParamError): string[] {
  if (UNSAFE_VALUE.test(config.hostname)) {
    throw fail(`hostname ${JSON.stringify(config.hostname)} cannot go on the kernel command line (blanks or control characters)`);
  }
  const out = [`vm.hostname=${config.hostname}`];
  config.nics.forEach((nic, i) => {
    if (nic.type === 'private' && nic.ip) out.push(privateNetworkGuestParam(i, nic.ip));
  });
  return [...out, ...syncedFolderParams(config.syncedFolders, fail)];
}
