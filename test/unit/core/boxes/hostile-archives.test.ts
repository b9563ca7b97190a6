// Archives built to exhaust the host: box.json is read and validated before any other member, and
// from then on every member is checked at its header (listed in box.json, the declared size, not a
// name vm reserves), so a lying member is refused before its body is inflated. The members below
// declare a gigabyte and carry only a megabyte before the archive ends: a refusal that comes from
// the header says so; one that read the body would report the archive as truncated instead.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { addBox, ensureStore } from '../../../../src/core/boxes/store.js';
import { UserError } from '../../../../src/core/errors.js';
import { boxItems, demoFiles, demoManifest, snapshot, tempEnv, writeArchive, writeBoxFolder, type TempEnv } from './fixtures.js';
import { boxJson, tar, type TarItem } from './tar-writer.js';

let env: TempEnv;
beforeEach(() => {
  env = tempEnv();
});
afterEach(() => env.cleanup());

const GIB = 2 ** 30;

/** A gzip archive of `items`, then a member whose header says `size` but of which only 1 MiB follows. */
function bomb(path: string, items: TarItem[], name: string, size: number): string {
  const head = tar([...items, { name, size }], { end: false });
  writeFileSync(path, gzipSync(Buffer.concat([head, Buffer.alloc(1 << 20, 0x41)])));
  return path;
}

async function refusal(archive: string, opts: Parameters<typeof addBox>[1] = {}): Promise<string> {
  await ensureStore(env.loc);
  const before = snapshot(env.loc.home);
  const err = await addBox(archive, { loc: env.loc, ...opts }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  expect(snapshot(env.loc.home)).toEqual(before);
  expect(readdirSync(join(env.loc.home, 'tmp'))).toEqual([]);
  return (err as Error).message;
}

describe('a hostile archive is refused at the member header, before its body', () => {
  const files = demoFiles();

  it('an unlisted member (the gzip bomb: a tiny .box that inflates to gigabytes)', async () => {
    const a = bomb(join(env.root, 'bomb.box'), boxItems(files), 'payload.bin', 3 * GIB);
    expect(await refusal(a)).toBe(`archive ${a}: entry "payload.bin" is not listed in box.json's files`);
  });

  it('a listed member whose header size differs from box.json', async () => {
    const a = bomb(join(env.root, 'liar.box'), boxItems({ Image: files.Image!, 'initrd.gz': files['initrd.gz']! }, demoManifest(files)), 'disk/root.img', GIB);
    expect(await refusal(a)).toBe(`archive ${a}: "disk/root.img" is ${GIB} bytes but box.json says ${4 << 20}`);
  });

  it('a member before box.json', async () => {
    const a = bomb(join(env.root, 'late.box'), [{ name: './', type: '5' }], 'Image', GIB);
    expect(await refusal(a)).toBe(`archive ${a}: box.json must be the archive's first file, but "Image" comes before it`);
  });

  it('an invalid box.json fails before the members after it are read', async () => {
    const a = bomb(join(env.root, 'bad.box'), [{ name: 'box.json', data: demoManifest(files, { architecture: 'arm64' }) }], 'disk/root.img', GIB);
    expect(await refusal(a)).toBe(`invalid box.json (${a}): architecture must be one of: riscv64, x86_64`);
  });

  it('a box.json over 1 MiB is refused from its header', async () => {
    const a = bomb(join(env.root, 'huge-manifest.box'), [], 'box.json', GIB);
    expect(await refusal(a)).toBe(`archive ${a}: box.json is ${GIB} bytes, larger than the 1 MiB a box.json may be`);
  });

  it('a very long entry name is shortened in the message', async () => {
    const name = `${'n'.repeat(3000)}.img`;
    const a = writeArchive(join(env.root, 'long.box'), [...boxItems(files), { name, data: 'x' }]);
    const msg = await refusal(a);
    expect(msg).toMatch(new RegExp(`^archive ${a.replace(/[.]/g, '\\.')}: entry "n{60}…n{10}\\.img" \\(3004 bytes long\\) is not listed in box.json's files$`));
  });
});

describe('names vm reserves for itself', () => {
  const files = demoFiles();

  it('.vm-origin.json listed in box.json (the store writes its own, which would break the listed checksum)', async () => {
    const withOrigin = { ...files, '.vm-origin.json': Buffer.from('{"source":"added","from":"/elsewhere"}') };
    const a = writeArchive(join(env.root, 'origin.box'), boxItems(withOrigin, demoManifest(withOrigin)));
    expect(await refusal(a)).toBe(`invalid box.json (${a}): files lists '.vm-origin.json', a name vm reserves for its own use in the store`);
  });

  it('.vm-origin.json as an unlisted member, and a reserved name used as a folder or in another letter case', async () => {
    const a = writeArchive(join(env.root, 'origin2.box'), [...boxItems(files), { name: '.vm-origin.json', data: '{}' }]);
    expect(await refusal(a)).toBe(`archive ${a}: entry ".vm-origin.json" uses a name vm reserves for its own use in the store`);
    const sub = { ...files, '.VM-Origin.json/x': Buffer.from('x') };
    const b = writeArchive(join(env.root, 'origin3.box'), boxItems(sub, demoManifest(sub)));
    expect(await refusal(b)).toBe(`invalid box.json (${b}): files lists '.VM-Origin.json/x', a name vm reserves for its own use in the store`);
  });

  it('a listed name with a path segment longer than a filesystem allows', async () => {
    const long = { ...files, [`${'s'.repeat(300)}/x`]: Buffer.from('x') };
    const a = writeArchive(join(env.root, 'long-listed.box'), boxItems(long, demoManifest(long)));
    expect(await refusal(a)).toBe(`invalid box.json (${a}): files lists '${'s'.repeat(60)}…${'s'.repeat(12)}/x', whose folder or file name '${'s'.repeat(60)}…${'s'.repeat(14)}' is longer than the 255 bytes a filesystem allows`);
  });

  it('two listed files that differ only by letter case (one file on a case-insensitive filesystem)', async () => {
    const twins = { ...files, image: Buffer.from('another kernel') };
    const src = writeBoxFolder(join(env.root, 'twins'), twins);
    expect(await refusal(src)).toBe(`invalid box.json (${join(src, 'box.json')}): files lists both 'Image' and 'image', which differ only by letter case or Unicode normalization`);
  });
});

describe('free disk space bounds what an add writes', () => {
  const free = (): number => {
    const s = statfsSync(env.root);
    return s.bavail * s.bsize;
  };

  it('refuses up front when the filesystem is already below the reserve', async () => {
    const a = writeArchive(join(env.root, 'demo.box'), boxItems(demoFiles()));
    const msg = await refusal(a, { minFreeBytes: free() + GIB });
    expect(msg).toMatch(new RegExp(`^archive ${a.replace(/[.]/g, '\\.')}: not enough free space to add this box: \\d+ MiB free on the store's filesystem \\(${env.loc.home}\\), and box add leaves at least \\d+ MiB free$`));
  });

  it('stops writing a member once the reserve would be crossed, long before the member is complete', async () => {
    // 96 MiB of incompressible data, correctly declared: only the free-space reserve stops it.
    const big = randomBytes(96 << 20);
    const m = boxJson({ Image: 'k', 'root.img': big }, { root_disk: { path: 'root.img', format: 'raw' } });
    const a = join(env.root, 'big.box');
    writeFileSync(a, tar([{ name: 'box.json', data: m }, { name: 'Image', data: 'k' }, { name: 'root.img', data: big }]));
    const msg = await refusal(a, { minFreeBytes: free() - (40 << 20) });
    expect(msg).toMatch(/: not enough free space to add this box: \d+ MiB free on the store's filesystem/);
  });
});
