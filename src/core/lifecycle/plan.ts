// `vm plan`: what `vm up` (and `vm reload`) would do to each machine, from the Vmfile and the
// machine's recorded state, through the same decision `vm status` and `vm up` use (configChange),
// so the plan never promises what reload then refuses. Reads only: no box is installed.
import type { MachineConfig } from '../../model/machine-config.js';
import { peekBox } from '../boxes/catalog.js';
import { UserError } from '../errors.js';
import { changedSettings, configChange } from '../machines/config-change.js';
import { inspectMachine, type MachineStatus } from '../machines/state.js';
import type { StoreLocation } from '../paths.js';
import { formatProblems, loadProject, requireValid } from '../vmfile/index.js';
import { isProvisioned, provisionersFor } from './provision.js';

export type PlanAction =
  /** Not created: `vm up` creates and boots it. */
  | 'create'
  /** Created but not running: `vm up` boots it, with the Vmfile as it is now. */
  | 'boot'
  /** Running as the Vmfile says. */
  | 'none'
  /** Running with older settings: `vm reload` applies them. */
  | 'reload'
  /** Only `vm destroy` + `vm up` can apply the change. */
  | 'recreate'
  /** Its state cannot be read; `vm destroy --force` removes it. */
  | 'broken';

export interface MachinePlan {
  name: string;
  status: MachineStatus | 'box not downloaded';
  action: PlanAction;
  /** Vmfile settings that differ from what the machine runs or last ran with (see changedSettings);
   *  absent when not known (a state written by an older vm). */
  changed?: string[];
  /** The provisioners `vm up` would run (default rules: once ones on the first up, always ones on each boot). */
  provisioners: string[];
  /** Why, in a sentence, for recreate and broken. */
  reason?: string;
  hint?: string;
}

export interface ProjectPlan {
  vmfile: string;
  machines: MachinePlan[];
  warnings: string;
}


export async function planMachine(projectDir: string, config: MachineConfig): Promise<MachinePlan> {
  const view = await inspectMachine(projectDir, config.name, config.engine);
  // The provisioners `vm up` picks (provisionersFor), by the same rules.
  const first = provisionersFor(config.provision, 'first').map((p) => p.name);
  const always = provisionersFor(config.provision, 'boot').map((p) => p.name);
  const base = { name: config.name, status: view.status };
  if (view.status === 'broken') return { ...base, action: 'broken', provisioners: [], reason: view.detail, hint: `\`vm destroy --force ${config.name}\` removes it` };
  if (!view.state) return { ...base, action: 'create', provisioners: first };
  const change = configChange(view.state, config);
  const changed = changedSettings(view.state, config);
  const fields = changed === undefined ? {} : { changed };
  if (change.kind === 'recreate') return { ...base, action: 'recreate', ...fields, provisioners: [], reason: change.why, hint: change.hint };
  const done = await isProvisioned(config.project.stateDir);
  if (view.status === 'running') {
    return { ...base, action: change.kind === 'reload' ? 'reload' : 'none', ...(change.kind === 'reload' ? fields : {}), provisioners: done ? [] : first };
  }
  return { ...base, action: 'boot', ...(change.kind === 'reload' ? fields : {}), provisioners: done ? always : first };
}

export async function projectPlan(o: { file?: string; cwd?: string; names?: string[]; loc?: StoreLocation }): Promise<ProjectPlan> {
  const project = await loadProject({ file: o.file, cwd: o.cwd, resolveBox: (name, constraint, source) => peekBox(name, constraint, { loc: o.loc, source }) });
  const pending = new Set(project.notDownloaded.map((p) => p.name));
  const machines = requireValid({ ...project, notDownloaded: [] }, o.cwd);
  const all = project.machineNames;
  const wanted = o.names && o.names.length > 0 ? o.names : all;
  const unknown = wanted.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    throw new UserError(`no machine named ${unknown.map((n) => `'${n}'`).join(', ')} in ${project.vmfile}`, { hint: `machines: ${all.join(', ')}` });
  }
  return {
    vmfile: project.vmfile,
    machines: await Promise.all(
      wanted.map(async (n): Promise<MachinePlan> => {
        const config = machines.find((m) => m.name === n);
        if (config) return planMachine(project.dir, config);
        // Its box is downloaded on `vm up`: nothing is known but that it is to be created.
        const view = await inspectMachine(project.dir, n, 'builtin');
        if (pending.has(n) && view.status === 'not created') return { name: n, status: 'box not downloaded', action: 'create', provisioners: [] };
        return { name: n, status: view.status, action: view.status === 'broken' ? 'broken' : 'boot', provisioners: [], reason: `its box is not downloaded yet; \`vm up ${n}\` downloads it` };
      }),
    ),
    warnings: project.warnings.length > 0 ? formatProblems(project.warnings, { cwd: o.cwd, text: project.text }) : '',
  };
}
