// The strict tar reader on well-formed archives (ours and GNU tar's, every header flavour) and hostile ones.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTar, type TarEntry, type TarLimits, DEFAULT_TAR_LIMITS } from '../../../../src/core/boxes/tar-reader.js';
import { tar, type TarItem } from './tar-writer.js';

async function* chunks(buf: Buffer, size = 700): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function readAll(buf: Buffer, limits: TarLimits = DEFAULT_TAR_LIMITS): Promise<{ name: string; type: string; data?: string }[]> {
  const out: { name: string; type: string; data?: string }[] = [];
  for await (const e of readTar(chunks(buf), 'archive t.box', limits) as AsyncGenerator<TarEntry>) {
    if (e.type === 'file') {
      const parts: Buffer[] = [];
      for await (const c of e.body) parts.push(c);
      out.push({ name: e.name, type: 'file', data: Buffer.concat(parts).toString() });
    } else out.push({ name: e.name, type: 'directory' });
  }
  return out;
}

const refusal = async (items: TarItem[] | Buffer, limits?: TarLimits): Promise<string> => {
  try {
    await readAll(Buffer.isBuffer(items) ? items : tar(items), limits);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('archive was accepted');
};

const longDir = `${'d'.repeat(60)}/${'e'.repeat(60)}`;

describe('readTar on good archives', () => {
  it('reads files and folders, drops "./", and streams bodies in chunks', async () => {
    const entries = await readAll(
      tar([
        { name: './', type: '5' },
        { name: './box.json', data: '{}' },
        { name: 'sub/', type: '5' },
        { name: 'sub/a.txt', data: 'x'.repeat(1500) },
        { name: 'empty' },
      ]),
    );
    expect(entries).toEqual([
      { name: 'box.json', type: 'file', data: '{}' },
      { name: 'sub', type: 'directory' },
      { name: 'sub/a.txt', type: 'file', data: 'x'.repeat(1500) },
      { name: 'empty', type: 'file', data: '' },
    ]);
  });

  it('reads long names written as pax, GNU long names and ustar prefixes', async () => {
    for (const how of ['pax', 'gnu', 'ustar'] as const) {
      const name = `${longDir}/${'f'.repeat(40)}.img`;
      const entries = await readAll(tar([{ name, data: how, longName: how }]));
      expect(entries).toEqual([{ name, type: 'file', data: how }]);
    }
  });

  it('reads base-256 size fields and a pax size record', async () => {
    expect(await readAll(tar([{ name: 'a', data: 'hello', base256Size: true }]))).toEqual([{ name: 'a', type: 'file', data: 'hello' }]);
    // pax size overrides the header's (which says 0 here)
    // The ustar header says 0 bytes; the pax record says 3, and 3 bytes follow.
    expect(await readAll(tar([{ name: 'b', data: 'abc', size: 0, pax: { size: '3' } }]))).toEqual([{ name: 'b', type: 'file', data: 'abc' }]);
  });

  it('reads archives made by GNU tar in gnu, pax and ustar formats', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-tar-'));
    try {
      const src = join(dir, 'src');
      mkdirSync(join(src, longDir), { recursive: true });
      writeFileSync(join(src, 'box.json'), '{"k":1}');
      writeFileSync(join(src, longDir, `${'g'.repeat(90)}.bin`), Buffer.alloc(70_000, 7));
      for (const format of ['gnu', 'pax', 'ustar']) {
        const out = join(dir, `${format}.tar`);
        execFileSync('tar', ['--format', format, '--sort=name', '-C', src, '-cf', out, '.']);
        const entries = await readAll(readFileSync(out));
        const files = entries.filter((e) => e.type === 'file');
        expect(files.map((e) => e.name).sort(), format).toEqual(['box.json', `${longDir}/${'g'.repeat(90)}.bin`]);
        expect(files.find((e) => e.name === 'box.json')!.data).toBe('{"k":1}');
        expect(files.find((e) => e.name !== 'box.json')!.data!.length).toBe(70_000);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes archives GNU tar lists the same way (checks the test writer itself)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-tar-'));
    try {
      const name = `${longDir}/${'h'.repeat(50)}`;
      writeFileSync(join(dir, 'x.tar'), tar([{ name: 'a', data: 'A' }, { name, data: 'B' }, { name: 'l', type: '2', linkname: 'a' }]));
      const listing = execFileSync('tar', ['-tf', join(dir, 'x.tar')], { encoding: 'utf8' }).trim().split('\n');
      expect(listing).toEqual(['a', name, 'l']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readTar refuses hostile archives', () => {
  const cases: [string, TarItem[], string][] = [
    ['parent dir', [{ name: '../evil', data: 'x' }], 'archive t.box: entry "../evil" points outside the box (\'..\' in its path)'],
    ['nested parent dir', [{ name: 'a/../../evil', data: 'x' }], 'archive t.box: entry "a/../../evil" points outside the box (\'..\' in its path)'],
    ['absolute path', [{ name: '/etc/passwd', data: 'x' }], 'archive t.box: entry "/etc/passwd" has an absolute path'],
    ['pax path with ..', [{ name: 'ok', data: 'x', pax: { path: 'x/../../y' } }], 'archive t.box: entry "x/../../y" points outside the box (\'..\' in its path)'],
    ['symlink', [{ name: 'link', type: '2', linkname: '/etc/passwd' }], 'archive t.box: entry "link" is a symbolic link (to "/etc/passwd"); boxes may hold only regular files and folders'],
    ['hard link', [{ name: 'a', data: 'x' }, { name: 'b', type: '1', linkname: 'a' }], 'archive t.box: entry "b" is a hard link (to "a"); boxes may hold only regular files and folders'],
    ['char device', [{ name: 'null', type: '3' }], 'archive t.box: entry "null" is a character device; boxes may hold only regular files and folders'],
    ['block device', [{ name: 'sda', type: '4' }], 'archive t.box: entry "sda" is a block device; boxes may hold only regular files and folders'],
    ['fifo', [{ name: 'p', type: '6' }], 'archive t.box: entry "p" is a fifo; boxes may hold only regular files and folders'],
    ['GNU sparse', [{ name: 's', type: 'S' }], 'archive t.box: entry "s" is a GNU sparse file; boxes may hold only regular files and folders'],
    ['unknown type', [{ name: 'q', type: 'Q' }], "archive t.box: entry \"q\" has unsupported type 'Q'"],
    ['duplicate file', [{ name: 'a', data: '1' }, { name: './a', data: '2' }], 'archive t.box: duplicate entry "a"'],
    ['case clash', [{ name: 'Image', data: '1' }, { name: 'image', data: '2' }], 'archive t.box: entry "image" differs from entry "Image" only by letter case or Unicode normalization'],
    ['file then folder below it', [{ name: 'a', data: '1' }, { name: 'a/b', data: '2' }], 'archive t.box: entry "a/b" is inside "a", which is a file'],
    ['empty segment', [{ name: 'a//b', data: '1' }], 'archive t.box: entry "a//b" has an empty segment (\'//\') in its path'],
    ['backslash', [{ name: 'a\\..\\b', data: '1' }], 'archive t.box: entry "a\\\\..\\\\b" has a backslash in its name'],
    ['pax sparse', [{ name: 'a', data: '1', pax: { 'GNU.sparse.size': '10' } }], 'archive t.box: sparse archive members (pax GNU.sparse) are not supported'],
  ];
  for (const [what, items, message] of cases) {
    it(what, async () => {
      expect(await refusal(items)).toBe(message);
    });
  }

  it('an entry over the per-file limit, refused from its header before any data is read', async () => {
    // Claims 100 GiB with no data behind it.
    expect(await refusal([{ name: 'disk.img', size: 100 * 2 ** 30, base256Size: true }])).toBe(
      `archive t.box: entry "disk.img" is 107374182400 bytes, over the ${DEFAULT_TAR_LIMITS.maxEntryBytes}-byte limit per file`,
    );
  });

  it('a total over the limit, and too many entries', async () => {
    const limits = { maxEntryBytes: 100, maxTotalBytes: 150, maxEntries: 3 };
    expect(await refusal([{ name: 'a', data: 'x'.repeat(100) }, { name: 'b', data: 'y'.repeat(60) }], limits)).toBe(
      'archive t.box: archive holds more than 150 bytes in total',
    );
    expect(await refusal([{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }], limits)).toBe('archive t.box: archive has more than 3 entries');
  });

  it('truncation: inside a body, and a missing end marker', async () => {
    const whole = tar([{ name: 'a', data: 'x'.repeat(2000) }]);
    expect(await refusal(whole.subarray(0, 1024))).toBe('archive t.box: archive is truncated at byte 1024');
    expect(await refusal(tar([{ name: 'a', data: 'x' }], { end: false }))).toBe(
      'archive t.box: archive ends without the end-of-archive marker (truncated?)',
    );
  });

  it('not a tar at all, and a corrupted header', async () => {
    expect(await refusal(Buffer.alloc(1024, 0x41))).toBe('archive t.box: not a tar archive (bad header checksum at byte 0)');
    const buf = tar([{ name: 'a', data: 'x' }, { name: 'b', data: 'y' }]);
    buf[1024 + 10] ^= 0xff;
    expect(await refusal(buf)).toBe('archive t.box: corrupt tar header at byte 1024 (bad checksum)');
  });

  it('extended headers piling up before one entry (memory: each may be 1 MiB, distinct keys accumulate)', async () => {
    const record = (k: string): string => {
      const body = ` ${k}=${'v'.repeat(600_000)}\n`;
      return `${body.length + String(body.length + 7).length}${body}`;
    };
    const headers: TarItem[] = ['a', 'b', 'c'].map((k) => {
      const data = record(`vm.${k}`);
      return { name: `pax-${k}`, type: 'x', data, size: Buffer.byteLength(data) };
    });
    expect(await refusal([...headers, { name: 'f', data: 'x' }])).toBe('archive t.box: extended headers at byte 0 hold more than 1048576 bytes for one entry');
    const many: TarItem[] = Array.from({ length: 40 }, (_, i) => ({ name: `g${i}`, type: 'g', data: '11 a=bcdef\n', size: 11 }));
    expect(await refusal([...many, { name: 'f', data: 'x' }])).toBe('archive t.box: more than 32 extended headers in a row at byte 0');
  });

  it('a folder entry claiming a body is refused from its header (it would be inflated only to be skipped)', async () => {
    const head = tar([{ name: 'dir/', type: '5', size: 2 ** 30 }], { end: false });
    expect(await refusal(Buffer.concat([head, Buffer.alloc(4096)]))).toBe('archive t.box: folder entry "dir" claims 1073741824 bytes of content; a folder has none');
  });

  it('never reads past the end-of-archive marker', async () => {
    const body = Buffer.concat([tar([{ name: 'a', data: 'x' }]), Buffer.from('garbage that is not tar at all'.repeat(100))]);
    expect((await readAll(body)).map((e) => e.name)).toEqual(['a']);
  });
});
