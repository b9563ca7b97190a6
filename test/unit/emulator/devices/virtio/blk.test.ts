// virtio-blk through the transport on real disk files (a sparse raw disk and a copy-on-write
// overlay): read, write, flush, get-id, write-zeroes, range checks with 64-bit sectors, read-only
// disks, malformed requests, a head in flight twice, and a reset while I/O is in flight.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VIRTIO_BLK_T_WRITE_ZEROES,
  VirtioBlk,
  type BlockBackend,
} from '../../../../../src/emulator/devices/virtio/blk.js';
import * as C from '../../../../../src/emulator/devices/virtio/constants.js';
import { OverlayDisk } from '../../../../../src/engines/builtin/disk/overlay-disk.js';
import { RawDisk } from '../../../../../src/engines/builtin/disk/raw-disk.js';
import { TestDriver, until, type Buf } from './test-driver.js';

const dir = mkdtempSync(join(tmpdir(), 'vm-virtio-blk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function rawDisk(size = 1 << 20, readOnly = false): Promise<RawDisk> {
  const path = join(dir, `d${n++}.raw`);
  await RawDisk.create(path, size);
  return RawDisk.open(path, { readOnly });
}

function header(type: number, sector: bigint): Uint8Array {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  v.setUint32(0, type, true);
  v.setBigUint64(8, sector, true);
  return h;
}

/** One request: header, data (in or out), status byte; resolves with status and used length. */
class BlkDriver extends TestDriver {
  async request(type: number, sector: bigint, o: { out?: Uint8Array; inLen?: number; extraOut?: Uint8Array; indirect?: boolean } = {}) {
    const hdr = this.alloc(16);
    this.put(hdr, header(type, sector));
    const bufs: Buf[] = [{ addr: hdr, len: 16 }];
    if (o.out) {
      const a = this.alloc(o.out.length);
      this.put(a, o.out);
      bufs.push({ addr: a, len: o.out.length });
    }
    if (o.extraOut) {
      const a = this.alloc(o.extraOut.length);
      this.put(a, o.extraOut);
      bufs.push({ addr: a, len: o.extraOut.length });
    }
    let data = 0;
    if (o.inLen) {
      data = this.alloc(o.inLen);
      bufs.push({ addr: data, len: o.inLen, write: true });
    }
    const status = this.alloc(1);
    this.put(status, Uint8Array.of(0xee));
    bufs.push({ addr: status, len: 1, write: true });
    const head = o.indirect ? this.addIndirect(0, bufs) : this.addChain(0, bufs);
    this.kick(0);
    let used: { id: number; len: number } | undefined;
    await until(() => {
      const u = this.takeUsed(0);
      if (u.length) used = u[0];
      return used !== undefined || this.needsReset;
    });
    expect(used?.id).toBe(head);
    return { status: this.bytes(status, 1)[0], len: used!.len, data: o.inLen ? this.bytes(data, o.inLen) : new Uint8Array() };
  }
}

function blkDriver(disk: ConstructorParameters<typeof VirtioBlk>[0]['backend'], serial?: string): BlkDriver {
  const d = new BlkDriver(new VirtioBlk({ backend: disk, serial }), { ramBytes: 16 * 1024 * 1024 });
  d.init(1);
  return d;
}

/** The backend with only its asynchronous calls (no readNow/writeNow). */
function asyncOnly(b: BlockBackend): BlockBackend {
  return { sizeBytes: b.sizeBytes, readOnly: b.readOnly, conflictUnit: b.conflictUnit, read: (o, l) => b.read(o, l), write: (o, d) => b.write(o, d), flush: () => b.flush() };
}

const pattern = (len: number, seed: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i * 7 + seed) & 0xff);

describe('virtio-blk', () => {
  it('writes, reads back, flushes and reports its serial', async () => {
    const disk = await rawDisk();
    const d = blkDriver(disk, 'disk-serial-0123456789abcdef');
    const data = pattern(8192, 3);
    expect(await d.request(VIRTIO_BLK_T_OUT, 10n, { out: data })).toMatchObject({ status: VIRTIO_BLK_S_OK, len: 1 });
    const r = await d.request(VIRTIO_BLK_T_IN, 10n, { inLen: 8192 });
    expect(r).toMatchObject({ status: VIRTIO_BLK_S_OK, len: 8193 });
    expect(r.data).toEqual(data);
    expect((await d.request(VIRTIO_BLK_T_FLUSH, 0n)).status).toBe(VIRTIO_BLK_S_OK);
    const id = await d.request(VIRTIO_BLK_T_GET_ID, 0n, { inLen: 20 });
    expect(new TextDecoder().decode(id.data)).toBe('disk-serial-01234567');
    // The write reached the file at sector 10.
    expect(new Uint8Array(readFileSync(disk.path).subarray(5120, 5120 + 8192))).toEqual(data);
    await disk.close();
  });

  it('moves multi-segment requests through indirect tables', async () => {
    const disk = await rawDisk();
    const d = blkDriver(disk);
    const data = pattern(4096, 9);
    expect((await d.request(VIRTIO_BLK_T_OUT, 0n, { out: data, indirect: true })).status).toBe(VIRTIO_BLK_S_OK);
    expect((await d.request(VIRTIO_BLK_T_IN, 0n, { inLen: 4096, indirect: true })).data).toEqual(data);
    await disk.close();
  });

  it('answers IOERR for transfers outside the disk, also with sectors beyond 2^53', async () => {
    const disk = await rawDisk(1 << 20); // 2048 sectors
    const d = blkDriver(disk);
    expect((await d.request(VIRTIO_BLK_T_IN, 2048n, { inLen: 512 })).status).toBe(VIRTIO_BLK_S_IOERR);
    expect((await d.request(VIRTIO_BLK_T_IN, 2047n, { inLen: 1024 })).status).toBe(VIRTIO_BLK_S_IOERR);
    expect((await d.request(VIRTIO_BLK_T_IN, 2047n, { inLen: 512 })).status).toBe(VIRTIO_BLK_S_OK);
    expect((await d.request(VIRTIO_BLK_T_OUT, (1n << 53n) + 1n, { out: pattern(512, 1) })).status).toBe(VIRTIO_BLK_S_IOERR);
    expect((await d.request(VIRTIO_BLK_T_OUT, 0xffff_ffff_ffff_ffffn, { out: pattern(512, 1) })).status).toBe(VIRTIO_BLK_S_IOERR);
    // A length that is not whole sectors.
    expect((await d.request(VIRTIO_BLK_T_IN, 0n, { inLen: 100 })).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(d.needsReset).toBe(false);
    await disk.close();
  });

  it('offers RO for a read-only disk and refuses writes with IOERR, leaving the file untouched', async () => {
    const path = join(dir, 'ro.raw');
    writeFileSync(path, pattern(65536, 5));
    const disk = await RawDisk.open(path, { readOnly: true });
    const d = blkDriver(disk);
    expect(d.deviceFeatures() & C.featureBit(VIRTIO_BLK_F_RO)).not.toBe(0n);
    expect((await d.request(VIRTIO_BLK_T_OUT, 0n, { out: new Uint8Array(512) })).status).toBe(VIRTIO_BLK_S_IOERR);
    expect((await d.request(VIRTIO_BLK_T_WRITE_ZEROES, 0n, { out: new Uint8Array(16) })).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(new Uint8Array(readFileSync(path))).toEqual(pattern(65536, 5));
    await disk.close();
  });

  it('zeroes a range with WRITE_ZEROES and answers UNSUPP for unknown request types', async () => {
    const disk = await rawDisk();
    const d = blkDriver(disk);
    await d.request(VIRTIO_BLK_T_OUT, 4n, { out: pattern(4096, 2) });
    const seg = new Uint8Array(16);
    new DataView(seg.buffer).setBigUint64(0, 5n, true);
    new DataView(seg.buffer).setUint32(8, 2, true);
    expect((await d.request(VIRTIO_BLK_T_WRITE_ZEROES, 0n, { out: seg })).status).toBe(VIRTIO_BLK_S_OK);
    const back = (await d.request(VIRTIO_BLK_T_IN, 4n, { inLen: 4096 })).data;
    expect(back.subarray(0, 512)).toEqual(pattern(4096, 2).subarray(0, 512));
    expect(back.subarray(512, 1536).every((b) => b === 0)).toBe(true);
    expect(back.subarray(1536)).toEqual(pattern(4096, 2).subarray(1536));
    expect((await d.request(0x42, 0n, { inLen: 512 })).status).toBe(VIRTIO_BLK_S_UNSUPP);
    await disk.close();
  });

  it('marks the device NEEDS_RESET for a request without a header or status byte', async () => {
    const disk = await rawDisk();
    const d = blkDriver(disk);
    d.addChain(0, [{ addr: d.alloc(8), len: 8 }]);
    d.kick(0);
    await until(() => d.needsReset);
    expect(d.logs.join()).toMatch(/without a 16-byte header or a status byte/);
    await disk.close();
  });

  it('catches the same head made available twice while the first is still in flight', async () => {
    const disk = await rawDisk();
    const d = blkDriver(disk);
    const l = d.layout(0);
    const hdr = d.alloc(16);
    d.put(hdr, header(VIRTIO_BLK_T_IN, 0n));
    d.writeDesc(l.desc, 0, { addr: hdr, len: 16, flags: C.VIRTQ_DESC_F_NEXT, next: 1 });
    d.writeDesc(l.desc, 1, { addr: d.alloc(513), len: 513, flags: C.VIRTQ_DESC_F_WRITE, next: 0 });
    d.publish(0, 0);
    d.publish(0, 0);
    d.kick(0);
    expect(d.needsReset).toBe(true);
    expect(d.logs.join()).toMatch(/descriptor 0 made available while already in flight/);
    await until(() => d.work === 0);
    await disk.close();
  });

  it('drops the completion of a request whose device was reset meanwhile (no write into guest RAM)', async () => {
    const path = join(dir, 'reset.raw');
    writeFileSync(path, pattern(1 << 20, 1));
    const disk = await RawDisk.open(path);
    // Without its synchronous fast path, so the read is still in flight when the reset comes.
    const d = blkDriver(asyncOnly(disk));
    const hdr = d.alloc(16);
    d.put(hdr, header(VIRTIO_BLK_T_IN, 0n));
    const data = d.alloc(65536);
    const status = d.alloc(1);
    d.addChain(0, [{ addr: hdr, len: 16 }, { addr: data, len: 65536, write: true }, { addr: status, len: 1, write: true }]);
    d.kick(0);
    d.setReg(C.VIRTIO_MMIO_STATUS, 0); // reset with the read in flight
    await until(() => d.work === 0);
    expect(d.bytes(data, 65536).every((b) => b === 0)).toBe(true);
    expect(d.bytes(status, 1)[0]).toBe(0);
    await disk.close();
  });

  it('works on a copy-on-write overlay and never writes its base image', async () => {
    const base = join(dir, 'base.img');
    const baseBytes = pattern(2 << 20, 11);
    writeFileSync(base, baseBytes);
    const sha = createHash('sha256').update(baseBytes).digest('hex');
    const overlay = join(dir, 'root.overlay');
    await OverlayDisk.create(overlay, { path: base, sha256: sha });
    const disk = await OverlayDisk.open(overlay, { path: base, sha256: sha });
    const d = blkDriver(disk);
    expect((await d.request(VIRTIO_BLK_T_IN, 1n, { inLen: 1024 })).data).toEqual(baseBytes.subarray(512, 1536));
    await d.request(VIRTIO_BLK_T_OUT, 3n, { out: pattern(512, 99) }); // partial block: read-modify-write
    const back = (await d.request(VIRTIO_BLK_T_IN, 0n, { inLen: 8192 })).data;
    const expected = baseBytes.slice(0, 8192);
    expected.set(pattern(512, 99), 1536);
    expect(back).toEqual(expected);
    await d.request(VIRTIO_BLK_T_FLUSH, 0n);
    await disk.close();
    expect(createHash('sha256').update(readFileSync(base)).digest('hex')).toBe(sha);
  });
});
