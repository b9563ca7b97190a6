// Provisioners over the guest agent: shell scripts and file copies.
export { runProvisioners } from './run.js';
export { ProvisionError, describeExit, exitCodeOf } from './provision-error.js';
export type { ProvisionOutput } from './types.js';
