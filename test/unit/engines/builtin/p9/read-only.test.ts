// A read-only share refuses every write-type message with EROFS, even from a guest that ignores its
// own `ro` mount option, and serves reads as usual.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, makeFixture, type Fixture } from './fixture.js';
import { E, errnoOf, L, T } from './p9-client.js';

describe('9p read-only share', () => {
  let f: Fixture;
  let before: string;
  const listing = (): string =>
    readdirSync(f.share, { recursive: true })
      .map(String)
      .sort()
      .map((p) => {
        const st = statSync(join(f.share, p));
        return `${p} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs}`;
      })
      .join('\n');

  beforeEach(async () => {
    f = await makeFixture({ readOnly: true });
    await connect(f.client);
    before = listing();
  });
  afterEach(async () => {
    try {
      expect(listing()).toBe(before);
      f.assertOutsideUntouched();
    } finally {
      await f.cleanup();
    }
  });

  it('serves reads, walks, listings and attributes', async () => {
    const c = f.client;
    await c.walk(0, 1, ['hello.txt']);
    await c.lopen(1, L.RDONLY);
    expect((await c.read(1, 0, 100)).toString()).toBe('hello from the host\n');
    await c.walk(0, 2, []);
    await c.lopen(2, L.RDONLY | L.DIRECTORY);
    expect((await c.readdirAll(2)).map((d) => d.name).sort()).toEqual(['.', '..', 'hello.txt', 'sub']);
    expect((await c.getattr(1)).size).toBe(20n);
    await c.statfs(0);
    await c.fsync(1);
  });

  it('refuses every write-type message with EROFS', async () => {
    const c = f.client;
    await c.walk(0, 1, ['hello.txt']);
    await c.walk(0, 2, ['sub']);
    expect(await errnoOf(c.lopen(1, L.WRONLY))).toBe(E.EROFS);
    expect(await errnoOf(c.lopen(1, L.RDWR))).toBe(E.EROFS);
    expect(await errnoOf(c.lopen(1, L.RDONLY | L.TRUNC))).toBe(E.EROFS);
    await c.walk(0, 3, []);
    expect(await errnoOf(c.lcreate(3, 'new', L.WRONLY | L.CREAT, 0o644))).toBe(E.EROFS);
    expect(await errnoOf(c.lcreate(3, 'new', L.RDONLY | L.CREAT, 0o644))).toBe(E.EROFS);
    expect(await errnoOf(c.mkdir(0, 'new'))).toBe(E.EROFS);
    expect(await errnoOf(c.mknod(0, 'new', 0o100644))).toBe(E.EROFS);
    expect(await errnoOf(c.symlink(0, 'new', 'hello.txt'))).toBe(E.EROFS);
    expect(await errnoOf(c.link(0, 1, 'new'))).toBe(E.EROFS);
    expect(await errnoOf(c.rename(1, 2, 'moved'))).toBe(E.EROFS);
    expect(await errnoOf(c.renameat(0, 'hello.txt', 2, 'moved'))).toBe(E.EROFS);
    expect(await errnoOf(c.unlinkat(0, 'hello.txt'))).toBe(E.EROFS);
    expect(await errnoOf(c.unlinkat(2, 'a.txt'))).toBe(E.EROFS);
    expect(await errnoOf(c.unlinkat(0, 'sub', 0x200))).toBe(E.EROFS);
    for (const valid of [0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x30 | 0x180]) {
      expect(await errnoOf(c.setattr(1, { valid, mode: 0o777, size: 0, mtime: [1, 0], atime: [1, 0] }))).toBe(E.EROFS);
    }
    // A write on a fid opened for reading is refused as a write to a read-only share.
    await c.lopen(1, L.RDONLY);
    expect(await errnoOf(c.write(1, 0, 'overwrite'))).toBe(E.EROFS);
    expect(await errnoOf(c.rpc(T.xattrcreate, [['u32', 1], ['s', 'user.x'], ['u64', 1], ['u32', 0]]))).toBe(E.EOPNOTSUPP);
    expect(await errnoOf(c.remove(2))).toBe(E.EROFS);
    expect(await errnoOf(c.getattr(2))).toBe(E.EBADF); // clunked all the same
    expect(readFileSync(join(f.share, 'hello.txt'), 'utf8')).toBe('hello from the host\n');
  });
});
