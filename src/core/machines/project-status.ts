// The data behind `vm status`: the project's machines from its Vmfile, each inspected on disk. Reads
// boxes without installing anything and loads no engine code, so it answers in a blink.
import { UserError } from '../errors.js';
import type { StoreLocation } from '../paths.js';
import { formatProblems, loadProject, requireValid } from '../vmfile/index.js';
import { otherErrors } from '../vmfile/project.js';
import { peekBox } from '../boxes/catalog.js';
import { changeNote, configChange } from './config-change.js';
import { inspectMachine, type MachineView } from './state.js';

export interface ProjectMachineView extends Omit<MachineView, 'engine'> {
  /** `auto` only for a machine whose box is not downloaded yet (the box decides). */
  engine: MachineView['engine'] | 'auto';
  /** The Vmfile now compiles to something other than what the machine last started with. */
  vmfileChanged: boolean;
  /** What applying the Vmfile takes (configChange): `reload` only for a running machine (a halted one
   *  gets the new settings on its next `vm up`), `recreate` for any created machine. */
  needs?: 'reload' | 'recreate';
  /** The sentence saying so. */
  changeNote?: string;
}

export interface ProjectStatus {
  vmfile: string;
  dir: string;
  machines: ProjectMachineView[];
  /** The Vmfile's warnings, formatted (empty when none). */
  warnings: string;
}

export interface ProjectStatusOptions {
  /** `-f`: a Vmfile or a folder holding one; default: the nearest Vmfile upwards from cwd. */
  file?: string;
  cwd?: string;
  /** Only these machines (in this order); default all, in Vmfile order. */
  names?: string[];
  loc?: StoreLocation;
}

export async function projectStatus(opts: ProjectStatusOptions = {}): Promise<ProjectStatus> {
  const project = await loadProject({
    file: opts.file,
    cwd: opts.cwd,
    resolveBox: (name, constraint, source) => peekBox(name, constraint, { loc: opts.loc, source }),
  });
  // A machine whose box `vm up` will download is simply not created yet.
  const pending = new Map(project.notDownloaded.map((p) => [p.name, p] as const));
  // A machine whose box is not installed still has a state on disk to show: say what is known.
  const noBox = otherErrors(project).length === 0 ? new Map(project.boxMissing.map((b) => [b.name, b] as const)) : new Map();
  const machines = requireValid({ ...project, notDownloaded: [], errors: noBox.size > 0 ? [] : project.errors }, opts.cwd);
  const byName = new Map(machines.map((m) => [m.name, m] as const));
  const all = project.machineNames.filter((n) => byName.has(n) || pending.has(n) || noBox.has(n));
  const wanted = opts.names && opts.names.length > 0 ? opts.names : all;
  const unknown = wanted.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    throw new UserError(`no machine named ${unknown.map((n) => `'${n}'`).join(', ')} in ${project.vmfile}`, {
      hint: `machines: ${all.join(', ')}`,
    });
  }
  return {
    vmfile: project.vmfile,
    dir: project.dir,
    machines: await Promise.all(
      wanted.map(async (n): Promise<ProjectMachineView> => {
        const waiting = pending.get(n);
        if (waiting) {
          const engine = waiting.engineRequested === 'auto' ? 'builtin' : waiting.engineRequested;
          const view = await inspectMachine(project.dir, n, engine);
          const detail = view.status === 'not created' ? `box '${waiting.error.box}' is downloaded from ${waiting.error.url} on \`vm up\`` : view.detail;
          return { ...view, engine: view.state?.engine ?? waiting.engineRequested, ...(detail ? { detail } : {}), vmfileChanged: false };
        }
        const missing = noBox.get(n);
        if (missing) {
          const view = await inspectMachine(project.dir, n, missing.engineRequested === 'auto' ? 'builtin' : missing.engineRequested);
          const why = missing.error.message.replace(/;.*$/, '');
          const detail = view.status === 'not created' ? missing.error.message : [view.detail, `its ${why}`].filter(Boolean).join('; ');
          return { ...view, engine: view.state?.engine ?? missing.engineRequested, detail, vmfileChanged: false };
        }
        const config = byName.get(n)!;
        const view = await inspectMachine(project.dir, n, config.engine);
        if (!view.state) return { ...view, vmfileChanged: false };
        if (view.status === 'running' && view.engine === 'libvirt') {
          // a forward tunnel that died is asked back now; say when it could not be. Loaded only
          // here: the tunnel record lives with the engines, which status otherwise never loads
          const { ensureTunnel } = await import('./forward-tunnel.js');
          const tunnel = await ensureTunnel(config.project.stateDir, view.pid);
          if (tunnel && tunnel.pid === undefined) view.detail = [view.detail, `the ssh tunnel serving its forwards through ${tunnel.via} is down (see .vm/machines/${n}/engine.log)`].filter(Boolean).join('; ');
        }
        const change = configChange(view.state, config);
        const live = view.status === 'running';
        const needs = change.kind === 'recreate' || (change.kind === 'reload' && live) ? change.kind : undefined;
        const note = needs ? changeNote(change, n) : undefined;
        return { ...view, vmfileChanged: live && change.kind !== 'none', ...(needs ? { needs } : {}), ...(note ? { changeNote: note } : {}) };
      }),
    ),
    warnings: project.warnings.length > 0 ? formatProblems(project.warnings, { cwd: opts.cwd, text: project.text }) : '',
  };
}
