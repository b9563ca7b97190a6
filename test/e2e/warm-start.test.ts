// `warm_start:` through the compiled CLI on the builtin engine: the first `vm up` of a machine shape
// boots cold and saves the warm image under VM_HOME; a second machine of the same box and shape, and
// the same machine after `vm destroy`, resume from it (the outcome says warm-started, the engine log
// says it resumed, the guest's uptime is that of the image, not of a boot), and each is itself: its
// own hostname, MAC, ssh host key and synced folder. A damaged image means a cold boot with a note
// (and a good image saved over it), never a failure.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_READY, ENGINE, Project, show } from './helpers/vm-cli.js';

const BOOT = 300_000;
const hasSsh = spawnSync('ssh', ['-V']).status === 0;

interface Guest {
  hostname: string;
  mac: string;
  share: string;
  uptime: number;
  hostKey: string;
}

describe.skipIf(!E2E_READY || ENGINE !== 'builtin')('warm start (builtin)', () => {
  let p: Project;

  const guest = async (name: string): Promise<Guest> => {
    const r = await p.run(['ssh', name, '-c', 'hostname; cat /sys/class/net/eth0/address; cat /share/who.txt; cut -d" " -f1 /proc/uptime; cut -d" " -f2 /etc/dropbear/dropbear_ed25519_host_key.pub']);
    expect(r.code, show(r)).toBe(0);
    const [hostname, mac, share, uptime, hostKey] = r.stdout.trim().split('\n');
    return { hostname: hostname!, mac: mac!, share: share!, uptime: Number(uptime), hostKey: hostKey! };
  };
  /** The MAC the machine's engine was started with (its launch file). */
  const configuredMac = (name: string): string =>
    (JSON.parse(readFileSync(join(p.machineDir(name), 'engine.json'), 'utf8')) as { config: { nics: { mac: string }[] } }).config.nics[0]!.mac.toLowerCase();
  const engineLog = (name: string): string => readFileSync(join(p.machineDir(name), 'engine.log'), 'utf8');
  const warmImages = (): string[] => (existsSync(join(p.home, 'warm')) ? readdirSync(join(p.home, 'warm')).filter((f) => !f.startsWith('.')) : []);

  beforeAll(() => {
    p = new Project('warm', '');
    for (const m of ['a', 'b']) {
      mkdirSync(join(p.dir, `share-${m}`));
      writeFileSync(join(p.dir, `share-${m}`, 'who.txt'), `folder of ${m}\n`);
    }
    p.writeMultiVmfile(`defaults:
  box: tiny
  memory: 256M
  boot_timeout: 4m
  warm_start: true
machines:
  a:
    synced_folders: [{host: share-a, guest: /share}]
  b:
    synced_folders: [{host: share-b, guest: /share}]
`);
  });

  afterAll(async () => {
    await p?.cleanup();
  }, 120_000);

  it('the first up boots cold and saves the warm image of its shape', async () => {
    const up = await p.run(['up', 'a'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stdout + up.stderr).toMatch(/a: booted/);
    expect(up.stderr).toContain("machine 'a': saved a warm image of its shape");
    expect(warmImages()).toHaveLength(1);
    expect(engineLog('a')).not.toContain('resumed from');
    const a = await guest('a');
    expect(a.hostname).toBe('a');
    expect(a.share).toBe('folder of a');
  }, BOOT + 60_000);

  it('a second machine of the shape resumes from it and is itself', async () => {
    const up = await p.run(['up', 'b'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stdout + up.stderr).toMatch(/b: warm-started/);
    expect(up.stdout + up.stderr).toMatch(/Resumed from a warm image in/);
    expect(engineLog('b')).toMatch(/resumed from .*warm\.state/);
    const a = await guest('a');
    const b = await guest('b');
    // The image was taken when a had just booted; a has run on since, b only since its resume.
    expect(b.uptime).toBeLessThan(a.uptime);
    expect(b.hostname).toBe('b');
    expect(b.mac).toBe(configuredMac('b'));
    expect(b.mac).not.toBe(a.mac);
    expect(b.share).toBe('folder of b');
    expect(b.hostKey).not.toBe(a.hostKey);
    if (hasSsh) {
      // The OpenSSH client, pinned to the key vm read back (StrictHostKeyChecking yes): dropbear serves b's new key.
      const cfg = await p.run(['ssh-config', 'b']);
      expect(cfg.code, show(cfg)).toBe(0);
      writeFileSync(join(p.dir, 'ssh-config'), cfg.stdout);
      const ssh = spawnSync('ssh', ['-F', join(p.dir, 'ssh-config'), '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=60', 'b', 'hostname'], { encoding: 'utf8', timeout: 120_000 });
      expect(ssh.status, ssh.stderr).toBe(0);
      expect(ssh.stdout.trim()).toBe('b');
    }
    // b's disk is its own: a write on b is not seen on a.
    const w = await p.run(['ssh', 'b', '-c', 'echo b-only >/root/mine && sync']);
    expect(w.code, show(w)).toBe(0);
    const r = await p.run(['ssh', 'a', '-c', 'cat /root/mine 2>/dev/null || echo none']);
    expect(r.stdout.trim()).toBe('none');
  }, BOOT + 120_000);

  it('after destroy the machine resumes from the image again', async () => {
    const d = await p.run(['destroy', '--force', 'b']);
    expect(d.code, show(d)).toBe(0);
    const up = await p.run(['up', 'b'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stdout + up.stderr).toMatch(/b: warm-started/);
    const b = await guest('b');
    expect(b.hostname).toBe('b');
    expect(b.share).toBe('folder of b');
    const r = await p.run(['ssh', 'b', '-c', 'cat /root/mine 2>/dev/null || echo none']);
    expect(r.stdout.trim()).toBe('none');
    // The image's clock was of its own moment; the agent stepped it to the host's.
    const before = Math.floor(Date.now() / 1000);
    const clock = await p.run(['ssh', 'b', '-c', 'date +%s']);
    const after = Math.ceil(Date.now() / 1000);
    expect(Number(clock.stdout.trim())).toBeGreaterThanOrEqual(before - 2);
    expect(Number(clock.stdout.trim())).toBeLessThanOrEqual(after + 2);
  }, BOOT + 60_000);

  it('a damaged image means a cold boot with a note, and a good image saved over it', async () => {
    const d = await p.run(['destroy', '--force', 'b']);
    expect(d.code, show(d)).toBe(0);
    const [key] = warmImages();
    const state = join(p.home, 'warm', key!, 'memory.state');
    const bytes = readFileSync(state);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(state, bytes);
    const up = await p.run(['up', 'b'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stdout + up.stderr).toMatch(/b: booted/);
    expect(up.stderr).toMatch(/machine 'b' booted cold, not from a warm image: the warm image .* was not used: .*damaged/);
    expect(up.stderr).toContain("machine 'b': saved a warm image of its shape");
    expect(engineLog('b')).not.toContain('resumed from');
    expect((await guest('b')).hostname).toBe('b');
  }, BOOT + 60_000);
});
