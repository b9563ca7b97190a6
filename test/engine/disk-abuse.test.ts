// A malicious guest against the builtin engine's virtio devices, through the real CPU, bus and
// slots: disk-abuse-guest.c (compiled here with the riscv64 cross gcc) runs in M-mode in place of
// firmware on a machine built by startBuiltinMachine with a root overlay disk, the console and the
// rng, and attacks them (loops, out-of-RAM and high addresses, giant lengths, bad queue sizes, a head
// twice in flight, registers after DRIVER_OK, a sector near 2^64). The guest checks each device
// reports DEVICE_NEEDS_RESET and works again after a reset; the host logs, rate-limited, and carries
// on; the overlay stays in its bound and the base image is untouched.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBuiltinMachine } from '../../src/engines/builtin/builtin-machine.js';
import { OverlayDisk } from '../../src/engines/builtin/disk/overlay-disk.js';
import { decodeHeader, overlayBound } from '../../src/engines/builtin/disk/overlay-format.js';

const GCC = 'riscv64-linux-gnu-gcc';
const OBJCOPY = 'riscv64-linux-gnu-objcopy';
const HAVE_GCC = spawnSync(GCC, ['--version']).status === 0 && spawnSync(OBJCOPY, ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'vm-disk-abuse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LINKER_SCRIPT = `ENTRY(_start)
SECTIONS {
  . = 0x80000000;
  .text : { *(.text.start) *(.text .text.*) }
  .rodata : { *(.rodata .rodata.* .srodata .srodata.*) }
  .data : { *(.data .data.* .sdata .sdata.*) }
  .bss : { *(.bss .bss.* .sbss .sbss.* COMMON) }
}
`;

function build(): string {
  const src = join(import.meta.dirname, 'disk-abuse-guest.c');
  const ld = join(dir, 'guest.ld');
  writeFileSync(ld, LINKER_SCRIPT);
  const elf = join(dir, 'guest.elf');
  const bin = join(dir, 'guest.bin');
  const cc = spawnSync(GCC, [
    '-march=rv64imac_zicsr', '-mabi=lp64', '-O2', '-ffreestanding', '-fno-builtin', '-fno-tree-loop-distribute-patterns',
    '-nostdlib', '-nostartfiles', '-static', '-fno-pie', '-no-pie', '-mcmodel=medany',
    '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments', `-Wl,-T,${ld}`, '-o', elf, src,
  ], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`${GCC} failed:\n${cc.stderr}`);
  const oc = spawnSync(OBJCOPY, ['-O', 'binary', elf, bin], { encoding: 'utf8' });
  if (oc.status !== 0) throw new Error(`${OBJCOPY} failed:\n${oc.stderr}`);
  return bin;
}

describe.skipIf(!HAVE_GCC)('a malicious guest against virtio-blk, virtio-console and virtio-rng', () => {
  it('gets each device marked NEEDS_RESET, never a host exception; the devices recover after a reset', async () => {
    const firmware = build();
    const base = join(dir, 'base.img');
    const baseBytes = new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 7) & 0xff);
    writeFileSync(base, baseBytes);
    const sha = createHash('sha256').update(baseBytes).digest('hex');
    const overlay = join(dir, 'root.overlay');
    await OverlayDisk.create(overlay, { path: base, sha256: sha });

    const logs: string[] = [];
    const t0 = performance.now();
    const vm = await startBuiltinMachine(
      { firmware, memoryBytes: 64 * 1024 * 1024, cpus: 1, cmdline: '', devices: { rootDisk: { overlay, base: { path: base, sha256: sha } }, console: true, rng: true } },
      { onLog: (m) => logs.push(m) },
    );
    let out = '';
    vm.output.on('data', (c: Buffer) => (out += c.toString('latin1')));
    const timer = setTimeout(() => vm.stop(), 60_000);
    const end = await vm.exit;
    clearTimeout(timer);
    const ms = performance.now() - t0;

    expect(out).toContain('virtio-abuse: ok');
    expect(end).toEqual({ kind: 'poweroff', status: 0 });
    const text = logs.join('\n');
    // The first five reports of a device in full, then a count (the platform's rate limit).
    expect(logs.filter((l) => l.startsWith('virtio-blk (slot 7): queue 0: '))).toEqual([
      'virtio-blk (slot 7): queue 0: queue size 6 is not a power of two from 1 to 256; device marked DEVICE_NEEDS_RESET',
      'virtio-blk (slot 7): queue 0: queue size 512 is not a power of two from 1 to 256; device marked DEVICE_NEEDS_RESET',
      'virtio-blk (slot 7): queue 0: descriptor chain from head 0 is longer than its table (8): a loop; device marked DEVICE_NEEDS_RESET',
      'virtio-blk (slot 7): queue 0: descriptor 0 buffer of 512 bytes at 0x1000 is outside RAM; device marked DEVICE_NEEDS_RESET',
      'virtio-blk (slot 7): queue 0: descriptor 0 buffer of 4294967295 bytes at 0x80203000 is outside RAM; device marked DEVICE_NEEDS_RESET',
    ]);
    // 3 more attacks (high address, head twice, index ahead) and 3 queue registers after DRIVER_OK.
    expect(text).toContain('virtio-blk (slot 7): 6 more (11 in total)');
    expect(text).toContain('virtio-console (slot 6): queue 1: descriptor chain from head 0 is longer than its table (8): a loop; device marked DEVICE_NEEDS_RESET');
    expect(text).toContain('virtio-rng (slot 5): queue 0: descriptor 0 buffer of 2147483647 bytes at 0x80203000 is outside RAM; device marked DEVICE_NEEDS_RESET');
    expect(text).not.toMatch(/internal error|emulator fault/);
    expect(logs.length).toBeLessThan(12);
    // The guest left the console broken (it never reset it); the disk and the rng it reset and used.
    expect(vm.stats().brokenDevices).toEqual(['console']);

    const header = decodeHeader(new Uint8Array(readFileSync(overlay).subarray(0, 4096)));
    expect(statSync(overlay).size).toBeLessThanOrEqual(overlayBound(header));
    const disk = await OverlayDisk.open(overlay, { path: base, sha256: sha }, { readOnly: true });
    expect((await disk.read(100 * 512, 512))[1]).toBe(20); // (1 * 13 + 7): the guest's sector 100 was flushed
    await disk.close();
    expect(createHash('sha256').update(readFileSync(base)).digest('hex')).toBe(sha);
    console.log(`malicious guest: ${logs.length} log lines, finished in ${(ms / 1000).toFixed(2)} s`);
  }, 120_000);
});
