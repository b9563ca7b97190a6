// box-recipe.yaml: the schema describes every key, a good recipe gets its defaults, and bad ones get
// file:line:col errors from the same machinery as the Vmfile.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../../src/core/errors.js';
import { compileRecipe, loadRecipe, RECIPE_SCHEMA_PATH } from '../../../../src/core/boxes/recipe.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const dir = mkdtempSync(join(tmpdir(), 'vm-recipe-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'files'));
writeFileSync(join(dir, 'files', 'motd'), 'hello\n');
writeFileSync(join(tmpdir(), 'vm-recipe-outside.txt'), 'outside\n');
symlinkSync(join(tmpdir(), 'vm-recipe-outside.txt'), join(dir, 'files', 'escape'));

const GOOD = `name: small
version: 1.0.0
architecture: riscv64
engines: [builtin, qemu]
base: {suite: trixie}
kernel: {package: linux-image-riscv64}
root_disk: {size: 64M}
`;

function problems(text: string): [number, number, string][] {
  return compileRecipe(text, join(dir, 'box-recipe.yaml')).problems.map((p) => [p.line, p.col, p.message]);
}

describe('schemas/box-recipe.schema.json', () => {
  it('describes every property and forbids unknown keys in every mapping', () => {
    const schema = JSON.parse(readFileSync(RECIPE_SCHEMA_PATH(), 'utf8'));
    const walk = (node: any, where: string): string[] => {
      const out: string[] = [];
      if (node.type === 'object' && node.additionalProperties !== false) out.push(`${where} is open`);
      for (const [k, v] of Object.entries<any>(node.properties ?? {})) {
        if (typeof v.description !== 'string' || v.description.length < 10) out.push(`${where}.${k} has no description`);
        out.push(...walk(v, `${where}.${k}`));
      }
      if (node.items) out.push(...walk(node.items, `${where}[]`));
      return out;
    };
    expect(walk(schema, '$')).toEqual([]);
  });

  it('accepts the bundled debian-13 recipe', () => {
    const r = loadRecipe(join(ROOT, 'boxes', 'debian-13'));
    expect(r.name).toBe('debian-13');
    expect(r.architecture).toBe('riscv64');
    expect(r.engines).toEqual(['builtin', 'qemu']);
    expect(r.packages).toContain('openssh-server');
    expect(r.files.length).toBeGreaterThan(0);
  });

  it('accepts the bundled debian-13-x86_64 recipe', () => {
    const r = loadRecipe(join(ROOT, 'boxes', 'debian-13', 'box-recipe-x86_64.yaml'));
    expect(r.name).toBe('debian-13-x86_64');
    expect(r.architecture).toBe('x86_64');
    expect(r.engines).toEqual(['qemu']);
    expect(r.kernel.package).toBe('linux-image-amd64');
    expect(r.initrd?.modules).toEqual(['crc32c_generic', 'virtio_blk', 'ext4', 'virtio_net']);
    expect(r.files.length).toBeGreaterThan(0);
  });
});

describe('loading a recipe', () => {
  it('fills in the defaults', () => {
    const { recipe, problems: p } = compileRecipe(GOOD, join(dir, 'box-recipe.yaml'));
    expect(p).toEqual([]);
    expect(recipe).toMatchObject({
      name: 'small',
      base: { suite: 'trixie', mirror: 'http://deb.debian.org/debian', components: ['main'], variant: 'minbase' },
      packages: [],
      kernel: { package: 'linux-image-riscv64', cmdline: '' },
      agent: true,
      files: [],
      commands: [],
      rootDisk: { size: 64 * 1024 * 1024, label: 'vm-root' },
    });
    expect(recipe!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('points at unknown keys, bad values and missing keys with line:col', () => {
    expect(problems(GOOD.replace('base: {suite: trixie}', 'base: {suite: trixie, varient: minbase}'))).toEqual([
      [5, 23, 'unknown key "varient" in base; did you mean "variant"?'],
    ]);
    expect(problems(GOOD.replace('engines: [builtin, qemu]', 'engines: [builtin, kvm]'))).toEqual([
      [4, 20, 'engines[1] must be one of builtin, qemu; got "kvm"'],
    ]);
    expect(problems(GOOD.replace('root_disk: {size: 64M}\n', ''))).toEqual([[1, 1, 'the box recipe is missing the required key "root_disk"']]);
    expect(problems(GOOD.replace('64M', 'lots'))).toEqual([[7, 19, 'root_disk.size must be a size such as 2G or a number of bytes; got "lots"']]);
    expect(problems(GOOD.replace('64M', '1M'))).toEqual([[7, 19, 'root_disk.size must be at least 16M; got "1M"']]);
  });

  it('refuses builtin for another architecture, and YAML a recipe must not hold', () => {
    expect(problems(GOOD.replace('riscv64', 'x86_64').replace('linux-image-riscv64', 'linux-image-amd64'))).toEqual([
      [4, 10, 'engines lists builtin, which runs riscv64 only (architecture is x86_64)'],
    ]);
    expect(problems(`${GOOD}name: again\n`)).toEqual([[8, 1, 'duplicate key "name": each key may appear only once in a mapping']]);
    expect(problems('')).toEqual([[1, 1, 'the box recipe is empty']]);
    expect(problems('- a\n')).toEqual([[1, 1, 'the top level of a box recipe must be a mapping of keys such as `name: debian-13`, not a list']]);
  });

  it('checks the files it copies in: present, regular, inside the recipe folder', () => {
    const files = (src: string) => `${GOOD}files:\n  - {source: ${src}, destination: /etc/motd}\n`;
    const ok = compileRecipe(files('files/motd'), join(dir, 'box-recipe.yaml'));
    expect(ok.problems).toEqual([]);
    expect(ok.recipe!.files).toEqual([{ source: join(dir, 'files', 'motd'), destination: '/etc/motd', mode: 0o644 }]);
    expect(problems(files('files/nope'))).toEqual([[9, 14, `files/nope does not exist in the recipe folder ${dir}`]]);
    expect(problems(files('files/escape'))).toEqual([[9, 14, 'files/escape leads outside the recipe folder (through a link)']]);
    expect(problems(files('../x'))).toEqual([[9, 14, 'files[0].source must be a path relative to the recipe folder, without `..`; got "../x"']]);
    expect(problems(files('files'))).toEqual([[9, 14, 'files is not a readable regular file (not a regular file)']]);
  });

  it('changes its hash when a copied file changes', () => {
    const text = `${GOOD}files:\n  - {source: files/motd, destination: /etc/motd}\n`;
    const a = compileRecipe(text, join(dir, 'box-recipe.yaml')).recipe!.hash;
    writeFileSync(join(dir, 'files', 'motd'), 'changed\n');
    const b = compileRecipe(text, join(dir, 'box-recipe.yaml')).recipe!.hash;
    expect(a).not.toBe(b);
  });

  it('loadRecipe throws one UserError quoting each bad line', () => {
    writeFileSync(join(dir, 'box-recipe.yaml'), GOOD.replace('trixie', 'Trixie!'));
    let err: unknown;
    try {
      loadRecipe(dir, dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      [
        'box-recipe.yaml has 1 error:',
        'box-recipe.yaml:5:15: error: base.suite must be a Debian suite such as trixie; got "Trixie!"',
        '    5 | base: {suite: Trixie!}',
        '      |               ^',
      ].join('\n'),
    );
    expect(() => loadRecipe(join(dir, 'files'), dir)).toThrow(/files\/box-recipe.yaml does not exist/);
  });
});
