// Hostile requests sent straight to the 9p server (no cooperative guest kernel in between): every
// attempt to reach outside the shared folder must fail, and the folder beside it must be untouched.
// Runs once with /proc/self/fd resolution and once with the lstat fallback used where /proc is missing.
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, makeFixture, type Fixture } from './fixture.js';
import { E, errnoOf, L, T } from './p9-client.js';

const HOSTILE_NAMES = ['..', '.', '../outside', '../outside/secret.txt', 'a/b', '/abs', '/', 'x\0y', '', 'n'.repeat(256)];

for (const procFd of [true, false]) {
  describe(`9p confinement (${procFd ? '/proc/self/fd' : 'lstat fallback'})`, () => {
    let f: Fixture;
    beforeEach(async () => {
      f = await makeFixture({ procFd });
      expect(f.server.share.procFd).toBe(procFd);
      await connect(f.client);
    });
    afterEach(async () => {
      try {
        f.assertOutsideUntouched();
      } finally {
        await f.cleanup();
      }
    });

    it('refuses ".." past the root, whatever the path before it', async () => {
      const c = f.client;
      expect(await errnoOf(c.walk(0, 1, ['..']))).toBe(E.EPERM);
      expect(await errnoOf(c.walk(0, 1, ['..', 'outside', 'secret.txt']))).toBe(E.EPERM);
      // sub, then back to the root, then one step too far: two qids, newfid not bound.
      expect((await c.walk(0, 1, ['sub', '..', '..', 'outside'])).length).toBe(2);
      expect(await errnoOf(c.getattr(1))).toBe(E.EBADF);
      await c.walk(0, 2, ['sub']);
      expect((await c.walk(2, 3, ['..', '..'])).length).toBe(1);
      expect(await errnoOf(c.getattr(3))).toBe(E.EBADF);
    });

    it('refuses names with "/" or NUL, empty and over-long names, in every message that takes a name', async () => {
      const c = f.client;
      await c.walk(0, 1, ['hello.txt']);
      for (const name of HOSTILE_NAMES) {
        if (name !== '..' && name !== '.') expect(await errnoOf(c.walk(0, 9, [name]))).toBeGreaterThan(0);
        await c.walk(0, 2, []);
        expect(await errnoOf(c.lcreate(2, name, L.RDWR | L.CREAT, 0o666))).toBeGreaterThan(0);
        await c.clunk(2);
        expect(await errnoOf(c.mkdir(0, name))).toBeGreaterThan(0);
        expect(await errnoOf(c.mknod(0, name, 0o100644))).toBeGreaterThan(0);
        expect(await errnoOf(c.symlink(0, name, '/etc/passwd'))).toBeGreaterThan(0);
        expect(await errnoOf(c.link(0, 1, name))).toBeGreaterThan(0);
        expect(await errnoOf(c.rename(1, 0, name))).toBeGreaterThan(0);
        expect(await errnoOf(c.renameat(0, 'hello.txt', 0, name))).toBeGreaterThan(0);
        expect(await errnoOf(c.renameat(0, name, 0, 'pulled-in'))).toBeGreaterThan(0);
        expect(await errnoOf(c.unlinkat(0, name))).toBeGreaterThan(0);
        expect(await errnoOf(c.unlinkat(0, name, 0x200))).toBeGreaterThan(0);
      }
      expect(await errnoOf(c.walk(0, 9, ['x\0y']))).toBe(E.EINVAL);
      expect(await errnoOf(c.walk(0, 9, ['../outside']))).toBe(E.EINVAL);
      expect(await errnoOf(c.walk(0, 9, ['n'.repeat(256)]))).toBe(E.ENAMETOOLONG);
      expect(existsSync(join(f.share, 'hello.txt'))).toBe(true);
      expect(existsSync(join(f.share, 'pulled-in'))).toBe(false);
      expect(existsSync(join(f.base, 'x'))).toBe(false);
    });

    it('stores absolute symlink targets verbatim and never follows them', async () => {
      const c = f.client;
      await c.symlink(0, 'esc', f.outside);
      await c.symlink(0, 'escfile', join(f.outside, 'secret.txt'));
      await c.symlink(0, 'rel', '../outside');
      // A walk stops at the link: one qid, newfid left unbound.
      expect((await c.walk(0, 1, ['esc', 'secret.txt'])).length).toBe(1);
      expect((await c.walk(0, 1, ['rel', 'secret.txt'])).length).toBe(1);
      expect(await errnoOf(c.getattr(1))).toBe(E.EBADF);
      await c.walk(0, 2, ['escfile']);
      expect(await errnoOf(c.lopen(2, L.RDONLY))).toBe(E.ELOOP);
      expect(await errnoOf(c.lopen(2, L.RDWR | L.TRUNC))).toBe(E.ELOOP);
      expect(await errnoOf(c.setattr(2, { valid: 0x8, size: 0 }))).toBe(E.EINVAL);
      await c.setattr(2, { valid: 0x1, mode: 0o777 }); // a symlink's mode: ignored, never the target's
      await c.setattr(2, { valid: 0x20 | 0x100, mtime: [1, 0] });
      expect((await c.getattr(2)).mode & 0o170000).toBe(0o120000);
      await c.walk(0, 3, ['esc']);
      expect(await errnoOf(c.lcreate(3, 'planted', L.RDWR | L.CREAT, 0o644))).toBe(E.ENOTDIR);
      expect(await errnoOf(c.mkdir(3, 'planted'))).toBe(E.ENOTDIR);
      expect(await errnoOf(c.symlink(3, 'planted', 'x'))).toBe(E.ENOTDIR);
      expect(await errnoOf(c.unlinkat(3, 'secret.txt'))).toBe(E.ENOTDIR);
      expect(await errnoOf(c.renameat(3, 'secret.txt', 0, 'stolen'))).toBe(E.ENOTDIR);
      expect(await errnoOf(c.lopen(3, L.RDONLY | L.DIRECTORY))).toBe(E.ELOOP);
      expect(await errnoOf(c.readdir(3, 0, 4096))).toBe(E.EBADF);
      // Linking or renaming the symlink moves the link, not what it points to.
      await c.link(0, 2, 'hardlink-to-link');
      expect(lstatSync(join(f.share, 'hardlink-to-link')).isSymbolicLink()).toBe(true);
      await c.renameat(0, 'escfile', 0, 'renamed-link');
      await c.unlinkat(0, 'renamed-link');
      expect(readFileSync(join(f.outside, 'secret.txt'), 'utf8')).toBe('outside secret\n');
    });

    it('does not follow symlinks planted on the host that point outside', async () => {
      symlinkSync(f.outside, join(f.share, 'planted-dir'));
      symlinkSync(join(f.outside, 'secret.txt'), join(f.share, 'planted-file'));
      symlinkSync('../../outside/secret.txt', join(f.share, 'sub', 'planted-rel'));
      const c = f.client;
      expect((await c.walk(0, 1, ['planted-dir', 'secret.txt'])).length).toBe(1);
      expect(await errnoOf(c.getattr(1))).toBe(E.EBADF);
      await c.walk(0, 1, ['planted-file']);
      expect(await errnoOf(c.lopen(1, L.RDONLY))).toBe(E.ELOOP);
      expect(await errnoOf(c.setattr(1, { valid: 0x8, size: 0 }))).toBe(E.EINVAL);
      await c.setattr(1, { valid: 0x1, mode: 0o666 });
      expect(await c.readlink(1)).toBe(join(f.outside, 'secret.txt'));
      await c.walk(0, 2, ['sub', 'planted-rel']);
      expect(await errnoOf(c.lopen(2, L.WRONLY | L.TRUNC))).toBe(E.ELOOP);
      await c.walk(0, 3, ['planted-dir']);
      expect(await errnoOf(c.lcreate(3, 'x', L.RDWR | L.CREAT, 0o644))).toBe(E.ENOTDIR);
      await c.walk(0, 4, []);
      await c.lopen(4, L.RDONLY);
      const entries = await c.readdirAll(4);
      expect(entries.find((e) => e.name === 'planted-dir')!.type).toBe(10);
      // Removing the planted links removes the links only.
      await c.unlinkat(0, 'planted-dir');
      await c.unlinkat(0, 'planted-file');
      expect(existsSync(join(f.outside, 'secret.txt'))).toBe(true);
    });

    it('does not follow a directory swapped for an outside symlink on the host after the walk', async () => {
      writeFileSync(join(f.share, 'sub', 'inner.txt'), 'share copy\n');
      const c = f.client;
      await c.walk(0, 1, ['sub', 'inner.txt']);
      await c.walk(0, 2, ['sub']);
      // The host (or another guest fid) swaps sub for a link to the outside folder.
      renameSync(join(f.share, 'sub'), join(f.share, 'sub-real'));
      symlinkSync(join(f.outside, 'dir'), join(f.share, 'sub'));
      expect(await errnoOf(c.getattr(1))).toBe(E.ELOOP);
      expect(await errnoOf(c.lopen(1, L.RDWR | L.TRUNC))).toBe(E.ELOOP);
      expect(await errnoOf(c.setattr(1, { valid: 0x8, size: 0 }))).toBe(E.ELOOP);
      expect(await errnoOf(c.setattr(1, { valid: 0x1, mode: 0o777 }))).toBe(E.ELOOP);
      expect(await errnoOf(c.lcreate(2, 'created', L.RDWR | L.CREAT, 0o644))).toBe(E.ELOOP);
      expect(await errnoOf(c.mkdir(2, 'created'))).toBe(E.ELOOP);
      expect(await errnoOf(c.symlink(2, 'created', '/'))).toBe(E.ELOOP);
      expect(await errnoOf(c.unlinkat(2, 'inner.txt'))).toBe(E.ELOOP);
      expect(await errnoOf(c.renameat(2, 'inner.txt', 0, 'stolen'))).toBe(E.ELOOP);
      expect(await errnoOf(c.renameat(0, 'hello.txt', 2, 'dropped'))).toBe(E.ELOOP);
      expect(await errnoOf(c.link(2, 0, 'x'))).toBeGreaterThan(0);
      expect(await errnoOf(c.readlink(1))).toBe(E.ELOOP);
      expect(await errnoOf(c.lopen(2, L.RDONLY))).toBe(E.ELOOP);
      expect(await errnoOf(c.remove(1))).toBe(E.ELOOP);
      expect(existsSync(join(f.share, 'stolen'))).toBe(false);
    });

    it('gives no oracle for outside paths through a guest-made symlink in a stale fid path', async () => {
      const c = f.client;
      // Build fids below d/, then replace d with a symlink to the outside folder using 9p alone.
      await c.mkdir(0, 'd');
      await c.walk(0, 1, ['d']);
      await c.lcreate(1, 'secret.txt', L.WRONLY | L.CREAT, 0o644);
      await c.clunk(1);
      await c.walk(0, 1, ['d']);
      await c.lcreate(1, 'nothing-outside', L.WRONLY | L.CREAT, 0o644);
      await c.clunk(1);
      await c.walk(0, 2, ['d', 'secret.txt']);
      await c.walk(0, 3, ['d', 'nothing-outside']);
      await c.walk(0, 4, ['d']);
      await c.unlinkat(4, 'secret.txt');
      await c.unlinkat(4, 'nothing-outside');
      await c.unlinkat(0, 'd', 0x200);
      await c.symlink(0, 'd', f.outside);
      // Same answer whether or not the name exists outside.
      expect(await errnoOf(c.getattr(2))).toBe(E.ELOOP);
      expect(await errnoOf(c.getattr(3))).toBe(E.ELOOP);
      expect(await errnoOf(c.lopen(2, L.RDONLY))).toBe(E.ELOOP);
      expect(await errnoOf(c.walk(4, 5, ['secret.txt']))).toBe(E.ELOOP);
      expect(await errnoOf(c.walk(4, 5, ['nothing-outside']))).toBe(E.ELOOP);
      expect(await errnoOf(c.lopen(4, L.RDONLY))).toBe(E.ELOOP);
    });

    it('never lets a guest open a fifo or device on the host, nor create one', async () => {
      const c = f.client;
      expect(await errnoOf(c.mknod(0, 'null', 0o020666, 1, 3))).toBe(E.EPERM);
      expect(await errnoOf(c.mknod(0, 'blk', 0o060666, 8, 0))).toBe(E.EPERM);
      expect(await errnoOf(c.mknod(0, 'fifo', 0o010666))).toBe(E.EOPNOTSUPP);
      expect(existsSync(join(f.share, 'null'))).toBe(false);
      // A fifo made on the host: opening it must neither block the host nor be allowed.
      const { execFileSync } = await import('node:child_process');
      execFileSync('mkfifo', [join(f.share, 'host-fifo')]);
      await c.walk(0, 1, ['host-fifo']);
      expect(await errnoOf(c.lopen(1, L.RDONLY))).toBe(E.EPERM);
      expect(await errnoOf(c.lopen(1, L.WRONLY))).toBe(E.EPERM);
      expect(await errnoOf(c.setattr(1, { valid: 0x8, size: 0 }))).toBe(E.EINVAL);
      await c.walk(0, 2, []);
      expect(await errnoOf(c.lcreate(2, 'host-fifo', L.RDONLY | L.CREAT, 0o644))).toBe(E.EEXIST);
    });

    it('keeps hard links and renames inside: both ends are fids of this share', async () => {
      const c = f.client;
      mkdirSync(join(f.share, 'deep', 'er'), { recursive: true });
      await c.walk(0, 1, ['deep', 'er']);
      await c.walk(0, 2, ['hello.txt']);
      await c.link(1, 2, 'linked');
      expect(statSync(join(f.share, 'deep', 'er', 'linked')).ino).toBe(statSync(join(f.share, 'hello.txt')).ino);
      expect(await errnoOf(c.link(0, 0, 'root-link'))).toBe(E.EBUSY);
      expect(await errnoOf(c.rename(0, 1, 'root-moved'))).toBe(E.EBUSY);
      expect(await errnoOf(c.readlink(0))).toBe(E.EBUSY);
      expect(await errnoOf(c.remove(0))).toBe(E.EBUSY);
      expect(await errnoOf(c.getattr(0))).toBe(E.EBADF); // Tremove clunks even when it fails
      expect(existsSync(f.share)).toBe(true);
    });
  });
}

describe('9p confinement under a host-side race (/proc/self/fd)', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await makeFixture({ procFd: true });
    await connect(f.client);
  });
  afterEach(async () => {
    try {
      f.assertOutsideUntouched();
    } finally {
      await f.cleanup();
    }
  });

  it('never writes outside while the host keeps swapping a directory and a symlink to outside', async () => {
    writeFileSync(join(f.share, 'sub', 'secret.txt'), 'share copy\n');
    const c = f.client;
    await c.walk(0, 1, ['sub', 'secret.txt']);
    await c.walk(0, 2, ['sub']);
    const { spawn } = await import('node:child_process');
    // A separate process flips share/sub between the real directory and a link to outside/.
    const script = `
      const fs = require('fs');
      const sub = process.argv[1], real = sub + '-real', out = process.argv[2];
      const end = Date.now() + 1500;
      while (Date.now() < end) {
        try { fs.renameSync(sub, real); fs.symlinkSync(out, sub); fs.unlinkSync(sub); fs.renameSync(real, sub); } catch {}
      }`;
    const racer = spawn(process.execPath, ['-e', script, join(f.share, 'sub'), f.outside], { stdio: 'ignore' });
    const exited = new Promise((r) => racer.on('exit', r));
    let attempts = 0;
    let opened = 0;
    const deadline = Date.now() + 1400;
    while (Date.now() < deadline) {
      attempts++;
      await c.walk(0, 5, []).catch(() => {});
      try {
        await c.walk(0, 3, ['sub', 'secret.txt']);
        await c.lopen(3, L.WRONLY | L.TRUNC);
        opened++;
        await c.write(3, 0, 'written through the share\n');
      } catch {
        // refused while the link was in place: what we want
      }
      await c.clunk(3).catch(() => {});
      await c.setattr(1, { valid: 0x1, mode: 0o666 }).catch(() => {});
      await c.setattr(1, { valid: 0x8, size: 1 }).catch(() => {});
      await c.lcreate(2, 'created', L.RDWR | L.CREAT, 0o644).catch(() => {});
      await c.clunk(2).catch(() => {});
      await c.walk(0, 2, ['sub']).catch(() => {});
      await c.unlinkat(2, 'created').catch(() => {});
      await c.rpc(T.clunk, [['u32', 5]]).catch(() => {});
    }
    await exited;
    expect(attempts).toBeGreaterThan(20);
    expect(opened).toBeGreaterThan(0);
  });
});
