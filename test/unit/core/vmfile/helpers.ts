// Test helpers: a real box folder (box.json with checksums) in a temp dir and a resolver over it.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BoxRef, EngineName } from '../../../../src/model/machine-config.js';
import { UserError } from '../../../../src/core/errors.js';
import type { BoxResolver } from '../../../../src/core/vmfile/resolvers.js';

export const FIXTURES = resolve(import.meta.dirname, '../../../fixtures/vmfiles');

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

export interface BoxSpec {
  name?: string;
  version?: string;
  engines?: EngineName[];
  cmdline?: string;
}

/** Writes a box folder as `vm box add` accepts it: box.json plus files with their sha256 and size. */
export function makeBox(root: string, spec: BoxSpec = {}): string {
  const name = spec.name ?? 'tiny';
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const files: Record<string, Buffer> = {
    Image: Buffer.from('not really a kernel, but bytes with a checksum\n'),
    'initrd.gz': Buffer.from('not really an initrd\n'),
  };
  for (const [f, body] of Object.entries(files)) writeFileSync(join(dir, f), body);
  const manifest = {
    name,
    version: spec.version ?? '0.1.0',
    description: 'test box',
    architecture: 'riscv64',
    engines: spec.engines ?? ['builtin', 'qemu'],
    kernel: 'Image',
    initrd: 'initrd.gz',
    cmdline: spec.cmdline ?? 'console=ttyS0 earlycon=sbi',
    files: Object.fromEntries(Object.entries(files).map(([f, b]) => [f, { sha256: sha(b), size: b.length }])),
  };
  writeFileSync(join(dir, 'box.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

export function tempDir(prefix = 'vmfile-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Resolves `<root>/<name>/box.json`; records each request so tests can check what was asked. */
export function folderResolver(root: string): BoxResolver & { calls: [string, string | undefined][] } {
  const calls: [string, string | undefined][] = [];
  const fn = ((name: string, constraint: string | undefined): BoxRef => {
    calls.push([name, constraint]);
    const file = join(root, name, 'box.json');
    if (!existsSync(file)) throw new UserError(`box '${name}' is not installed`, { hint: 'bundled boxes: tiny' });
    const text = readFileSync(file, 'utf8');
    const m = JSON.parse(text) as { name: string; version: string; architecture: 'riscv64'; engines: EngineName[]; kernel: string; initrd?: string; cmdline?: string };
    if (constraint !== undefined && !constraint.split(/\s+/).every((part) => versionOk(m.version, part))) {
      throw new UserError(`no version of box '${name}' satisfies '${constraint}'`);
    }
    return {
      name: m.name,
      version: m.version,
      dir: join(root, name),
      arch: m.architecture,
      engines: m.engines,
      kernel: join(root, name, m.kernel),
      ...(m.initrd ? { initrd: join(root, name, m.initrd) } : {}),
      cmdline: m.cmdline ?? '',
      checksum: sha(text),
    };
  }) as BoxResolver & { calls: [string, string | undefined][] };
  fn.calls = calls;
  return fn;
}

/** Enough of version comparison for the fixtures (`>=0.1`, `<1`, exact). */
function versionOk(version: string, part: string): boolean {
  const m = /^(>=|<)?(.*)$/.exec(part)!;
  const cmp = (a: string, b: string) => {
    const x = a.split('.').map(Number);
    const y = b.split('.').map(Number);
    for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  };
  if (m[1] === '>=') return cmp(version, m[2]!) >= 0;
  if (m[1] === '<') return cmp(version, m[2]!) < 0;
  return cmp(version, m[2]!) === 0;
}
