// Boot images for a resume (readBootImageStandIn): the layout a resumed machine plans from stand-ins
// is the one its boot planned from the real images (same lengths, same kernel header), without
// reading or decompressing them; what is not a usable image fails as readBootImage says.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readBootImage, readBootImageStandIn } from '../../../../src/engines/builtin/boot-files.js';
import { BootFileError } from '../../../../src/engines/errors.js';
import { parseImageHeader, planLayout } from '../../../../src/emulator/machine/loader.js';

const dir = mkdtempSync(join(tmpdir(), 'vm-boot-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A kernel with a RISC-V Image header (text offset 2 MiB, image size) and some body. */
function kernelBytes(size: number): Buffer {
  const k = Buffer.alloc(size, 0x5a);
  k.fill(0, 0, 64);
  k.writeUInt32LE(0x20_0000, 8);
  k.writeUInt32LE(size + 4096, 16);
  k.write('RISCV\0\0\0', 48, 'latin1');
  k.write('RSC\x05', 56, 'latin1');
  return k;
}

const LIMIT = 64 * 1024 * 1024;

describe('boot image stand-ins for a resume', () => {
  it('have the real lengths and kernel header, so the memory layout is the same', async () => {
    const kernel = join(dir, 'Image');
    const initrd = join(dir, 'initrd.gz');
    const plain = join(dir, 'initrd.cpio');
    writeFileSync(kernel, kernelBytes(300_000));
    const cpio = Buffer.alloc(1_000_003, 7);
    writeFileSync(initrd, gzipSync(cpio));
    writeFileSync(plain, cpio);
    for (const [path, label] of [[kernel, 'kernel'], [initrd, 'initrd'], [plain, 'initrd']] as const) {
      const real = await readBootImage(path, label, LIMIT);
      const stand = await readBootImageStandIn(path, label, LIMIT);
      expect(stand.length, path).toBe(real.length);
      if (label === 'kernel') {
        expect(parseImageHeader(stand)).toEqual(parseImageHeader(real));
        expect(parseImageHeader(stand)).not.toBeNull();
      }
    }
    const layout = async (read: typeof readBootImage) => {
      const k = await read(kernel, 'kernel', LIMIT);
      const i = await read(initrd, 'initrd', LIMIT);
      return planLayout({ ramBase: 0x8000_0000, ramSize: LIMIT, kernelSize: k.length, header: parseImageHeader(k), initrdSize: i.length });
    };
    expect(await layout(readBootImageStandIn)).toEqual(await layout(readBootImage));
  });

  it('a gzip kernel is read whole (its header is inside the compressed data)', async () => {
    const path = join(dir, 'Image.gz');
    const k = kernelBytes(200_000);
    writeFileSync(path, gzipSync(k));
    const stand = await readBootImageStandIn(path, 'kernel', LIMIT);
    expect(Buffer.from(stand)).toEqual(k);
  });

  it('refuses what readBootImage refuses, with its message', async () => {
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'big'), Buffer.alloc(4096));
    for (const [path, limit] of [[join(dir, 'missing'), LIMIT], [join(dir, 'empty'), LIMIT], [join(dir, 'big'), 1024], [dir, LIMIT]] as const) {
      const real = await readBootImage(path, 'initrd', limit).catch((e: unknown) => e);
      const stand = await readBootImageStandIn(path, 'initrd', limit).catch((e: unknown) => e);
      expect(real).toBeInstanceOf(BootFileError);
      expect((stand as Error).message).toBe((real as Error).message);
    }
  });
});
