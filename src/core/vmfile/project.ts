// Load a project's Vmfile: parse -> schema -> machines -> checks -> boxes -> MachineConfig[],
// collecting every problem on the way (like Lima's Validate) instead of stopping at the first.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BoxRef, EngineName, MachineConfig } from '../../model/machine-config.js';
import { UserError } from '../errors.js';
import { finalizeMachine } from './compile.js';
import { findVmfile } from './find-vmfile.js';
import { displayPath, formatProblems } from './format-problems.js';
import { machineSources } from './machine-sources.js';
import { normalizeMachine, type MachineDraft } from './normalize-machine.js';
import { parseVmfileText } from './parse-yaml.js';
import { dedupeProblems, formatPath, sortProblems, type Problem } from './problem.js';
import { checkVirtioSlots } from './device-slots.js';
import { checkEngineLimits } from './engine-limits.js';
import { checkProject } from './project-checks.js';
import { Reporter } from './reporter.js';
import { BoxNotDownloadedError, engineFromBox, type BoxResolver, type EngineResolver } from './resolvers.js';
import { schemaErrors } from './schema.js';
import { schemaProblems } from './schema-problems.js';

export interface Project {
  /** Absolute path of the Vmfile. */
  vmfile: string;
  /** Its folder: relative paths in the Vmfile start here; `.vm/` state lives here. */
  dir: string;
  /** The Vmfile's text, for quoting lines in error messages. */
  text: string;
  /** Machine names in the order written (also when there are errors, as far as they could be read). */
  machineNames: string[];
  /** One per machine whose box was found, in order; empty whenever there is any error other than a
   *  box not found (boxMissing), so read-only views can still show the others. */
  machines: MachineConfig[];
  /** Machines whose box is not installed yet but has a `url` (read-only loads do not download). */
  notDownloaded: { name: string; engineRequested: EngineName | 'auto'; error: BoxNotDownloadedError }[];
  /** Machines whose box could not be found (also in `errors`, at the box line): read-only views such
   *  as `vm status` still show what is on disk for them. */
  boxMissing: { name: string; engineRequested: EngineName | 'auto'; error: UserError; path: string }[];
  errors: Problem[];
  warnings: Problem[];
}

export interface CompileOptions {
  resolveBox: BoxResolver;
  /** Default: builtin when the box supports it, else qemu (see engineFromBox). */
  resolveEngine?: EngineResolver;
}

export interface LoadOptions extends CompileOptions {
  /** `-f`: a Vmfile, or a folder holding one. Default: the nearest Vmfile from `cwd` upwards. */
  file?: string;
  cwd?: string;
}

/** Finds, reads and compiles the project's Vmfile. Throws a UserError only when there is no Vmfile to read. */
export async function loadProject(opts: LoadOptions): Promise<Project> {
  const vmfile = findVmfile(opts);
  let text: string;
  try {
    text = readFileSync(vmfile, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${vmfile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return compileVmfile(vmfile, text, opts);
}

/** Compiles Vmfile text as if read from `vmfile` (an absolute path: relative paths start at its folder). */
export async function compileVmfile(vmfile: string, text: string, opts: CompileOptions): Promise<Project> {
  const dir = dirname(vmfile);
  const project: Project = { vmfile, dir, text, machineNames: [], machines: [], notDownloaded: [], boxMissing: [], errors: [], warnings: [] };
  const finish = (problems: Problem[]) => {
    const all = sortProblems(dedupeProblems(problems));
    project.errors = all.filter((p) => p.severity === 'error');
    project.warnings = all.filter((p) => p.severity === 'warning');
    if (otherErrors(project).length > 0) project.machines = [];
    return project;
  };

  const parsed = parseVmfileText(text, vmfile);
  if (!parsed.source || !parsed.data) return finish(parsed.problems);
  const { source, data } = parsed;
  const report = new Reporter(source);
  report.problems.push(...parsed.problems, ...schemaProblems(schemaErrors(data), data, source));

  const split = machineSources(data, source);
  report.problems.push(...split.problems);
  project.machineNames = split.machines.map((m) => m.name);

  const drafts = split.machines.map((m) => normalizeMachine(m, { projectDir: dir, report }));
  checkProject(drafts, dir, report);

  // A box whose own settings are wrong (a malformed version) is not looked up: one error is enough.
  const badPaths = report.problems.filter((p) => p.severity === 'error').map((p) => p.path);
  const lookups = drafts.filter((d) => d.box && !badPaths.some((p) => isWithin(p, formatPath(d.box!.path))));
  const resolved = await resolveBoxes(lookups, opts, report, project);
  for (const d of drafts) {
    const r = resolved.get(d);
    if (!r) continue;
    checkVirtioSlots(d, r.box, report);
    await checkEngineLimits(d, r.box, r.engine, report);
    project.machines.push(finalizeMachine(d, r.box, r.engine, { dir, vmfile }, report));
  }
  return finish(report.problems);
}

async function resolveBoxes(
  drafts: MachineDraft[],
  opts: CompileOptions,
  report: Reporter,
  project: Project,
): Promise<Map<MachineDraft, { box: BoxRef; engine: EngineName }>> {
  const resolveEngine = opts.resolveEngine ?? engineFromBox;
  // One lookup per distinct request: machines usually share a box, and a lookup may read a store.
  const boxes = new Map<string, Promise<BoxRef | UserError>>();
  const out = new Map<MachineDraft, { box: BoxRef; engine: EngineName }>();
  for (const d of drafts) {
    if (!d.box) continue;
    const key = `${d.box.name}\u0000${d.box.constraint ?? ''}\u0000${d.box.source?.url ?? ''}\u0000${d.box.source?.checksum ?? ''}`;
    if (!boxes.has(key)) boxes.set(key, attempt(() => opts.resolveBox(d.box!.name, d.box!.constraint, d.box!.source)));
    const box = await boxes.get(key)!;
    if (box instanceof BoxNotDownloadedError) {
      project.notDownloaded.push({ name: d.name, engineRequested: d.engineRequested, error: box });
      continue;
    }
    if (box instanceof UserError) {
      report.error(d.box.path, box.message, { hint: box.options.hint });
      project.boxMissing.push({ name: d.name, engineRequested: d.engineRequested, error: box, path: formatPath(d.box.path) });
      continue;
    }
    const engine = await attempt(() => resolveEngine(d.engineRequested, box));
    if (engine instanceof UserError) {
      report.error(d.enginePath ?? d.box.path, engine.message, { hint: engine.options.hint });
      continue;
    }
    out.set(d, { box, engine });
  }
  return out;
}

/** The errors that are not a machine's box not being found. */
export function otherErrors(project: Project): Problem[] {
  return project.errors.filter((e) => !project.boxMissing.some((b) => b.path === e.path && b.error.message === e.message));
}

/** `box.version` is within `box`; `boxes` is not. */
function isWithin(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** A resolver's UserError becomes a problem at the Vmfile line; anything else is a bug and propagates. */
async function attempt<T>(fn: () => T | Promise<T>): Promise<T | UserError> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
}

/**
 * Throws a UserError listing every error (for commands that cannot go on with an invalid Vmfile),
 * or saying which box is still to be downloaded (a command that needs every machine's box).
 */
export function requireValid(project: Project, cwd?: string): MachineConfig[] {
  if (project.errors.length === 0) {
    const missing = project.notDownloaded[0];
    if (missing) throw new UserError(`machine '${missing.name}': ${missing.error.message}`, missing.error.options);
    return project.machines;
  }
  const n = project.errors.length;
  const body = formatProblems(project.errors, { cwd, text: project.text });
  throw new UserError(`${displayPath(project.vmfile, cwd)} has ${n} error${n === 1 ? '' : 's'}:\n${body}`);
}
