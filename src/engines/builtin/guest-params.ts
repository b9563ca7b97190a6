// The machine's kernel parameters (src/engines/guest-params.ts), bad values reported as BootFileErrors.
import type { MachineConfig, SyncedFolderConfig } from '../../model/machine-config.js';
import * as shared from '../guest-params.js';
import { BootFileError } from '../errors.js';

const fail: shared.ParamError = (message, hint) => new BootFileError(message, hint);

export const guestParams = (config: MachineConfig): string[] => shared.guestParams(config, fail);
export const syncedFolderParams = (folders: readonly SyncedFolderConfig[]): string[] => shared.syncedFolderParams(folders, fail);
