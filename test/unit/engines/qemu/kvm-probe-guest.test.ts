// The KVM probe guest's committed bytes are what src/engines/qemu/kvm-probe-guest.S assembles to
// (checked when GNU as/ld are installed), and the image has the multiboot header qemu looks for.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROBE_GUEST_CODE_BASE64, PROBE_GUEST_EXIT_STATUS, PROBE_GUEST_IMAGE_BYTES, probeGuestImage } from '../../../../src/engines/qemu/kvm-probe-guest.js';

const SOURCE = fileURLToPath(new URL('../../../../src/engines/qemu/kvm-probe-guest.S', import.meta.url));
const haveTools = spawnSync('as', ['--version']).status === 0 && spawnSync('ld', ['--version']).status === 0;

describe('KVM probe guest image', () => {
  it('is a multiboot image loaded at 1 MiB, padded so its page tables start zeroed', () => {
    const img = probeGuestImage();
    expect(img.length).toBe(PROBE_GUEST_IMAGE_BYTES);
    const v = new DataView(img.buffer);
    const at = 4; // after the 2-byte jmp, aligned to 4
    expect(v.getUint32(at, true)).toBe(0x1badb002);
    const flags = v.getUint32(at + 4, true);
    expect(flags).toBe(0x00010000);
    expect((v.getUint32(at, true) + flags + v.getUint32(at + 8, true)) >>> 0).toBe(0);
    expect(v.getUint32(at + 16, true)).toBe(0x100000); // load_addr
    expect(v.getUint32(at + 24, true)).toBe(0x100000 + PROBE_GUEST_IMAGE_BYTES); // bss_end_addr
    expect(img.subarray(0x1000).every((b) => b === 0)).toBe(true);
    expect(PROBE_GUEST_EXIT_STATUS).toBe(85);
  });

  it.skipIf(!haveTools)('matches kvm-probe-guest.S assembled with GNU as and ld', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-probe-asm-'));
    try {
      const obj = join(dir, 'g.o');
      const bin = join(dir, 'g.bin');
      const as = spawnSync('as', ['--32', '-o', obj, SOURCE], { encoding: 'utf8' });
      expect(as.stderr).toBe('');
      const ld = spawnSync('ld', ['-m', 'elf_i386', '-Ttext', '0x100000', '--oformat', 'binary', '-o', bin, obj], { encoding: 'utf8' });
      expect(ld.stderr).toBe('');
      expect(readFileSync(bin).toString('base64')).toBe(PROBE_GUEST_CODE_BASE64);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
