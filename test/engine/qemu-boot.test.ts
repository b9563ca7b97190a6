// The tiny box boots on qemu-system-riscv64 -M virt (default OpenSBI firmware): from the initramfs
// alone, and with its root disk (switch_root), with a NIC (DHCP) and a 9p share. Skipped, with the
// reason in the test name, when qemu-system-riscv64 is not installed.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const QEMU = 'qemu-system-riscv64';
const ARCHIVE = fileURLToPath(new URL('../../boxes/tiny/tiny.box', import.meta.url));
const READY = 'vm: ready';
const BOOT_TIMEOUT_MS = 90_000; // TCG on a busy 2-core machine; a normal boot takes a few seconds

const probe = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
const qemuVersion = probe.status === 0 ? probe.stdout.split('\n')[0]!.trim() : null;
const title = qemuVersion
  ? `tiny box on ${qemuVersion}`
  : `tiny box on qemu (skipped: ${QEMU} is not installed or does not run)`;

interface BoxJson {
  kernel: string;
  initrd: string;
  root_disk: { path: string; format: string };
  cmdline: string;
  files: Record<string, { sha256: string; size: number }>;
}

/** The guest's serial console on qemu's stdio: collects output, waits for text, types. */
class SerialConsole {
  private output = '';
  private cursor = 0;
  private listeners = new Set<() => void>();
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly startedAt = performance.now();

  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    const onData = (chunk: Buffer): void => {
      this.output += chunk.toString('latin1');
      for (const listener of this.listeners) listener();
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exit = { code, signal };
        for (const listener of this.listeners) listener();
        resolve(this.exit);
      });
    });
  }

  /** Resolves with the text from the cursor up to the end of `needle`'s next appearance. */
  waitFor(needle: string | RegExp, timeoutMs = BOOT_TIMEOUT_MS): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const rest = this.output.slice(this.cursor);
        let end = -1;
        if (typeof needle === 'string') {
          const at = rest.indexOf(needle);
          if (at >= 0) end = at + needle.length;
        } else {
          const m = needle.exec(rest);
          if (m) end = m.index + m[0].length;
        }
        if (end >= 0) {
          done();
          this.cursor += end;
          resolve(rest.slice(0, end));
        } else if (this.exit) {
          done();
          reject(new Error(`qemu exited (${JSON.stringify(this.exit)}) before ${needle}:\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${needle} on the console within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  type(text: string): void {
    this.proc.stdin.write(text);
  }

  tail(chars = 3000): string {
    return this.output.slice(-chars);
  }
}

describe.skipIf(!qemuVersion)(title, () => {
  let dir = '';
  let box: BoxJson;
  const running = new Set<SerialConsole>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vm-qemu-boot-'));
    const tar = spawnSync('tar', ['-xzf', ARCHIVE, '-C', dir], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`could not unpack ${ARCHIVE}: ${tar.stderr || tar.error}`);
    box = JSON.parse(readFileSync(join(dir, 'box.json'), 'utf8')) as BoxJson;
  });

  afterEach(() => {
    for (const c of running) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    running.clear();
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function boot(extraAppend: string, extraArgs: string[] = []): SerialConsole {
    const args = [
      '-M', 'virt', '-m', '256', '-nographic', '-no-reboot',
      '-kernel', join(dir, box.kernel),
      '-initrd', join(dir, box.initrd),
      '-append', `${box.cmdline} panic=-1 ${extraAppend}`.trim(),
      ...extraArgs,
    ];
    const c = new SerialConsole(spawn(QEMU, args, { stdio: 'pipe' }));
    running.add(c);
    return c;
  }

  async function powerOff(c: SerialConsole): Promise<void> {
    c.type('poweroff\n');
    await c.waitFor('vm: poweroff');
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`qemu still running after poweroff:\n${c.tail()}`)), 30_000),
    );
    const exit = await Promise.race([c.exited, timeout]);
    expect(exit).toEqual({ code: 0, signal: null });
  }

  it('boots from the initramfs to a shell, runs commands and powers off', async () => {
    const c = boot('');
    await c.waitFor('vm: root on initramfs');
    await c.waitFor(READY);
    const readyMs = performance.now() - c.startedAt;
    await c.waitFor('root@tiny:~# ');
    const promptMs = performance.now() - c.startedAt;
    console.log(`qemu TCG, initramfs: ready marker after ${readyMs.toFixed(0)} ms, prompt after ${promptMs.toFixed(0)} ms`);

    c.type('uname -m; echo $((6*7))\n');
    const out = await c.waitFor(/^42\r?$/m);
    expect(out).toMatch(/^riscv64\r?$/m);
    await c.waitFor('# ');
    await powerOff(c);
  });

  it('switches root to the root disk and brings up DHCP networking and a 9p share', async () => {
    const disk = join(dir, 'root-copy.img'); // the box's image is never handed to qemu
    copyFileSync(join(dir, box.root_disk.path), disk);
    const share = join(dir, 'share');
    mkdirSync(share);
    writeFileSync(join(share, 'from-host.txt'), 'hello from the host\n');

    const c = boot('vm.hostname=qemu-tiny vm.mount=share:/mnt/share', [
      '-smp', '2',
      '-global', 'virtio-mmio.force-legacy=false',
      '-drive', `file=${disk},if=none,format=raw,id=d`, '-device', 'virtio-blk-device,drive=d',
      '-netdev', 'user,id=n', '-device', 'virtio-net-device,netdev=n',
      '-fsdev', `local,id=f,path=${share},security_model=none`,
      '-device', 'virtio-9p-device,fsdev=f,mount_tag=share',
    ]);
    await c.waitFor('vm: switching root to /dev/vda');
    await c.waitFor('vm: root on /dev/vda');
    await c.waitFor('vm: eth0 10.0.2.15/24');
    await c.waitFor('vm: mounted share on /mnt/share');
    await c.waitFor(READY);
    const readyMs = performance.now() - c.startedAt;
    await c.waitFor('root@qemu-tiny:~# ');
    console.log(`qemu TCG, root disk + net + 9p, 2 harts: ready marker after ${readyMs.toFixed(0)} ms`);

    c.type(
      "grep ' / ' /proc/mounts; cat /etc/vm/root-disk; grep -c ^processor /proc/cpuinfo; " +
        'ip route | grep default; cat /etc/resolv.conf; ' +
        'cat /mnt/share/from-host.txt; echo written by the guest > /mnt/share/from-guest.txt; echo END\n',
    );
    const out = await c.waitFor(/^END\r?$/m);
    expect(out).toMatch(/^\/dev\/vda \/ ext4 rw/m);
    expect(out).toMatch(/^tiny \S+ root disk\r?$/m);
    expect(out).toMatch(/^2\r?$/m);
    expect(out).toMatch(/^default via 10\.0\.2\.2 dev eth0/m);
    expect(out).toMatch(/^nameserver 10\.0\.2\.3\r?$/m);
    expect(out).toMatch(/^hello from the host\r?$/m);
    await c.waitFor('# ');
    await powerOff(c);

    expect(readFileSync(join(share, 'from-guest.txt'), 'utf8')).toBe('written by the guest\n');
    // the unpacked image qemu never saw still matches box.json: only the copy was written
    const original = readFileSync(join(dir, box.root_disk.path));
    expect(createHash('sha256').update(original).digest('hex')).toBe(box.files[box.root_disk.path]!.sha256);
  });
});
