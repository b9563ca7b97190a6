// parseQcow2Header reads what decides whether a qcow2 image could make qemu open other files.
import { describe, expect, it } from 'vitest';
import { parseQcow2Header } from '../../../../src/engines/qemu/qemu-img.js';

function header(o: { version?: number; backingOffset?: bigint; size?: bigint; incompat?: bigint; magic?: number } = {}): Uint8Array {
  const b = new Uint8Array(104);
  const v = new DataView(b.buffer);
  v.setUint32(0, o.magic ?? 0x514649fb);
  v.setUint32(4, o.version ?? 3);
  v.setBigUint64(8, o.backingOffset ?? 0n);
  v.setBigUint64(24, o.size ?? 1n << 30n);
  v.setBigUint64(72, o.incompat ?? 0n);
  return b;
}

describe('parseQcow2Header', () => {
  it('reads version, size, backing file and external data file', () => {
    expect(parseQcow2Header(header())).toEqual({ version: 3, virtualSize: 1n << 30n, hasBackingFile: false, hasExternalDataFile: false });
    expect(parseQcow2Header(header({ backingOffset: 0x200n }))?.hasBackingFile).toBe(true);
    expect(parseQcow2Header(header({ incompat: 1n << 2n }))?.hasExternalDataFile).toBe(true);
    // version 2 has no incompatible-features field: bytes there are not read as one
    expect(parseQcow2Header(header({ version: 2, incompat: 1n << 2n }))?.hasExternalDataFile).toBe(false);
  });

  it('says "not qcow2" for other magic and for short input', () => {
    expect(parseQcow2Header(header({ magic: 0x7f454c46 }))).toBeUndefined();
    expect(parseQcow2Header(new Uint8Array(40))).toBeUndefined();
  });
});
