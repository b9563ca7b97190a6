// Splits a Vmfile into its machines (single top-level machine or `machines:` + `defaults:`) and
// merges each machine over the defaults, remembering where every value was written.
import { formatPath, type Problem, type YamlPath } from './problem.js';
import type { YamlSource } from './yaml-source.js';

/** The name of the machine a single-machine Vmfile declares (as Vagrant calls it). */
export const SINGLE_MACHINE_NAME = 'default';

/** Keys of one machine, as opposed to `machines:` and `defaults:`. */
export const MACHINE_KEYS = [
  'box', 'engine', 'accel', 'cpus', 'memory', 'disk_size', 'disks', 'nics', 'forwards', 'auto_forwards', 'warm_start', 'synced_folders', 'provision',
  'hostname', 'env', 'cmdline', 'boot_timeout', 'ready', 'libvirt',
] as const;
export type MachineKey = (typeof MACHINE_KEYS)[number];

/** Keys a machine under `machines:` takes beyond MACHINE_KEYS: they relate it to the others. */
export const MULTI_MACHINE_KEYS = ['primary', 'depends_on'] as const;

export interface Located<T = unknown> {
  value: T;
  /** Where it was written: in the machine's own mapping or in `defaults:`. */
  path: YamlPath;
}

export interface MachineSource {
  name: string;
  /** The machine's own mapping: [] for a single machine, ['machines', name] otherwise. */
  path: YamlPath;
  own: Record<string, unknown>;
  defaults?: Located<Record<string, unknown>>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (o: Record<string, unknown>, k: string) => Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;

/** A scalar setting: the machine's own value, else the defaults' value. */
export function setting(m: MachineSource, key: MachineKey): Located | undefined {
  if (has(m.own, key)) return { value: m.own[key], path: [...m.path, key] };
  if (m.defaults && has(m.defaults.value, key)) return { value: m.defaults.value[key], path: [...m.defaults.path, key] };
  return undefined;
}

/** A list setting: the defaults' items, then the machine's own (as Vagrant orders outer then inner). */
export function listSetting(m: MachineSource, key: MachineKey): Located[] {
  const out: Located[] = [];
  const take = (holder: Record<string, unknown>, base: YamlPath) => {
    const v = holder[key];
    if (Array.isArray(v)) v.forEach((item, i) => out.push({ value: item, path: [...base, key, i] }));
    else if (typeof v === 'string') out.push({ value: v, path: [...base, key] });
  };
  if (m.defaults) take(m.defaults.value, m.defaults.path);
  take(m.own, m.path);
  return out;
}

/** A mapping setting (`env`): the defaults' entries overridden by the machine's own, entry by entry. */
export function mapSetting(m: MachineSource, key: MachineKey): Map<string, Located> {
  const out = new Map<string, Located>();
  const take = (holder: Record<string, unknown>, base: YamlPath) => {
    const v = holder[key];
    if (isRecord(v)) for (const [k, val] of Object.entries(v)) out.set(k, { value: val, path: [...base, key, k] });
  };
  if (m.defaults) take(m.defaults.value, m.defaults.path);
  take(m.own, m.path);
  return out;
}

/** The machines a Vmfile declares, with problems in how it is laid out (mixing the two forms). */
export function machineSources(data: Record<string, unknown>, source: YamlSource): { machines: MachineSource[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const error = (path: YamlPath, message: string, hint?: string, key = true) => {
    const { line, col } = source.locate(path, { key });
    problems.push({ severity: 'error', message, file: source.file, line, col, path: formatPath(path), ...(hint ? { hint } : {}) });
  };

  if (!has(data, 'machines')) {
    if (has(data, 'defaults')) {
      error(['defaults'], '"defaults" only applies together with "machines"', 'put these keys at the top level for a single machine, or add a `machines:` mapping');
    }
    return { machines: [{ name: SINGLE_MACHINE_NAME, path: [], own: data }], problems };
  }

  for (const key of MACHINE_KEYS) {
    if (has(data, key)) {
      error([key], `"${key}" cannot be at the top level next to "machines"`, 'move it under `defaults:` (for every machine) or into a machine');
    }
  }
  const machinesValue = data.machines;
  if (!isRecord(machinesValue)) return { machines: [], problems }; // a type error the schema reports
  const names = Object.keys(machinesValue);
  if (names.length === 0) {
    error(['machines'], '"machines" is empty: declare at least one machine', 'for example `machines: {web: {box: tiny}}`', false);
  }
  const defaults = isRecord(data.defaults) ? { value: data.defaults, path: ['defaults'] } : undefined;

  // Machine state folders are named after machines; on a case-insensitive file system `Web` and `web` collide.
  const seen = new Map<string, string>();
  const machines: MachineSource[] = [];
  for (const name of names) {
    const folded = name.toLowerCase();
    const first = seen.get(folded);
    if (first !== undefined) {
      error(['machines', name], `machine name "${name}" differs from "${first}" only in case; their state folders would collide`);
    }
    seen.set(folded, name);
    const own = machinesValue[name];
    // `web:` with nothing under it is a machine made only of defaults.
    machines.push({ name, path: ['machines', name], own: isRecord(own) ? own : {}, ...(defaults ? { defaults } : {}) });
  }
  return { machines, problems };
}
