#!/usr/bin/env node
// Bundles the builtin engine's process (dist/engines/builtin/engine-main.js and the 140-odd
// modules it imports) into one CommonJS file, dist/engines/builtin/engine-main.bundle.cjs, puts
// its starter beside it (engine-main.start.cjs, from scripts/engine-start.cjs) and makes V8's code
// cache of it with this Node (engine-main.bundle.cache). The engine starts from the starter when
// the bundle is there and not older than engine-main.js (builtin-engine.ts engineMainPath). Every
// `vm up` starts that process: Node resolving, reading and linking each module, then compiling
// the functions, took most of its start-up (issue 11, warm start). Run by `npm run build` after tsc.
// Without esbuild (a devDependency) it says so and the engine starts from the modules.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'dist/engines/builtin');
const entry = join(dir, 'engine-main.js');
const out = join(dir, 'engine-main.bundle.cjs');
const start = join(dir, 'engine-main.start.cjs');
const cache = join(dir, 'engine-main.bundle.cache');

const removeOutputs = () => {
  // engine-main.bundle.js: the ES-module bundle of earlier builds
  for (const f of [out, start, cache, join(dir, 'engine-main.bundle.js')]) rmSync(f, { force: true });
};

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  removeOutputs();
  console.error('bundle-engine: esbuild is not installed; the builtin engine starts from its modules');
  process.exit(0);
}
statSync(entry); // built by tsc first
removeOutputs();
await esbuild.build({
  entryPoints: [entry],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // node: built-ins stay requires; the engine has no other dependency to bundle
  packages: 'external',
  // The modules' own folder (state-file.ts finds package.json from it): the bundle's, one level up.
  define: { 'import.meta.dirname': '__dirname' },
  logLevel: 'warning',
  legalComments: 'none',
});
// Any other import.meta would be an empty object in CommonJS: refuse rather than start wrong.
if (readFileSync(out, 'utf8').includes('import.meta')) {
  removeOutputs();
  console.error('bundle-engine: the engine uses import.meta beyond import.meta.dirname, which its CommonJS bundle cannot; add it to the define in scripts/bundle-engine.js');
  process.exit(1);
}
copyFileSync(join(root, 'scripts/engine-start.cjs'), start);
// With this Node and no options, as the engine is started (builtin-engine.ts: detachedNodeEnv).
const made = spawnSync(process.execPath, [start, '--make-code-cache'], { env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8' });
if (made.status !== 0) {
  rmSync(cache, { force: true });
  console.error(`bundle-engine: no code cache for the engine (it starts without one): ${made.stderr || made.error?.message || `exit ${made.status}`}`);
}
