// The box store end to end: add (folder, .tar, .tar.gz) / list / resolve / remove round trips,
// hostile archives refused with exact messages and the store left unchanged.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { addBox, listStored, removeBox } from '../../../../src/core/boxes/store.js';
import { listBoxes, resolveBox } from '../../../../src/core/boxes/catalog.js';
import { saveMachineState, type MachineState } from '../../../../src/core/machines/state.js';
import { UserError } from '../../../../src/core/errors.js';
import { boxItems, demoFiles, demoManifest, snapshot, tempEnv, writeArchive, writeBoxFolder, type TempEnv } from './fixtures.js';
import { boxJson, sha256, type TarItem } from './tar-writer.js';

let env: TempEnv;
beforeEach(() => {
  env = tempEnv();
});
afterEach(() => env.cleanup());

const refused = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('box add / list / remove', () => {
  it('round trip from a folder: verified copy, read-only files, BoxRef with absolute paths', async () => {
    const files = demoFiles();
    const src = writeBoxFolder(join(env.root, 'src'), files);
    writeFileSync(join(src, 'build.sh'), 'recipe files beside the box are not copied');
    const { box, replaced } = await addBox(src, { loc: env.loc });
    expect(replaced).toBe(false);
    const dir = join(env.loc.home, 'boxes', 'demo', '1.0.0');
    expect(box.dir).toBe(dir);
    expect(readFileSync(join(dir, 'disk', 'root.img')).equals(files['disk/root.img']!)).toBe(true);
    expect(statSync(join(dir, 'Image')).mode & 0o777).toBe(0o444);
    expect(readdirSync(dir).sort()).toEqual(['.vm-origin.json', 'Image', 'box.json', 'disk', 'initrd.gz']);

    const ref = await resolveBox('demo', undefined, { loc: env.loc });
    expect(ref).toEqual({
      name: 'demo',
      version: '1.0.0',
      dir,
      arch: 'riscv64',
      engines: ['builtin', 'qemu'],
      kernel: join(dir, 'Image'),
      initrd: join(dir, 'initrd.gz'),
      rootDisk: { path: join(dir, 'disk', 'root.img'), format: 'raw', sha256: sha256(files['disk/root.img']!) },
      cmdline: 'console=ttyS0',
      checksum: sha256(readFileSync(join(src, 'box.json'))),
    });

    expect((await listBoxes(env.loc)).map((r) => [r.name, r.version, r.source, r.stored, r.size])).toEqual([
      ['demo', '1.0.0', 'store', true, Object.values(files).reduce((n, b) => n + b.length, 0)],
    ]);
    expect((await removeBox('demo', { loc: env.loc })).map((b) => b.version)).toEqual(['1.0.0']);
    expect(snapshot(env.loc.home)).toEqual(['boxes/', 'locks/', 'tmp/']);
  });

  it('round trip from a .tar.gz and a plain .tar; zero blocks become holes', async () => {
    const files = demoFiles();
    for (const gzip of [true, false]) {
      const archive = writeArchive(join(env.root, gzip ? 'demo.box' : 'demo.tar'), boxItems(files), gzip);
      const { box } = await addBox(archive, { loc: env.loc });
      const disk = join(box.dir, 'disk', 'root.img');
      expect(readFileSync(disk).equals(files['disk/root.img']!)).toBe(true);
      const st = statSync(disk);
      expect(st.size).toBe(4 << 20);
      expect(st.blocks * 512, 'a 4 MiB disk of zeros is stored sparse').toBeLessThan(64 * 1024);
      await removeBox('demo', { loc: env.loc });
    }
    expect(snapshot(env.loc.home)).toEqual(['boxes/', 'locks/', 'tmp/']);
  });

  it('refuses an existing NAME/VERSION unless --force; --name stores under another name', async () => {
    const files = demoFiles();
    const archive = writeArchive(join(env.root, 'demo.box'), boxItems(files));
    await addBox(archive, { loc: env.loc });
    expect(await refused(addBox(archive, { loc: env.loc }))).toBe(`box 'demo' 1.0.0 is already in the store (${join(env.loc.home, 'boxes/demo/1.0.0')})`);
    const again = await addBox(archive, { loc: env.loc, force: true });
    expect(again.replaced).toBe(true);
    const other = await addBox(archive, { loc: env.loc, name: 'other' });
    expect(other.box.dir).toBe(join(env.loc.home, 'boxes/other/1.0.0'));
    expect((await resolveBox('other', '1.0.0', { loc: env.loc })).name).toBe('other');
    expect(await refused(addBox(archive, { loc: env.loc, name: '../x' }))).toBe(
      "invalid box name '../x': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    );
    expect(readdirSync(join(env.loc.home, 'tmp'))).toEqual([]);
  });

  it('resolves the highest version satisfying a constraint, with clear errors', async () => {
    for (const version of ['1.0.0', '1.4.2', '2.0.0']) {
      const files = demoFiles();
      await addBox(writeBoxFolder(join(env.root, version), files, demoManifest(files, { version })), { loc: env.loc });
    }
    expect((await resolveBox('demo', undefined, { loc: env.loc })).version).toBe('2.0.0');
    expect((await resolveBox('demo', '^1.0', { loc: env.loc })).version).toBe('1.4.2');
    expect((await resolveBox('demo', '1.0.*', { loc: env.loc })).version).toBe('1.0.0');
    expect((await resolveBox('demo', '<2', { loc: env.loc })).version).toBe('1.4.2');
    expect(await refused(resolveBox('demo', '>=3', { loc: env.loc }))).toBe("no version of box 'demo' satisfies '>=3' (stored: 2.0.0, 1.4.2, 1.0.0)");
    expect(await refused(resolveBox('demo', '>>1', { loc: env.loc }))).toBe("invalid version constraint '>>1' for box 'demo'");
    const err = await resolveBox('nope', undefined, { loc: env.loc }).catch((e: UserError) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe("box 'nope' is not installed; run `vm box add PATH --name nope` to add it");

    expect(await refused(removeBox('demo', { loc: env.loc }))).toBe("box 'demo' has 3 versions in the store (2.0.0, 1.4.2, 1.0.0)");
    expect(await refused(removeBox('demo', { loc: env.loc, version: '9.9.9' }))).toBe("box 'demo' has no version 9.9.9 in the store (stored: 2.0.0, 1.4.2, 1.0.0)");
    await removeBox('demo', { loc: env.loc, version: '1.4.2' });
    expect((await listStored(env.loc)).map((b) => b.version)).toEqual(['2.0.0', '1.0.0']);
    await removeBox('demo', { loc: env.loc, all: true });
    expect(await refused(removeBox('demo', { loc: env.loc }))).toBe("box 'demo' is not in the store");
  });

  it('refuses to remove a box a machine uses, unless --force', async () => {
    const files = demoFiles();
    const { box } = await addBox(writeBoxFolder(join(env.root, 'src'), files), { loc: env.loc });
    const project = join(env.root, 'project');
    mkdirSync(project);
    const state: MachineState = {
      format: 1,
      name: 'default',
      engine: 'builtin',
      state: 'halted',
      sockets: {},
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      box: { name: 'demo', version: '1.0.0', checksum: box.checksum },
      configHash: 'x',
    };
    expect(await saveMachineState(project, state, { index: env.loc })).toEqual({});
    expect(await refused(removeBox('demo', { loc: env.loc }))).toBe(`box 'demo' 1.0.0 is used by machine 'default' in ${project}`);
    await removeBox('demo', { loc: env.loc, force: true });
    expect(await listStored(env.loc)).toEqual([]);
  });
});

describe('hostile or broken boxes are refused and leave the store unchanged', () => {
  const good = demoFiles();
  const cases: [string, () => TarItem[], (archive: string) => string][] = [
    ['a ".." entry', () => [...boxItems(good), { name: '../escape', data: 'x' }], (a) => `archive ${a}: entry "../escape" points outside the box ('..' in its path)`],
    ['an absolute path', () => [...boxItems(good), { name: '/tmp/evil', data: 'x' }], (a) => `archive ${a}: entry "/tmp/evil" has an absolute path`],
    ['a symlink', () => [...boxItems(good), { name: 'evil', type: '2', linkname: '/etc/passwd' }], (a) => `archive ${a}: entry "evil" is a symbolic link (to "/etc/passwd"); boxes may hold only regular files and folders`],
    ['a hard link', () => [...boxItems(good), { name: 'evil', type: '1', linkname: '/etc/shadow' }], (a) => `archive ${a}: entry "evil" is a hard link (to "/etc/shadow"); boxes may hold only regular files and folders`],
    ['a device file', () => [...boxItems(good), { name: 'dev/sda', type: '4' }], (a) => `archive ${a}: entry "dev/sda" is a block device; boxes may hold only regular files and folders`],
    ['a duplicate name (second Image overwriting the first)', () => [...boxItems(good), { name: 'Image', data: 'evil kernel' }], (a) => `archive ${a}: duplicate entry "Image"`],
    ['an oversized entry', () => [...boxItems(good), { name: 'huge.img', size: 2 ** 40, base256Size: true }], (a) => `archive ${a}: entry "huge.img" is 1099511627776 bytes, over the 68719476736-byte limit per file`],
    [
      'a wrong checksum',
      () => boxItems({ ...good, Image: Buffer.from('tampered kernel') }, demoManifest({ ...good, Image: Buffer.from('original kernel') })),
      (a) => `archive ${a}: checksum mismatch for "Image": box.json says sha256 ${sha256('original kernel')}, the file has ${sha256('tampered kernel')}`,
    ],
    [
      'a size mismatch',
      () => boxItems({ ...good, Image: Buffer.from('short') }, demoManifest({ ...good, Image: Buffer.from('longer kernel') })),
      (a) => `archive ${a}: "Image" is 5 bytes but box.json says 13`,
    ],
    ['an unlisted extra file', () => [...boxItems(good), { name: 'extra.sh', data: 'rm -rf /' }], (a) => `archive ${a}: entry "extra.sh" is not listed in box.json's files`],
    ['a listed file missing', () => boxItems({ Image: good.Image! }, demoManifest(good)), (a) => `archive ${a}: box.json lists "initrd.gz" but the box does not contain it`],
    ['no box.json', () => [{ name: './', type: '5' }], (a) => `archive ${a}: no box.json at the top of the archive`],
    ['box.json after another file', () => [{ name: 'Image', data: 'x' }, { name: 'box.json', data: demoManifest(good) }], (a) => `archive ${a}: box.json must be the archive's first file, but "Image" comes before it`],
    [
      'a box.json missing fields and with a bad enum',
      () => boxItems(good, JSON.stringify({ ...JSON.parse(demoManifest(good)), architecture: 'arm64', kernel: undefined })),
      (a) => `invalid box.json (${a}): missing required field 'kernel'; architecture must be one of: riscv64, x86_64`,
    ],
    [
      'a box.json with an unknown field and a path leaving the box',
      () => boxItems(good, JSON.stringify({ ...JSON.parse(demoManifest(good)), firmware: '../fw.bin', colour: 'red' })),
      (a) => `invalid box.json (${a}): unknown field 'colour'; firmware must be a relative path inside the box (no leading '/', no '.' or '..' segment, no empty segment, no backslash, not box.json)`,
    ],
    [
      'a box.json whose kernel is not among its files',
      () => boxItems(good, demoManifest(good, { kernel: 'vmlinuz' })),
      (a) => `invalid box.json (${a}): kernel names 'vmlinuz', which files does not list`,
    ],
    ['a box.json that is not JSON', () => boxItems(good, '{ "name": '), (a) => `invalid box.json (${a}): not valid JSON (Unexpected end of JSON input)`],
  ];

  for (const [what, items, message] of cases) {
    it(what, async () => {
      // Something already in the store must survive untouched.
      await addBox(writeBoxFolder(join(env.root, 'keep'), demoFiles(), demoManifest(demoFiles(), { name: 'keep' })), { loc: env.loc });
      const before = snapshot(env.loc.home);
      const archive = writeArchive(join(env.root, 'hostile.box'), items());
      expect(await refused(addBox(archive, { loc: env.loc }))).toBe(message(archive));
      expect(snapshot(env.loc.home)).toEqual(before);
      expect(readdirSync(join(env.loc.home, 'tmp'))).toEqual([]);
    });
  }

  it('a file that is not an archive, and a truncated gzip', async () => {
    const notTar = join(env.root, 'x.box');
    writeFileSync(notTar, 'PK\u0003\u0004 this is a zip file, not a tar'.repeat(40));
    expect(await refused(addBox(notTar, { loc: env.loc }))).toBe(`archive ${notTar}: not a tar archive (bad header checksum at byte 0)`);
    const archive = writeArchive(join(env.root, 'cut.box'), boxItems(demoFiles()));
    const whole = readFileSync(archive);
    writeFileSync(archive, whole.subarray(0, Math.floor(whole.length / 2)));
    expect(await refused(addBox(archive, { loc: env.loc }))).toMatch(/^archive .*cut\.box: (gzip data is corrupt \(unexpected end of file\)|archive is truncated at byte \d+)$/);
    expect(snapshot(env.loc.home)).toEqual(['boxes/', 'locks/', 'tmp/']);
  });

  it('a box folder whose listed file is a symlink (inside or outside the folder)', async () => {
    const files = demoFiles();
    const src = writeBoxFolder(join(env.root, 'src'), files);
    writeFileSync(join(env.root, 'outside'), files.Image!);
    const img = join(src, 'Image');
    (await import('node:fs')).rmSync(img);
    symlinkSync(join(env.root, 'outside'), img);
    expect(await refused(addBox(src, { loc: env.loc }))).toBe(`box folder ${src}: "Image" goes through a symbolic link pointing outside the box; boxes may hold only regular files and folders`);
    expect(snapshot(env.loc.home)).toEqual(['boxes/', 'locks/', 'tmp/']);
  });

  it('a path that does not exist', async () => {
    const missing = join(env.root, 'nope.box');
    expect(await refused(addBox(missing, { loc: env.loc }))).toBe(`${missing} does not exist`);
  });

  it('a box.json building on the schema: sha256 format and builtin on x86_64', async () => {
    const files = demoFiles();
    const bad = JSON.parse(boxJson(files, { architecture: 'x86_64' })) as { files: Record<string, { sha256: string }> };
    bad.files.Image!.sha256 = 'ABC';
    const src = writeBoxFolder(join(env.root, 'src'), files, JSON.stringify(bad));
    expect(await refused(addBox(src, { loc: env.loc }))).toBe(`invalid box.json (${join(src, 'box.json')}): files["Image"].sha256 must be 64 lower-case hex digits`);
    const src2 = writeBoxFolder(join(env.root, 'src2'), files, boxJson(files, { architecture: 'x86_64' }));
    expect(await refused(addBox(src2, { loc: env.loc }))).toBe(
      `invalid box.json (${join(src2, 'box.json')}): engines lists builtin, which runs riscv64 only (architecture is x86_64)`,
    );
  });
});

describe('bundled boxes', () => {
  it('are listed without add, installed on first use through the verified add, then listed as stored', async () => {
    const files = demoFiles();
    writeBoxFolder(join(env.loc.bundledDir, 'tiny'), files, demoManifest(files, { name: 'tiny', version: '0.1.0' }));
    writeFileSync(join(env.loc.bundledDir, 'README.md'), 'not a box');
    expect((await listBoxes(env.loc)).map((r) => [r.name, r.version, r.source, r.stored])).toEqual([['tiny', '0.1.0', 'bundled', false]]);
    const err = await resolveBox('nope', undefined, { loc: env.loc }).catch((e: UserError) => e);
    expect((err as UserError).options.hint).toBe('bundled boxes: tiny');

    const ref = await resolveBox('tiny', undefined, { loc: env.loc });
    expect(ref.dir).toBe(join(env.loc.home, 'boxes/tiny/0.1.0'));
    expect(readFileSync(ref.rootDisk!.path).equals(files['disk/root.img']!)).toBe(true);
    expect((await listBoxes(env.loc)).map((r) => [r.name, r.version, r.source, r.stored])).toEqual([['tiny', '0.1.0', 'bundled', true]]);
    await removeBox('tiny', { loc: env.loc });
    expect(await refused(removeBox('tiny', { loc: env.loc }))).toBe("box 'tiny' is bundled with vm and not installed in the store; there is nothing to remove");
    expect((await listBoxes(env.loc)).map((r) => [r.name, r.stored])).toEqual([['tiny', false]]);
    await resolveBox('tiny', undefined, { loc: env.loc });
    // Second use: already there, nothing re-copied.
    const mtime = statSync(ref.kernel).mtimeMs;
    await resolveBox('tiny', '0.1.*', { loc: env.loc });
    expect(statSync(ref.kernel).mtimeMs).toBe(mtime);
  });

  it('can ship as box.json beside a .box archive; a box.json differing from the archive\'s is refused', async () => {
    const files = demoFiles();
    const manifest = demoManifest(files, { name: 'tiny', version: '0.1.0' });
    const folder = join(env.loc.bundledDir, 'tiny');
    mkdirSync(folder);
    writeFileSync(join(folder, 'box.json'), manifest);
    writeArchive(join(folder, 'tiny.box'), boxItems(files, manifest));
    const ref = await resolveBox('tiny', undefined, { loc: env.loc });
    expect(readFileSync(ref.kernel).equals(files.Image!)).toBe(true);
    await removeBox('tiny', { loc: env.loc });

    writeFileSync(join(folder, 'box.json'), demoManifest(files, { name: 'tiny', version: '0.1.0', description: 'edited' }));
    const msg = await refused(resolveBox('tiny', undefined, { loc: env.loc }));
    expect(msg).toMatch(/^bundled box 'tiny' 0\.1\.0 could not be installed: .*tiny\.box: the box\.json inside differs from the box\.json beside it \(sha256 [0-9a-f]{64} vs [0-9a-f]{64}\)$/);
    expect(snapshot(env.loc.home)).toEqual(['boxes/', 'locks/', 'tmp/']);
  });

  it('a rebuilt bundled box with the same version replaces the stored copy on next use', async () => {
    const files = demoFiles();
    const folder = join(env.loc.bundledDir, 'tiny');
    writeBoxFolder(folder, files, demoManifest(files, { name: 'tiny', version: '0.1.0' }));
    await resolveBox('tiny', undefined, { loc: env.loc });
    const rebuilt = { ...files, Image: Buffer.from('rebuilt kernel') };
    writeBoxFolder(folder, rebuilt, demoManifest(rebuilt, { name: 'tiny', version: '0.1.0' }));
    const ref = await resolveBox('tiny', undefined, { loc: env.loc });
    expect(readFileSync(ref.kernel, 'utf8')).toBe('rebuilt kernel');
  });
});
