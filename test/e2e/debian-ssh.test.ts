// Real SSH into the debian-13 box (OpenSSH's sshd, issue 14): `vm up` authorizes the machine's own
// key and pins the host key the guest made at its first boot; `vm ssh-config > FILE` then serves
// OpenSSH's ssh, scp (SFTP protocol, OpenSSH's default) and rsync (`-e 'ssh -F FILE'`) with no prompt,
// and both copy tools round-trip bytes and modes.
// Opt-in: VM_TEST_DEBIAN_BOX=PATH (the built box: a .box archive or a store folder, from
// `vm box build boxes/debian-13`). The engine is qemu unless VM_TEST_DEBIAN_ENGINE=builtin. It runs
// in the main project only (it picks its engine itself).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, Project, show } from './helpers/vm-cli.js';

const BOX = process.env.VM_TEST_DEBIAN_BOX;
const ENGINE = process.env.VM_TEST_DEBIAN_ENGINE === 'builtin' ? 'builtin' : 'qemu';
const has = (program: string, arg: string): boolean => spawnSync(program, [arg]).error === undefined;
const CLIENTS = has('ssh', '-V') && has('scp', '-h') && has('rsync', '--version');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
// Never the user's own ssh config, agent or known_hosts: only what `vm ssh-config` says.
const ISOLATED = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=60'];

describe.skipIf(!BOX || !BUILT || !CLIENTS || process.env.VM_E2E_ENGINE === 'qemu')(
  `ssh, scp and rsync into debian-13 on ${ENGINE} through vm ssh-config (opt-in: VM_TEST_DEBIAN_BOX=PATH)`,
  () => {
    let p: Project;
    let cfg: string;
    beforeAll(async () => {
      p = new Project('debian-ssh', '');
      cfg = join(p.dir, 'ssh.conf');
      writeFileSync(join(p.dir, 'Vmfile'), `box: debian-13\nengine: ${ENGINE}\nmemory: 1G\nboot_timeout: ${ENGINE === 'builtin' ? '20m' : '5m'}\n`);
      const added = await p.run(['box', 'add', BOX!], { timeoutMs: 600_000 });
      expect(added.code, show(added)).toBe(0);
      const up = await p.run(['up'], { timeoutMs: 1_500_000 });
      expect(up.code, show(up)).toBe(0);
      expect(up.stderr, show(up)).not.toContain('ssh is not set up');
      const c = await p.run(['ssh-config']);
      expect(c.code, show(c)).toBe(0);
      writeFileSync(cfg, c.stdout);
    }, 2_200_000);
    afterAll(async () => {
      await p?.cleanup();
    });

    it("pins the guest's own OpenSSH host key and runs a command with its exit code, no prompt", async () => {
      const guestKey = await p.run(['ssh', '--', 'cat', '/etc/ssh/ssh_host_ed25519_key.pub']);
      expect(guestKey.code, show(guestKey)).toBe(0);
      const [type, blob] = guestKey.stdout.trim().split(' ');
      expect(readFileSync(join(p.machineDir('default'), 'ssh', 'known_hosts'), 'utf8')).toBe(`vm-default ${type} ${blob}\n`);
      const r = await p.exec(['ssh', '-F', cfg, ...ISOLATED, 'default', 'echo "$(id -un) on $(cat /etc/debian_version)"; exit 7']);
      expect(r.code, show(r)).toBe(7);
      expect(r.stdout).toMatch(/^root on 13\./);
      expect(r.stderr).not.toMatch(/authenticity|Warning|Permanently added/);
    }, 180_000);

    it('scp copies a file in and back, byte exact', async () => {
      const data = randomBytes(2 * 1024 * 1024);
      writeFileSync(join(p.dir, 'blob.bin'), data);
      const put = await p.exec(['scp', '-F', cfg, ...ISOLATED, 'blob.bin', 'default:/root/blob.bin'], 300_000);
      expect(put.code, show(put)).toBe(0);
      const inGuest = await p.run(['ssh', '--', 'sha256sum', '/root/blob.bin']);
      expect(inGuest.stdout.split(' ')[0], show(inGuest)).toBe(sha(data));
      const get = await p.exec(['scp', '-F', cfg, ...ISOLATED, 'default:/root/blob.bin', 'back.bin'], 300_000);
      expect(get.code, show(get)).toBe(0);
      expect(sha(readFileSync(join(p.dir, 'back.bin')))).toBe(sha(data));
    }, 700_000);

    it('rsync -a -e "ssh -F FILE" copies a tree in and back with its bytes and modes', async () => {
      const tree = join(p.dir, 'tree');
      mkdirSync(join(tree, 'sub'), { recursive: true });
      const big = randomBytes(1024 * 1024);
      writeFileSync(join(tree, 'sub', 'big.bin'), big);
      writeFileSync(join(tree, 'run.sh'), '#!/bin/sh\necho ran\n');
      chmodSync(join(tree, 'run.sh'), 0o750);
      const e = `ssh -F ${cfg} ${ISOLATED.join(' ')}`;
      const put = await p.exec(['rsync', '-a', '-e', e, 'tree/', 'default:/root/tree/'], 300_000);
      expect(put.code, show(put)).toBe(0);
      const inGuest = await p.run(['ssh', '--', 'sh', '-c', 'cd /root/tree && sha256sum sub/big.bin && stat -c %a run.sh && ./run.sh']);
      expect(inGuest.code, show(inGuest)).toBe(0);
      expect(inGuest.stdout).toBe(`${sha(big)}  sub/big.bin\n750\nran\n`);
      // changed in the guest, then fetched into a new folder
      const touch = await p.run(['ssh', '--', 'sh', '-c', 'echo guest >> /root/tree/run.sh']);
      expect(touch.code, show(touch)).toBe(0);
      const get = await p.exec(['rsync', '-a', '-e', e, 'default:/root/tree/', 'back/'], 300_000);
      expect(get.code, show(get)).toBe(0);
      expect(sha(readFileSync(join(p.dir, 'back', 'sub', 'big.bin')))).toBe(sha(big));
      expect(readFileSync(join(p.dir, 'back', 'run.sh'), 'utf8')).toBe('#!/bin/sh\necho ran\nguest\n');
      expect(statSync(join(p.dir, 'back', 'run.sh')).mode & 0o777).toBe(0o750);
    }, 700_000);
  },
);
