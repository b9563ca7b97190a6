// Many requests in flight at once on many fids, completing out of order; Tflush answering only
// after the request it names; flushes that cannot deadlock.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, makeFixture, type Fixture } from './fixture.js';
import { encode, L, T } from './p9-client.js';

describe('9p concurrency', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await makeFixture();
    await connect(f.client);
  });
  afterEach(async () => {
    try {
      f.assertOutsideUntouched();
    } finally {
      await f.cleanup();
    }
  });

  it('serves 200 outstanding requests over 100 fids, each with its own correct reply', async () => {
    const c = f.client;
    for (let i = 0; i < 100; i++) writeFileSync(join(f.share, `f${i}`), `content of file ${i}\n`.repeat(i + 1));
    await Promise.all(Array.from({ length: 100 }, (_, i) => c.walk(0, 100 + i, [`f${i}`])));
    await Promise.all(Array.from({ length: 100 }, (_, i) => c.lopen(100 + i, L.RDWR)));
    const reads = Array.from({ length: 100 }, (_, i) => c.read(100 + i, 0, `content of file ${i}\n`.length * (i + 1)));
    const writes = Array.from({ length: 100 }, (_, i) => c.write(100 + i, 1_000_000, `tail ${i}`));
    const got = await Promise.all(reads);
    got.forEach((data, i) => expect(data.toString()).toBe(`content of file ${i}\n`.repeat(i + 1)));
    expect(await Promise.all(writes)).toEqual(Array.from({ length: 100 }, (_, i) => `tail ${i}`.length));
    expect(readFileSync(join(f.share, 'f42')).subarray(1_000_000).toString()).toBe('tail 42');
    expect(f.server.stats).toMatchObject({ fids: 101, openFiles: 100, pending: 0 });
  });

  it('lets replies complete out of order', async () => {
    const c = f.client;
    writeFileSync(join(f.share, 'big'), Buffer.alloc(8 << 20, 1));
    await c.version(512 * 1024);
    await c.attach(0);
    await c.walk(0, 1, ['big']);
    await c.lopen(1, L.RDONLY);
    const order: string[] = [];
    // Big reads first, then a request that needs no host I/O (Tgetlock): the cheap one overtakes.
    const big = Array.from({ length: 16 }, (_, i) => c.read(1, i * 400_000, 400_000).then(() => order.push(`read${i}`)));
    const small = c.rpc(T.getlock, [['u32', 1], ['u8', 0], ['u64', 0], ['u64', 0], ['u32', 1], ['s', 'g']]).then(() => order.push('getlock'));
    await Promise.all([...big, small]);
    expect(order[0]).toBe('getlock');
    expect(order).toHaveLength(17);
  });

  it('answers Tflush after the flushed request, and never deadlocks on flushes of flushes', async () => {
    const c = f.client;
    writeFileSync(join(f.share, 'big'), Buffer.alloc(4 << 20, 2));
    await c.walk(0, 1, ['big']);
    await c.lopen(1, L.RDONLY);
    const order: string[] = [];
    const readTag = 500;
    const read = c.raw(encode(T.read, readTag, [['u32', 1], ['u64', 0], ['u32', 200_000]])).then((r) => {
      order.push('read');
      return r;
    });
    const flush = c.raw(encode(T.flush, 501, [['u16', readTag]])).then((r) => {
      order.push('flush');
      return r;
    });
    const [r, fl] = await Promise.all([read, flush]);
    expect(order).toEqual(['read', 'flush']);
    expect(r.type).toBe(T.read + 1);
    expect([fl.type, fl.tag]).toEqual([T.flush + 1, 501]);
    // A flush of itself, of an unknown tag, and two flushes naming each other all come back.
    const replies = await Promise.all([
      c.raw(encode(T.flush, 600, [['u16', 600]])),
      c.raw(encode(T.flush, 601, [['u16', 4242]])),
      c.raw(encode(T.flush, 602, [['u16', 603]])),
      c.raw(encode(T.flush, 603, [['u16', 602]])),
    ]);
    expect(replies.map((x) => [x.type, x.tag])).toEqual([600, 601, 602, 603].map((t) => [T.flush + 1, t]));
  });

  it('leaks no host descriptor when Tclunk or Tversion races Tlopen/Tlcreate, or two opens race', async () => {
    const c = f.client;
    for (let round = 0; round < 40; round++) {
      await c.walk(0, 1, ['hello.txt']);
      await c.walk(0, 2, []);
      await c.walk(0, 3, ['hello.txt']);
      await Promise.allSettled([
        c.lopen(1, L.RDONLY),
        c.clunk(1),
        c.lcreate(2, `new${round}`, L.RDWR | L.CREAT, 0o644),
        c.clunk(2),
        c.lopen(3, L.RDONLY),
        c.lopen(3, L.RDONLY),
      ]);
      expect(f.server.stats.openFiles).toBe(1); // fid 3, opened by exactly one of its two Tlopens
      await c.clunk(3);
      expect(f.server.stats.openFiles).toBe(0);
    }
    await c.walk(0, 1, ['hello.txt']);
    await Promise.allSettled([c.lopen(1, L.RDONLY), c.version()]);
    expect(f.server.stats).toMatchObject({ fids: 0, openFiles: 0 });
    // The host process holds no descriptor to the share's files any more.
    const { readdirSync, readlinkSync } = await import('node:fs');
    const open = readdirSync('/proc/self/fd').map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    });
    expect(open.filter((p) => p.startsWith(f.share))).toEqual([]);
  });

  it('keeps a read racing a clunk of its fid from landing on another file', async () => {
    const c = f.client;
    writeFileSync(join(f.share, 'one'), 'ONE'.repeat(10000));
    writeFileSync(join(f.share, 'two'), 'TWO'.repeat(10000));
    for (let round = 0; round < 50; round++) {
      await c.walk(0, 1, ['one']);
      await c.lopen(1, L.RDONLY);
      const read = c.read(1, 0, 30000).catch(() => null);
      const clunk = c.clunk(1);
      await c.walk(0, 2, ['two']);
      await c.lopen(2, L.RDONLY);
      const [data] = await Promise.all([read, clunk]);
      if (data) expect(data.toString()).toBe('ONE'.repeat(10000));
      await c.clunk(2);
    }
  });
});
