// `vm box build` for real: mmdebstrap against the Debian archive, mkfs.ext4, the initrd. Opt-in
// (VM_TEST_BOX_BUILD=1): it needs root, the network, mmdebstrap and qemu-user-static, and each
// build takes a minute or more. A small recipe (variant extract: the kernel package and what it
// depends on, unpacked without maintainer scripts) keeps it short; the full debian-13 build is
// opt-in separately (VM_TEST_DEBIAN_BUILD=1) because it runs every maintainer script under qemu-user.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT, Project, show } from './helpers/vm-cli.js';

// Engine-independent: run once, not again in the e2e-qemu project.
const ENABLED = process.env.VM_TEST_BOX_BUILD === '1' && process.env.VM_E2E_ENGINE !== 'qemu' && BUILT && process.getuid?.() === 0;
/** Shared between runs so the archive is downloaded once per machine, not once per test. */
const DEB_CACHE = join(tmpdir(), 'vm-test-deb-cache-riscv64');

const SMALL = `name: repro-test
version: 0.0.1
architecture: riscv64
engines: [qemu]
base: {suite: trixie, variant: extract}
kernel: {package: linux-image-riscv64, cmdline: console=ttyS0}
initrd: {modules: [crc32c_generic, virtio_mmio, virtio_blk, ext4]}
agent: false
root_disk: {size: 1G}
`;

function storeState(home: string): { boxes: string[]; tmp: string[]; mounts: string[] } {
  const boxes = existsSync(join(home, 'boxes')) ? readdirSync(join(home, 'boxes')) : [];
  const tmp = existsSync(join(home, 'tmp')) ? readdirSync(join(home, 'tmp')) : [];
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(home));
  return { boxes, tmp, mounts };
}

describe.skipIf(!ENABLED)('vm box build (opt-in: VM_TEST_BOX_BUILD=1, root, network)', () => {
  const recipeDir = mkdtempSync(join(tmpdir(), 'vm-recipe-'));
  writeFileSync(join(recipeDir, 'box-recipe.yaml'), SMALL);
  mkdirSync(DEB_CACHE, { recursive: true });
  const project = new Project('box-build', 'box: repro-test\n');
  afterAll(async () => {
    rmSync(recipeDir, { recursive: true, force: true });
    await project.cleanup();
  });
  const env = { VM_BOX_BUILD_CACHE: DEB_CACHE };

  it('builds the same root image twice, with the package manifest in box.json, and a .box archive', async () => {
    const first = await project.run(['box', 'build', recipeDir, '--json', '--output', join(project.dir, 'repro.box')], { env, timeoutMs: 900_000 });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const a = JSON.parse(first.stdout);
    const second = await project.run(['box', 'build', recipeDir, '--json', '--force'], { env, timeoutMs: 900_000 });
    expect(second.code).toBe(0);
    const b = JSON.parse(second.stdout);
    expect(b.root_image_sha256).toBe(a.root_image_sha256);
    expect(b.checksum).toBe(a.checksum);

    const manifest = JSON.parse(readFileSync(join(a.dir, 'box.json'), 'utf8'));
    expect(Object.keys(manifest.packages)).toContain('linux-image-riscv64');
    expect(manifest.packages['busybox-static']).toMatch(/^1:/);
    expect(manifest.build.archive.suite).toBe('trixie');
    expect(manifest.build.kernel_version).toMatch(/riscv64$/);
    // The archive is a box `vm box add` accepts, with the same box.json.
    const other = mkdtempSync(join(tmpdir(), 'vm-home-'));
    const added = await project.run(['box', 'add', join(project.dir, 'repro.box')], { env: { VM_HOME: other } });
    rmSync(other, { recursive: true, force: true });
    expect(added.code, show(added)).toBe(0);
    expect(storeState(project.home).tmp).toEqual([]);
  }, 1_900_000);

  it('boots the built kernel and initrd on qemu to the root disk', async () => {
    const box = join(project.home, 'boxes', 'repro-test', '0.0.1');
    // The extract image has no init: the initrd saying so proves it loaded the modules, found the
    // disk and mounted it (and it then waits on the console, so qemu is stopped here).
    const qemu = spawn('qemu-system-riscv64', ['-M', 'virt', '-m', '512', '-nographic', '-no-reboot', '-kernel', join(box, 'Image'), '-initrd', join(box, 'initrd.gz'),
      '-drive', `file=${join(box, 'root.img')},format=raw,if=none,id=d,snapshot=on`, '-device', 'virtio-blk-device,drive=d', '-append', 'console=ttyS0 root=/dev/vda ro'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const seen = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 180_000);
      qemu.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/initrd: /.test(out) && /\n/.test(out.slice(out.lastIndexOf('initrd: ')))) {
          clearTimeout(timer);
          resolve(true);
        }
      });
    });
    qemu.kill('SIGKILL');
    expect(seen, out.slice(-3000)).toBe(true);
    expect(out).toMatch(/EXT4-fs \(vda\): mounted filesystem/);
    expect(out).toContain('initrd: /dev/vda has no /sbin/init');
  }, 200_000);

  it('leaves no half box, temp tree or mount when interrupted (SIGINT) or killed (SIGKILL)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'vm-home-'));
    const run = (sig: NodeJS.Signals) =>
      new Promise<number | null>((resolve) => {
        const { child, done } = project.start(['box', 'build', recipeDir], { env: { ...env, VM_HOME: home }, timeoutMs: 900_000 });
        // Interrupt once mmdebstrap works in the tree (the work folder has a root/ in it).
        const timer = setInterval(() => {
          const tmp = existsSync(join(home, 'tmp')) ? readdirSync(join(home, 'tmp')) : [];
          if (tmp.some((t) => existsSync(join(home, 'tmp', t, 'root', 'var')))) {
            clearInterval(timer);
            child.kill(sig);
          }
        }, 200);
        void done.then((r) => {
          clearInterval(timer);
          resolve(r.code);
        });
      });
    expect(await run('SIGINT')).toBe(130);
    expect(storeState(home)).toEqual({ boxes: [], tmp: [], mounts: [] });
    await run('SIGKILL');
    // mmdebstrap got SIGTERM from setpriv --pdeathsig and takes down its mounts; the next build sweeps the tree.
    await new Promise((r) => setTimeout(r, 5000));
    const { sweepStaleBuilds } = await import('../../src/core/boxes/build.js');
    await sweepStaleBuilds({ home });
    expect(storeState(home)).toEqual({ boxes: [], tmp: [], mounts: [] });
    rmSync(home, { recursive: true, force: true });
  }, 1_900_000);
});
