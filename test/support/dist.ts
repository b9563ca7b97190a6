// Test helper (also the vitest global setup's job): child processes run the compiled JS (dist/), so build it when any source file is newer
// than its output. Serialized with a lock dir because test files run in parallel processes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = join(REPO, 'dist');

function stale(): boolean {
  const walk = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return walk(p);
      if (!e.name.endsWith('.ts') || e.name.endsWith('.d.ts')) return false;
      const out = join(DIST, relative(join(REPO, 'src'), p)).replace(/\.ts$/, '.js');
      return !existsSync(out) || statSync(out).mtimeMs < statSync(p).mtimeMs;
    });
  return walk(join(REPO, 'src'));
}

/** Builds dist/ if needed. Type errors elsewhere in the tree do not stop tsc from emitting. */
export function ensureDist(): void {
  if (!stale()) return;
  const lock = join(tmpdir(), 'vm-test-build.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A build takes well under 5 minutes: an older lock was left by a killed test run.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmdirSync(lock);
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      execFileSync('sleep', ['0.2']);
    }
  }
  try {
    if (!stale()) return;
    try {
      execFileSync(join(REPO, 'node_modules/.bin/tsc'), ['-p', join(REPO, 'tsconfig.json')], { stdio: 'pipe' });
    } catch {
      // tsc exits non-zero on type errors in files still being written; it emitted anyway.
    }
    // The CLI finds its commands through the manifest: a new command needs a fresh one.
    execFileSync(process.execPath, [join(REPO, 'scripts/write-oclif-manifest.js')], { stdio: 'pipe' });
  } finally {
    rmdirSync(lock);
  }
}

/** Absolute file URL of a compiled module, for child scripts to import. */
export const distModule = (rel: string): string => new URL(`file://${join(DIST, rel)}`).href;
