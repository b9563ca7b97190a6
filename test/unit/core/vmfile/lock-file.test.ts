// Vmfile.lock through a real store: the first resolution is recorded, later ones are pinned to it
// (a newer box in the store changes nothing), a rebuilt box under the same version is refused with
// both checksums, --update-lock moves on, and the frozen check (vm validate --locked) fails when
// the lock is missing or stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveBox } from '../../../../src/core/boxes/catalog.js';
import { addBox } from '../../../../src/core/boxes/store.js';
import { UserError } from '../../../../src/core/errors.js';
import { selectMachines } from '../../../../src/core/lifecycle/select.js';
import { loadProject } from '../../../../src/core/vmfile/project.js';
import { lockPathFor, openLock, readLock, type LockMode } from '../../../../src/core/vmfile/lock-file.js';
import { demoFiles, demoManifest, tempEnv, writeBoxFolder, type TempEnv } from '../boxes/fixtures.js';
import { tempDir } from './helpers.js';

let env: TempEnv;
let project: string;
beforeEach(() => {
  env = tempEnv();
  project = tempDir('vm-lock-project-');
});
afterEach(() => env.cleanup());

/** Adds box `demo` at `version`; `salt` changes its kernel bytes (a rebuild under the same version). */
async function addDemo(version: string, salt = '', force = false): Promise<string> {
  const files = demoFiles();
  files.Image = Buffer.concat([files.Image!, Buffer.from(salt)]);
  const dir = writeBoxFolder(join(env.root, `src-${version}-${salt}`), files, demoManifest(files, { version }));
  return (await addBox(dir, { loc: env.loc, force })).box.checksum;
}

async function up(mode: LockMode = 'use') {
  return selectMachines({ cwd: project, loc: env.loc, lock: mode });
}

async function validateLocked(): Promise<void> {
  const vmfile = join(project, 'Vmfile');
  const lock = openLock(vmfile, 'frozen', (n, c, s) => resolveBox(n, c, { loc: env.loc, source: s, noDownload: true }));
  const p = await loadProject({ file: vmfile, resolveBox: lock.resolveBox });
  expect(p.errors).toEqual([]);
  await lock.finish(p.machines, p.machineNames);
}

describe('Vmfile.lock', () => {
  it('is written by the first up with name, version, architecture and box.json sha256 per machine', async () => {
    const sum = await addDemo('1.0.0');
    writeFileSync(join(project, 'Vmfile'), 'machines:\n  web: {box: demo}\n  db: {box: {name: demo, version: ">=1.0"}}\n');
    const sel = await up();
    expect(sel.lockChanges).toEqual(["web: box 'demo' 1.0.0 (new)", "db: box 'demo' 1.0.0 (new)"]);
    const text = readFileSync(lockPathFor(join(project, 'Vmfile')), 'utf8');
    expect(JSON.parse(text)).toEqual({
      lockfileVersion: 1,
      machines: {
        db: { box: 'demo', version: '1.0.0', architecture: 'riscv64', sha256: sum },
        web: { box: 'demo', version: '1.0.0', architecture: 'riscv64', sha256: sum },
      },
    });
    // Nothing changed: nothing to say, the file is left as it was.
    expect((await up()).lockChanges).toEqual([]);
    await validateLocked();
  });

  it('pins later ups to the locked version when a newer one is added', async () => {
    await addDemo('1.0.0');
    writeFileSync(join(project, 'Vmfile'), 'box: {name: demo, version: ">=1.0"}\n');
    await up();
    await addDemo('1.1.0');
    const sel = await up();
    expect(sel.machines[0]!.box.version).toBe('1.0.0');
    // --update-lock resolves again: the newest satisfying version, recorded.
    const updated = await up('update');
    expect(updated.machines[0]!.box.version).toBe('1.1.0');
    expect(updated.lockChanges).toEqual(["default: box 'demo' 1.0.0 -> 1.1.0"]);
    expect(readLock(lockPathFor(join(project, 'Vmfile')))!.machines.default!.version).toBe('1.1.0');
  });

  it('refuses a store holding another box under the locked name and version, naming both checksums', async () => {
    const before = await addDemo('1.0.0');
    writeFileSync(join(project, 'Vmfile'), 'box: demo\n');
    await up();
    const after = await addDemo('1.0.0', 'rebuilt', true);
    const err = await up().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(
      `machine 'default': ${join(project, 'Vmfile.lock')} locks box 'demo' 1.0.0 with box.json sha256 ${before}, but the store holds a different box under that name and version (box.json sha256 ${after})`,
    );
    expect((err as UserError).options.hint).toMatch(/vm up --update-lock/);
    await expect(validateLocked()).rejects.toThrow(/locks box 'demo' 1.0.0/);
    expect((await up('update')).lockChanges).toEqual([`default: box 'demo' 1.0.0 rebuilt (sha256 ${before.slice(0, 12)}… -> ${after.slice(0, 12)}…)`]);
    await validateLocked();
  });

  it('vm validate --locked fails without a lock, and when the Vmfile moved on', async () => {
    await addDemo('1.0.0');
    await addDemo('2.0.0');
    writeFileSync(join(project, 'Vmfile'), 'box: {name: demo, version: "<2"}\n');
    await expect(validateLocked()).rejects.toThrow(`${join(project, 'Vmfile.lock')} does not exist`);
    await up();
    await validateLocked();
    writeFileSync(join(project, 'Vmfile'), 'box: {name: demo, version: ">=2"}\n');
    await expect(validateLocked()).rejects.toThrow(`${join(project, 'Vmfile.lock')} is out of date with the Vmfile: default: box 'demo' 1.0.0 -> 2.0.0`);
    writeFileSync(join(project, 'Vmfile'), 'machines:\n  other: {box: demo}\n');
    await expect(validateLocked()).rejects.toThrow(/out of date with the Vmfile: default is in the lock but not in the Vmfile; other: box 'demo' 1.0.0 is not in the lock$/);
  });

  it('names a damaged lock file instead of guessing', async () => {
    await addDemo('1.0.0');
    writeFileSync(join(project, 'Vmfile'), 'box: demo\n');
    writeFileSync(join(project, 'Vmfile.lock'), '{"lockfileVersion": 1, "machines": {"default": {"box": "demo"}}}');
    await expect(up()).rejects.toThrow(`${join(project, 'Vmfile.lock')} is not a valid lock file: machines.default needs box, version, architecture and a sha256 of 64 hex digits`);
    writeFileSync(join(project, 'Vmfile.lock'), 'not json');
    await expect(up()).rejects.toThrow(/is not a valid lock file: not JSON/);
  });

  it('says so when the locked version is not installed', async () => {
    await addDemo('1.0.0');
    writeFileSync(join(project, 'Vmfile'), 'box: demo\n');
    await up();
    const lock = readLock(lockPathFor(join(project, 'Vmfile')))!;
    lock.machines.default!.version = '0.9.0';
    writeFileSync(join(project, 'Vmfile.lock'), JSON.stringify(lock));
    await expect(up()).rejects.toThrow(/Vmfile.lock pins box 'demo' 0.9.0 \(box.json sha256 [0-9a-f]{64}\), which is not installed/);
  });
});
