// box.json: its type, validation against schemas/box.schema.json (ajv) plus the checks a schema cannot
// express, with errors that name the field; and its translation into MachineConfig's BoxRef.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import type { Arch, BoxRef, EngineName } from '../../model/machine-config.js';
import { UserError } from '../errors.js';
import { BOX_MANIFEST_FILE, BOX_ORIGIN_FILE, packageRoot } from '../paths.js';
import { shortName } from './tar-reader.js';

export interface BoxFileEntry {
  sha256: string;
  size: number;
}

/** The parsed box.json (field names as in the file). */
export interface BoxManifest {
  $schema?: string;
  format?: 1;
  name: string;
  version: string;
  description?: string;
  architecture: Arch;
  engines: EngineName[];
  kernel: string;
  initrd?: string;
  root_disk?: { path: string; format: 'raw' | 'qcow2' };
  firmware?: string;
  cmdline?: string;
  /** The box runs an SSH server on guest port 22; `host_key` is its public host key file in the guest. */
  ssh?: { host_key: string };
  files: Record<string, BoxFileEntry>;
  /** Written by `vm box build`: what it was built from. */
  build?: {
    recipe_sha256?: string;
    source_date_epoch?: number;
    archive?: { mirror?: string; suite?: string; date?: string; version?: string };
    kernel_version?: string;
  };
  /** Written by `vm box build`: every installed package and its version. */
  packages?: Record<string, string>;
}

export const BOX_SCHEMA_PATH = (): string => join(packageRoot(), 'schemas', 'box.schema.json');

let validator: ValidateFunction | undefined;
function getValidator(): ValidateFunction {
  if (!validator) {
    // ajv is loaded on first use only: read-only commands (status, box list) never need it.
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    const schema = JSON.parse(readFileSync(BOX_SCHEMA_PATH(), 'utf8')) as object;
    validator = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(schema);
  }
  return validator;
}

const decodeSeg = (s: string): string => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** "/files/a~1b/sha256" -> `files["a/b"].sha256`; "/engines/0" -> "engines[0]". */
export function fieldName(instancePath: string, extra?: string): string {
  const segs = instancePath.split('/').slice(1).map(decodeSeg);
  if (extra !== undefined) segs.push(extra);
  let out = '';
  segs.forEach((s, i) => {
    if (/^\d+$/.test(s) && i > 0 && segs[i - 1] === 'engines') out += `[${s}]`;
    else if (i > 0 && segs[i - 1] === 'files' && i === 1) out += `[${JSON.stringify(s)}]`;
    else out += out === '' ? s : `.${s}`;
  });
  return out;
}

/** Messages for the patterns in box.schema.json, keyed by the schema location ajv reports. */
const PATTERN_MESSAGES: Record<string, string> = {
  '#/definitions/relativePath/pattern': "must be a relative path inside the box (no leading '/', no '.' or '..' segment, no empty segment, no backslash, not box.json)",
  '#/properties/name/pattern': "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
  '#/properties/version/pattern': 'must be a semantic version such as 1.2.3',
  '#/properties/files/additionalProperties/properties/sha256/pattern': 'must be 64 lower-case hex digits',
};

function describe(e: ErrorObject): string | undefined {
  const where = fieldName(e.instancePath);
  const at = (msg: string): string => (where === '' ? msg : `${where} ${msg}`);
  switch (e.keyword) {
    case 'required':
      return where === '' ? `missing required field '${e.params.missingProperty}'` : `${where}: missing required field '${e.params.missingProperty}'`;
    case 'additionalProperties':
      return where === '' ? `unknown field '${e.params.additionalProperty}'` : `${where}: unknown field '${e.params.additionalProperty}'`;
    case 'enum':
      return at(`must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`);
    case 'const':
      return at(`must be ${JSON.stringify(e.params.allowedValue)}`);
    case 'type':
      return at(`must be ${/^[aeiou]/.test(String(e.params.type)) ? 'an' : 'a'} ${e.params.type}`);
    case 'pattern': {
      const msg = PATTERN_MESSAGES[e.schemaPath] ?? `must match ${e.params.pattern}`;
      if (e.propertyName !== undefined) return `${fieldName(e.instancePath)} has an invalid path ${JSON.stringify(e.propertyName)}: ${msg}`;
      return at(msg);
    }
    case 'propertyNames':
      return undefined; // the nested pattern error says it better
    default:
      return at(e.message ?? 'is invalid');
  }
}

/** Top-level names the store writes itself (box.json comes from the box, the origin note from vm). */
const RESERVED_TOP = new Set([BOX_MANIFEST_FILE, BOX_ORIGIN_FILE]);
/** NAME_MAX of ext4, xfs, apfs and tmpfs: a longer name cannot be created. */
const MAX_SEGMENT_BYTES = 255;

/** Whether `path` is or lies under a name the store writes itself, matched as macOS would ('BOX.JSON' is box.json). */
export const isReservedName = (path: string): boolean => RESERVED_TOP.has(path.split('/')[0]!.normalize('NFC').toLowerCase());

function semanticProblems(m: BoxManifest): string[] {
  const problems: string[] = [];
  const refs: [string, string | undefined][] = [
    ['kernel', m.kernel],
    ['initrd', m.initrd],
    ['root_disk.path', m.root_disk?.path],
    ['firmware', m.firmware],
  ];
  for (const [field, path] of refs) {
    if (path !== undefined && !Object.hasOwn(m.files, path)) problems.push(`${field} names '${path}', which files does not list`);
  }
  if (m.engines.includes('builtin') && m.architecture !== 'riscv64') {
    problems.push(`engines lists builtin, which runs riscv64 only (architecture is ${m.architecture})`);
  }
  const names = new Set(Object.keys(m.files));
  const folded = new Map<string, string>();
  for (const name of names) {
    const shown = shortName(name);
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (names.has(dir)) problems.push(`files lists both '${shortName(dir)}' and '${shown}' (a file cannot also be a folder)`);
    }
    if (isReservedName(name)) problems.push(`files lists '${shown}', a name vm reserves for its own use in the store`);
    const long = parts.find((p) => Buffer.byteLength(p) > MAX_SEGMENT_BYTES);
    if (long !== undefined) problems.push(`files lists '${shown}', whose folder or file name '${shortName(long)}' is longer than the ${MAX_SEGMENT_BYTES} bytes a filesystem allows`);
    const key = name.normalize('NFC').toLowerCase();
    const twin = folded.get(key);
    if (twin !== undefined) problems.push(`files lists both '${shortName(twin)}' and '${shown}', which differ only by letter case or Unicode normalization`);
    else folded.set(key, name);
  }
  return problems;
}

/**
 * Validates a parsed box.json. Every problem is reported at once, each naming its field:
 * `invalid box.json (SOURCE): root_disk.format must be one of: raw, qcow2`.
 */
export function validateManifest(raw: unknown, source: string): BoxManifest {
  const validate = getValidator();
  let problems: string[];
  if (!validate(raw)) {
    problems = [...new Set((validate.errors ?? []).map(describe).filter((s): s is string => s !== undefined))];
  } else {
    problems = semanticProblems(raw as BoxManifest);
  }
  if (problems.length > 0) {
    throw new UserError(`invalid box.json (${source}): ${problems.join('; ')}`);
  }
  return raw as BoxManifest;
}

/** The relativePath rule of box.schema.json, for checks that do not go through ajv. */
const RELATIVE_PATH = /^(?!\/)(?!.*\/\/)(?!.*\/$)(?!(?:.*\/)?\.\.?(?:\/|$))(?!box\.json$)[^\u0000\\]+$/;

/**
 * A fast shape check for a box.json that already passed validateManifest when it entered the store
 * (or that ships inside the package): compiling the schema costs tens of milliseconds, which `vm
 * status` cannot afford. It still refuses anything that would make a path leave the box folder.
 */
function checkShape(raw: unknown, source: string): BoxManifest {
  const problems: string[] = [];
  const o = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  if (o !== raw) problems.push('must be an object');
  const str = (k: string, optional = false): void => {
    if (o[k] === undefined ? !optional : typeof o[k] !== 'string') problems.push(`${k} must be a string`);
  };
  const path = (k: string, v: unknown): void => {
    if (v !== undefined && (typeof v !== 'string' || !RELATIVE_PATH.test(v))) problems.push(`${k} must be a relative path inside the box`);
  };
  str('name');
  str('version');
  str('cmdline', true);
  if (o.architecture !== 'riscv64' && o.architecture !== 'x86_64') problems.push('architecture must be one of: riscv64, x86_64');
  if (!Array.isArray(o.engines) || o.engines.some((e) => e !== 'builtin' && e !== 'qemu')) problems.push('engines must be a list of builtin, qemu');
  path('kernel', o.kernel ?? 0);
  path('initrd', o.initrd);
  path('firmware', o.firmware);
  const disk = o.root_disk as Record<string, unknown> | undefined;
  if (disk !== undefined) {
    path('root_disk.path', disk?.path ?? 0);
    if (disk?.format !== 'raw' && disk?.format !== 'qcow2') problems.push('root_disk.format must be one of: raw, qcow2');
  }
  const ssh = o.ssh as Record<string, unknown> | undefined;
  if (ssh !== undefined && (typeof ssh?.host_key !== 'string' || !ssh.host_key.startsWith('/'))) problems.push('ssh.host_key must be an absolute guest path');
  const files = o.files as Record<string, { sha256?: unknown; size?: unknown }> | undefined;
  if (!files || typeof files !== 'object' || Array.isArray(files)) problems.push('files must be an object');
  else {
    for (const [k, f] of Object.entries(files)) {
      path(`files[${JSON.stringify(k)}]`, k);
      if (!f || typeof f.sha256 !== 'string' || !Number.isSafeInteger(f.size)) problems.push(`files[${JSON.stringify(k)}] needs sha256 and size`);
    }
  }
  if (problems.length === 0) problems.push(...semanticProblems(raw as BoxManifest));
  if (problems.length > 0) throw new UserError(`invalid box.json (${source}): ${problems.join('; ')}`);
  return raw as BoxManifest;
}

/**
 * Parses box.json text; bad JSON names the source too. Untrusted input (anything being added) gets
 * the full schema validation; `trusted` (stored or bundled copies) gets the fast shape check.
 */
export function parseManifest(text: string, source: string, opts: { trusted?: boolean } = {}): BoxManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`invalid box.json (${source}): not valid JSON (${(err as Error).message})`);
  }
  return opts.trusted ? checkShape(raw, source) : validateManifest(raw, source);
}

export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The BoxRef an engine receives, for a box stored (or bundled) at `dir`. */
export function toBoxRef(m: BoxManifest, dir: string, manifestSha256: string): BoxRef {
  const abs = (p: string): string => join(dir, ...p.split('/'));
  return {
    name: m.name,
    version: m.version,
    dir,
    arch: m.architecture,
    engines: [...m.engines],
    kernel: abs(m.kernel),
    ...(m.initrd !== undefined ? { initrd: abs(m.initrd) } : {}),
    ...(m.root_disk !== undefined
      ? { rootDisk: { path: abs(m.root_disk.path), format: m.root_disk.format, sha256: m.files[m.root_disk.path]!.sha256 } }
      : {}),
    ...(m.firmware !== undefined ? { firmware: abs(m.firmware) } : {}),
    cmdline: m.cmdline ?? '',
    ...(sshOf(m) ? { ssh: sshOf(m)! } : {}),
    checksum: manifestSha256,
  };
}

/** Where OpenSSH's server keeps its ed25519 host key's public half (`ssh-keygen -A` makes it). */
export const OPENSSH_HOST_KEY = '/etc/ssh/ssh_host_ed25519_key.pub';

/**
 * The box's SSH server: box.json's `ssh`, or, for a box `vm box build` made before it wrote that
 * field, OpenSSH's when its package list has openssh-server.
 */
function sshOf(m: BoxManifest): BoxRef['ssh'] {
  if (m.ssh) return { hostKey: m.ssh.host_key };
  if (m.packages && Object.keys(m.packages).some((p) => p === 'openssh-server' || p.startsWith('openssh-server:'))) return { hostKey: OPENSSH_HOST_KEY };
  return undefined;
}

/** Sum of the declared file sizes. */
export const manifestSize = (m: BoxManifest): number => Object.values(m.files).reduce((n, f) => n + f.size, 0);
