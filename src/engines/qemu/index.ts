// The qemu engine's public face: the Engine class the registry makes, and the pieces core and tests use.
export { QemuEngine, PID_FILE, type AccelChoice, type QemuEngineOptions } from './qemu-engine.js';
export { qemuArgv, AGENT_PORT_NAME, type QemuAccel, type QemuArgvInput, type QemuCommand, type QemuDiskPlan } from './argv.js';
export { QmpClient, QmpCommandError, QmpConnectionError, type QmpEvent, type QmpGreeting } from '../qmp-client.js';
export { probeKvm, DEFAULT_KVM_PROBE_TIMEOUT_MS, type KvmProbeResult } from './kvm-probe.js';
export { KVM_PROBE_CACHE_FILE } from './kvm-probe-cache.js';
export { diskPlan, ROOT_OVERLAY_FILE } from './qemu-img.js';
export { QemuConfigError } from './errors.js';
export { SYSTEM_PROGRAMS, QEMU_IMG, VM_QEMU_DIR_ENV } from './binaries.js';
