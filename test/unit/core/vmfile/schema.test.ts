// The schema is the public contract: described key by key, in step with the compiler and with the
// generated validator, and the shipped example and `vm init` template are valid against it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../../src/core/errors.js';
import { initVmfileText, schemaRefFor, writeInitVmfile, initTarget } from '../../../../src/core/vmfile/init-template.js';
import { MACHINE_KEYS, MULTI_MACHINE_KEYS } from '../../../../src/core/vmfile/machine-sources.js';
import { compileVmfile, loadProject } from '../../../../src/core/vmfile/project.js';
import { generateValidatorSource } from '../../../../src/core/vmfile/schema-codegen.js';
import { VMFILE_SCHEMA_PATH, vmfileSchema, type SchemaNode } from '../../../../src/core/vmfile/schema.js';
import { folderResolver, makeBox, tempDir } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const schema = vmfileSchema();

function deref(node: SchemaNode): SchemaNode {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  const target = ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((n, seg) => (n as SchemaNode)[seg], schema) as SchemaNode;
  return { ...deref(target), ...node };
}

/** Every key a user can write, with the schema describing it: [where, schema]. */
function keys(node: SchemaNode, where: string, seen = new Set<SchemaNode>()): [string, SchemaNode][] {
  if (seen.has(node)) return [];
  seen.add(node);
  const out: [string, SchemaNode][] = [];
  const n = deref(node);
  for (const [k, v] of Object.entries((n.properties ?? {}) as Record<string, SchemaNode>)) {
    out.push([`${where}.${k}`, deref(v)], ...keys(v, `${where}.${k}`, seen));
  }
  for (const [k, v] of [['propertyNames', n.propertyNames], ['additionalProperties', n.additionalProperties], ['items', n.items]] as const) {
    if (v && typeof v === 'object') out.push([`${where}<${k}>`, deref(v as SchemaNode)], ...keys(v as SchemaNode, `${where}<${k}>`, seen));
  }
  for (const [i, b] of ((n.oneOf ?? []) as SchemaNode[]).entries()) out.push(...keys(b, `${where}|${i}`, seen));
  return out;
}

describe('schemas/vmfile.schema.json', () => {
  it('describes every key, so editors can show help', () => {
    const all = keys(schema, '$');
    expect(all.length).toBeGreaterThan(60);
    const undescribed = all.filter(([, s]) => typeof s.description !== 'string' || s.description.length < 10).map(([w]) => w);
    expect(undescribed).toEqual([]);
  });

  it('forbids unknown keys in every mapping, so typos are caught', () => {
    const open = keys(schema, '$')
      .filter(([, s]) => s.properties !== undefined && s.additionalProperties !== false)
      .map(([w]) => w);
    expect(open).toEqual([]);
    const branches = keys(schema, '$').flatMap(([w, s]) => ((s.oneOf ?? []) as SchemaNode[]).map((b, i) => [`${w}|${i}`, b.additionalProperties] as const));
    expect(branches.filter(([, a]) => a !== false)).toEqual([]);
  });

  it('offers the same machine keys at the top level, in a machine and in the compiler', () => {
    const machine = Object.keys((schema.definitions as SchemaNode & { machine: { properties: SchemaNode } }).machine.properties);
    expect(machine).toEqual([...MACHINE_KEYS, ...MULTI_MACHINE_KEYS]);
    expect(Object.keys(schema.properties as SchemaNode)).toEqual([...MACHINE_KEYS, 'machines', 'defaults']);
  });

  it('matches the generated validator (VM_UPDATE_GENERATED=1 rewrites it)', () => {
    const file = join(ROOT, 'src/core/vmfile/vmfile-validator.generated.ts');
    const fresh = generateValidatorSource(schema);
    if (process.env.VM_UPDATE_GENERATED === '1') writeFileSync(file, fresh);
    expect(readFileSync(file, 'utf8') === fresh, 'schema changed: run VM_UPDATE_GENERATED=1 npx vitest run test/unit/vmfile/schema.test.ts').toBe(true);
  });

  it('is found from the module location', () => {
    expect(VMFILE_SCHEMA_PATH).toBe(join(ROOT, 'schemas', 'vmfile.schema.json'));
  });
});

describe('Vmfile.example', () => {
  it('points editors at the schema and compiles cleanly', async () => {
    const file = join(ROOT, 'Vmfile.example');
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./schemas/vmfile.schema.json');
    const boxes = tempDir();
    makeBox(boxes);
    const p = await compileVmfile(file, text, { resolveBox: folderResolver(boxes) });
    expect([p.errors, p.warnings]).toEqual([[], []]);
    const m = p.machines[0]!;
    expect(m.box.name).toBe('tiny');
    expect(m.forwards).toEqual([{ guest: 8000, host: 8080, hostIp: '127.0.0.1', protocol: 'tcp' }]);
    expect(m.syncedFolders).toEqual([{ hostPath: ROOT, guestPath: '/vagrant', readOnly: true, tag: 'vagrant' }]);
    expect(m.provision.map((x) => [x.type, x.name, x.run])).toEqual([
      ['shell', 'web-page', 'once'],
      ['shell', 'web-server', 'always'],
    ]);
  });
});

describe('vm init template', () => {
  it('writes a Vmfile that validates, refuses to overwrite, and replaces with force', async () => {
    const dir = tempDir('vmfile-init-');
    const boxes = tempDir();
    makeBox(boxes);
    const file = initTarget('.', dir);
    expect(file).toBe(join(dir, 'Vmfile'));
    const text = writeInitVmfile(file, { box: 'tiny', force: false });
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=${schemaRefFor(file)}`);
    expect(existsSync(resolve(dir, schemaRefFor(file)))).toBe(true);

    const p = await loadProject({ cwd: dir, resolveBox: folderResolver(boxes) });
    expect([p.errors, p.warnings, p.machineNames]).toEqual([[], [], ['default']]);

    writeFileSync(file, 'box: mine\n');
    expect(() => writeInitVmfile(file, { box: 'tiny', force: false })).toThrow(`${file} already exists`);
    expect(readFileSync(file, 'utf8')).toBe('box: mine\n');
    writeInitVmfile(file, { box: 'other', force: true });
    expect(readFileSync(file, 'utf8')).toBe(initVmfileText('other', schemaRefFor(file)));
  });

  it('refuses a box name that is not one', () => {
    expect(() => writeInitVmfile(join(tempDir(), 'Vmfile'), { box: '../x', force: false })).toThrow(UserError);
  });

  it('keeps every commented example valid when uncommented', async () => {
    const boxes = tempDir();
    makeBox(boxes);
    const dir = tempDir('vmfile-init-all-');
    // Up to the multi-machine note, which is prose about another layout.
    const text = initVmfileText('tiny', './x.json')
      .split('# Several machines')[0]!
      .split('\n')
      .map((l) => l.replace(/^# (?=(engine|hostname|boot_timeout|forwards|synced_folders|provision):|  )/, ''))
      .join('\n')
      .replace(/path: scripts\/setup.sh\n.*\n/, 'inline: echo ok\n');
    const p = await compileVmfile(join(dir, 'Vmfile'), text, { resolveBox: folderResolver(boxes) });
    expect(p.errors.map((e) => `${e.line}: ${e.message}`)).toEqual([]);
    expect(p.machines[0]!.forwards).toHaveLength(1);
    expect(p.machines[0]!.syncedFolders).toHaveLength(1);
    expect(p.machines[0]!.provision).toHaveLength(2);
    expect(p.machines[0]!.hostname).toBe('my-machine');
  });
});
