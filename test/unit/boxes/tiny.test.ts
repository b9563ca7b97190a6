// The committed tiny box: every file in boxes/tiny/tiny.box matches the sha256 and size that its
// box.json lists, and the archive holds exactly those files (read with node:zlib and a small tar reader).
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { validateManifest } from '../../../src/core/boxes/manifest.js';

const BOX_DIR = fileURLToPath(new URL('../../../boxes/tiny/', import.meta.url));
const ARCHIVE = `${BOX_DIR}tiny.box`;
const BLOCK = 512;
const HEAD_BYTES = 2048;

interface TarEntry {
  name: string;
  type: string;
  size: number;
  sha256: string;
  /** First HEAD_BYTES bytes, for format magic checks. */
  head: Buffer;
  /** Whole contents, kept only for small entries (box.json). */
  data?: Buffer;
}

interface BoxJson {
  name: string;
  version: string;
  architecture: string;
  engines: string[];
  kernel: string;
  initrd?: string;
  root_disk?: { path: string; format: string };
  cmdline: string;
  files: Record<string, { sha256: string; size: number }>;
}

function octal(field: Buffer): number {
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (!/^[0-7]+$/.test(text)) throw new Error(`bad octal field '${text}' in tar header`);
  return parseInt(text, 8);
}

interface OpenEntry {
  entry: TarEntry;
  hash: Hash;
  left: number;
  pad: number;
  chunks: Buffer[];
  head: Buffer[];
  headLen: number;
}

/** Streams a gzip'd ustar archive, hashing each member as it passes; never holds a big file. */
async function readTarGz(path: string, keepUpTo = 64 * 1024): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let current: OpenEntry | null = null;
  let ended = false;

  const consume = (): void => {
    for (;;) {
      if (current) {
        if (current.left > 0) {
          if (pending.length === 0) return;
          const take = Math.min(current.left, pending.length);
          const piece = pending.subarray(0, take);
          current.hash.update(piece);
          if (current.entry.size <= keepUpTo) current.chunks.push(Buffer.from(piece));
          if (current.headLen < HEAD_BYTES) {
            const part = Buffer.from(piece.subarray(0, HEAD_BYTES - current.headLen));
            current.head.push(part);
            current.headLen += part.length;
          }
          current.left -= take;
          pending = pending.subarray(take);
          continue;
        }
        if (pending.length < current.pad) return;
        pending = pending.subarray(current.pad);
        current.entry.sha256 = current.hash.digest('hex');
        current.entry.head = Buffer.concat(current.head);
        if (current.entry.size <= keepUpTo) current.entry.data = Buffer.concat(current.chunks);
        entries.push(current.entry);
        current = null;
        continue;
      }
      if (ended || pending.length < BLOCK) return;
      const header = pending.subarray(0, BLOCK);
      pending = pending.subarray(BLOCK);
      if (header.every((b) => b === 0)) {
        ended = true; // first of the two zero blocks that end the archive
        return;
      }
      const stored = octal(header.subarray(148, 156));
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
      if (sum !== stored) throw new Error('tar header checksum mismatch');
      const field = (start: number, len: number): string =>
        header.subarray(start, start + len).toString('utf8').replace(/\0.*$/s, '');
      const prefix = field(345, 155);
      const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
      const size = octal(header.subarray(124, 136));
      current = {
        entry: { name, type: String.fromCharCode(header[156] || 0x30), size, sha256: '', head: Buffer.alloc(0) },
        hash: createHash('sha256'),
        left: size,
        pad: (BLOCK - (size % BLOCK)) % BLOCK,
        chunks: [],
        head: [],
        headLen: 0,
      };
    }
  };

  const stream = createReadStream(path).pipe(createGunzip());
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    consume();
  }
  const unfinished = current as OpenEntry | null; // assigned inside consume(), which TS cannot see
  if (unfinished) throw new Error(`archive truncated inside ${unfinished.entry.name}`);
  if (!ended) throw new Error('archive has no end-of-archive block');
  return entries;
}

describe('boxes/tiny/tiny.box', () => {
  it('is committed next to its box.json', () => {
    expect(existsSync(ARCHIVE), `${ARCHIVE} is missing: run boxes/tiny/build.sh`).toBe(true);
    expect(existsSync(`${BOX_DIR}box.json`)).toBe(true);
  });

  it('holds box.json first, then exactly the files it lists, each with the listed sha256 and size', async () => {
    const entries = await readTarGz(ARCHIVE);
    expect(entries[0]?.name).toBe('box.json');
    const manifest = JSON.parse(entries[0]!.data!.toString('utf8')) as BoxJson;

    // the box.json beside the archive is the same document, byte for byte
    expect(entries[0]!.data!.equals(readFileSync(`${BOX_DIR}box.json`))).toBe(true);

    const members = entries.slice(1);
    for (const e of entries) {
      expect(e.type, `${e.name} must be a regular file`).toBe('0');
      expect(e.name, 'member names are plain file names').toMatch(/^[A-Za-z0-9._-]+$/);
    }
    expect(members.map((e) => e.name).sort()).toEqual(Object.keys(manifest.files).sort());
    for (const e of members) {
      const want = manifest.files[e.name]!;
      expect({ name: e.name, size: e.size, sha256: e.sha256 }).toEqual({
        name: e.name,
        size: want.size,
        sha256: want.sha256,
      });
    }
  });

  it('holds a RISC-V Linux Image, a gzip initramfs and an ext4 root disk', async () => {
    const manifest = JSON.parse(readFileSync(`${BOX_DIR}box.json`, 'utf8')) as BoxJson;
    const byName = new Map((await readTarGz(ARCHIVE)).map((e) => [e.name, e]));
    // Linux riscv Image header (Documentation/riscv/boot-image-header.rst): magic "RISCV\0\0\0"
    // at 0x30, magic2 "RSC\x05" at 0x38, text_offset (load offset from RAM start) at 0x08
    const image = byName.get(manifest.kernel)!.head;
    expect(image.subarray(0x30, 0x38).toString('latin1')).toBe('RISCV\0\0\0');
    expect(image.subarray(0x38, 0x3c).toString('latin1')).toBe('RSC\x05');
    expect(image.readBigUInt64LE(0x08)).toBe(0x200000n);
    // gzip member header (RFC 1952): 1f 8b, deflate
    expect([...byName.get(manifest.initrd!)!.head.subarray(0, 3)]).toEqual([0x1f, 0x8b, 8]);
    // ext4 superblock at byte 1024: s_magic 0xEF53 at +0x38, volume label at +0x78
    const sb = byName.get(manifest.root_disk!.path)!.head.subarray(1024);
    expect(sb.readUInt16LE(0x38)).toBe(0xef53);
    expect(sb.subarray(0x78, 0x88).toString('latin1').replace(/\0+$/, '')).toBe('vm-root');
  });

  it('passes the store\'s box.json validation (schemas/box.schema.json and the checks beyond it)', () => {
    const raw = JSON.parse(readFileSync(`${BOX_DIR}box.json`, 'utf8')) as unknown;
    expect(() => validateManifest(raw, 'boxes/tiny/box.json')).not.toThrow();
  });

  it('describes a riscv64 box whose kernel, initrd and root disk are among its files', async () => {
    const manifest = JSON.parse(readFileSync(`${BOX_DIR}box.json`, 'utf8')) as BoxJson;
    expect(manifest.name).toBe('tiny');
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest.architecture).toBe('riscv64');
    expect(manifest.engines).toEqual(['builtin', 'qemu']);
    expect(manifest.cmdline).toContain('console=ttyS0');
    const named = [manifest.kernel, manifest.initrd, manifest.root_disk?.path];
    for (const file of named) expect(Object.keys(manifest.files)).toContain(file);
    expect(manifest.root_disk?.format).toBe('raw');
    for (const { sha256, size } of Object.values(manifest.files)) {
      expect(sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(size).toBeGreaterThan(0);
    }
  });
});
