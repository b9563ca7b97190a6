// The tiny box on the builtin engine with its root disk as /dev/vda (a copy-on-write overlay) and an
// extra raw disk as /dev/vdb, in an engine process of its own: a file written and synced in the
// guest, and bytes dd'd to the extra disk, survive SIGKILL of that process; the next boot sees them.
// The box's root image stays byte-identical (sha256 as box.json records it). The same boot checks
// the other devices bootSpecFromConfig attaches: the NAT NIC (DHCP lease, a forward into the guest's
// httpd), the agent's console port and the rng.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBox } from '../../src/core/boxes/catalog.js';
import { prepareDisks, rootOverlayPath } from '../../src/engines/builtin/disk/machine-disks.js';
import { decodeHeader, overlayBound } from '../../src/engines/builtin/disk/overlay-format.js';
import type { BoxRef, MachineConfig } from '../../src/model/machine-config.js';

const ROOT = join(import.meta.dirname, '../..');
const BOX_DIR = join(ROOT, 'boxes/tiny');
const HAVE_BOX = existsSync(join(BOX_DIR, 'box.json'));
const BOOT_TIMEOUT_MS = 120_000;

/** The child engine: runs the compiled dist/ (built by the vitest global setup). */
const CHILD = join(import.meta.dirname, 'disk-engine-child.mjs');

/** One engine process: console text collected, waits for patterns, types. */
class Engine {
  readonly proc: ChildProcess;
  out = '';
  err = '';
  private cursor = 0;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(script: string, configFile: string) {
    this.proc = spawn(process.execPath, [script, configFile], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (c: Buffer) => (this.out += c.toString('latin1')));
    this.proc.stderr!.on('data', (c: Buffer) => (this.err += c.toString('latin1')));
    this.exited = new Promise((r) => this.proc.on('exit', (code, signal) => r({ code, signal })));
  }

  async waitFor(re: RegExp, ms = BOOT_TIMEOUT_MS): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const rest = this.out.slice(this.cursor);
      const m = re.exec(rest);
      if (m) {
        this.cursor += m.index + m[0].length;
        return rest.slice(0, m.index + m[0].length);
      }
      if (this.proc.exitCode !== null || this.proc.signalCode !== null || Date.now() > end) {
        throw new Error(`no ${re} (exit ${this.proc.exitCode ?? this.proc.signalCode}); console tail:\n${this.out.slice(-2500)}\nengine stderr:\n${this.err.slice(-1500)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Type a shell command; `done` is printed by the guest after it (use $((...)) so the echo differs). */
  async run(cmd: string, done: RegExp): Promise<string> {
    this.proc.stdin!.write(`${cmd}\n`);
    return this.waitFor(done, 60_000);
  }

  kill(): Promise<unknown> {
    this.proc.kill('SIGKILL');
    return this.exited;
  }
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function fetchText(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

function machineConfig(box: BoxRef, dir: string, httpPort: number): MachineConfig {
  const stateDir = join(dir, '.vm/machines/default');
  return {
    name: 'default',
    project: { dir, vmfile: join(dir, 'Vmfile'), stateDir },
    engine: 'builtin',
    engineRequested: 'builtin',
    accel: 'auto',
    arch: 'riscv64',
    cpus: 1,
    memoryBytes: 256 * 1024 * 1024,
    hostname: 'disktest',
    box,
    cmdline: `${box.cmdline} vm.hostname=disktest`,
    firmware: 'sbi',
    disks: [{ name: 'data', sizeBytes: 64 * 1024 * 1024, path: join(stateDir, 'disks/data.raw'), format: 'raw' }],
    nics: [{ type: 'nat', mac: '52:54:00:12:34:56' }],
    forwards: [{ guest: 80, host: httpPort, hostIp: '127.0.0.1', protocol: 'tcp' }],
    syncedFolders: [],
    provision: [],
    env: {},
    bootTimeoutMs: BOOT_TIMEOUT_MS,
  };
}

describe.skipIf(!HAVE_BOX)('disks on the builtin engine', () => {
  let home = '';
  let project = '';
  let child = '';
  let config: MachineConfig;
  let configFile = '';
  const engines: Engine[] = [];

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'vm-disk-boot-'));
    project = join(home, 'project');
    const box = await resolveBox('tiny', undefined, { loc: { home: join(home, 'store'), bundledDir: join(BOX_DIR, '..') } });
    config = machineConfig(box, project, await freePort());
    await prepareDisks(config);
    configFile = join(home, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
    child = CHILD;
  }, 180_000);

  afterAll(async () => {
    for (const e of engines) if (e.proc.exitCode === null && e.proc.signalCode === null) await e.kill();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('keeps synced writes to /dev/vda and /dev/vdb across SIGKILL of the engine; the box image is untouched', async () => {
    const rootImage = config.box.rootDisk!.path;
    const t0 = performance.now();
    const first = new Engine(child, configFile);
    engines.push(first);
    const boot1 = await first.waitFor(/vm: ready/);
    const bootMs = performance.now() - t0;
    expect(boot1).toContain('vm: root on /dev/vda');
    await first.run('echo persisted-$((6*7)) > /root/persist.txt && sync && echo WROTE-$((40+2))', /WROTE-42/);
    await first.run("printf 'extra-disk-bytes' | dd of=/dev/vdb bs=512 seek=8 conv=notrunc 2>/dev/null && sync && echo DD-$((40+2))", /DD-42/);
    // Unsynced writes may be lost, never the synced ones: write more without sync, then crash.
    first.proc.stdin!.write('dd if=/dev/zero of=/root/unsynced bs=64k count=64 2>/dev/null &\n');
    const killed = await first.kill();
    expect(killed).toEqual({ code: null, signal: 'SIGKILL' });

    // The extra disk is a plain sparse file: the synced bytes are there.
    const raw = readFileSync(config.disks[0]!.path);
    expect(raw.length).toBe(64 * 1024 * 1024);
    expect(raw.subarray(4096, 4096 + 16).toString('latin1')).toBe('extra-disk-bytes');

    const overlay = rootOverlayPath(config);
    const header = decodeHeader(new Uint8Array(readFileSync(overlay).subarray(0, 4096)));
    expect(statSync(overlay).size).toBeLessThanOrEqual(overlayBound(header));

    const second = new Engine(child, configFile);
    engines.push(second);
    await second.waitFor(/vm: ready/);
    const out = await second.run('cat /root/persist.txt; echo CAT-$((40+2))', /CAT-42/);
    expect(out).toMatch(/\npersisted-42\r?\n/);
    const dd = await second.run('dd if=/dev/vdb bs=512 skip=8 count=1 2>/dev/null | head -c 16; echo; echo VDB-$((40+2))', /VDB-42/);
    expect(dd).toContain('extra-disk-bytes');

    const devs = await second.run('ip -4 addr show eth0; cat /sys/class/virtio-ports/*/name /sys/class/misc/hw_random/rng_current; echo DEV-$((40+2))', /DEV-42/);
    expect(devs).toContain('inet 10.0.2.15/24');
    expect(devs).toMatch(/\nvm\.agent\r?\nvirtio_rng\.0\r?\n/);
    await second.run('mkdir -p /www && echo served-by-$((6*7)) > /www/index.html && httpd -p 80 -h /www && echo WWW-$((40+2))', /WWW-42/);
    expect(await fetchText(config.forwards[0]!.host)).toBe('served-by-42\n');
    second.proc.stdin!.write('poweroff\n');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.err).not.toMatch(/NEEDS_RESET|internal error/);
    expect(second.err).toMatch(/"brokenDevices":\[\]/);

    expect(await sha256File(rootImage)).toBe(config.box.rootDisk!.sha256);
    console.log(`tiny box with root disk + extra disk: ready in ${(bootMs / 1000).toFixed(1)} s; overlay ${(statSync(overlay).blocks * 512) >> 10} KiB on disk`);
  }, 400_000);
});
