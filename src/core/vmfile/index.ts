// The Vmfile module's public face: load a project, check it, turn it into MachineConfigs.
export { loadProject, compileVmfile, requireValid, type Project, type LoadOptions, type CompileOptions } from './project.js';
export { findVmfile, VMFILE_NAME } from './find-vmfile.js';
export { engineFromBox, type BoxResolver, type EngineResolver } from './resolvers.js';
export { formatProblem, formatProblems, displayPath } from './format-problems.js';
export type { Problem, Severity } from './problem.js';
export { parseSize, parseDuration, formatSize } from './units.js';
export { VMFILE_SCHEMA_PATH } from './schema.js';
export { SINGLE_MACHINE_NAME } from './machine-sources.js';
