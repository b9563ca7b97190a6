// Loads the project for a lifecycle command and picks the machines it names (all, in Vmfile order,
// when none are named), with boxes resolved for use (a bundled box is installed on first use).
import type { MachineConfig } from '../../engines/machine-config.js';
import { resolveBox, peekBox, type ResolveOptions } from '../boxes/catalog.js';
import { UserError } from '../errors.js';
import type { StoreLocation } from '../paths.js';
import { findVmfile, formatProblems, loadProject, requireValid } from '../vmfile/index.js';
import { openLock, type LockMode } from '../vmfile/lock-file.js';

export interface SelectOptions {
  /** `-f`: a Vmfile or a folder holding one. */
  file?: string;
  cwd?: string;
  names?: string[];
  loc?: StoreLocation;
  /** Describe boxes only (no install): for commands that never boot (halt, destroy, logs, port). */
  readOnly?: boolean;
  /** Shown while a box named by `box.url` downloads. */
  onDownload?: ResolveOptions['onDownload'];
  /** Resolve through Vmfile.lock and record the result (`vm up`); see lock-file.ts. */
  lock?: LockMode;
}

export interface Selection {
  vmfile: string;
  dir: string;
  machines: MachineConfig[];
  /** Every machine of the Vmfile (for checks across machines, such as private networks). */
  all: MachineConfig[];
  warnings: string;
  /** What changed in Vmfile.lock (written when `lock` was asked for). */
  lockChanges: string[];
}

export async function selectMachines(opts: SelectOptions = {}): Promise<Selection> {
  const loc = opts.loc ?? {};
  const base: Parameters<typeof openLock>[2] = (name, constraint, source) =>
    opts.readOnly ? peekBox(name, constraint, { loc, source }) : resolveBox(name, constraint, { loc, source, onDownload: opts.onDownload });
  const lock = opts.lock ? openLock(findVmfile({ file: opts.file, cwd: opts.cwd }), opts.lock, base) : undefined;
  const project = await loadProject({ file: opts.file, cwd: opts.cwd, resolveBox: lock?.resolveBox ?? base });
  const all = requireValid(project, opts.cwd);
  const lockChanges = lock ? (await lock.finish(all, project.machineNames)).changes : [];
  const names = opts.names && opts.names.length > 0 ? [...new Set(opts.names)] : all.map((m) => m.name);
  const unknown = names.filter((n) => !all.some((m) => m.name === n));
  if (unknown.length > 0) {
    throw new UserError(`no machine named ${unknown.map((n) => `'${n}'`).join(', ')} in ${project.vmfile}`, {
      hint: `machines: ${all.map((m) => m.name).join(', ')}`,
    });
  }
  return {
    vmfile: project.vmfile,
    dir: project.dir,
    machines: names.map((n) => all.find((m) => m.name === n)!),
    all,
    warnings: project.warnings.length > 0 ? formatProblems(project.warnings, { cwd: opts.cwd, text: project.text }) : '',
    lockChanges,
  };
}
