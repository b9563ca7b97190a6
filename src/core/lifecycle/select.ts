// Which machines a lifecycle command acts on. selectMachines loads the project and picks the
// machines it names (all, in Vmfile order, when none are named), with boxes resolved for use (a
// bundled box is installed on first use); selectOne picks the one machine of a command such as
// `vm ssh`: the one named, else the only one, else the machine marked `primary: true` (as Vagrant's
// single-machine commands pick); requireRunning gives the running machine a command talks to (ssh,
// provision, cp), or a clear "not running" error.
import type { RuntimePaths } from '../../engines/engine.js';
import type { MachineConfig } from '../../model/machine-config.js';
import { resolveBox, peekBox, type ResolveOptions } from '../boxes/catalog.js';
import { EXIT, UserError } from '../errors.js';
import { inspectMachine, type MachineState } from '../machines/state.js';
import type { StoreLocation } from '../paths.js';
import { findVmfile, formatProblems, loadProject, requireValid } from '../vmfile/index.js';
import { openLock, type LockMode } from '../vmfile/lock-file.js';
import { runtimePathsFor } from './engine/runtime-dir.js';
import { recordedPaths } from './machine-record.js';

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

/** The one machine a command such as `vm ssh` acts on: named, only, or `primary: true`. */
export async function selectOne(o: { file?: string; name?: string; cwd?: string; command: string }): Promise<{ sel: Selection; config: MachineConfig }> {
  const sel = await selectMachines({ file: o.file, cwd: o.cwd, names: o.name ? [o.name] : undefined, readOnly: true });
  if (sel.machines.length === 1) return { sel, config: sel.machines[0]! };
  const primary = sel.machines.find((m) => m.primary);
  if (primary) return { sel: { ...sel, machines: [primary] }, config: primary };
  throw new UserError(`this Vmfile has ${sel.machines.length} machines (${sel.machines.map((m) => m.name).join(', ')}): name the one for \`${o.command}\``, {
    hint: `for example: ${o.command} ${sel.machines[0]!.name} (or mark one machine \`primary: true\` in the Vmfile)`,
  });
}

export interface RunningMachine {
  config: MachineConfig;
  state: MachineState;
  paths: RuntimePaths;
}

/** The machine's running state and runtime paths; a UserError (wrong state) when it does not run. */
export async function requireRunning(projectDir: string, config: MachineConfig): Promise<RunningMachine> {
  const view = await inspectMachine(projectDir, config.name, config.engine);
  if (view.status !== 'running') {
    const why =
      view.status === 'aborted'
        ? `its engine stopped unexpectedly (${view.detail}); \`vm up ${config.name}\` boots it again`
        : view.status === 'broken'
          ? `it is broken: ${view.detail}`
          : `it is ${view.status}; \`vm up ${config.name}\` boots it`;
    throw new UserError(`machine '${config.name}' is not running: ${why}`, { exitCode: EXIT.wrongState });
  }
  return { config, state: view.state!, paths: recordedPaths(view.state!, runtimePathsFor(config.project.stateDir)) };
}
