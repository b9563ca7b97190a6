// The file the builtin engine process is started with (<stateDir>/engine.json): the machine's config
// and runtime paths. Written by builtin-engine.ts, read and checked by engine-main.ts.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RuntimePaths } from '../engine.js';
import type { MachineConfig } from '../../model/machine-config.js';

export const LAUNCH_FORMAT = 1;
export const LAUNCH_FILE = 'engine.json';

/**
 * A MachineConfig on its way into the engine process, with what only the start knows: the runtime
 * paths, the engine's own kernel parameters, a state to resume. Built by BuiltinEngine.start
 * (builtin-engine.ts), read by engine-main.ts, which hands it to a MachineRunner. It exists because a
 * process boundary lies between core and the machine, and is the only representation written to disk.
 */
export interface LaunchFile {
  format: typeof LAUNCH_FORMAT;
  config: MachineConfig;
  paths: RuntimePaths;
  /** Extra kernel parameters the engine adds (hostname, private addresses), after the config's. */
  cmdlineExtra: string[];
  /** A saved state file to continue from instead of booting (vm resume); deleted once loaded. */
  resumeFrom?: string;
}

export const launchFilePath = (config: MachineConfig): string => join(config.project.stateDir, LAUNCH_FILE);

/** Reads and shape-checks a launch file; throws an Error naming the file and the field. */
export async function readLaunchFile(path: string): Promise<LaunchFile> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as Partial<LaunchFile>;
  const bad = (what: string): never => {
    throw new Error(`launch file ${path}: ${what}`);
  };
  if (!raw || typeof raw !== 'object') bad('not an object');
  if (raw.format !== LAUNCH_FORMAT) bad(`format must be ${LAUNCH_FORMAT}`);
  const c = raw.config;
  if (!c || typeof c !== 'object' || typeof c.name !== 'string' || !c.box || typeof c.box.kernel !== 'string') bad('config is not a machine config');
  const p = raw.paths;
  for (const k of ['runDir', 'consoleSocket', 'agentSocket', 'qmpSocket', 'consoleLog', 'engineLog'] as const) {
    if (!p || typeof p[k] !== 'string') bad(`paths.${k} is missing`);
  }
  if (!Array.isArray(raw.cmdlineExtra) || raw.cmdlineExtra.some((s) => typeof s !== 'string')) bad('cmdlineExtra must be a list of strings');
  if (raw.resumeFrom !== undefined && typeof raw.resumeFrom !== 'string') bad('resumeFrom must be a path');
  return raw as LaunchFile;
}
