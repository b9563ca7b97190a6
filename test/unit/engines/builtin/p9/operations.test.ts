// The 9P2000.L server doing ordinary work, driven message by message as the Linux client would.
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, makeFixture, type Fixture } from './fixture.js';
import { E, errnoOf, L, T } from './p9-client.js';

const QTDIR = 0x80;
const QTSYMLINK = 0x02;
const DT_DIR = 4;
const DT_REG = 8;
const DT_LNK = 10;

describe('9p server: ordinary operations', () => {
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

  it('negotiates msize down to its maximum and refuses other protocol versions', async () => {
    const c = f.client;
    expect(await c.version(1 << 20)).toEqual({ msize: f.server.maxMsize, version: '9P2000.L' });
    expect(f.server.maxMsize).toBeGreaterThanOrEqual(128 * 1024);
    expect(await c.version(131072)).toEqual({ msize: 131072, version: '9P2000.L' });
    expect(await c.version(131072, '9P2000.u')).toEqual({ msize: 131072, version: 'unknown' });
    // After an unknown version nothing else is served until a good Tversion.
    expect(await errnoOf(c.attach(0))).toBe(E.EPROTO);
    expect(await errnoOf(c.version(4095))).toBe(E.EINVAL);
    // Linux's smallest msize works, with reads capped to fit it.
    expect(await c.version(4096)).toEqual({ msize: 4096, version: '9P2000.L' });
    await c.attach(0);
    await c.walk(0, 1, ['hello.txt']);
    await c.lopen(1, 0);
    writeFileSync(join(f.share, 'hello.txt'), Buffer.alloc(10000, 1));
    expect((await c.read(1, 0, 10000)).length).toBe(4096 - 11);
  });

  it('attaches to the share root and walks to files with inode numbers as qid paths', async () => {
    const c = f.client;
    const root = await c.getattr(0);
    expect(root.qid.type).toBe(QTDIR);
    expect(root.qid.path).toBe(BigInt(statSync(f.share).ino));
    const qids = await c.walk(0, 1, ['sub', 'a.txt']);
    expect(qids.map((q) => q.type)).toEqual([QTDIR, 0]);
    expect(qids[1]!.path).toBe(BigInt(statSync(join(f.share, 'sub', 'a.txt')).ino));
    const a = await c.getattr(1);
    expect(a.size).toBe(2n);
    expect(a.mode & 0o170000).toBe(0o100000);
    // A walk that fails after the first name returns the qids so far and binds nothing.
    expect((await c.walk(0, 2, ['sub', 'missing'])).length).toBe(1);
    expect(await errnoOf(c.getattr(2))).toBe(E.EBADF);
    expect(await errnoOf(c.walk(0, 2, ['missing']))).toBe(E.ENOENT);
    // Walking zero names clones; '..' and '.' move inside the share.
    await c.walk(1, 3, []);
    expect((await c.getattr(3)).qid.path).toBe(qids[1]!.path);
    const up = await c.walk(0, 4, ['sub', '..', '.', 'hello.txt']);
    expect(up[3]!.path).toBe(BigInt(statSync(join(f.share, 'hello.txt')).ino));
    expect(await errnoOf(c.walk(1, 5, ['x']))).toBe(E.ENOTDIR);
  });

  it('reads and writes files, including at offsets and with append', async () => {
    const c = f.client;
    await c.walk(0, 1, ['hello.txt']);
    await c.lopen(1, L.RDONLY);
    expect((await c.read(1, 0, 4096)).toString()).toBe('hello from the host\n');
    expect((await c.read(1, 6, 4)).toString()).toBe('from');
    expect((await c.read(1, 1000, 10)).length).toBe(0);
    expect(await errnoOf(c.write(1, 0, 'x'))).toBe(E.EBADF);
    await c.clunk(1);

    await c.walk(0, 2, ['hello.txt']);
    await c.lopen(2, L.RDWR);
    expect(await c.write(2, 0, 'HELLO')).toBe(5);
    expect(readFileSync(join(f.share, 'hello.txt'), 'utf8')).toBe('HELLO from the host\n');
    await c.clunk(2);

    await c.walk(0, 3, ['hello.txt']);
    await c.lopen(3, L.WRONLY | L.APPEND);
    await c.write(3, 0, 'more\n');
    await c.fsync(3);
    expect(readFileSync(join(f.share, 'hello.txt'), 'utf8')).toBe('HELLO from the host\nmore\n');
    await c.clunk(3);

    await c.walk(0, 4, ['hello.txt']);
    await c.lopen(4, L.WRONLY | L.TRUNC);
    expect(statSync(join(f.share, 'hello.txt')).size).toBe(0);
  });

  it('creates files with exactly the mode asked for, whatever the host umask', async () => {
    const c = f.client;
    const old = process.umask(0o077);
    try {
      await c.walk(0, 1, []);
      const q = await c.lcreate(1, 'new.txt', L.RDWR | L.CREAT, 0o664);
      expect(q.type).toBe(0);
      await c.write(1, 0, 'created\n');
      expect((await c.read(1, 0, 100)).toString()).toBe('created\n');
      // The fid now names the new file.
      expect((await c.getattr(1)).qid.path).toBe(BigInt(statSync(join(f.share, 'new.txt')).ino));
      expect(statSync(join(f.share, 'new.txt')).mode & 0o7777).toBe(0o664);
      await c.walk(0, 2, []);
      expect(await errnoOf(c.lcreate(2, 'new.txt', L.RDWR | L.CREAT | L.EXCL, 0o600))).toBe(E.EEXIST);
      // Without O_EXCL an existing file is opened and keeps its mode.
      await c.lcreate(2, 'new.txt', L.RDONLY | L.CREAT, 0o600);
      expect(statSync(join(f.share, 'new.txt')).mode & 0o7777).toBe(0o664);
      await c.walk(0, 3, ['sub']);
      await c.mkdir(3, 'made', 0o775);
      expect(statSync(join(f.share, 'sub', 'made')).mode & 0o7777).toBe(0o775);
      await c.mknod(3, 'empty', 0o100640);
      expect(statSync(join(f.share, 'sub', 'empty')).mode & 0o7777).toBe(0o640);
    } finally {
      process.umask(old);
    }
  });

  it('lists directories with qids, types and resumable offsets', async () => {
    const c = f.client;
    for (let i = 0; i < 300; i++) writeFileSync(join(f.share, 'sub', `file-${String(i).padStart(3, '0')}-${'x'.repeat(40)}`), '');
    await c.symlink(0, 'link', 'sub/a.txt');
    await c.walk(0, 1, ['sub']);
    await c.lopen(1, L.RDONLY | L.DIRECTORY);
    // A small count forces many round trips through the offsets.
    const all = await c.readdirAll(1, 512);
    const names = all.map((d) => d.name);
    expect(names.slice(0, 2)).toEqual(['.', '..']);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(2 + 301);
    const a = all.find((d) => d.name === 'a.txt')!;
    expect(a.type).toBe(DT_REG);
    expect(a.qid.path).toBe(BigInt(statSync(join(f.share, 'sub', 'a.txt')).ino));
    expect(all[0]!.type).toBe(DT_DIR);
    await c.walk(0, 2, []);
    await c.lopen(2, L.RDONLY);
    const top = await c.readdirAll(2);
    expect(top.find((d) => d.name === 'link')!.type).toBe(DT_LNK);
    expect(await errnoOf(c.read(2, 0, 10))).toBe(E.EISDIR);
  });

  it('makes and follows nothing through symlinks: readlink returns the stored target', async () => {
    const c = f.client;
    const q = await c.symlink(0, 'abs', '/etc/passwd');
    expect(q.type).toBe(QTSYMLINK);
    expect(readlinkSync(join(f.share, 'abs'))).toBe('/etc/passwd');
    await c.walk(0, 1, ['abs']);
    expect(await c.readlink(1)).toBe('/etc/passwd');
    expect((await c.getattr(1)).mode & 0o170000).toBe(0o120000);
  });

  it('renames, links and removes, keeping the guest fids pointed at moved entries', async () => {
    const c = f.client;
    await c.walk(0, 1, ['sub', 'a.txt']);
    await c.walk(0, 2, ['sub']);
    await c.mkdir(0, 'dest');
    await c.walk(0, 3, ['dest']);
    await c.renameat(0, 'sub', 3, 'moved');
    expect(existsSync(join(f.share, 'dest', 'moved', 'a.txt'))).toBe(true);
    // fid 1 was below the renamed directory: it follows it.
    expect((await c.getattr(1)).size).toBe(2n);
    await c.lopen(1, L.RDONLY);
    expect((await c.read(1, 0, 10)).toString()).toBe('a\n');

    await c.walk(0, 4, ['hello.txt']);
    await c.rename(4, 3, 'renamed.txt');
    expect(existsSync(join(f.share, 'dest', 'renamed.txt'))).toBe(true);
    expect((await c.getattr(4)).size).toBe(20n);

    await c.link(0, 4, 'hard.txt');
    expect(statSync(join(f.share, 'hard.txt')).ino).toBe(statSync(join(f.share, 'dest', 'renamed.txt')).ino);
    expect((await c.getattr(4)).nlink).toBe(2n);

    await c.unlinkat(0, 'hard.txt');
    expect(existsSync(join(f.share, 'hard.txt'))).toBe(false);
    expect(await errnoOf(c.unlinkat(3, 'moved', 0x200))).toBe(E.ENOTEMPTY);
    await c.remove(4);
    expect(existsSync(join(f.share, 'dest', 'renamed.txt'))).toBe(false);
    expect(await errnoOf(c.getattr(4))).toBe(E.EBADF); // remove clunks
    await c.mkdir(0, 'gone');
    await c.unlinkat(0, 'gone', 0x200);
    expect(existsSync(join(f.share, 'gone'))).toBe(false);
  });

  it('keeps an open file usable after it is unlinked (getattr, read, truncate through the descriptor)', async () => {
    const c = f.client;
    await c.walk(0, 1, []);
    await c.lcreate(1, 'tmp', L.RDWR | L.CREAT, 0o600);
    await c.write(1, 0, 'still here');
    await c.unlinkat(0, 'tmp');
    expect((await c.getattr(1)).size).toBe(10n);
    await c.setattr(1, { valid: 0x8, size: 5 });
    expect((await c.read(1, 0, 100)).toString()).toBe('still');
  });

  it('sets mode, size and times; ownership stays with the presented owner', async () => {
    const c = f.client;
    await c.walk(0, 1, ['hello.txt']);
    await c.setattr(1, { valid: 0x1, mode: 0o640 });
    expect(statSync(join(f.share, 'hello.txt')).mode & 0o7777).toBe(0o640);
    expect((await c.getattr(1)).mode & 0o7777).toBe(0o640);
    await c.setattr(1, { valid: 0x8, size: 5 });
    expect(readFileSync(join(f.share, 'hello.txt'), 'utf8')).toBe('hello');
    await c.setattr(1, { valid: 0x10 | 0x20 | 0x80 | 0x100, atime: [1_000_000, 0], mtime: [1_500_000_000, 250_000_000] });
    const st = statSync(join(f.share, 'hello.txt'));
    expect(st.mtimeMs).toBeCloseTo(1_500_000_000_250, 0);
    expect(st.atimeMs).toBe(1_000_000_000);
    const a = await c.getattr(1);
    expect([a.uid, a.gid]).toEqual([0, 0]);
    expect(a.mtimeSec).toBe(1_500_000_000n);
    // chown to the owner the guest sees is accepted, to anyone else refused.
    await c.setattr(1, { valid: 0x2 | 0x4, uid: 0, gid: 0 });
    expect(await errnoOf(c.setattr(1, { valid: 0x2, uid: 1000 }))).toBe(E.EPERM);
    // A symlink's mode is left alone; its times can be set without touching the target.
    await c.symlink(0, 'ln', 'hello.txt');
    await c.walk(0, 2, ['ln']);
    await c.setattr(2, { valid: 0x1, mode: 0o600 });
    await c.setattr(2, { valid: 0x20 | 0x100, mtime: [1_000_000_000, 0] });
    expect(lstatSync(join(f.share, 'ln')).mtimeMs).toBe(1_000_000_000_000);
    expect(statSync(join(f.share, 'hello.txt')).mtimeMs).toBeCloseTo(1_500_000_000_250, 0);
  });

  it('strips setuid/setgid when the host runs as root, keeps other bits', async () => {
    const c = f.client;
    await c.walk(0, 1, ['hello.txt']);
    await c.setattr(1, { valid: 0x1, mode: 0o6755 });
    const expected = process.geteuid!() === 0 ? 0o755 : 0o6755;
    expect(statSync(join(f.share, 'hello.txt')).mode & 0o7777).toBe(expected);
    await c.walk(0, 2, []);
    await c.mkdir(2, 'sticky', 0o1777);
    expect(statSync(join(f.share, 'sticky')).mode & 0o7777).toBe(0o1777);
  });

  it('answers statfs, fsync, lock and getlock; xattrs are cleanly unsupported', async () => {
    const c = f.client;
    const s = await c.statfs(0);
    expect(s.bsize).toBeGreaterThan(0);
    expect(s.blocks).toBeGreaterThan(0n);
    expect(s.namelen).toBe(255);
    await c.walk(0, 1, ['hello.txt']);
    expect(await errnoOf(c.rpc(T.xattrwalk, [['u32', 1], ['u32', 9], ['s', 'security.selinux']]))).toBe(E.EOPNOTSUPP);
    expect(await errnoOf(c.rpc(T.xattrwalk, [['u32', 1], ['u32', 9], ['s', '']]))).toBe(E.EOPNOTSUPP);
    expect(await errnoOf(c.rpc(T.xattrcreate, [['u32', 1], ['s', 'user.x'], ['u64', 1], ['u32', 0]]))).toBe(E.EOPNOTSUPP);
    await c.lopen(1, L.RDWR);
    const lock = await c.rpc(T.lock, [['u32', 1], ['u8', 1], ['u32', 0], ['u64', 0], ['u64', 0], ['u32', 42], ['s', 'guest']]);
    expect(lock.u8()).toBe(0);
    const gl = await c.rpc(T.getlock, [['u32', 1], ['u8', 1], ['u64', 5], ['u64', 10], ['u32', 42], ['s', 'guest']]);
    expect([gl.u8(), gl.u64(), gl.u64(), gl.u32(), gl.str().toString()]).toEqual([2, 5n, 10n, 42, 'guest']);
    await c.fsync(1);
    expect(await errnoOf(c.rpc(T.auth, [['u32', 5], ['s', 'u'], ['s', ''], ['u32', 0]]))).toBe(E.EOPNOTSUPP);
  });

  it('keeps file names as raw bytes (not UTF-8 text)', async () => {
    const c = f.client;
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1: invalid UTF-8
    await c.walk(0, 1, []);
    await c.lcreate(1, latin1, L.WRONLY | L.CREAT, 0o644);
    await c.write(1, 0, 'bytes');
    expect(readFileSync(Buffer.concat([Buffer.from(f.share), Buffer.from('/'), latin1])).toString()).toBe('bytes');
    const q = await c.walk(0, 2, [latin1]);
    expect(q.length).toBe(1);
  });

  it('Tversion clunks every fid of the previous session', async () => {
    const c = f.client;
    await c.walk(0, 1, ['hello.txt']);
    await c.lopen(1, L.RDONLY);
    expect(f.server.stats.openFiles).toBe(1);
    await c.version();
    expect(f.server.stats).toMatchObject({ fids: 0, openFiles: 0 });
    expect(await errnoOf(c.getattr(0))).toBe(E.EBADF);
  });
});
