// The parts of `vm box build` that decide what runs: host tools named with their package, module
// load order from modules.dep, mmdebstrap's argv and hook script, Release parsing, the manifest,
// and the sweep of a dead build's work folder.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../../src/core/errors.js';
import { checkHostTools, requiredTools } from '../../../../src/core/boxes/build-tools.js';
import { moduleLoadOrder, moduleName } from '../../../../src/core/boxes/build-initrd.js';
import { clampTimesArgs, customizeScript, hostnameFor, mmdebstrapArgs, parsePackageManifest, shellQuote, type RootfsPaths } from '../../../../src/core/boxes/build-rootfs.js';
import { parseRelease, sweepStaleBuilds, uuidFrom } from '../../../../src/core/boxes/build.js';
import { compileRecipe, type BoxRecipe } from '../../../../src/core/boxes/recipe.js';
import { storeTmpDir } from '../../../../src/core/paths.js';
import { execFileSync } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'vm-build-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recipe(extra = ''): BoxRecipe {
  writeFileSync(join(dir, 'motd'), "it's here\n");
  const text = `name: t\nversion: 1.0.0\narchitecture: riscv64\nengines: [qemu]\nbase: {suite: trixie}\nkernel: {package: linux-image-riscv64}\nroot_disk: {size: 64M}\n${extra}`;
  const { recipe: r, problems } = compileRecipe(text, join(dir, 'box-recipe.yaml'));
  expect(problems).toEqual([]);
  return r!;
}

const PATHS: RootfsPaths = { root: '/w/root', hook: '/w/customize.sh', cache: '/s/cache', manifest: '/w/packages.tsv', extras: '/w/extras', agent: '/w/agent/vm-agent' };

describe('host tools', () => {
  it('names every missing program with the apt package that provides it, before any work', () => {
    const empty = join(dir, 'empty-path');
    mkdirSync(empty, { recursive: true });
    const binfmt = join(dir, 'binfmt');
    mkdirSync(binfmt, { recursive: true });
    let err: unknown;
    try {
      checkHostTools(recipe('initrd: {modules: [ext4]}\n'), { path: empty, binfmtDir: binfmt, isRoot: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as UserError).message;
    expect(msg).toMatch(/^cannot build the box: missing host programs: mmdebstrap \(creates the root file system from the Debian archive; package mmdebstrap\)/);
    expect(msg).toContain('riscv64-linux-gnu-gcc (builds vm\'s guest agent; package gcc-riscv64-linux-gnu libc6-dev-riscv64-cross)');
    expect(msg).toContain('qemu-riscv64-static (runs riscv64 maintainer scripts and recipe commands; package qemu-user-static)');
    expect(msg).toContain(`binfmt_misc has no enabled entry ${join(binfmt, 'qemu-riscv64')}`);
    expect((err as UserError).options.hint).toMatch(/^sudo apt-get install mmdebstrap .*qemu-user-static/);
  });

  it('passes when every program is on PATH and binfmt is enabled, and asks for root otherwise', () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const r = recipe('initrd: {modules: [ext4]}\n');
    for (const t of requiredTools(r)) {
      writeFileSync(join(bin, t.program), '#!/bin/sh\n');
      chmodSync(join(bin, t.program), 0o755);
    }
    const binfmt = join(dir, 'binfmt-ok');
    mkdirSync(binfmt, { recursive: true });
    writeFileSync(join(binfmt, 'qemu-riscv64'), 'enabled\ninterpreter /usr/libexec/qemu-binfmt/riscv64-binfmt-P\n');
    expect(() => checkHostTools(r, { path: bin, binfmtDir: binfmt, isRoot: true })).not.toThrow();
    expect(() => checkHostTools(r, { path: bin, binfmtDir: binfmt, isRoot: false })).toThrow(/needs root/);
  });
});

describe('initrd modules', () => {
  const DEP = [
    'kernel/fs/ext4/ext4.ko.xz: kernel/fs/jbd2/jbd2.ko.xz kernel/fs/mbcache.ko.xz kernel/lib/crc16.ko.xz',
    'kernel/fs/jbd2/jbd2.ko.xz:',
    'kernel/fs/mbcache.ko.xz:',
    'kernel/lib/crc16.ko.xz:',
    'kernel/drivers/block/virtio_blk.ko.xz:',
    'kernel/drivers/virtio/virtio_mmio.ko.xz:',
    'kernel/crypto/crc32c_generic.ko.xz:',
  ].join('\n');

  it('loads each module after its dependencies, deepest first, each once', () => {
    expect(moduleLoadOrder(DEP, ['crc32c_generic', 'virtio-mmio', 'virtio_blk', 'ext4', 'jbd2']).map((m) => m.name)).toEqual([
      'crc32c_generic',
      'virtio_mmio',
      'virtio_blk',
      'crc16',
      'mbcache',
      'jbd2',
      'ext4',
    ]);
    expect(moduleName('kernel/fs/9p/9p.ko.zst')).toBe('9p');
  });

  it('names modules the kernel does not have, but accepts built-in ones', () => {
    expect(() => moduleLoadOrder(DEP, ['ext4', 'virtio_net', 'nope'])).toThrow("the kernel has no module named 'virtio_net', 'nope' (initrd.modules in the recipe)");
    expect(moduleLoadOrder(DEP, ['virtio_net'], 'kernel/drivers/net/virtio_net.ko\n')).toEqual([]);
  });
});

describe('mmdebstrap', () => {
  it('builds the argv from the recipe: packages sorted, cache synced, initramfs-tools diverted', () => {
    const argv = mmdebstrapArgs(recipe('packages: [openssh-server, less]\n'), PATHS);
    expect(argv).toEqual([
      '--verbose',
      '--mode=root',
      '--format=directory',
      '--arch=riscv64',
      '--variant=minbase',
      '--components=main',
      '--include=less,linux-image-riscv64,openssh-server',
      '--skip=download/empty',
      '--setup-hook=mkdir -p "$1"/var/cache/apt/archives',
      '--setup-hook=sync-in /s/cache /var/cache/apt/archives/',
      '--essential-hook=dpkg-divert --root="$1" --quiet --local --rename --add /usr/sbin/update-initramfs && ln -s /bin/true "$1"/usr/sbin/update-initramfs',
      '--customize-hook=sync-out /var/cache/apt/archives /s/cache',
      "--customize-hook=sh '/w/customize.sh' \"$1\"",
      'trixie',
      '/w/root',
      'http://deb.debian.org/debian',
    ]);
    const r = recipe();
    const extract = mmdebstrapArgs({ ...r, base: { ...r.base, variant: 'extract' } }, PATHS);
    expect(extract.filter((a) => a.startsWith('--essential-hook'))).toEqual([]);
    expect(customizeScript({ ...r, base: { ...r.base, variant: 'extract' } }, PATHS)).not.toContain('dpkg-divert');
  });

  it("asks for Debian's architecture name: amd64 for an x86_64 box", () => {
    const x86 = { ...recipe(), architecture: 'x86_64' as const };
    expect(mmdebstrapArgs(x86, PATHS)).toContain('--arch=amd64');
  });

  it('writes a hook that quotes what it copies and runs, and clamps timestamps', () => {
    const r = recipe(`files: [{source: motd, destination: "/etc/it's motd", mode: "0600"}]\ncommands: ["echo 'hi' > /etc/x"]\n`);
    const script = customizeScript(r, PATHS);
    expect(script).toContain(`install -D -o 0 -g 0 -m 0600 -- ${shellQuote(join(dir, 'motd'))} "$ROOT"'/etc/it'\\''s motd'`);
    expect(script).toContain(`chroot "$ROOT" /bin/sh -c 'echo '\\''hi'\\'' > /etc/x'`);
    expect(script).toContain(`install -D -o 0 -g 0 -m 0755 -- '/w/agent/vm-agent' "$ROOT/usr/sbin/vm-agent"`);
    expect(script).toContain('rm -f "$ROOT"/etc/ssh/ssh_host_*_key');
    expect(script).toContain('rm -f "$ROOT"/var/cache/apt/archives/*.deb');
    expect(script).toContain('rm -f "$ROOT"/var/cache/apt/pkgcache.bin "$ROOT"/var/cache/apt/srcpkgcache.bin');
    // Nothing of the build host: its hostname and resolv.conf are replaced.
    expect(script).toContain(`echo 't' > "$ROOT/etc/hostname"`);
    expect(script).toContain('[ -L "$ROOT/etc/resolv.conf" ] || rm -f "$ROOT/etc/resolv.conf"');
    expect(hostnameFor('Debian_13.x')).toBe('debian-13-x');
    expect(clampTimesArgs('/w/root', 1234)).toEqual(['/w/root', '-xdev', '-newermt', '@1234', '-exec', 'touch', '--no-dereference', '--date=@1234', '{}', '+']);
    // The script is valid sh.
    writeFileSync(join(dir, 'hook.sh'), script);
    execFileSync('sh', ['-n', join(dir, 'hook.sh')]);
  });
});

describe('archive state and manifest', () => {
  it('reads Date, Version and Architectures from a Release file', () => {
    const text = 'Origin: Debian\nVersion: 13.8\nCodename: trixie\nDate: Sat, 21 Nov 2026 09:15:44 UTC\nArchitectures: all amd64 arm64 riscv64\n';
    expect(parseRelease(text)).toEqual({ date: 'Sat, 21 Nov 2026 09:15:44 UTC', epoch: 1795252544, version: '13.8', architectures: ['all', 'amd64', 'arm64', 'riscv64'] });
    expect(() => parseRelease('Origin: Debian\n')).toThrow("the archive's Release file has no readable Date field");
  });

  it('turns dpkg-query lines into a sorted name -> version map', () => {
    expect(parsePackageManifest('zlib1g\t1:1.3\triscv64\nbase-files\t13.8\triscv64\ntzdata\t2026a\tall\nlibc6\t2.41\tamd64\n', 'riscv64')).toEqual({
      'base-files': '13.8',
      'libc6:amd64': '2.41',
      tzdata: '2026a',
      zlib1g: '1:1.3',
    });
    // An x86_64 box's own packages are amd64: unqualified; a foreign one is qualified.
    expect(parsePackageManifest('libc6\t2.41\tamd64\nzlib1g\t1:1.3\triscv64\n', 'x86_64')).toEqual({ libc6: '2.41', 'zlib1g:riscv64': '1:1.3' });
  });

  it('derives a stable UUID from the recipe', () => {
    expect(uuidFrom('debian-13\u000013.0.0')).toBe(uuidFrom('debian-13\u000013.0.0'));
    expect(uuidFrom('a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('work folders of dead builds', () => {
  it('are removed by the next build; a live one is kept', async () => {
    const home = join(dir, 'home');
    const tmp = storeTmpDir({ home });
    const dead = join(tmp, 'build-999999999-noboot-abc');
    const boot = execFileSync('cat', ['/proc/sys/kernel/random/boot_id'], { encoding: 'utf8' }).trim().replace(/-/g, '').slice(0, 8);
    const live = join(tmp, `build-${process.pid}-${boot}-abc`);
    mkdirSync(join(dead, 'root', 'etc'), { recursive: true });
    mkdirSync(live, { recursive: true });
    expect(await sweepStaleBuilds({ home })).toEqual(['build-999999999-noboot-abc']);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});
