// Every class of Vmfile error, from the fixture folder: exact message and exact line:col.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileVmfile } from '../../../../src/core/vmfile/project.js';
import type { BoxResolver } from '../../../../src/core/vmfile/resolvers.js';
import { FIXTURES, folderResolver, makeBox, tempDir } from './helpers.js';

const BAD = join(FIXTURES, 'bad');
let resolveBox: BoxResolver;
beforeAll(() => {
  const root = tempDir();
  makeBox(root);
  resolveBox = folderResolver(root);
});

type Expected = [severity: 'error' | 'warning', line: number, col: number, message: string];

async function problemsOf(name: string): Promise<Expected[]> {
  const file = join(BAD, name);
  const p = await compileVmfile(file, readFileSync(file, 'utf8'), { resolveBox });
  // An invalid Vmfile never yields machines, whatever could be compiled.
  expect(p.machines).toEqual([]);
  for (const x of [...p.errors, ...p.warnings]) expect(x.file).toBe(file);
  return [...p.errors, ...p.warnings].map((x) => [x.severity, x.line, x.col, x.message]);
}

const cases: Record<string, Expected[]> = {
  'typo-key.Vmfile': [['error', 3, 1, 'unknown key "memroy"; did you mean "memory"?']],
  'typo-nested-key.Vmfile': [
    ['error', 5, 9, 'machines.web.forwards[0] is missing the required key "host"'],
    ['error', 6, 9, 'unknown key "hots" in machines.web.forwards[0]; did you mean "host"?'],
  ],
  'wrong-type.Vmfile': [
    ['error', 2, 7, 'cpus must be a whole number of CPUs from 1 to 64; got "two"'],
    ['error', 3, 9, 'memory must be a size such as 512M, 2G or a number of bytes; got a list'],
    ['error', 7, 16, 'synced_folders[0].read_only must be true or false; got "maybe"'],
  ],
  'bad-size.Vmfile': [
    ['error', 2, 9, 'memory must be a size such as 512M, 2G or a number of bytes; got "2 gigs"'],
    ['error', 5, 11, 'disks[0].size must be a size such as 512M, 2G or a number of bytes; got "10X"'],
    ['error', 7, 11, 'disk size must be between 1M and 64T; got "4K"'],
  ],
  'bad-port.Vmfile': [
    ['error', 4, 11, 'forwards[0].host must be a port number from 1 to 65535; got 70000'],
    ['error', 5, 12, 'forwards[1].guest must be a port number from 1 to 65535; got 0'],
  ],
  'duplicate-host-ports.Vmfile': [
    ['error', 9, 30, 'host port 8080/tcp on 127.0.0.1 is already forwarded by machine "web" (line 5:28)'],
    ['error', 12, 30, 'host port 8443/tcp on 127.0.0.1 is already forwarded by this machine (line 11:29)'],
    ['warning', 11, 44, 'host port 8443 listens on 0.0.0.0: every network this host is on can reach guest port 443'],
  ],
  'missing-synced-folder.Vmfile': [
    ['error', 3, 11, `synced folder "./does-not-exist" does not exist (looked for ${join(BAD, 'does-not-exist')})`],
  ],
  'alias-bomb.Vmfile': [
    ['error', 3, 8, 'the YAML aliases expand too much (more than 100 alias uses), which is how an "alias bomb" exhausts memory'],
  ],
  'proto-key.Vmfile': [['error', 3, 3, 'the key "__proto__" is not allowed in a Vmfile']],
  'duplicate-keys.Vmfile': [['error', 4, 1, 'duplicate key "memory": each key may appear only once in a mapping']],
  'syntax-error.Vmfile': [
    ['error', 5, 1, 'YAML syntax error: flow sequence in block collection must be sufficiently indented and end with a ]'],
  ],
  'mixed-forms.Vmfile': [['error', 1, 1, '"memory" cannot be at the top level next to "machines"']],
  'top-level-list.Vmfile': [['error', 1, 1, 'the top level of a Vmfile must be a mapping of keys such as `box: tiny`, not a list']],
  'empty.Vmfile': [['error', 1, 1, 'the Vmfile is empty']],
  'semantic-mix.Vmfile': [
    ['error', 1, 9, 'engine must be one of auto, builtin, qemu, libvirt; got "qemuu"; did you mean "qemu"?'],
    ['error', 4, 12, 'box.version must be a version constraint such as `1.2.0`, `>=1.0`, `<2`, `~1.2`, `^1.2`, `1.2.*` or `>=1.0 <2`; got "newest"'],
    ['error', 5, 11, 'hostname must be a hostname: letters, digits and `-` in dot-separated labels of at most 63 characters; got "my_host"'],
    ['error', 6, 15, 'boot_timeout must be between 1s and 24h; got 0'],
    ['error', 9, 13, 'disk name "data" is already used by the disk at line 8:13'],
    ['error', 10, 24, 'disk size must be between 1M and 64T; got 1000001 bytes'],
    ['error', 13, 32, 'tag "share" is already used by the synced folder at line 12:32'],
    ['error', 15, 11, 'provision[0].type must be one of shell, file; got "shel"; did you mean "shell"?'],
    ['error', 18, 11, `provision script "missing.sh" does not exist (looked for ${join(BAD, 'missing.sh')})`],
    ['error', 19, 5, 'a shell provisioner needs "inline" (the script itself) or "path" (a script file)'],
    ['error', 21, 13, `file to provision "nowhere.txt" does not exist (looked for ${join(BAD, 'nowhere.txt')})`],
  ],
};

describe('bad Vmfiles in test/fixtures/vmfiles/bad', () => {
  for (const [name, expected] of Object.entries(cases)) {
    it(name, async () => {
      expect(await problemsOf(name)).toEqual(expected);
    });
  }

  it('has a test case for every fixture', async () => {
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(BAD).sort()).toEqual(Object.keys(cases).sort());
  });

  it('answers an alias bomb quickly, without expanding it', async () => {
    const start = performance.now();
    await problemsOf('alias-bomb.Vmfile');
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('gives hints where the message alone does not say what to do', async () => {
    const file = join(BAD, 'mixed-forms.Vmfile');
    const p = await compileVmfile(file, readFileSync(file, 'utf8'), { resolveBox });
    expect(p.errors[0]!.hint).toBe('move it under `defaults:` (for every machine) or into a machine');
    expect(p.errors[0]!.path).toBe('memory');
  });
});
