// Every default and limit a Vmfile value gets, in one place (documented in schemas/vmfile.schema.json).

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

export const DEFAULT_ENGINE = 'auto';
export const DEFAULT_ACCEL = 'auto';
export const DEFAULT_CPUS = 1;
export const DEFAULT_MEMORY_BYTES = 512 * MiB;
export const DEFAULT_BOOT_TIMEOUT_MS = 120_000;
/** How long `vm up` waits for a `ready:` probe to pass when it gives no timeout. */
export const DEFAULT_READY_TIMEOUT_MS = 60_000;
export const DEFAULT_FORWARD_HOST_IP = '127.0.0.1';
export const DEFAULT_FORWARD_PROTOCOL = 'tcp';
export const DEFAULT_PROVISION_RUN = 'once';

/** Below this no Linux kernel boots; above it is surely a typo (`512G` for `512M`). */
export const MIN_MEMORY_BYTES = 16 * MiB;
export const MAX_MEMORY_BYTES = 1 * TiB;
export const MIN_DISK_BYTES = 1 * MiB;
export const MAX_DISK_BYTES = 64 * TiB;
/** Disks are addressed in 512-byte sectors. */
export const DISK_SECTOR_BYTES = 512;
export const MIN_BOOT_TIMEOUT_MS = 1_000;
export const MAX_BOOT_TIMEOUT_MS = 24 * 3600_000;
/** Scripts are sent to the guest whole; a bigger one belongs in a synced folder. */
export const MAX_SCRIPT_BYTES = 1 * MiB;

/** Extra disk images live in this folder of the machine's state folder (src/core/paths.ts machineDir). */
export const DISKS_DIR = 'disks';
