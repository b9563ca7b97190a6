// box-recipe.yaml: read with the Vmfile's YAML machinery (file:line:col problems, hostile-YAML
// refusals), checked against schemas/box-recipe.schema.json, then against the disk (files exist,
// stay inside the recipe folder) and turned into a BoxRecipe with defaults filled in.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative, isAbsolute, resolve } from 'node:path';
import type { Arch, EngineName } from '../../model/machine-config.js';
import { UserError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { displayPath, formatProblems } from '../vmfile/format-problems.js';
import { parseYamlFile, type YamlFileKind } from '../vmfile/parse-yaml.js';
import { dedupeProblems, sortProblems, type Problem } from '../vmfile/problem.js';
import { Reporter } from '../vmfile/reporter.js';
import { createAjv } from '../vmfile/schema-codegen.js';
import { schemaProblems } from '../vmfile/schema-problems.js';
import { parseSize } from '../vmfile/units.js';

export const RECIPE_FILE = 'box-recipe.yaml';
export const RECIPE_SCHEMA_PATH = (): string => join(packageRoot(), 'schemas', 'box-recipe.schema.json');

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
export const DEFAULT_ROOT_LABEL = 'vm-root';
/** mkfs.ext4 needs room for its own metadata; below this a root disk is a mistake. */
const MIN_ROOT_DISK_BYTES = 16 * 1024 * 1024;

const RECIPE_KIND: YamlFileKind = {
  noun: 'box recipe',
  describes: 'describes how to build a box',
  example: '`name: debian-13`',
  emptyHint: 'see boxes/debian-13/box-recipe.yaml for a complete recipe',
  aliasHint: 'write the values out; a recipe needs few aliases',
};

export type MmdebstrapVariant = 'extract' | 'essential' | 'apt' | 'minbase' | 'important';

export interface RecipeFile {
  /** Absolute path on the host. */
  source: string;
  destination: string;
  mode: number;
}

export interface BoxRecipe {
  /** The recipe folder (absolute). */
  dir: string;
  /** box-recipe.yaml (absolute). */
  file: string;
  name: string;
  version: string;
  description?: string;
  architecture: Arch;
  engines: EngineName[];
  base: { suite: string; mirror: string; components: string[]; variant: MmdebstrapVariant };
  packages: string[];
  kernel: { package: string; cmdline: string };
  initrd?: { modules: string[] };
  agent: boolean;
  files: RecipeFile[];
  commands: string[];
  rootDisk: { size: number; label: string };
  sourceDateEpoch?: number;
  /** sha256 over the recipe's text and every file it copies in: a cache key for built boxes. */
  hash: string;
}

let validator: ReturnType<ReturnType<typeof createAjv>['compile']> | undefined;
function recipeValidator() {
  validator ??= createAjv().compile(JSON.parse(readFileSync(RECIPE_SCHEMA_PATH(), 'utf8')) as object);
  return validator;
}

/** Reads DIR/box-recipe.yaml (or a recipe file given directly); every problem at once, as a UserError. */
export function loadRecipe(path: string, cwd = process.cwd()): BoxRecipe {
  const abs = resolve(cwd, path);
  let file = abs;
  try {
    if (lstatSync(abs).isDirectory()) file = join(abs, RECIPE_FILE);
  } catch {
    throw new UserError(`${path} does not exist`, { hint: `pass a folder holding ${RECIPE_FILE}` });
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${displayPath(file, cwd)} does not exist` : `cannot read ${file}: ${code ?? (err as Error).message}`, {
      hint: code === 'ENOENT' ? `a recipe folder holds ${RECIPE_FILE}; see boxes/debian-13/` : undefined,
    });
  }
  const { recipe, problems } = compileRecipe(text, file);
  const errors = problems.filter((p) => p.severity === 'error');
  if (!recipe || errors.length > 0) {
    const n = errors.length;
    throw new UserError(`${displayPath(file, cwd)} has ${n} error${n === 1 ? '' : 's'}:\n${formatProblems(errors, { cwd, text })}`);
  }
  return recipe;
}

/** Recipe text read from `file` -> recipe, or the problems found (collected, never thrown). */
export function compileRecipe(text: string, file: string): { recipe?: BoxRecipe; problems: Problem[] } {
  const dir = resolve(file, '..');
  const parsed = parseYamlFile(text, file, RECIPE_KIND);
  const done = (problems: Problem[], recipe?: BoxRecipe) => ({ recipe, problems: sortProblems(dedupeProblems(problems)) });
  if (!parsed.source || !parsed.data) return done(parsed.problems);
  const { source, data } = parsed;
  const validate = recipeValidator();
  validate(data);
  const report = new Reporter(source);
  report.problems.push(...parsed.problems, ...schemaProblems(validate.errors ?? [], data, source, 'the box recipe'));
  if (report.errorCount > 0) return done(report.problems);

  const d = data as Record<string, any>;
  const engines = d.engines as EngineName[];
  if (engines.includes('builtin') && d.architecture !== 'riscv64') {
    report.error(['engines'], `engines lists builtin, which runs riscv64 only (architecture is ${d.architecture})`);
  }
  if ((d.base.variant ?? 'minbase') === 'extract' && (d.commands ?? []).length > 0) {
    report.error(['commands'], 'commands cannot run with base.variant extract: it unpacks packages without configuring them, so the image has no working shell to run them in');
  }
  const size = parseSize(d.root_disk.size);
  if (size === undefined || size < MIN_ROOT_DISK_BYTES) {
    report.error(['root_disk', 'size'], `root_disk.size must be at least ${MIN_ROOT_DISK_BYTES / 1024 / 1024}M; got ${JSON.stringify(d.root_disk.size)}`);
  } else if (size % 4096 !== 0) {
    report.error(['root_disk', 'size'], 'root_disk.size must be a whole number of 4 KiB blocks');
  }
  const hash = createHash('sha256').update(text);
  const files: RecipeFile[] = [];
  const realDir = safeRealpath(dir);
  ((d.files ?? []) as { source: string; destination: string; mode?: string }[]).forEach((f, i) => {
    const src = join(dir, f.source);
    const real = safeRealpath(src);
    const rel = real && realDir ? relative(realDir, real) : '';
    if (!real) {
      report.error(['files', i, 'source'], `${f.source} does not exist in the recipe folder ${dir}`);
      return;
    }
    if (rel.startsWith('..') || isAbsolute(rel)) {
      report.error(['files', i, 'source'], `${f.source} leads outside the recipe folder (through a link)`);
      return;
    }
    let bytes: Buffer;
    try {
      if (!lstatSync(real).isFile()) throw new Error('not a regular file');
      bytes = readFileSync(real);
    } catch (err) {
      report.error(['files', i, 'source'], `${f.source} is not a readable regular file (${(err as Error).message})`);
      return;
    }
    // The cache key covers what lands in the image, not just the recipe text.
    hash.update(`\u0000${f.source}\u0000${f.destination}\u0000${f.mode ?? ''}\u0000`).update(bytes);
    files.push({ source: real, destination: f.destination, mode: f.mode === undefined ? 0o644 : parseInt(f.mode, 8) });
  });
  if (report.errorCount > 0) return done(report.problems);

  const recipe: BoxRecipe = {
    dir,
    file,
    name: d.name,
    version: d.version,
    ...(d.description !== undefined ? { description: d.description } : {}),
    architecture: d.architecture,
    engines,
    base: {
      suite: d.base.suite,
      mirror: (d.base.mirror ?? DEFAULT_MIRROR).replace(/\/+$/, ''),
      components: d.base.components ?? ['main'],
      variant: d.base.variant ?? 'minbase',
    },
    packages: d.packages ?? [],
    kernel: { package: d.kernel.package, cmdline: d.kernel.cmdline ?? '' },
    ...(d.initrd !== undefined ? { initrd: { modules: d.initrd.modules } } : {}),
    agent: d.agent ?? true,
    files,
    commands: d.commands ?? [],
    rootDisk: { size: size!, label: d.root_disk.label ?? DEFAULT_ROOT_LABEL },
    ...(d.source_date_epoch !== undefined ? { sourceDateEpoch: d.source_date_epoch } : {}),
    hash: hash.digest('hex'),
  };
  return done(report.problems, recipe);
}

function safeRealpath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}
