// `vm up` as a log sees it (no terminal): with --parallel every step line names its machine, and a
// Ctrl-C (SIGINT, sent by the test hook at a chosen step) says what state each machine was left in.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, ensureDist } from '../../../support/dist.js';
import { demoFiles, demoManifest, writeBoxFolder } from '../../core/boxes/fixtures.js';

let root: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  ensureDist();
  root = mkdtempSync(join(tmpdir(), 'vm-up-cli-'));
  const bundled = join(root, 'bundled');
  const files = demoFiles();
  writeBoxFolder(join(bundled, 'tiny'), files, demoManifest(files, { name: 'tiny', version: '0.1.0' }));
  env = { ...process.env, VM_HOME: join(root, 'home'), VM_BUNDLED_BOXES_DIR: bundled, NO_COLOR: '1', VM_TEST_KILL_AT: 'after-prepare:SIGINT' };
  delete env.FORCE_COLOR;
}, 180_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('vm up interrupted', () => {
  it('names machines on every line of a parallel log, and reports where each was left after Ctrl-C', () => {
    const dir = join(root, 'p');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Vmfile'), 'defaults: {box: tiny}\nmachines:\n  web: {}\n  db: {}\n');
    const r = spawnSync(process.execPath, [join(REPO, 'bin/run.js'), 'up', '--parallel'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(130);
    const stepLines = r.stdout.split('\n').filter((l) => /Box tiny|Disks/.test(l));
    expect(stepLines.length).toBeGreaterThan(0);
    for (const l of stepLines) expect(l).toMatch(/(web|db): (Box|Disks)/);
    expect(r.stderr).toContain('Interrupted.');
    for (const name of ['web', 'db']) {
      expect(r.stderr).toMatch(new RegExp(`  ${name}: (interrupted( during "[^"]+")?; it is (created|running \\(pid \\d+\\)|halted|aborted|not created); |not started)`));
    }
  }, 120_000);
});
