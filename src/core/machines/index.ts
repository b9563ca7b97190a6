// Machine state's public face: state files, per-machine locks, the global index and status views.
export {
  readMachineState,
  saveMachineState,
  inspectMachine,
  configHash,
  assertMachineName,
  STATE_FORMAT,
  type MachineState,
  type MachineStatus,
  type MachineView,
  type RecordedState,
} from './state.js';
export { withMachineLock } from './machine-lock.js';
export { acquireLock, withLock, lockHolder, DEFAULT_LOCK_TIMEOUT_MS, LOCK_TIMEOUT_ENV, type Lock, type LockOwner } from './lock.js';
export { readIndex, recordMachine, forgetMachine, type IndexEntry } from './global-index.js';
export { globalStatus, pruneIndex, type GlobalMachine } from './global-status.js';
export { projectStatus, type ProjectStatus } from './project-status.js';
export { identify, isAlive, currentBootId, type ProcessIdentity } from './process-identity.js';
export { configChange, changeNote, type ConfigChange } from './config-change.js';
