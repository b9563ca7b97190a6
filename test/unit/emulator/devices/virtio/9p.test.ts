// The virtio-9p device on the virtio-mmio transport, driven by a test driver in scratch RAM, with the
// real 9P server behind it: config space, split requests and replies as Linux lays them out (zero-copy
// pages), many requests in flight, indirect chains, oversized replies, hostile chains and resets.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Virtio9p, VIRTIO_9P_MOUNT_TAG, virtio9pMaxMsize } from '../../../../../src/emulator/devices/virtio/9p.js';
import { P9Server } from '../../../../../src/engines/builtin/p9/server.js';
import { makeFixture, type Fixture } from '../../../engines/builtin/p9/fixture.js';
import { encode, L, P9Reply, RLERROR, T } from '../../../engines/builtin/p9/p9-client.js';
import { TestVirtioDriver } from './virtio-driver.js';

const INDIRECT = 1n << 28n;
const NEEDS_RESET = 0x40;

describe('virtio-9p device', () => {
  let f: Fixture;
  let server: P9Server;
  let dev: Virtio9p;
  let drv: TestVirtioDriver;

  beforeEach(async () => {
    f = await makeFixture();
    server = await P9Server.create({ hostPath: f.share, readOnly: false, maxMsize: virtio9pMaxMsize() });
    dev = new Virtio9p({ tag: 'project', backend: server });
    drv = new TestVirtioDriver(dev);
  });
  afterEach(async () => {
    await server.close();
    try {
      f.assertOutsideUntouched();
    } finally {
      await f.cleanup();
    }
  });

  /** One request through the ring: out buffers, writable buffer sizes; the parsed reply. */
  async function rpc(out: Uint8Array[], inLens: number[], o: { indirect?: boolean } = {}): Promise<P9Reply> {
    const head = drv.submit(out, inLens, o);
    drv.notify();
    const [used] = await drv.waitUsed(1);
    expect(used!.head).toBe(head);
    const r = new P9Reply(drv.reply(head, used!.len));
    expect(r.size).toBe(used!.len);
    return r;
  }

  const msg = (type: number, tag: number, fields: Parameters<typeof encode>[2]): Uint8Array => encode(type, tag, fields);

  async function session(): Promise<void> {
    drv.init(INDIRECT | (1n << BigInt(VIRTIO_9P_MOUNT_TAG)));
    const v = await rpc([msg(T.version, 0xffff, [['u32', 1 << 20], ['s', '9P2000.L']])], [8192]);
    expect(v.u32()).toBe(virtio9pMaxMsize()); // capped at what the queue carries
    const a = await rpc([msg(T.attach, 1, [['u32', 0], ['u32', 0xffffffff], ['s', 'root'], ['s', ''], ['u32', 0]])], [8192]);
    expect(a.type).toBe(T.attach + 1);
  }

  it('is device 9 with the mount tag in its config space', () => {
    expect(drv.reg(0x008)).toBe(9);
    expect(drv.deviceFeatures() & 1n).toBe(1n);
    expect(drv.mmio.read(0x100, 2)).toBe(7);
    const tag = Array.from({ length: 7 }, (_, i) => drv.mmio.read(0x102 + i, 1));
    expect(String.fromCharCode(...tag)).toBe('project');
    expect(dev.maxMsize).toBeGreaterThanOrEqual(128 * 1024);
    expect(() => new Virtio9p({ tag: 'has space', backend: server })).toThrow(/printable ASCII/);
    expect(() => new Virtio9p({ tag: '', backend: server })).toThrow(/printable ASCII/);
  });

  it('carries requests and replies split over descriptors as Linux lays them out', async () => {
    await session();
    writeFileSync(join(f.share, 'data'), Buffer.alloc(100_000, 0x5a));
    await rpc([msg(T.walk, 2, [['u32', 0], ['u32', 1], ['u16', 1], ['s', 'data']])], [8192]);
    await rpc([msg(T.lopen, 3, [['u32', 1], ['u32', L.RDWR]])], [8192]);
    // Zero-copy read: an 11-byte header buffer, then page-sized user buffers.
    const r = await rpc([msg(T.read, 4, [['u32', 1], ['u64', 0], ['u32', 65536]])], [11, ...Array(16).fill(4096)]);
    expect(r.type).toBe(T.read + 1);
    expect(r.u32()).toBe(65536);
    expect(r.buf.subarray(11).every((b) => b === 0x5a)).toBe(true);
    // Zero-copy write: the header in one buffer, the payload in pages after it.
    const payload = Buffer.alloc(3 * 4096, 0x61);
    const head = msg(T.write, 5, [['u32', 1], ['u64', 10], ['u32', payload.length]]);
    const full = Buffer.from(head);
    full.writeUInt32LE(head.length + payload.length, 0);
    const w = await rpc([full, payload.subarray(0, 4096), payload.subarray(4096, 8192), payload.subarray(8192)], [11]);
    expect([w.type, w.u32()]).toEqual([T.write + 1, payload.length]);
    expect(readFileSync(join(f.share, 'data')).subarray(10, 10 + payload.length).equals(payload)).toBe(true);
    // The same through an indirect table.
    const g = await rpc([msg(T.getattr, 6, [['u32', 1], ['u64', 0x7ff]])], [64, 64, 64], { indirect: true });
    expect(g.type).toBe(T.getattr + 1);
    expect(drv.logs).toEqual([]);
  });

  it('completes many requests in flight at once, each on its own chain', async () => {
    await session();
    for (let i = 0; i < 40; i++) writeFileSync(join(f.share, `f${i}`), `file ${i}`);
    const heads = new Map<number, number>();
    for (let i = 0; i < 40; i++) {
      heads.set(drv.submit([msg(T.walk, 100 + i, [['u32', 0], ['u32', 10 + i], ['u16', 1], ['s', `f${i}`]])], [4096]), i);
    }
    drv.notify();
    const used = await drv.waitUsed(40);
    expect(new Set(used.map((u) => u.head)).size).toBe(40);
    for (const u of used) {
      const r = new P9Reply(drv.reply(u.head, u.len));
      expect([r.type, r.tag]).toEqual([T.walk + 1, 100 + heads.get(u.head)!]);
    }
    expect(drv.irqRaised).toBeGreaterThan(0);
    expect(server.stats.fids).toBe(41);
  });

  it('answers a reply that does not fit the chain with Rlerror EMSGSIZE and keeps working', async () => {
    await session();
    writeFileSync(join(f.share, 'data'), Buffer.alloc(50_000, 1));
    await rpc([msg(T.walk, 2, [['u32', 0], ['u32', 1], ['u16', 1], ['s', 'data']])], [4096]);
    await rpc([msg(T.lopen, 3, [['u32', 1], ['u32', L.RDONLY]])], [4096]);
    const r = await rpc([msg(T.read, 4, [['u32', 1], ['u64', 0], ['u32', 40_000]])], [11, 100]);
    expect([r.type, r.tag, r.u32()]).toEqual([RLERROR, 4, 90]);
    expect(dev.stats.oversized).toBe(1);
    expect(drv.status & NEEDS_RESET).toBe(0);
    const ok = await rpc([msg(T.read, 5, [['u32', 1], ['u64', 0], ['u32', 10]])], [4096]);
    expect(ok.u32()).toBe(10);
  });

  it('marks itself NEEDS_RESET for a chain with no room for a reply, and recovers after a reset', async () => {
    await session();
    drv.submit([msg(T.clunk, 9, [['u32', 0]])], []);
    drv.notify();
    expect(drv.status & NEEDS_RESET).toBe(NEEDS_RESET);
    expect(drv.logs.join('\n')).toMatch(/without a 9P header or room for a reply/);
    await session();
    expect(drv.status & NEEDS_RESET).toBe(0);
    const r = await rpc([msg(T.getattr, 2, [['u32', 0], ['u64', 0x7ff]])], [4096]);
    expect(r.type).toBe(T.getattr + 1);
  });

  it('drops the completion of a request that was in flight across a device reset', async () => {
    await session();
    writeFileSync(join(f.share, 'big'), Buffer.alloc(1 << 20, 3));
    await rpc([msg(T.walk, 2, [['u32', 0], ['u32', 1], ['u16', 1], ['s', 'big']])], [4096]);
    await rpc([msg(T.lopen, 3, [['u32', 1], ['u32', L.RDONLY]])], [4096]);
    drv.submit([msg(T.read, 4, [['u32', 1], ['u64', 0], ['u32', 400_000]])], [11, 400_000]);
    drv.notify();
    drv.setReg(0x070, 0); // reset before the host read finishes
    await new Promise((r) => setTimeout(r, 50));
    drv.init(INDIRECT);
    expect(drv.takeUsed()).toEqual([]);
    const v = await rpc([msg(T.version, 0xffff, [['u32', 8192], ['s', '9P2000.L']])], [4096]);
    expect(v.type).toBe(T.version + 1);
    expect(drv.logs).toEqual([]);
  });

  it('passes garbage through to the server as Rlerror without failing the device', async () => {
    await session();
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 200; i++) {
      const bytes = new Uint8Array(7 + rand(200)).map(() => rand(256));
      new DataView(bytes.buffer).setUint32(0, rand(3) === 0 ? bytes.length : rand(1 << 30), true);
      drv.submit([bytes], [11 + rand(300)]);
      drv.notify();
      const [u] = await drv.waitUsed(1);
      expect(u!.len).toBeGreaterThanOrEqual(7);
    }
    expect(drv.status & NEEDS_RESET).toBe(0);
    expect(drv.logs).toEqual([]);
  });
});
