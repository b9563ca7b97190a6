// The Debian boxes the Debian e2e tests boot: the riscv64 debian-13 (RISCV64) and its x86_64 twin
// (X86_64, qemu only). An env var names a built one (RISCV64: VM_TEST_DEBIAN_BOX=PATH, a .box archive
// or a store folder, any architecture; X86_64: VM_TEST_DEBIAN_X86_64_BOX); without it the box is
// built here from its recipe with `vm box build`, once per host: into a store of the tests' own,
// where box.json's build.recipe_sha256 (the recipe's hash: its text and every file it copies in)
// says whether the stored box is this recipe's, so a later run (or the other vitest project) skips
// the build. A build enters that store only through `vm box build`'s atomic rename, so one
// interrupted mid-way leaves no half box there, and the next build sweeps its work folder.
import { lookup } from 'node:dns/promises';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reuseStoredBuild } from '../../../src/core/boxes/build.js';
import { checkHostTools } from '../../../src/core/boxes/build-tools.js';
import { loadRecipe, type BoxRecipe } from '../../../src/core/boxes/recipe.js';
import { BUILT, ROOT, alive, show, type Project } from './vm-cli.js';

/** Held (O_EXCL, with the holder's pid) in a recipe's store while one test process builds or checks the stored box. */
const LOCK_FILE = 'build.lock';

/**
 * A recipe the tests build: where it is, the tests' own store for its builds (kept between runs;
 * one per recipe, so the two builds neither wait for each other's lock nor evict each other),
 * where its downloaded .debs are kept, which env var names a built box instead.
 */
export interface DebianRecipe {
  path: string;
  store: string;
  debCache: string;
  givenEnv: string;
}

/** The riscv64 box; its .deb cache is shared with test/e2e/box-build.test.ts so the archive is fetched once per host. */
export const RISCV64: DebianRecipe = { path: join(ROOT, 'boxes/debian-13'), store: join(tmpdir(), 'vm-test-debian-store'), debCache: join(tmpdir(), 'vm-test-deb-cache-riscv64'), givenEnv: 'VM_TEST_DEBIAN_BOX' };
/** The x86_64 box (qemu engine only). */
export const X86_64: DebianRecipe = { path: join(ROOT, 'boxes/debian-13/box-recipe-x86_64.yaml'), store: join(tmpdir(), 'vm-test-debian-store-x86_64'), debCache: join(tmpdir(), 'vm-test-deb-cache-x86_64'), givenEnv: 'VM_TEST_DEBIAN_X86_64_BOX' };

export type DebianBoxSource = { path: string; build: false } | { recipe: BoxRecipe; from: DebianRecipe; build: true } | { skip: string };

/**
 * Where the box comes from, or why the Debian tests cannot run here. Decided before the tests are
 * collected: a given box, the stored build of this very recipe, or a build this host can do (root,
 * the build's host programs, binfmt for riscv64, and the Debian archive reachable).
 */
export async function debianBoxSource(from: DebianRecipe = RISCV64): Promise<DebianBoxSource> {
  const given = process.env[from.givenEnv];
  if (given) return { path: given, build: false };
  if (!BUILT) return { skip: 'the CLI is not built (npm run build)' };
  const recipe = loadRecipe(from.path);
  if (await reuseStoredBuild(recipe, { loc: { home: from.store } })) return { recipe, from, build: true };
  try {
    checkHostTools(recipe);
  } catch (err) {
    const hint = (err as { options?: { hint?: string } }).options?.hint;
    return { skip: `this host cannot build ${recipe.name}: ${(err as Error).message}${hint ? ` (${hint})` : ''}` };
  }
  try {
    await lookup(new URL(recipe.base.mirror).hostname);
  } catch (err) {
    return { skip: `this host cannot build ${recipe.name}: ${recipe.base.mirror} does not resolve (${(err as Error).message})` };
  }
  return { recipe, from, build: true };
}

/** Takes STORE's lock, waiting while a live process holds it; a dead holder's lock is taken over. */
async function withLock<T>(store: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  mkdirSync(store, { recursive: true, mode: 0o700 });
  const LOCK = join(store, LOCK_FILE);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = NaN;
      try {
        holder = Number(readFileSync(LOCK, 'utf8'));
      } catch {
        continue;
      }
      // A holder that died (a killed test run) leaves its lock: only its own pid may remove a live one.
      if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
        try {
          unlinkSync(LOCK);
        } catch {
          // another waiter took it over first
        }
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${LOCK} is still held by pid ${holder} after ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    return await fn();
  } finally {
    unlinkSync(LOCK);
  }
}

/**
 * The box folder (or archive) to `vm box add`: the given one, or the stored build of the recipe,
 * built first if the store has none (or one of an older recipe state, which --force replaces).
 * `p` runs the CLI; its own store is not touched. Returns how long it took and whether it built.
 */
export async function debianBox(p: Project, source: Exclude<DebianBoxSource, { skip: string }>): Promise<{ path: string; built: boolean; seconds: number }> {
  if (!source.build) return { path: source.path, built: false, seconds: 0 };
  const { recipe, from } = source;
  const started = Date.now();
  return withLock(from.store, async () => {
    const env = { VM_HOME: from.store, VM_BOX_BUILD_CACHE: from.debCache };
    mkdirSync(from.debCache, { recursive: true });
    const stored = await reuseStoredBuild(recipe, { loc: { home: from.store } });
    let built = false;
    if (!stored) {
      const r = await p.run(['box', 'build', from.path, '--json', '--force'], { env, timeoutMs: 1_800_000 });
      if (r.code !== 0) throw new Error(`vm box build ${from.path} failed\n${show(r)}`);
      built = true;
      // Older versions of the box are of no further use to the tests: free their disk.
      const versions = join(from.store, 'boxes', recipe.name);
      for (const v of existsSync(versions) ? readdirSync(versions) : []) {
        if (v === recipe.version || v.startsWith('.')) continue;
        const rm = await p.run(['box', 'remove', recipe.name, '--version', v, '--force'], { env });
        if (rm.code !== 0) throw new Error(`vm box remove ${recipe.name} --version ${v} failed\n${show(rm)}`);
      }
    }
    const again = await reuseStoredBuild(recipe, { loc: { home: from.store } });
    if (!again) throw new Error(`vm box build succeeded but ${from.store} holds no ${recipe.name} ${recipe.version} built from this recipe`);
    return { path: again.box.dir, built, seconds: (Date.now() - started) / 1000 };
  }, 2_400_000);
}
