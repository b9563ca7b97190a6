// `vm box build` skips a build the store already holds from the same recipe state (build.ts
// reuseStoredBuild): box.json's build.recipe_sha256 against the recipe's hash.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addBox } from '../../../../src/core/boxes/store.js';
import { reuseStoredBuild } from '../../../../src/core/boxes/build.js';
import { loadRecipe } from '../../../../src/core/boxes/recipe.js';
import { demoFiles, demoManifest, tempEnv, writeBoxFolder, type TempEnv } from './fixtures.js';

let env: TempEnv;
beforeEach(() => {
  env = tempEnv();
});
afterEach(() => env.cleanup());

function recipeFolder(motd: string): string {
  const dir = join(env.root, 'recipe');
  mkdirSync(join(dir, 'files'), { recursive: true });
  writeFileSync(join(dir, 'files', 'motd'), motd);
  writeFileSync(
    join(dir, 'box-recipe.yaml'),
    ['name: demo', 'version: 1.0.0', 'architecture: riscv64', 'engines: [builtin, qemu]', 'base: {suite: trixie}', 'kernel: {package: linux-image-riscv64}',
      'files:', '  - {source: files/motd, destination: /etc/motd}', 'root_disk: {size: 64M}', ''].join('\n'),
  );
  return dir;
}

async function storeBuiltFrom(recipeHash: string): Promise<void> {
  const files = demoFiles();
  await addBox(writeBoxFolder(join(env.root, 'built'), files, demoManifest(files, { build: { recipe_sha256: recipeHash } })), { loc: env.loc });
}

describe('reuseStoredBuild', () => {
  it('finds the stored box built from this recipe, and writes its archive when asked', async () => {
    const recipe = loadRecipe(recipeFolder('hello\n'));
    await storeBuiltFrom(recipe.hash);
    const out = join(env.root, 'demo.box');
    const reused = await reuseStoredBuild(recipe, { loc: env.loc, output: out });
    expect(reused?.box.name).toBe('demo');
    expect(reused?.archive).toBe(out);
    // the archive is a box the store takes back
    const again = await addBox(out, { loc: env.loc, name: 'copy' });
    expect(again.box.manifest?.build?.recipe_sha256).toBe(recipe.hash);
  });

  it('builds again when a file the recipe copies in changed, or nothing is stored', async () => {
    expect(await reuseStoredBuild(loadRecipe(recipeFolder('hello\n')), { loc: env.loc })).toBeUndefined();
    const before = loadRecipe(recipeFolder('hello\n'));
    await storeBuiltFrom(before.hash);
    const after = loadRecipe(recipeFolder('changed\n'));
    expect(after.hash).not.toBe(before.hash);
    expect(await reuseStoredBuild(after, { loc: env.loc })).toBeUndefined();
  });
});
