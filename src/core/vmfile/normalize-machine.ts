// One machine's settings -> a draft MachineConfig: defaults applied, sizes in bytes, paths
// absolute; each value that cannot be used is reported at its place and replaced by its default.
import { join } from 'node:path';
import type {
  DiskConfig,
  EngineName,
  ProvisionerConfig,
} from '../../model/machine-config.js';
import {
  DEFAULT_ACCEL,
  DEFAULT_BOOT_TIMEOUT_MS,
  DEFAULT_CPUS,
  DEFAULT_ENGINE,
  DEFAULT_MEMORY_BYTES,
  DISK_SECTOR_BYTES,
  DISKS_DIR,
  MAX_BOOT_TIMEOUT_MS,
  MAX_DISK_BYTES,
  MAX_MEMORY_BYTES,
  MIN_BOOT_TIMEOUT_MS,
  MIN_DISK_BYTES,
  MIN_MEMORY_BYTES,
  MiB,
} from './defaults.js';
import { machineDir } from '../paths.js';
import { listSetting, mapSetting, setting, type Located, type MachineSource } from './machine-sources.js';
import { hostnameFor } from './names.js';
import { normalizeForwards, normalizeNics, type DraftForward, type DraftNic } from './normalize-network.js';
import { normalizeProvision, normalizeSyncedFolders, type DraftSyncedFolder } from './normalize-files.js';
import type { YamlPath } from './problem.js';
import type { Reporter } from './reporter.js';
import type { BoxSource } from './resolvers.js';
import { formatSize, isSizeSyntax, parseDuration, parseSize } from './units.js';
import { asInteger, asString, isRecord, quote } from './values.js';
import { envVars } from './env-vars.js';
import { normalizeOrchestration, type DraftOrchestration } from './orchestration.js';

export interface BoxRequest {
  name: string;
  /** Version constraint as written (`>=1.0`), if any. */
  constraint?: string;
  /** Where to download it from when it is not installed, and the archive's sha256. */
  source?: BoxSource;
  path: YamlPath;
}

/** A machine before its box is resolved: everything MachineConfig needs except what the box decides. */
export interface MachineDraft {
  name: string;
  path: YamlPath;
  stateDir: string;
  box?: BoxRequest;
  engineRequested: EngineName | 'auto';
  enginePath?: YamlPath;
  accel: 'auto' | 'kvm' | 'tcg';
  accelPath?: YamlPath;
  cpus: number;
  cpusPath?: YamlPath;
  memoryBytes: number;
  memoryPath?: YamlPath;
  hostname: string;
  /** The machine's kernel command line additions, in order. */
  cmdline: string[];
  /** `disk_size`: the root disk's size, checked against the box's image once it is resolved. */
  rootDisk?: { bytes: number; path: YamlPath };
  disks: DiskConfig[];
  nics: DraftNic[];
  forwards: DraftForward[];
  syncedFolders: DraftSyncedFolder[];
  provision: ProvisionerConfig[];
  env: Record<string, string>;
  bootTimeoutMs: number;
  autoForwards: boolean;
  warmStart: boolean;
  orchestration: DraftOrchestration;
  /** The `libvirt:` mapping as written (schema-checked); defaults are applied for libvirt machines only. */
  libvirt: { uri?: string; pool?: string; path?: YamlPath };
}

export interface NormalizeContext {
  /** Absolute folder of the Vmfile. */
  projectDir: string;
  report: Reporter;
}

export function normalizeMachine(m: MachineSource, ctx: NormalizeContext): MachineDraft {
  const { report } = ctx;
  const stateDir = machineDir(ctx.projectDir, m.name);

  const engine = setting(m, 'engine');
  const accel = setting(m, 'accel');
  const memory = setting(m, 'memory');
  const cpus = setting(m, 'cpus');
  const hostname = asString(setting(m, 'hostname')?.value);

  const draft: MachineDraft = {
    name: m.name,
    path: m.path,
    stateDir,
    box: boxRequest(m, report),
    engineRequested: isOneOf(engine?.value, ['auto', 'builtin', 'qemu', 'libvirt'] as const) ?? DEFAULT_ENGINE,
    accel: isOneOf(accel?.value, ['auto', 'kvm', 'tcg'] as const) ?? DEFAULT_ACCEL,
    cpus: asInteger(cpus?.value) ?? DEFAULT_CPUS,
    memoryBytes: memoryBytes(memory, report),
    hostname: hostname ?? hostnameFor(m.name),
    cmdline: cmdline(m),
    ...rootDiskSize(setting(m, 'disk_size'), report),
    disks: disks(m, stateDir, report),
    nics: [],
    forwards: [],
    syncedFolders: normalizeSyncedFolders(listSetting(m, 'synced_folders'), ctx.projectDir, report),
    provision: normalizeProvision(listSetting(m, 'provision'), ctx.projectDir, report),
    env: envVars(mapSetting(m, 'env'), report),
    bootTimeoutMs: bootTimeout(setting(m, 'boot_timeout'), report),
    autoForwards: setting(m, 'auto_forwards')?.value === true,
    warmStart: setting(m, 'warm_start')?.value === true,
    orchestration: normalizeOrchestration(m, report),
    libvirt: libvirtSettings(m),
  };
  if (engine) draft.enginePath = engine.path;
  if (accel) draft.accelPath = accel.path;
  if (memory) draft.memoryPath = memory.path;
  if (cpus) draft.cpusPath = cpus.path;
  draft.nics = normalizeNics(listSetting(m, 'nics'), ctx.projectDir, m.name, report, m.path);
  draft.forwards = normalizeForwards(listSetting(m, 'forwards'), report);
  if (draft.forwards.length > 0 && !draft.nics.some((n) => n.config.type === 'nat')) {
    report.error(draft.forwards[0]!.path, `forwards need a "nat" network card, and machine "${m.name}" has none`, {
      hint: 'add `{type: nat}` to its `nics:` list',
    });
  }
  return draft;
}

function isOneOf<T extends string>(v: unknown, options: readonly T[]): T | undefined {
  return typeof v === 'string' && (options as readonly string[]).includes(v) ? (v as T) : undefined;
}

function boxRequest(m: MachineSource, report: Reporter): BoxRequest | undefined {
  const box = setting(m, 'box');
  if (!box) {
    const where = m.path.length === 0 ? 'the Vmfile' : `machine "${m.name}"`;
    report.error(m.path, `${where} does not say which box to boot`, {
      key: m.path.length > 0,
      hint: m.path.length === 0 ? 'add `box: tiny` (see `vm box list`)' : 'add `box: tiny` to it or to `defaults:` (see `vm box list`)',
    });
    return undefined;
  }
  if (typeof box.value === 'string') return { name: box.value, path: box.path };
  if (isRecord(box.value) && typeof box.value.name === 'string') {
    // The store reads parts separated by spaces (npm style); Vagrant users write commas. (split, not a
    // regex: `\s*,\s*` is quadratic on a long run of spaces.)
    const constraint = asString(box.value.version)
      ?.split(',')
      .map((s) => s.trim())
      .join(' ')
      .trim();
    const url = asString(box.value.url);
    const checksum = asString(box.value.checksum);
    if (checksum !== undefined && url === undefined) {
      report.error([...box.path, 'checksum'], 'box.checksum is the sha256 of the archive at box.url, and there is no box.url', {
        key: true,
        hint: 'add `url:` (where to download the box), or remove `checksum:`',
      });
    }
    const source: BoxSource | undefined = url === undefined ? undefined : { url, ...(checksum !== undefined ? { checksum } : {}) };
    return { name: box.value.name, ...(constraint ? { constraint } : {}), ...(source ? { source } : {}), path: box.path };
  }
  return undefined; // the schema reports its shape
}

function sizeInRange(v: Located, what: string, min: number, max: number, report: Reporter): number | undefined {
  const bytes = parseSize(v.value);
  if (bytes === undefined) {
    // Malformed sizes are the schema's to report; a well-formed one that does not parse is too big to count.
    if (isSizeSyntax(v.value)) report.error(v.path, `${what} ${typeof v.value === 'string' ? quote(v.value) : v.value} is too large`);
    return undefined;
  }
  if (bytes < min || bytes > max) {
    report.error(v.path, `${what} must be between ${formatSize(min)} and ${formatSize(max)}; got ${typeof v.value === 'string' ? quote(v.value) : `${v.value} bytes`}`);
    return undefined;
  }
  return bytes;
}

function memoryBytes(v: Located | undefined, report: Reporter): number {
  if (!v) return DEFAULT_MEMORY_BYTES;
  const bytes = sizeInRange(v, 'memory', MIN_MEMORY_BYTES, MAX_MEMORY_BYTES, report);
  if (bytes === undefined) return DEFAULT_MEMORY_BYTES;
  // Both engines size guest RAM in MiB (qemu's -m, the builtin board's memory map).
  if (bytes % MiB !== 0) {
    const below = Math.floor(bytes / MiB);
    report.error(v.path, `memory must be a whole number of MiB; got ${typeof v.value === 'string' ? quote(v.value) : `${v.value} bytes`}`, {
      hint: `write \`${below}M\` or \`${below + 1}M\``,
    });
    return DEFAULT_MEMORY_BYTES;
  }
  return bytes;
}

function bootTimeout(v: Located | undefined, report: Reporter): number {
  if (!v) return DEFAULT_BOOT_TIMEOUT_MS;
  const ms = parseDuration(v.value);
  if (ms === undefined) return DEFAULT_BOOT_TIMEOUT_MS;
  if (ms < MIN_BOOT_TIMEOUT_MS || ms > MAX_BOOT_TIMEOUT_MS) {
    report.error(v.path, `boot_timeout must be between 1s and 24h; got ${typeof v.value === 'string' ? quote(v.value) : String(v.value)}`);
    return DEFAULT_BOOT_TIMEOUT_MS;
  }
  return ms;
}

function cmdline(m: MachineSource): string[] {
  return listSetting(m, 'cmdline')
    .map((p) => (typeof p.value === 'string' ? p.value.trim() : undefined))
    .filter((s): s is string => s !== undefined && s !== '');
}

function rootDiskSize(v: Located | undefined, report: Reporter): Pick<MachineDraft, 'rootDisk'> {
  if (!v) return {};
  const bytes = sizeInRange(v, 'disk_size', MIN_DISK_BYTES, MAX_DISK_BYTES, report);
  if (bytes === undefined) return {};
  if (bytes % DISK_SECTOR_BYTES !== 0) {
    report.error(v.path, `disk_size must be a multiple of ${DISK_SECTOR_BYTES} bytes; got ${bytes}`);
    return {};
  }
  return { rootDisk: { bytes, path: v.path } };
}

function disks(m: MachineSource, stateDir: string, report: Reporter): DiskConfig[] {
  const out: DiskConfig[] = [];
  const names = new Map<string, YamlPath>();
  for (const item of listSetting(m, 'disks')) {
    if (!isRecord(item.value)) continue;
    const name = asString(item.value.name);
    const sizeValue = item.value.size;
    if (name === undefined || sizeValue === undefined) continue;
    const namePath = [...item.path, 'name'];
    const first = names.get(name.toLowerCase());
    if (first) {
      report.error(namePath, `disk name ${quote(name)} is already used by the disk at ${report.where(first)}`);
      continue;
    }
    names.set(name.toLowerCase(), namePath);
    const sizeBytes = sizeInRange({ value: sizeValue, path: [...item.path, 'size'] }, 'disk size', MIN_DISK_BYTES, MAX_DISK_BYTES, report);
    if (sizeBytes === undefined) continue;
    if (sizeBytes % DISK_SECTOR_BYTES !== 0) {
      report.error([...item.path, 'size'], `disk size must be a multiple of ${DISK_SECTOR_BYTES} bytes; got ${sizeBytes}`);
      continue;
    }
    out.push({ name, sizeBytes, path: join(stateDir, DISKS_DIR, `${name}.raw`), format: 'raw' });
  }
  return out;
}

/** `libvirt: {uri, pool}` as written; the schema has checked the shapes. */
function libvirtSettings(m: MachineSource): MachineDraft['libvirt'] {
  const l = setting(m, 'libvirt');
  if (!l || l.value === null || typeof l.value !== 'object') return {};
  const v = l.value as Record<string, unknown>;
  return {
    ...(typeof v.uri === 'string' ? { uri: v.uri } : {}),
    ...(typeof v.pool === 'string' ? { pool: v.pool } : {}),
    path: l.path,
  };
}
