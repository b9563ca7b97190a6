// Real SSH (issue 14) through the compiled CLI and OpenSSH's own client: `vm up` forwards a free
// 127.0.0.1 port to the guest's SSH server (dropbear in the tiny box), authorizes a key made for
// the machine and pins the guest's host key; `vm ssh-config > FILE; ssh -F FILE` then runs commands with their
// exit codes and no host key prompt, `scp -O` and `rsync -a -e 'ssh -F FILE'` (the box's static
// rsync at the other end) copy both ways, and one machine's key does not open another. A box without
// an SSH server, and a machine without a nat card, say so.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, E2E_READY, Project, ROOT, show } from './helpers/vm-cli.js';

const BOOT = 600_000;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const hasSsh = spawnSync('ssh', ['-V']).status === 0;
const hasRsync = spawnSync('rsync', ['--version']).status === 0;

// Never the user's own ssh config or agent: only what `vm ssh-config` says.
const SSH_ISOLATED = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=60'];

describe.skipIf(!E2E_READY || !hasSsh)('real ssh through vm ssh-config (compiled CLI and OpenSSH client; run `npm run build` first)', () => {
  let p: Project;
  let cfgFile: string;

  beforeAll(() => {
    p = new Project('ssh', '');
    p.writeMultiVmfile(`defaults:
  box: tiny
  memory: 128M
  boot_timeout: 5m
machines:
  one: {}
  two: {}
  nonet:
    nics: [{type: private, network: e2e-ssh-${process.pid}, ip: 192.168.77.10}]
`);
    cfgFile = join(p.dir, 'ssh-config');
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  it('vm up sets up ssh on each machine and vm port shows the forward', async () => {
    const up = await p.run(['up', 'one', 'two'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stdout, show(up)).toMatch(/Network: .*ssh 127\.0\.0\.1:\d+ \(`vm ssh-config`\)/);
    expect(up.stderr, show(up)).not.toContain('ssh is not set up');
    const ports = await p.run(['port', 'one', '--json']);
    expect(ports.code, show(ports)).toBe(0);
    const [one] = JSON.parse(ports.stdout) as { forwards: { guest: number; host: number; hostIp: string; ssh?: boolean }[] }[];
    const fwd = one!.forwards.find((f) => f.ssh);
    expect(fwd, ports.stdout).toMatchObject({ guest: 22, hostIp: '127.0.0.1', ssh: true });
    const text = await p.run(['port', 'one']);
    expect(text.stdout).toContain(`one  127.0.0.1:${fwd!.host} -> 22/tcp  (ssh: see \`vm ssh-config\`)`);
  }, BOOT);

  it('vm ssh-config prints a Host block per machine with a per-machine key, mode 0600, and the pinned host key', async () => {
    const r = await p.run(['ssh-config', 'one', 'two']);
    expect(r.code, show(r)).toBe(0);
    writeFileSync(cfgFile, r.stdout);
    for (const name of ['one', 'two']) {
      const block = r.stdout.slice(r.stdout.indexOf(`Host ${name}\n`));
      expect(block).toMatch(/^Host \S+\n  HostName 127\.0\.0\.1\n  Port \d+\n  User root\n  IdentityFile \S+\n  IdentitiesOnly yes\n  UserKnownHostsFile \S+\n  HostKeyAlias vm-\S+\n  StrictHostKeyChecking yes\n/);
      const key = join(p.machineDir(name), 'ssh', 'id_ed25519');
      expect(block).toContain(`IdentityFile ${key}\n`);
      expect(statSync(key).mode & 0o777).toBe(0o600);
      // the pin is the guest's own host key, read through the agent
      const guestKey = await p.run(['ssh', name, '--', 'cat', '/etc/dropbear/dropbear_ed25519_host_key.pub']);
      expect(guestKey.code, show(guestKey)).toBe(0);
      expect(readFileSync(join(p.machineDir(name), 'ssh', 'known_hosts'), 'utf8')).toBe(`vm-${name} ${guestKey.stdout.trim()}\n`);
    }
    // each machine its own key pair, and its own host key
    const pub = (n: string): string => readFileSync(join(p.machineDir(n), 'ssh', 'id_ed25519.pub'), 'utf8');
    expect(pub('one')).not.toBe(pub('two'));
    const hostKey = (n: string): string => readFileSync(join(p.machineDir(n), 'ssh', 'known_hosts'), 'utf8').split(' ').slice(1).join(' ');
    expect(hostKey('one')).not.toBe(hostKey('two'));
    const json = await p.run(['ssh-config', 'one', '--json']);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ name: 'one', host: '127.0.0.1', user: 'root', identityFile: join(p.machineDir('one'), 'ssh', 'id_ed25519'), hostKeyAlias: 'vm-one' }),
    ]);
  });

  it('vm ssh-config > FILE && ssh -F FILE runs a command with its exit code, no prompt', async () => {
    // the documented usage, through a shell; without names: every machine ssh can reach now
    // (`-F <(...)` cannot work: ssh closes the descriptors it inherits before reading its config)
    const r = await p.exec(['bash', '-c', `"${process.execPath}" "${BIN}" ssh-config > all.conf && ssh -F all.conf ${SSH_ISOLATED.join(' ')} one 'echo "hello from $(hostname)"; id -u; exit 7'`]);
    expect(r.code, show(r)).toBe(7);
    expect(r.stdout).toBe('hello from one\n0\n');
    expect(r.stderr).not.toMatch(/authenticity|Warning|Permanently added/);
    const ok = await p.exec(['ssh', '-F', cfgFile, ...SSH_ISOLATED, 'two', 'true']);
    expect(ok.code, show(ok)).toBe(0);
  });

  it('scp -O copies a file into the guest and back, byte exact', async () => {
    const data = randomBytes(300 * 1024);
    const src = join(p.dir, 'blob.bin');
    writeFileSync(src, data);
    const put = await p.exec(['scp', '-O', '-F', cfgFile, ...SSH_ISOLATED, src, 'one:/root/blob.bin']);
    expect(put.code, show(put)).toBe(0);
    const inGuest = await p.run(['ssh', 'one', '--', 'sha256sum', '/root/blob.bin']);
    expect(inGuest.stdout.split(' ')[0], show(inGuest)).toBe(sha(data));
    const back = join(p.dir, 'back.bin');
    const get = await p.exec(['scp', '-O', '-F', cfgFile, ...SSH_ISOLATED, 'one:/root/blob.bin', back]);
    expect(get.code, show(get)).toBe(0);
    expect(sha(readFileSync(back))).toBe(sha(data));
  });

  it.skipIf(!hasRsync)('rsync -a -e "ssh -F FILE" copies a tree into the guest and back with its bytes and modes', async () => {
    // a binary file, an executable, a private file, an empty one, text in a subfolder
    const files: { path: string; data: Buffer; mode: number }[] = [
      { path: 'blob.bin', data: randomBytes(700 * 1024), mode: 0o644 },
      { path: 'run.sh', data: Buffer.from('#!/bin/sh\necho ran\n'), mode: 0o755 },
      { path: 'secret', data: randomBytes(100), mode: 0o600 },
      { path: 'empty', data: Buffer.alloc(0), mode: 0o644 },
      { path: 'sub/deeper/notes.txt', data: Buffer.from('notes\n'.repeat(1000)), mode: 0o644 },
    ];
    const tree = join(p.dir, 'tree');
    for (const f of files) {
      mkdirSync(join(tree, f.path, '..'), { recursive: true });
      writeFileSync(join(tree, f.path), f.data);
      chmodSync(join(tree, f.path), f.mode);
    }
    const e = `ssh -F ${cfgFile} ${SSH_ISOLATED.join(' ')}`;
    const put = await p.exec(['rsync', '-a', '-e', e, `${tree}/`, 'one:/root/tree/'], 300_000);
    expect(put.code, show(put)).toBe(0);
    const list = files.map((f) => f.path).join(' ');
    const inGuest = await p.run(['ssh', 'one', '--', 'sh', '-c', `cd /root/tree && sha256sum ${list} && stat -c '%a %n' ${list} && ./run.sh`]);
    expect(inGuest.code, show(inGuest)).toBe(0);
    expect(inGuest.stdout).toBe([
      ...files.map((f) => `${sha(f.data)}  ${f.path}`),
      ...files.map((f) => `${f.mode.toString(8)} ${f.path}`),
      'ran',
      '',
    ].join('\n'));
    // changed in the guest, then fetched into a new folder
    const change = await p.run(['ssh', 'one', '--', 'sh', '-c', 'echo guest >> /root/tree/run.sh']);
    expect(change.code, show(change)).toBe(0);
    const back = join(p.dir, 'rsync-back');
    const get = await p.exec(['rsync', '-a', '-e', e, 'one:/root/tree/', `${back}/`], 300_000);
    expect(get.code, show(get)).toBe(0);
    for (const f of files) {
      const want = f.path === 'run.sh' ? Buffer.concat([f.data, Buffer.from('guest\n')]) : f.data;
      expect(sha(readFileSync(join(back, f.path))), f.path).toBe(sha(want));
      expect(statSync(join(back, f.path)).mode & 0o777, f.path).toBe(f.mode);
    }
  }, 700_000);

  it("one machine's key does not open another machine", async () => {
    // two's address, user and pinned host key, but one's key alone
    const only = await p.exec(['ssh', '-F', '/dev/null', ...SSH_ISOLATED, '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${join(p.machineDir('two'), 'ssh', 'known_hosts')}`, '-o', 'HostKeyAlias=vm-two',
      '-i', join(p.machineDir('one'), 'ssh', 'id_ed25519'), '-p', portOf('two'), '-l', 'root', '127.0.0.1', 'true']);
    expect(only.code, show(only)).toBe(255);
    expect(only.stderr).toContain('Permission denied');
  });

  it('the port stays the same across a reload, and the pin still holds', async () => {
    const before = portOf('one');
    const re = await p.run(['reload', 'one'], { timeoutMs: BOOT });
    expect(re.code, show(re)).toBe(0);
    const cfg = await p.run(['ssh-config', 'one']);
    expect(cfg.stdout).toContain(`  Port ${before}\n`);
    const r = await p.exec(['ssh', '-F', cfgFile, ...SSH_ISOLATED, 'one', 'cat /root/blob.bin | wc -c']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.trim()).toBe(String(300 * 1024));
  }, BOOT);

  it('a machine without a nat card, or whose box has no SSH server, says so (exit 5); a halted one, exit 2', async () => {
    const nonet = await p.run(['ssh-config', 'nonet']);
    expect(nonet.code, show(nonet)).toBe(5);
    expect(nonet.stderr).toContain("machine 'nonet' cannot be reached with ssh: it has no nat network card");
    // a copy of the tiny box whose box.json declares no SSH server
    const { version } = JSON.parse(readFileSync(join(ROOT, 'boxes/tiny/box.json'), 'utf8')) as { version: string };
    const boxDir = join(p.home, 'boxes', 'tiny', version);
    expect(existsSync(join(boxDir, 'box.json')), `tiny ${version} in the store at ${boxDir}`).toBe(true);
    const copy = join(p.dir, 'nossh-box');
    cpSync(boxDir, copy, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(copy, 'box.json'), 'utf8')) as Record<string, unknown>;
    delete manifest.ssh;
    manifest.name = 'nossh';
    writeFileSync(join(copy, 'box.json'), JSON.stringify(manifest, null, 2));
    const add = await p.run(['box', 'add', copy]);
    expect(add.code, show(add)).toBe(0);
    const vmfile = readFileSync(join(p.dir, 'Vmfile'), 'utf8');
    writeFileSync(join(p.dir, 'Vmfile'), vmfile.replace('  nonet:\n', '  plain:\n    box: nossh\n  nonet:\n'));
    const plain = await p.run(['ssh-config', 'plain']);
    expect(plain.code, show(plain)).toBe(5);
    expect(plain.stderr).toMatch(/machine 'plain' cannot be reached with ssh: its box nossh \S+ runs no SSH server/);
    expect(plain.stderr).toContain('Hint:');
    writeFileSync(join(p.dir, 'Vmfile'), vmfile);
    const halt = await p.run(['halt', 'two'], { timeoutMs: 120_000 });
    expect(halt.code, show(halt)).toBe(0);
    const halted = await p.run(['ssh-config', 'two']);
    expect(halted.code, show(halted)).toBe(2);
    expect(halted.stderr).toContain("machine 'two' is not running");
  }, 180_000);

  function portOf(name: string): string {
    const state = JSON.parse(readFileSync(join(p.machineDir(name), 'state.json'), 'utf8')) as { ssh?: { port: number } };
    return String(state.ssh!.port);
  }
});
