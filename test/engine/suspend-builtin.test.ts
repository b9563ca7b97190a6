// Suspend and resume of the builtin engine's machine state, on the tiny box with its root disk, a NAT
// NIC with a forward, the agent console and the rng, each run an engine process of its own
// (snapshot-engine-child.mjs over dist/). The guest runs a counter loop, keeps a file open and serves
// http; the state is saved, the process exits, a fresh process continues from the file: the counter
// keeps counting, the open file takes more lines, the synced file reads back, the forward is bound
// again. A truncated or corrupted state file is refused with a message and the machine never runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBox } from '../../src/core/boxes/catalog.js';
import { prepareDisks } from '../../src/engines/builtin/disk/machine-disks.js';
import type { MachineConfig } from '../../src/model/machine-config.js';

const ROOT = join(import.meta.dirname, '../..');
const BOX_DIR = join(ROOT, 'boxes/tiny');
const HAVE_BOX = existsSync(join(BOX_DIR, 'box.json'));
const CHILD = join(import.meta.dirname, 'snapshot-engine-child.mjs');
const BOOT_TIMEOUT_MS = 120_000;

class Engine {
  readonly proc: ChildProcess;
  out = '';
  err = '';
  private cursor = 0;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[]) {
    this.proc = spawn(process.execPath, [CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (c: Buffer) => (this.out += c.toString('latin1')));
    this.proc.stderr!.on('data', (c: Buffer) => (this.err += c.toString('latin1')));
    this.exited = new Promise((r) => this.proc.on('exit', (code, signal) => r({ code, signal })));
  }

  private async poll(test: () => RegExpExecArray | null, what: string, ms: number): Promise<RegExpExecArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = test();
      if (m) return m;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null || Date.now() > end) {
        throw new Error(`no ${what} (exit ${this.proc.exitCode ?? this.proc.signalCode}); console tail:\n${this.out.slice(-2500)}\nengine stderr:\n${this.err.slice(-2500)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async waitFor(re: RegExp, ms = BOOT_TIMEOUT_MS): Promise<string> {
    const m = await this.poll(() => re.exec(this.out.slice(this.cursor)), String(re), ms);
    const text = this.out.slice(this.cursor, this.cursor + m.index + m[0].length);
    this.cursor += m.index + m[0].length;
    return text;
  }

  waitErr(re: RegExp, ms = 60_000): Promise<RegExpExecArray> {
    return this.poll(() => re.exec(this.err), String(re), ms);
  }

  async run(cmd: string, done: RegExp): Promise<string> {
    this.proc.stdin!.write(`${cmd}\n`);
    return this.waitFor(done, 60_000);
  }

  kill(): Promise<unknown> {
    this.proc.kill('SIGKILL');
    return this.exited;
  }
}

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

describe.skipIf(!HAVE_BOX)('suspend and resume on the builtin engine', () => {
  let home = '';
  let config: MachineConfig;
  let configFile = '';
  let statePath = '';
  const engines: Engine[] = [];

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'vm-suspend-'));
    const box = await resolveBox('tiny', undefined, { loc: { home: join(home, 'store'), bundledDir: join(BOX_DIR, '..') } });
    const dir = join(home, 'project');
    const stateDir = join(dir, '.vm/machines/default');
    config = {
      name: 'default',
      project: { dir, vmfile: join(dir, 'Vmfile'), stateDir },
      engine: 'builtin',
      engineRequested: 'builtin',
      accel: 'auto',
      arch: 'riscv64',
      cpus: 1,
      memoryBytes: 256 * 1024 * 1024,
      hostname: 'snaptest',
      box,
      cmdline: `${box.cmdline} vm.hostname=snaptest`,
      firmware: 'sbi',
      disks: [],
      nics: [{ type: 'nat', mac: '52:54:00:12:34:56' }],
      forwards: [{ guest: 80, host: await freePort(), hostIp: '127.0.0.1', protocol: 'tcp' }],
      syncedFolders: [],
      provision: [],
      env: {},
      bootTimeoutMs: BOOT_TIMEOUT_MS,
    };
    await prepareDisks(config);
    configFile = join(home, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
    statePath = join(stateDir, 'suspend.state');
  }, 60_000);

  afterAll(async () => {
    for (const e of engines) if (e.proc.exitCode === null && e.proc.signalCode === null) await e.kill();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const count = async (e: Engine, tag: number): Promise<number> => {
    const out = await e.run(`echo C$(cat /tmp/count)-$((${tag}+1))`, new RegExp(`C\\d+-${tag + 1}`));
    return Number(/C(\d+)-/.exec(out.slice(out.lastIndexOf(`C`)))![1]);
  };

  it('continues the guest where it was: a counter loop, an open file, a synced file, a forward', async () => {
    const first = new Engine([configFile, statePath, 'boot']);
    engines.push(first);
    await first.waitFor(/vm: ready/);
    await first.run('(i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done) & echo BG-$((40+2))', /BG-42/);
    await first.run('exec 3>/tmp/open.txt; echo line1 >&3; echo before-$((6*7)) > /root/before.txt; sync; echo W-$((40+2))', /W-42/);
    await first.run('mkdir -p /www && echo served-$((6*7)) > /www/index.html && httpd -p 80 -h /www && echo WWW-$((40+2))', /WWW-42/);
    expect(await fetchText(config.forwards[0]!.host)).toBe('served-42\n');
    const before = await count(first, 100);
    expect(before).toBeGreaterThan(0);

    first.proc.kill('SIGUSR2');
    const saved = JSON.parse((await first.waitErr(/\[saved\] (.*)/))[1]!) as { fileBytes: number; ramStored: number; pausedMs: number };
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(statSync(statePath).size).toBe(saved.fileBytes);
    console.log(`256 MiB tiny box: state file ${(saved.fileBytes / 1048576).toFixed(1)} MiB (${(saved.ramStored / 1048576).toFixed(1)} MiB of RAM not zero), paused ${saved.pausedMs.toFixed(0)} ms`);

    const second = new Engine([configFile, statePath, 'restore']);
    engines.push(second);
    await second.waitErr(/\[started\]/);
    // Already ready: the resumed machine does not print the marker again.
    await second.waitErr(/\[ready\]/, 5_000);
    const after = await count(second, 200);
    expect(after).toBeGreaterThanOrEqual(before);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await count(second, 300)).toBeGreaterThan(after);
    const files = await second.run('echo line2 >&3; cat /tmp/open.txt /root/before.txt; echo F-$((40+2))', /F-42/);
    expect(files).toMatch(/line1\r?\nline2\r?\nbefore-42\r?\n/);
    expect(await fetchText(config.forwards[0]!.host)).toBe('served-42\n');
    // Saving keeps the machine running when asked (a memory snapshot of a running machine).
    second.proc.kill('SIGUSR1');
    await second.waitErr(/\[saved\]/);
    expect(await count(second, 400)).toBeGreaterThan(after);
    second.proc.stdin!.write('poweroff\n');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.err).not.toMatch(/NEEDS_RESET|internal error|save-failed/);
  }, 400_000);

  it('refuses a truncated or corrupted state file before the machine runs', async () => {
    const good = readFileSync(statePath);
    writeFileSync(statePath, good.subarray(0, good.length - 1000));
    const truncated = new Engine([configFile, statePath, 'restore']);
    engines.push(truncated);
    expect((await truncated.exited).code).toBe(1);
    expect(truncated.err).toContain(`[restore-failed] the saved machine state ${statePath} is damaged (truncated: a record runs past the end); it was not loaded`);

    const flipped = Buffer.from(good);
    flipped[flipped.length >> 1] ^= 0x40;
    writeFileSync(statePath, flipped);
    const corrupt = new Engine([configFile, statePath, 'restore']);
    engines.push(corrupt);
    expect((await corrupt.exited).code).toBe(1);
    expect(corrupt.err).toContain('is damaged (checksum mismatch');
    expect(corrupt.out).toBe('');
  }, 60_000);
});
