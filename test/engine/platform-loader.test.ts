// Boot image placement as QEMU's hw/riscv/boot.c does it, the Image header, gzip'd boot files with
// bounded decompression, fw_dynamic_info, and rate-limited guest reports.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BootImageError, fwDynamicInfo, parseImageHeader, placeDtb, planLayout } from '../../src/emulator/machine/loader.js';
import { GuestLog } from '../../src/emulator/machine/guest-log.js';
import { readBootImage } from '../../src/engines/builtin/boot-files.js';
import { BootFileError } from '../../src/engines/errors.js';

const MiB = 1024 * 1024;
const DRAM = 0x8000_0000;

function imageHeader(textOffset: number, imageSize: number): Uint8Array {
  const b = new Uint8Array(64);
  const dv = new DataView(b.buffer);
  dv.setUint32(8, textOffset, true);
  dv.setUint32(16, imageSize, true);
  b.set(new TextEncoder().encode('RISCV\0\0\0'), 48);
  b.set(new TextEncoder().encode('RSC\x05'), 56);
  return b;
}

describe('loader', () => {
  it('reads text_offset and image_size from a RISC-V Image header, and knows a raw binary', () => {
    expect(parseImageHeader(imageHeader(0x20_0000, 0x52_3000))).toEqual({ textOffset: 0x20_0000, imageSize: 0x52_3000 });
    expect(parseImageHeader(new Uint8Array(64))).toBeNull();
    expect(parseImageHeader(new Uint8Array(10))).toBeNull();
  });

  it('places kernel, initrd and DTB where QEMU does for 256 MiB', () => {
    const l = planLayout({ ramBase: DRAM, ramSize: 256 * MiB, kernelSize: 4 * MiB, header: { textOffset: 0x20_0000, imageSize: 5 * MiB }, initrdSize: 1 * MiB });
    expect(l).toEqual({ kernelAddr: 0x8020_0000, kernelEnd: 0x8070_0000, initrdStart: 0x8820_0000, initrdEnd: 0x8830_0000 });
    expect(placeDtb(DRAM, 256 * MiB, 3000, l)).toBe(0x8fe0_0000);
  });

  it('puts the initrd at kernel + RAM/2 below 256 MiB and caps it at 128 MiB above', () => {
    expect(planLayout({ ramBase: DRAM, ramSize: 64 * MiB, kernelSize: MiB, initrdSize: MiB }).initrdStart).toBe(0x8220_0000);
    expect(planLayout({ ramBase: DRAM, ramSize: 2048 * MiB, kernelSize: MiB, initrdSize: MiB }).initrdStart).toBe(0x8820_0000);
  });

  it('keeps the DTB below 3 GiB of address space for big machines', () => {
    // DRAM 0x8000_0000 + 4 GiB ends past 3 GiB: the DTB goes just below 0xC000_0000.
    expect(placeDtb(DRAM, 4096 * MiB, 4096, {})).toBe(0xbfe0_0000);
  });

  it('puts firmware at the start of DRAM and refuses firmware that reaches the kernel', () => {
    expect(planLayout({ ramBase: DRAM, ramSize: 64 * MiB, firmwareSize: 300_000, kernelSize: MiB })).toMatchObject({ firmwareAddr: DRAM, kernelAddr: 0x8020_0000 });
    expect(() => planLayout({ ramBase: DRAM, ramSize: 64 * MiB, firmwareSize: 3 * MiB })).toThrow('the firmware image is 3.0 MiB; at most 2 MiB fits below the kernel');
  });

  it('refuses layouts that do not fit, saying what to do', () => {
    expect(() => planLayout({ ramBase: DRAM, ramSize: 16 * MiB, kernelSize: 20 * MiB })).toThrow(BootImageError);
    expect(() => planLayout({ ramBase: DRAM, ramSize: 16 * MiB, kernelSize: 4 * MiB, header: { textOffset: 0x20_0000, imageSize: 9 * MiB }, initrdSize: MiB })).toThrow(
      'the kernel (9.0 MiB) is too large for 16.0 MiB of RAM: it would overlap the initrd; give the machine more memory',
    );
    const l = planLayout({ ramBase: DRAM, ramSize: 32 * MiB, kernelSize: MiB, initrdSize: 14 * MiB });
    expect(() => placeDtb(DRAM, 32 * MiB, 4096, l)).toThrow(/do not fit in 32.0 MiB of RAM with the device tree; give the machine more memory/);
    expect(() => planLayout({ ramBase: DRAM, ramSize: 64 * MiB, kernelSize: MiB, header: { textOffset: 0x123, imageSize: 0 } })).toThrow(/text_offset 0x123/);
  });

  it('builds fw_dynamic_info as OpenSBI reads it (magic, version 2, next addr, S-mode)', () => {
    const dv = new DataView(fwDynamicInfo(0x8020_0000).buffer);
    expect([0, 8, 16, 24, 32, 40].map((o) => dv.getUint32(o, true))).toEqual([0x4942534f, 2, 0x8020_0000, 1, 0, 0]);
  });
});

describe('boot files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-bootfiles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads plain and gzip-compressed images', async () => {
    const data = Buffer.from('kernel bytes '.repeat(1000));
    writeFileSync(join(dir, 'plain'), data);
    writeFileSync(join(dir, 'packed.gz'), gzipSync(data));
    expect(Buffer.from(await readBootImage(join(dir, 'plain'), 'kernel', MiB))).toEqual(data);
    expect(Buffer.from(await readBootImage(join(dir, 'packed.gz'), 'initrd', MiB))).toEqual(data);
  });

  it('stops a gzip bomb at the memory size, and names broken or empty files', async () => {
    writeFileSync(join(dir, 'bomb.gz'), gzipSync(Buffer.alloc(64 * MiB)));
    await expect(readBootImage(join(dir, 'bomb.gz'), 'initrd', 16 * MiB)).rejects.toThrow(`initrd image ${join(dir, 'bomb.gz')} decompresses to more than 16777216 bytes`);
    writeFileSync(join(dir, 'broken.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    await expect(readBootImage(join(dir, 'broken.gz'), 'initrd', MiB)).rejects.toThrow(/looks gzip-compressed but does not decompress/);
    writeFileSync(join(dir, 'empty'), '');
    await expect(readBootImage(join(dir, 'empty'), 'kernel', MiB)).rejects.toThrow(BootFileError);
  });

});

describe('GuestLog', () => {
  it('reports the first few of a kind, then summaries at most once per interval', () => {
    let now = 0;
    const out: string[] = [];
    const log = new GuestLog({ sink: (m) => out.push(m), nowMs: () => now, burst: 2, intervalMs: 1000 });
    for (let i = 0; i < 10; i++) log.report('unmapped read', `read ${i}`);
    expect(out).toEqual(['read 0', 'read 1', 'unmapped read: further reports are rate-limited']);
    now = 1500;
    log.report('unmapped read', 'read 10');
    expect(out.at(-1)).toBe('unmapped read: 9 more (11 in total)');
    log.report('rom write', 'rom');
    expect(out.at(-1)).toBe('rom');
    log.report('unmapped read', 'x');
    log.flush(true);
    expect(out.at(-1)).toBe('unmapped read: 1 more (12 in total)');
  });
});
