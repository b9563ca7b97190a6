// The copy-on-write overlay format on real files: reads fall through to the base, writes (whole and
// partial blocks) land in the overlay, survive flush + reopen, stay inside the file's bound; the base
// is never written; damaged or foreign overlays are refused with a message naming the file.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskError } from '../../../../../src/engines/errors.js';
import { OverlayDisk, type BaseImage } from '../../../../../src/engines/builtin/disk/overlay-disk.js';
import { decodeHeader, encodeHeader, OVERLAY_HEADER_SIZE, overlayBound, planOverlay } from '../../../../../src/engines/builtin/disk/overlay-format.js';

const dir = mkdtempSync(join(tmpdir(), 'vm-overlay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE_SIZE = 3 * 1024 * 1024 + 512; // not a whole number of 4 KiB blocks
const baseBytes = Uint8Array.from({ length: BASE_SIZE }, (_, i) => (i * 31 + (i >> 9)) & 0xff);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
let base: BaseImage;
let n = 0;

beforeAll(() => {
  const path = join(dir, 'base.img');
  writeFileSync(path, baseBytes);
  base = { path, sha256: sha(baseBytes) };
});

async function fresh(o: { virtualSize?: number } = {}): Promise<{ path: string; disk: OverlayDisk }> {
  const path = join(dir, `o${n++}.overlay`);
  await OverlayDisk.create(path, base, o);
  return { path, disk: await OverlayDisk.open(path, base) };
}

const fill = (len: number, v: number): Uint8Array => new Uint8Array(len).fill(v);

describe('overlay format', () => {
  it('round-trips its header and rejects damage', () => {
    const h = planOverlay({ virtualSize: 1 << 30, baseSize: 1 << 29, baseSha256: base.sha256 });
    expect(h).toMatchObject({ blockSize: 4096, mapOffset: 4096, mapLength: 32768, dataOffset: 36864 });
    const raw = encodeHeader(h);
    expect(decodeHeader(raw)).toEqual(h);
    expect(overlayBound(h)).toBe(36864 + (1 << 30));
    const flipped = raw.slice();
    flipped[20] ^= 1;
    expect(() => decodeHeader(flipped)).toThrow('its header checksum does not match (the header is damaged)');
    const magic = raw.slice();
    magic[0] = 0;
    expect(() => decodeHeader(magic)).toThrow('it is not a vm overlay (bad magic)');
    expect(() => planOverlay({ virtualSize: 1000, baseSize: 0, baseSha256: base.sha256 })).toThrow(/not a whole number of 512-byte sectors/);
    expect(() => planOverlay({ virtualSize: 4096, baseSize: 8192, baseSha256: base.sha256 })).toThrow(/larger than the virtual size/);
  });
});

describe('OverlayDisk', () => {
  it('reads the base where nothing was written, zeros past the base, sized to whole sectors', async () => {
    const { disk } = await fresh({ virtualSize: 4 * 1024 * 1024 });
    expect(disk.sizeBytes).toBe(4 * 1024 * 1024);
    expect(await disk.read(0, 8192)).toEqual(baseBytes.subarray(0, 8192));
    const tail = await disk.read(BASE_SIZE - 512, 4096);
    expect(tail.subarray(0, 512)).toEqual(baseBytes.subarray(BASE_SIZE - 512));
    expect(tail.subarray(512).every((b) => b === 0)).toBe(true);
    await disk.close();
  });

  it('keeps whole-block and partial-block writes, across flush and reopen', async () => {
    const { path, disk } = await fresh();
    await disk.write(8192, fill(8192, 0x11)); // two whole blocks
    await disk.write(4096 * 10 + 1024, fill(512, 0x22)); // inside a block not yet in the overlay
    await disk.write(4096 * 20 - 512, fill(1024, 0x33)); // straddles two blocks
    await disk.write(4096 * 10 + 2048, fill(512, 0x44)); // into a block already in the overlay
    const expected = baseBytes.slice(0, 4096 * 21);
    expected.fill(0x11, 8192, 16384);
    expected.fill(0x22, 4096 * 10 + 1024, 4096 * 10 + 1536);
    expected.fill(0x33, 4096 * 20 - 512, 4096 * 20 + 512);
    expected.fill(0x44, 4096 * 10 + 2048, 4096 * 10 + 2560);
    expect(await disk.read(0, expected.length)).toEqual(expected);
    expect(disk.allocatedBlocks).toBe(5);
    await disk.flush();
    await disk.close();
    const again = await OverlayDisk.open(path, base);
    expect(again.allocatedBlocks).toBe(5);
    expect(await again.read(0, expected.length)).toEqual(expected);
    await again.close();
    expect(sha(new Uint8Array(readFileSync(base.path)))).toBe(base.sha256);
  });

  it('loses unflushed block-map updates on reopen (they were never promised), keeps flushed ones', async () => {
    const { path, disk } = await fresh();
    await disk.write(0, fill(4096, 0x55));
    await disk.flush();
    await disk.write(4096, fill(4096, 0x66));
    // Simulate a crash: drop the object without flush or close.
    const again = await OverlayDisk.open(path, base, { readOnly: true });
    expect(await again.read(0, 4096)).toEqual(fill(4096, 0x55));
    expect(await again.read(4096, 4096)).toEqual(baseBytes.subarray(4096, 8192));
    await again.close();
    await disk.close();
  });

  it('never grows past its bound, whatever is written where', async () => {
    const { path, disk } = await fresh();
    const size = disk.sizeBytes;
    await disk.write(size - 512, fill(512, 1));
    await expect(disk.write(size - 512, fill(1024, 1))).rejects.toThrow(/outside the/);
    await expect(disk.read(size, 512)).rejects.toThrow(/outside the/);
    for (let off = 0; off < size; off += 64 * 1024) await disk.write(off, fill(512, 7));
    await disk.close();
    expect(statSync(path).size).toBeLessThanOrEqual(overlayBound(disk.header));
  });

  it('refuses an overlay made for another base image, naming both', async () => {
    const { path, disk } = await fresh();
    await disk.close();
    const other = { path: base.path, sha256: 'a'.repeat(64) };
    await expect(OverlayDisk.open(path, other)).rejects.toThrow(/was made for a different base image/);
  });

  it('refuses a base image whose size changed', async () => {
    const { path, disk } = await fresh();
    await disk.close();
    const grown = join(dir, 'grown.img');
    writeFileSync(grown, new Uint8Array(BASE_SIZE + 512));
    await expect(OverlayDisk.open(path, { path: grown, sha256: base.sha256 })).rejects.toThrow(`base image ${grown} is 3146752 bytes; overlay ${path} expects 3146240`);
  });

  it('refuses a damaged header, a file that is not an overlay, and a symlink', async () => {
    const { path, disk } = await fresh();
    await disk.close();
    const fh = await open(path, 'r+');
    await fh.write(Uint8Array.of(0xff), 0, 1, 40);
    await fh.close();
    const err = await OverlayDisk.open(path, base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskError);
    expect((err as DiskError).message).toBe(`overlay ${path} cannot be used: its header checksum does not match (the header is damaged)`);
    const text = join(dir, 'text.overlay');
    writeFileSync(text, 'hello'.repeat(1000));
    await expect(OverlayDisk.open(text, base)).rejects.toThrow(`overlay ${text} cannot be used: it is not a vm overlay (bad magic)`);
    const short = join(dir, 'short.overlay');
    writeFileSync(short, 'x');
    await expect(OverlayDisk.open(short, base)).rejects.toThrow(/not a vm overlay/);
    const link = join(dir, 'link.overlay');
    symlinkSync(text, link);
    await expect(OverlayDisk.open(link, base)).rejects.toThrow(`overlay is a symbolic link, which vm refuses to follow: ${link}`);
  });

  it('creates nothing but the overlay, with mode 0600, and refuses to overwrite one', async () => {
    const { path, disk } = await fresh();
    await disk.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path).size).toBe(planOverlay({ virtualSize: BASE_SIZE, baseSize: BASE_SIZE, baseSha256: base.sha256 }).dataOffset);
    expect(readFileSync(path).subarray(0, 8).toString('latin1')).toBe('VMOVL\r\n\x1a');
    expect(statSync(path).blocks * 512).toBeLessThan(OVERLAY_HEADER_SIZE * 4);
    await expect(OverlayDisk.create(path, base)).rejects.toThrow(`overlay already exists: ${path}`);
    expect(statSync(path).size).toBe(planOverlay({ virtualSize: BASE_SIZE, baseSize: BASE_SIZE, baseSha256: base.sha256 }).dataOffset);
  });
});
