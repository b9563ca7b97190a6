#!/usr/bin/env node
// Bundles the builtin engine's process (dist/engines/builtin/engine-main.js and the 140-odd
// modules it imports) into one file, dist/engines/builtin/engine-main.bundle.js, which the engine
// starts from when it is there and not older than engine-main.js (builtin-engine.ts
// engineMainPath). Every `vm up` starts that process: Node resolving, reading and linking each
// module took most of its start-up (issue 11, warm start). Run by `npm run build` after tsc.
// Without esbuild (a devDependency) it says so and the engine starts from the modules.
import { rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist/engines/builtin/engine-main.js');
const out = join(root, 'dist/engines/builtin/engine-main.bundle.js');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  rmSync(out, { force: true });
  console.error('bundle-engine: esbuild is not installed; the builtin engine starts from its modules');
  process.exit(0);
}
statSync(entry); // built by tsc first
await esbuild.build({
  entryPoints: [entry],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // node: built-ins stay imports; the engine has no other dependency to bundle
  packages: 'external',
  logLevel: 'warning',
  legalComments: 'none',
});
