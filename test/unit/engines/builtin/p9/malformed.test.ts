// Malformed, lying and oversized messages, resource exhaustion, and a seeded fuzz run: the server
// always answers with a well-formed reply carrying the request's tag, never throws, never touches
// the host outside the share, and still serves correctly afterwards.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, makeFixture, type Fixture } from './fixture.js';
import { E, encode, errnoOf, L, RLERROR, T, type Field } from './p9-client.js';

describe('9p malformed and hostile messages', () => {
  let f: Fixture;
  const logs: string[] = [];
  beforeEach(async () => {
    logs.length = 0;
    f = await makeFixture({ onLog: (m) => logs.push(m), maxFids: 64, maxOpenFiles: 8 });
    await connect(f.client);
  });
  afterEach(async () => {
    try {
      f.assertOutsideUntouched();
      expect(logs).toEqual([]); // hostile input is the guest's error, never a server bug
    } finally {
      await f.cleanup();
    }
  });

  const errnoRaw = async (bytes: Uint8Array): Promise<number> => {
    const r = await f.client.raw(bytes);
    expect(r.type).toBe(RLERROR);
    return r.u32();
  };

  it('answers truncated and lying headers with EPROTO', async () => {
    expect(await errnoRaw(new Uint8Array(0))).toBe(E.EPROTO);
    expect(await errnoRaw(new Uint8Array([1, 2, 3]))).toBe(E.EPROTO);
    const good = encode(T.clunk, 77, [['u32', 5]]);
    const liar = Buffer.from(good);
    liar.writeUInt32LE(good.length + 100, 0);
    const r = await f.client.raw(liar);
    expect([r.type, r.tag, r.u32()]).toEqual([RLERROR, 77, E.EPROTO]);
    const tiny = Buffer.from(good);
    tiny.writeUInt32LE(3, 0);
    expect(await errnoRaw(tiny)).toBe(E.EPROTO);
    const huge = Buffer.from(good);
    huge.writeUInt32LE(0xffffffff, 0);
    expect(await errnoRaw(huge)).toBe(E.EPROTO);
    // Fields running past the size field: a walk claiming 5 names carrying 1.
    expect(await errnoRaw(encode(T.walk, 3, [['u32', 0], ['u32', 1], ['u16', 5], ['s', 'sub']]))).toBe(E.EPROTO);
    // A string length past the end.
    const s = encode(T.mkdir, 4, [['u32', 0], ['u16', 60000], ['raw', Buffer.from('abc')]]);
    expect(await errnoRaw(s)).toBe(E.EPROTO);
    expect(existsSync(join(f.share, 'abc'))).toBe(false);
  });

  it('refuses message types outside 9P2000.L and anything before Tversion', async () => {
    for (const type of [0, 6, 99, 106, 112, 114, 124, 126, 255]) {
      expect(await errnoRaw(encode(type, 9, [['u32', 0]]))).toBe(E.EOPNOTSUPP);
    }
    await f.client.version(8192, 'nonsense');
    expect(await errnoRaw(encode(T.getattr, 1, [['u32', 0], ['u64', 0]]))).toBe(E.EPROTO);
    expect(await errnoRaw(encode(T.flush, 1, [['u16', 1]]))).toBe(E.EPROTO);
  });

  it('caps huge counts at msize and refuses offsets that cannot be real', async () => {
    const c = f.client;
    await c.version(65536);
    await c.attach(0);
    writeFileSync(join(f.share, 'big'), Buffer.alloc(200_000, 7));
    await c.walk(0, 1, ['big']);
    await c.lopen(1, L.RDWR);
    const data = await c.read(1, 0, 0xffffffff);
    expect(data.length).toBe(65536 - 11);
    expect((await c.read(1, 2n ** 60n, 100)).length).toBe(0);
    expect(await errnoOf(c.read(1, 2n ** 63n, 100))).toBe(E.EINVAL);
    expect(await errnoOf(c.read(1, 2n ** 64n - 1n, 0xffffffff))).toBe(E.EINVAL);
    expect(await errnoOf(c.write(1, 2n ** 60n, 'x'))).toBe(E.EFBIG);
    expect(await errnoOf(c.write(1, 2n ** 64n - 1n, 'x'))).toBe(E.EFBIG);
    expect(await errnoOf(c.setattr(1, { valid: 0x8, size: 2n ** 62n }))).toBe(E.EFBIG);
    // Twrite whose count is larger than the data it carries.
    expect(await errnoOf(c.rpc(T.write, [['u32', 1], ['u64', 0], ['u32', 1000], ['raw', Buffer.from('short')]]))).toBe(E.EPROTO);
    // A message larger than the negotiated msize.
    expect(await errnoOf(c.write(1, 0, Buffer.alloc(70000)))).toBe(E.EPROTO);
    await c.walk(0, 2, []);
    await c.lopen(2, L.RDONLY);
    expect(await c.readdir(2, 2n ** 63n, 0xffffffff)).toEqual([]);
    expect(await c.readdir(2, 0, 0)).toEqual([]);
    expect(await errnoOf(c.walk(0, 3, Array.from({ length: 17 }, () => 'sub')))).toBe(E.EINVAL);
  });

  it('rejects bad fids, reused fids, double opens and double clunks', async () => {
    const c = f.client;
    expect(await errnoOf(c.getattr(12345))).toBe(E.EBADF);
    expect(await errnoOf(c.attach(0))).toBe(E.EBADF); // fid 0 in use
    await c.walk(0, 1, ['hello.txt']);
    expect(await errnoOf(c.walk(0, 1, ['sub']))).toBe(E.EBADF);
    await c.lopen(1, L.RDONLY);
    expect(await errnoOf(c.lopen(1, L.RDONLY))).toBe(E.EINVAL);
    expect(await errnoOf(c.lopen(1, 3))).toBe(E.EINVAL); // access mode 3
    await c.clunk(1);
    expect(await errnoOf(c.clunk(1))).toBe(E.EBADF);
    expect(await errnoOf(c.read(0, 0, 10))).toBe(E.EBADF); // not open
    expect(await errnoOf(c.readdir(0, 0, 100))).toBe(E.EBADF);
  });

  it('bounds fids and open files per share (ENFILE, EMFILE) and recovers after clunks', async () => {
    const c = f.client;
    for (let i = 1; i < 64; i++) await c.walk(0, i, []);
    expect(await errnoOf(c.walk(0, 64, []))).toBe(E.ENFILE);
    for (let i = 1; i <= 8; i++) await c.lopen(i, L.RDONLY);
    expect(await errnoOf(c.lopen(9, L.RDONLY))).toBe(E.EMFILE);
    expect(await errnoOf(c.lcreate(9, 'x', L.RDWR | L.CREAT, 0o644))).toBe(E.EMFILE);
    expect(f.server.stats.openFiles).toBe(8);
    await c.clunk(1);
    await c.lopen(9, L.RDONLY);
    for (let i = 2; i < 64; i++) await c.clunk(i);
    expect(f.server.stats).toMatchObject({ fids: 1, openFiles: 0 });
  });

  it('survives a seeded fuzz run of mutated and random messages, then still serves', async () => {
    let seed = 0x9e3779b9;
    const rand = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const names = ['..', '.', 'sub', 'hello.txt', '../outside', '/etc', 'a/b', 'x\0', '', 'new', 'n'.repeat(300)];
    const fid = (): number => [0, 1, 2, 3, 0xffffffff, rand(1 << 30)][rand(6)]!;
    const name = (): string => names[rand(names.length)]!;
    const u64 = (): bigint => [0n, 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, BigInt(rand(1 << 20))][rand(6)]!;
    const templates: (() => [number, Field[]])[] = [
      () => [T.walk, [['u32', fid()], ['u32', fid()], ['u16', 2], ['s', name()], ['s', name()]]],
      () => [T.lopen, [['u32', fid()], ['u32', rand(1 << 22)]]],
      () => [T.lcreate, [['u32', fid()], ['s', name()], ['u32', rand(1 << 22)], ['u32', rand(1 << 16)], ['u32', 0]]],
      () => [T.read, [['u32', fid()], ['u64', u64()], ['u32', rand(2) ? 0xffffffff : rand(9000)]]],
      () => [T.write, [['u32', fid()], ['u64', u64()], ['u32', rand(64)], ['raw', Buffer.alloc(rand(64), 0x41)]]],
      () => [T.mkdir, [['u32', fid()], ['s', name()], ['u32', rand(1 << 16)], ['u32', 0]]],
      () => [T.symlink, [['u32', fid()], ['s', name()], ['s', ['/etc/passwd', '../outside', 'x'][rand(3)]!], ['u32', 0]]],
      () => [T.renameat, [['u32', fid()], ['s', name()], ['u32', fid()], ['s', name()]]],
      () => [T.unlinkat, [['u32', fid()], ['s', name()], ['u32', rand(2) * 0x200]]],
      () => [T.setattr, [['u32', fid()], ['u32', rand(512)], ['u32', rand(1 << 16)], ['u32', 0], ['u32', 0], ['u64', rand(100)], ['u64', u64()], ['u64', u64()], ['u64', u64()], ['u64', u64()]]],
      () => [T.readdir, [['u32', fid()], ['u64', u64()], ['u32', rand(5000)]]],
      () => [T.link, [['u32', fid()], ['u32', fid()], ['s', name()]]],
      () => [T.clunk, [['u32', fid()]]],
      () => [T.flush, [['u16', rand(65536)]]],
      () => [T.getattr, [['u32', fid()], ['u64', u64()]]],
      () => [T.readlink, [['u32', fid()]]],
    ];
    let answered = 0;
    for (let i = 0; i < 3000; i++) {
      const [type, fields] = templates[rand(templates.length)]!();
      const tag = rand(0xffff);
      let msg = encode(rand(20) === 0 ? rand(256) : type, tag, fields);
      if (rand(4) === 0) {
        // Mutate: flip bytes past the header, or cut the message short (fixing or keeping its size).
        msg = Buffer.from(msg);
        if (rand(2)) for (let k = 0; k < 3; k++) msg[7 + rand(Math.max(1, msg.length - 7))] = rand(256);
        else {
          msg = msg.subarray(0, 7 + rand(Math.max(1, msg.length - 7)));
          if (rand(2)) msg.writeUInt32LE(msg.length, 0);
        }
      }
      const r = await f.client.raw(msg);
      if (msg.length >= 7) expect(r.tag).toBe(tag);
      answered++;
      // Keep a few valid fids alive so the fuzz reaches deeper than EBADF.
      if (i % 100 === 0) {
        for (const n of [1, 2, 3]) await f.client.clunk(n).catch(() => {});
        await f.client.walk(0, 1, ['sub']).catch(() => {});
        await f.client.walk(0, 2, ['hello.txt']).catch(() => {});
        await f.client.walk(0, 3, []).catch(() => {});
        await f.client.lopen(3, L.RDONLY).catch(() => {});
      }
    }
    expect(answered).toBe(3000);
    await connect(f.client);
    await f.client.walk(0, 9, []);
    await f.client.lcreate(9, 'after-fuzz', L.RDWR | L.CREAT, 0o644);
    await f.client.write(9, 0, 'ok');
    expect((await f.client.read(9, 0, 10)).toString()).toBe('ok');
  });
});
