// The session of issue 5 on one machine, through the real CLI: up (task list, provisioners once and
// always, a forward served by busybox httpd), status, ssh -c with exit codes and stdin, provisioner
// arguments byte for byte, interactive ssh on a pty with `~.`, logs, port, provision, halt/up
// keeping the root disk, kill -9 of the engine (aborted, then recovered), destroy. One machine is
// reused throughout: each boot costs seconds of emulated CPU.
import { writeFileSync } from 'node:fs';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '../support/http-get.js';
import { runOnPty } from './helpers/pty.js';
import { alive, E2E_READY, ENGINE, Project, show } from './helpers/vm-cli.js';

/** A TCP port nobody listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

// Arguments and values a shell would mangle; they must arrive byte-identical.
const TRICKY_ARGS = ['a b', '$(id)', `quote'"`, 'line1\nline2', 'tab\there', '*', '-n', ''];
const TRICKY_ENV = '$HOME `id` "q" \'q\'\nnext\u0001';

const BOOT = 300_000;

describe.skipIf(!E2E_READY)('machine lifecycle on one machine (compiled CLI; run `npm run build` first; skipped when the engine under test is missing)', () => {
  let p: Project;
  let port: number;
  let vmfile: string;

  beforeAll(async () => {
    port = await freePort();
    p = new Project('life', '');
    writeFileSync(join(p.dir, 'data.txt'), 'file provisioner payload\n');
    vmfile = `box: tiny
memory: 256M
boot_timeout: 4m
env:
  APP_PORT: "8000"
forwards:
  - guest: 8000
    host: ${port}
provision:
  - type: shell
    name: once-count
    inline: echo once >> /root/once.log
  - type: shell
    name: always-count
    run: always
    inline: |
      echo always >> /root/always.log
      mkdir -p /srv/www
      echo "hello from $(hostname)" > /srv/www/index.html
      pkill -x httpd || true
      httpd -p "$APP_PORT" -h /srv/www
  - type: shell
    name: argv-check
    args: ${JSON.stringify(TRICKY_ARGS)}
    env: { TRICKY: ${JSON.stringify(TRICKY_ENV)} }
    inline: |
      echo "$#" > /root/argc
      i=0
      for a in "$@"; do i=$((i+1)); printf '%s' "$a" > /root/arg$i; done
      printf '%s' "$TRICKY" > /root/envval
  - type: shell
    name: failing
    run: never
    inline: |
      echo failing-output
      echo on-stderr >&2
      exit 7
  - type: file
    name: copy
    source: data.txt
    destination: /etc/vm-e2e/data.txt
`;
    p.writeVmfile(vmfile);
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  it('up boots the machine as a task list and runs the provisioners', async () => {
    const r = await p.run(['up'], { timeoutMs: BOOT });
    expect(r.code, show(r)).toBe(0);
    for (const step of ['Box tiny', 'Disks', 'Boot', 'Network', 'Provision']) expect(r.stdout).toContain(step);
    expect(r.stdout).toMatch(/Booted in [\d.]+ s \(pid \d+\)/);
    // the address the box reported on the console (engines/guest-console.ts), then the forward
    expect(r.stdout).toMatch(new RegExp(`Network: eth0 10\\.0\\.2\\.15/24, 127\\.0\\.0\\.1:${port} -> 8000/tcp`));
    expect(r.stdout).toContain('Provision: once-count, always-count, argv-check, copy');
    expect(r.stdout).toContain('default: booted');
    const [m] = await p.status();
    expect(m).toMatchObject({ name: 'default', status: 'running' });
    expect(alive(m!.pid!)).toBe(true);
  }, BOOT);

  it('ssh -c runs through the agent: output, stderr and the exit code come back', async () => {
    const r = await p.run(['ssh', '-c', 'uname -m; echo to-stderr >&2; exit 3']);
    expect(r.stdout).toBe('riscv64\n');
    expect(r.stderr).toBe('to-stderr\n');
    expect(r.code).toBe(3);
    const piped = await p.run(['ssh', '-c', 'tr a-z A-Z; echo "[$1]"', 'default'], { input: 'piped stdin\n' });
    expect(piped.stdout, show(piped)).toBe('PIPED STDIN\n[]\n');
    expect(piped.code).toBe(0);
    const killed = await p.run(['ssh', '-c', 'kill -TERM $$']);
    expect(killed.code).toBe(143);
  });

  it('provisioners ran once, with their arguments and environment byte for byte', async () => {
    const r = await p.run(['ssh', '-c', 'cat /root/once.log /root/always.log /etc/vm-e2e/data.txt /root/argc']);
    expect(r.stdout, show(r)).toBe(`once\nalways\nfile provisioner payload\n${TRICKY_ARGS.length}\n`);
    // Each value, then a separator no value holds.
    const dump = await p.run(['ssh', '-c', `for f in ${TRICKY_ARGS.map((_, i) => `/root/arg${i + 1}`).join(' ')} /root/envval; do cat "$f"; printf '\\002\\003'; done`]);
    expect(dump.stdout.split('\u0002\u0003')).toEqual([...TRICKY_ARGS, TRICKY_ENV, '']);
  });

  it('a forward reaches busybox httpd in the guest from the host; vm port lists it', async () => {
    expect(await httpGet(port)).toBe('hello from default\n');
    const r = await p.run(['port', '--json']);
    // and the forward to the box's SSH server (test/e2e/ssh.test.ts)
    expect(JSON.parse(r.stdout)).toEqual([
      { name: 'default', running: true, forwards: [{ guest: 8000, host: port, hostIp: '127.0.0.1', protocol: 'tcp' }, { guest: 22, host: expect.any(Number), hostIp: '127.0.0.1', protocol: 'tcp', ssh: true }] },
    ]);
  });

  it('interactive ssh on a pty: a typed command runs on the console, the window size arrives, ~. detaches', async () => {
    const r = await runOnPty(
      p.dir,
      p.env(),
      ['ssh'],
      [
        { wait: 'type ~\\. at the start', timeout: 30 },
        { send: '\r' },
        { wait: 'root@default:[^\\n]*# $', timeout: 30 },
        { send: 'echo typed-$((6*7))\r' },
        { wait: 'typed-42', timeout: 30 },
        // The size is set through the agent shortly after attaching (later on a loaded host):
        // the guest polls for it rather than the test guessing how long that takes.
        { send: 'for i in $(seq 60); do [ "$(stty size 2>/dev/null)" = "37 111" ] && break; sleep 0.5; done; echo "size=$(stty size)"\r' },
        { wait: '\\nsize=37 111\\r', timeout: 45 },
        { send: '\r~.' },
        { expectExit: 20 },
      ],
      [37, 111],
    );
    expect(r.error, r.screen).toBeNull();
    expect(r.exit).toBe(0);
    expect(r.screen).toContain('detached');
    const [m] = await p.status();
    expect(m!.status).toBe('running');
  }, 120_000);

  it('logs show the console', async () => {
    const r = await p.run(['logs']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('vm: ready');
    expect(r.stdout).toContain('typed-42');
  });

  it('up on a running machine does nothing', async () => {
    const r = await p.run(['up'], { timeoutMs: BOOT });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('Already running');
    expect(r.stdout).toContain('Provision: skipped');
    const log = await p.run(['ssh', '-c', 'cat /root/always.log']);
    expect(log.stdout).toBe('always\n');
  }, BOOT);

  it('vm provision runs them again; a failing one stops (exit 1) naming its code, with its output; the machine runs on', async () => {
    const r = await p.run(['provision']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toContain('==> default: once-count');
    const log = await p.run(['ssh', '-c', 'cat /root/once.log /root/always.log']);
    expect(log.stdout).toBe('once\nonce\nalways\nalways\n');
    const bad = await p.run(['provision', '--name', 'failing']);
    expect(bad.code, show(bad)).toBe(1);
    expect(bad.stdout).toContain('failing-output');
    expect(bad.stderr).toContain('on-stderr');
    expect(bad.stderr).toContain("provisioner 'failing' of machine 'default' failed with exit code 7");
    expect((await p.status())[0]!.status).toBe('running');
    const unknown = await p.run(['provision', '--name', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("machine 'default' has no provisioner named 'nope'");
  });

  it('halt powers the guest off through its agent; up boots it again with the root disk intact', async () => {
    const w = await p.run(['ssh', '-c', 'echo kept-on-disk > /root/keep.txt']);
    expect(w.code).toBe(0);
    const pid = p.stateFile('default').pid!;
    const h = await p.run(['halt']);
    expect(h.code, show(h)).toBe(0);
    expect(h.stdout).toContain('default: halted (the guest powered off when asked through its agent)');
    expect(alive(pid)).toBe(false);
    expect((await p.status())[0]!.status).toBe('halted');
    expect(readdirSync(p.runtime)).toEqual([]);
    const again = await p.run(['halt']);
    expect(again.stdout).toContain('default: not running');

    const up = await p.run(['up'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stdout).toContain('Provision: always-count');
    const r = await p.run(['ssh', '-c', 'cat /root/keep.txt /root/once.log /root/always.log']);
    // once-count ran on the first up and by `vm provision`; always-count on each of the two boots and by `vm provision`.
    expect(r.stdout).toBe('kept-on-disk\nonce\nonce\nalways\nalways\nalways\n');
  }, BOOT);

  it('kill -9 of the engine: status says aborted, up boots it again with its disks', async () => {
    await p.run(['ssh', '-c', 'echo synced > /root/synced.txt; sync']);
    const pid = p.stateFile('default').pid!;
    process.kill(pid, 'SIGKILL');
    // The signal lands at once, but the process may take a moment to be gone on a loaded host.
    let [m] = await p.status();
    for (let i = 0; i < 50 && m?.status !== 'aborted'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      [m] = await p.status();
    }
    expect(m).toMatchObject({ status: 'aborted', detail: `engine process ${pid} is gone` });
    const sshDown = await p.run(['ssh', '-c', 'true']);
    expect(sshDown.code).toBe(2);
    expect(sshDown.stderr).toContain("machine 'default' is not running: its engine stopped unexpectedly");
    const up = await p.run(['up'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stdout).toContain('default: recovered');
    expect(up.stderr).toContain('had stopped unexpectedly');
    const r = await p.run(['ssh', '-c', 'cat /root/synced.txt']);
    expect(r.stdout).toBe('synced\n');
  }, BOOT);

  it('logs --follow follows the console until interrupted', async () => {
    const follow = p.start(['logs', '--follow']);
    let seen = '';
    follow.child.stdout!.on('data', (d: string) => (seen += d));
    const until = async (text: string): Promise<void> => {
      for (let i = 0; i < 200 && !seen.includes(text); i++) await new Promise((r) => setTimeout(r, 100));
    };
    await until('vm: ready');
    await p.run(['ssh', '-c', 'echo follow-marker > /dev/console']);
    await until('follow-marker');
    follow.child.kill('SIGINT');
    const r = await follow.done;
    expect(seen).toContain('follow-marker');
    expect(r.code, show(r)).toBe(0);
  });

  it('a flood on a console client that never reads does not stall the guest', async () => {
    const sockets = p.stateFile('default').sockets;
    const idle = net.connect(sockets.console!);
    await new Promise((r) => idle.once('connect', r));
    idle.pause();
    try {
      const started = Date.now();
      const flood = await p.run(['ssh', '-c', "head -c 1000000 /dev/zero | tr '\\0' x > /dev/console; echo flooded"], { timeoutMs: 120_000 });
      expect(flood.stdout, show(flood)).toBe('flooded\n');
      expect(Date.now() - started).toBeLessThan(120_000);
      const after = await p.run(['ssh', '-c', 'echo alive']);
      expect(after.stdout).toBe('alive\n');
    } finally {
      idle.destroy();
    }
  }, 150_000);

  it('a changed Vmfile: up warns that the running machine differs, reload applies it', async () => {
    p.writeVmfile(vmfile.replace('memory: 256M', 'memory: 192M'));
    const up = await p.run(['up'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stderr).toContain("machine 'default' is running with an older version of its Vmfile settings; `vm reload default` applies the changes");
    const stale = await p.run(['status']);
    expect(stale.stderr).toContain("machine 'default' is running with an older version of its Vmfile settings; `vm reload default` applies the changes");
    const before = await p.run(['ssh', '-c', "awk '/MemTotal/ {print $2}' /proc/meminfo"]);
    const r = await p.run(['reload'], { timeoutMs: BOOT });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('default: halted');
    expect(r.stdout).toContain('default: booted');
    const after = await p.run(['ssh', '-c', "awk '/MemTotal/ {print $2}' /proc/meminfo"]);
    expect(Number(before.stdout) - Number(after.stdout)).toBeGreaterThan(60 * 1024);
    const again = await p.run(['up'], { timeoutMs: BOOT });
    expect(again.stderr).not.toContain('older version');
    const fresh = await p.run(['status', '--json']);
    expect(JSON.parse(fresh.stdout).machines[0]).toMatchObject({ status: 'running', vmfileChanged: false, accel: ENGINE === 'qemu' ? 'tcg' : 'builtin' });
  }, BOOT);

  it('destroy --force stops the machine and deletes its files; the box stays', async () => {
    const pid = p.stateFile('default').pid!;
    const r = await p.run(['destroy', '--force']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe('default: destroyed\n');
    expect(alive(pid)).toBe(false);
    expect(existsSync(p.machineDir('default'))).toBe(false);
    expect(readdirSync(p.runtime)).toEqual([]);
    expect((await p.status())[0]!.status).toBe('not created');
    const gs = await p.run(['global-status', '--json']);
    expect(JSON.parse(gs.stdout)).toEqual([]);
    const boxes = await p.run(['box', 'list']);
    expect(boxes.stdout).toContain('tiny');
    const again = await p.run(['destroy', '--force']);
    expect(again.stdout).toBe('default: not created; nothing to do\n');
  });
});
