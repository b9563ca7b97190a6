// virtio-blk with several requests in flight and with the backends' synchronous fast path: requests
// made available together run at once unless they conflict (same conflict unit with a write, or a
// FLUSH), completions may come back out of order, data stays byte-exact; the synchronous path
// (readNow/writeNow) and the asynchronous one leave identical disks, across edge sizes; SyncGate
// turns the fast path off after a slow call.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VIRTIO_BLK_S_OK, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VirtioBlk, type BlockBackend } from '../../../../../src/emulator/devices/virtio/blk.js';
import { OverlayDisk } from '../../../../../src/engines/builtin/disk/overlay-disk.js';
import { RawDisk } from '../../../../../src/engines/builtin/disk/raw-disk.js';
import { SyncGate } from '../../../../../src/engines/builtin/disk/sync-gate.js';
import { TestDriver, until, type Buf } from './test-driver.js';

const dir = mkdtempSync(join(tmpdir(), 'vm-virtio-blk-batch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function pattern(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (i * 13 + seed * 7 + (i >> 9)) & 0xff;
  return out;
}

/** Byte equality without vitest's element-by-element diff (slow on megabytes). */
const same = (x: Uint8Array, y: Uint8Array): boolean => x.length === y.length && Buffer.compare(x, y) === 0;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Event = [what: 'start' | 'end', call: string];

/** A backend with only asynchronous calls, each delayed by `delay(call)` ms, logging start and end. */
function recorded(b: BlockBackend, delay: (call: string) => number, events: Event[], conflictUnit = b.conflictUnit): BlockBackend {
  const run = async <T>(call: string, fn: () => Promise<T>): Promise<T> => {
    events.push(['start', call]);
    await sleep(delay(call));
    const r = await fn();
    events.push(['end', call]);
    return r;
  };
  return {
    sizeBytes: b.sizeBytes,
    readOnly: b.readOnly,
    conflictUnit,
    read: (o, l) => run(`read@${o}`, () => b.read(o, l)),
    write: (o, d) => run(`write@${o}`, () => b.write(o, d)),
    flush: () => run('flush', () => b.flush()),
  };
}

const asyncOnly = (b: BlockBackend): BlockBackend => recorded(b, () => 0, []);

interface Posted {
  head: number;
  status: number;
  data: number;
  inLen: number;
}

class BatchDriver extends TestDriver {
  private readonly slots: { hdr: number; data: number; status: number }[] = [];

  constructor(backend: BlockBackend, o: { maxData?: number; slots?: number } = {}) {
    super(new VirtioBlk({ backend }), { ramBytes: 16 * 1024 * 1024 });
    this.init(1);
    const maxData = o.maxData ?? 1 << 20;
    for (let i = 0; i < (o.slots ?? 8); i++) this.slots.push({ hdr: this.alloc(16), data: this.alloc(maxData, 4096), status: this.alloc(1) });
  }

  /** Make one request available in slot `slot` (no notify). */
  post(slot: number, type: number, sector: number, o: { out?: Uint8Array; inLen?: number } = {}): Posted {
    const s = this.slots[slot]!;
    const h = new Uint8Array(16);
    new DataView(h.buffer).setUint32(0, type, true);
    new DataView(h.buffer).setBigUint64(8, BigInt(sector), true);
    this.put(s.hdr, h);
    this.put(s.status, Uint8Array.of(0xee));
    const bufs: Buf[] = [{ addr: s.hdr, len: 16 }];
    // Data split in two descriptors when it can be, so chains are multi-segment.
    const len = o.out?.length ?? o.inLen ?? 0;
    if (o.out) this.put(s.data, o.out);
    const cut = len > 512 ? Math.floor(len / 1024) * 512 : len;
    if (cut > 0) bufs.push({ addr: s.data, len: cut, write: !o.out });
    if (len > cut) bufs.push({ addr: s.data + cut, len: len - cut, write: !o.out });
    bufs.push({ addr: s.status, len: 1, write: true });
    return { head: this.addChain(0, bufs), status: s.status, data: s.data, inLen: o.inLen ?? 0 };
  }

  /** Wait until every posted request is on the used ring; returns heads in completion order. */
  async collect(posted: Posted[]): Promise<number[]> {
    const order: number[] = [];
    await until(() => {
      for (const u of this.takeUsed(0)) order.push(u.id);
      return order.length >= posted.length || this.needsReset;
    });
    expect(this.needsReset).toBe(false);
    for (const p of posted) expect(this.bytes(p.status, 1)[0]).toBe(VIRTIO_BLK_S_OK);
    return order;
  }

  async one(type: number, sector: number, o: { out?: Uint8Array; inLen?: number } = {}): Promise<Uint8Array> {
    const p = this.post(0, type, sector, o);
    this.kick(0);
    await this.collect([p]);
    return this.bytes(p.data, p.inLen);
  }
}

async function overlayPair(baseBytes: Uint8Array, virtualSize: number): Promise<{ a: OverlayDisk; b: OverlayDisk; basePath: string; sha: string }> {
  const basePath = join(dir, `base${n++}.img`);
  writeFileSync(basePath, baseBytes);
  const sha = createHash('sha256').update(baseBytes).digest('hex');
  const open = async (): Promise<OverlayDisk> => {
    const path = join(dir, `o${n++}.overlay`);
    await OverlayDisk.create(path, { path: basePath, sha256: sha }, { virtualSize });
    return OverlayDisk.open(path, { path: basePath, sha256: sha });
  };
  return { a: await open(), b: await open(), basePath, sha };
}

const at = (events: Event[], what: 'start' | 'end', call: string): number => {
  const i = events.findIndex(([w, c]) => w === what && c === call);
  expect(i, `${what} ${call}`).toBeGreaterThanOrEqual(0);
  return i;
};

describe('virtio-blk with requests in flight together', () => {
  it('runs non-conflicting requests at once and completes them out of order', async () => {
    const raw = await RawDisk.open(await makeRaw(1 << 20));
    const events: Event[] = [];
    const d = new BatchDriver(recorded(raw, (c) => (c === 'write@0' ? 60 : 0), events));
    const a = d.post(0, VIRTIO_BLK_T_OUT, 0, { out: pattern(4096, 1) });
    const b = d.post(1, VIRTIO_BLK_T_OUT, 64, { out: pattern(8192, 2) });
    d.kick(0);
    const order = await d.collect([a, b]);
    expect(order).toEqual([b.head, a.head]); // the slow first write finished last
    expect(at(events, 'start', 'write@32768')).toBeLessThan(at(events, 'end', 'write@0'));
    expect(await d.one(VIRTIO_BLK_T_IN, 0, { inLen: 4096 })).toEqual(pattern(4096, 1));
    expect(await d.one(VIRTIO_BLK_T_IN, 64, { inLen: 8192 })).toEqual(pattern(8192, 2));
    await raw.close();
  });

  it('keeps ring order inside a conflict unit: two sectors of one overlay block, then a read of it', async () => {
    const base = pattern(1 << 20, 9);
    const { a: overlay } = await overlayPair(base, 1 << 20);
    const events: Event[] = [];
    // The first partial write is slow: a second one in the same 4 KiB block must wait for it, or
    // its read-modify-write would copy the block from the base and lose the first.
    const d = new BatchDriver(recorded(overlay, (c) => (c === 'write@8192' ? 50 : 0), events));
    const w1 = d.post(0, VIRTIO_BLK_T_OUT, 16, { out: pattern(512, 3) });
    const w2 = d.post(1, VIRTIO_BLK_T_OUT, 19, { out: pattern(1024, 4) });
    const r = d.post(2, VIRTIO_BLK_T_IN, 16, { inLen: 4096 });
    d.kick(0);
    expect(await d.collect([w1, w2, r])).toEqual([w1.head, w2.head, r.head]);
    expect(at(events, 'start', 'write@9728')).toBeGreaterThan(at(events, 'end', 'write@8192'));
    const want = base.slice(8192, 12288);
    want.set(pattern(512, 3), 0);
    want.set(pattern(1024, 4), 1536);
    expect(d.bytes(r.data, 4096)).toEqual(want);
    await overlay.close();
  });

  it('runs FLUSH after every request taken before it and before any taken after it', async () => {
    const raw = await RawDisk.open(await makeRaw(1 << 20));
    const events: Event[] = [];
    const d = new BatchDriver(recorded(raw, (c) => (c === 'write@0' ? 40 : c === 'flush' ? 20 : 0), events));
    const p = [
      d.post(0, VIRTIO_BLK_T_OUT, 0, { out: pattern(4096, 5) }),
      d.post(1, VIRTIO_BLK_T_OUT, 8, { out: pattern(4096, 6) }),
      d.post(2, VIRTIO_BLK_T_FLUSH, 0),
      d.post(3, VIRTIO_BLK_T_OUT, 16, { out: pattern(4096, 7) }),
      d.post(4, VIRTIO_BLK_T_IN, 8, { inLen: 4096 }),
    ];
    d.kick(0);
    await d.collect(p);
    const flushStart = at(events, 'start', 'flush');
    expect(flushStart).toBeGreaterThan(at(events, 'end', 'write@0'));
    expect(flushStart).toBeGreaterThan(at(events, 'end', 'write@4096'));
    expect(at(events, 'start', 'write@8192')).toBeGreaterThan(at(events, 'end', 'flush'));
    expect(at(events, 'start', 'read@4096')).toBeGreaterThan(at(events, 'end', 'flush'));
    expect(d.bytes(p[4]!.data, 4096)).toEqual(pattern(4096, 6));
    expect(new Uint8Array(readFileSync(raw.path).subarray(8192, 12288))).toEqual(pattern(4096, 7));
    await raw.close();
  });
});

async function makeRaw(size: number): Promise<string> {
  const path = join(dir, `d${n++}.raw`);
  await RawDisk.create(path, size);
  return path;
}

/** Deterministic pseudo-random numbers (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

describe('virtio-blk synchronous fast path', () => {
  it('leaves an overlay byte-identical to the asynchronous path, over edge sizes, and never writes the base', async () => {
    const BASE = 1792 * 1024; // not a whole number of 1 MiB: reads cross the base's end
    const SIZE = 4 << 20;
    const base = pattern(BASE, 21);
    const { a, b, basePath, sha } = await overlayPair(base, SIZE);
    const fast = new BatchDriver(a, { maxData: 2560 * 1024, slots: 1 });
    const slow = new BatchDriver(asyncOnly(b), { maxData: 2560 * 1024, slots: 1 });
    const model = new Uint8Array(SIZE);
    model.set(base);
    // Around the block size and the fast path's limit (2 MiB in the gate and in the device).
    const MIB = 1 << 20;
    const sizes = [512, 1024, 3584, 4096, 4608, 8192, 65536, 131072 + 512, MIB, 1280 * 1024, 2 * MIB - 512, 2 * MIB, 2 * MIB + 512];
    const rand = rng(7);
    for (let i = 0; i < 160; i++) {
      const len = sizes[Math.floor(rand() * sizes.length)]!;
      const sector = Math.floor(rand() * ((SIZE - len) / 512 + 1));
      if (rand() < 0.6) {
        const data = pattern(len, i);
        await fast.one(VIRTIO_BLK_T_OUT, sector, { out: data });
        await slow.one(VIRTIO_BLK_T_OUT, sector, { out: data });
        model.set(data, sector * 512);
      } else {
        const want = model.subarray(sector * 512, sector * 512 + len);
        expect(same(await fast.one(VIRTIO_BLK_T_IN, sector, { inLen: len }), want), `fast read ${len} at sector ${sector}`).toBe(true);
        expect(same(await slow.one(VIRTIO_BLK_T_IN, sector, { inLen: len }), want), `slow read ${len} at sector ${sector}`).toBe(true);
      }
    }
    // The fast path did run (unless a very slow call on a loaded host turned it off for a while).
    expect(a.gate.calls).toBeGreaterThan(a.gate.offs === 0 ? 50 : 0);
    expect(same(await a.read(0, SIZE), model)).toBe(true);
    expect(same(await b.read(0, SIZE), model)).toBe(true);
    expect(a.allocatedBlocks).toBe(b.allocatedBlocks);
    await fast.one(VIRTIO_BLK_T_FLUSH, 0);
    await a.close();
    await b.close();
    expect(createHash('sha256').update(readFileSync(basePath)).digest('hex')).toBe(sha);
    // The block maps reached the files identically (a reopen reads the same disk).
    const reopened = await OverlayDisk.open(a.path, { path: basePath, sha256: sha }, { readOnly: true });
    expect(same(await reopened.read(0, SIZE), model)).toBe(true);
    await reopened.close();
  });

  it('fills zeros past the base into a reused buffer, and refuses a read-only write', async () => {
    const base = pattern(6144, 3); // ends inside block 1
    const { a } = await overlayPair(base, 64 * 1024);
    const dest = new Uint8Array(16384).fill(0xaa);
    expect(a.readNow(0, dest)).toBe(true);
    const want = new Uint8Array(16384);
    want.set(base);
    expect(dest).toEqual(want);
    await a.close();
    const ro = await RawDisk.open(await makeRaw(8192), { readOnly: true });
    expect(ro.writeNow(0, new Uint8Array(512))).toBe(false);
    await ro.close();
  });
});

describe('SyncGate', () => {
  it('allows small transfers; a very slow call turns it off for periods that double, then start over', () => {
    let now = 0;
    const g = new SyncGate({ maxBytes: 4096, slowMs: 2, verySlowMs: 20, offMs: 100, now: () => now });
    expect(g.allows(4096)).toBe(true);
    expect(g.allows(4097)).toBe(false);
    expect(g.timed(() => 42)).toBe(42);
    g.timed(() => (now += 25)); // very slow: off for 100 ms
    expect(g.allows(512)).toBe(false);
    now += 99;
    expect(g.allows(512)).toBe(false);
    now += 1;
    expect(g.allows(512)).toBe(true);
    g.timed(() => (now += 25)); // again: off for 200 ms
    now += 199;
    expect(g.allows(512)).toBe(false);
    now += 1;
    expect(g.allows(512)).toBe(true);
    // Long after the last period, the backoff starts over from the first period.
    now += 120_000;
    g.timed(() => (now += 25));
    now += 100;
    expect(g.allows(512)).toBe(true);
    expect([g.calls, g.slow, g.offs]).toEqual([4, 3, 3]);
  });

  it('shrugs off an occasional slow call (preemption) but not a run of them (a slow disk)', () => {
    let now = 0;
    const g = new SyncGate({ slowMs: 2, verySlowMs: 20, offMs: 100, now: () => now });
    for (let i = 0; i < 2000; i++) g.timed(() => (now += i % 50 === 0 ? 5 : 0.01)); // 2 % slow
    expect(g.allows(512)).toBe(true);
    expect(g.offs).toBe(0);
    let calls = 0;
    while (g.allows(512) && calls < 100) {
      g.timed(() => (now += 5));
      calls++;
    }
    expect(g.allows(512)).toBe(false);
    expect(calls).toBeLessThanOrEqual(5);
  });

  it('counts a call that throws', () => {
    let now = 0;
    const g = new SyncGate({ verySlowMs: 1, offMs: 10, now: () => now });
    expect(() =>
      g.timed(() => {
        now += 2;
        throw new Error('EIO');
      }),
    ).toThrow('EIO');
    expect(g.allows(512)).toBe(false);
  });
});
