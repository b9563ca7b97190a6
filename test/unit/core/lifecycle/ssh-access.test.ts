// How `vm up` plans the SSH forward and what `vm ssh-config` prints, without a guest (the e2e test
// test/e2e/ssh.test.ts runs OpenSSH's client against real guests).
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { MachineConfig } from '../../../../src/model/machine-config.js';
import type { MachineState } from '../../../../src/core/machines/state.js';
import { resolveForwards } from '../../../../src/core/lifecycle/forwards/check.js';
import { formatSshConfig, planSshForward, rootHome, sshRecordFor, sshUnavailable, withAuthorizedKey } from '../../../../src/core/lifecycle/ssh-access.js';

const config = (extra: Partial<MachineConfig> = {}, ssh = true): MachineConfig =>
  ({
    name: 'web',
    engine: 'builtin',
    box: { name: 'tiny', version: '0.4.0', ...(ssh ? { ssh: { hostKey: '/etc/dropbear/dropbear_ed25519_host_key.pub' } } : {}) },
    nics: [{ type: 'nat', mac: '52:54:00:12:34:56' }],
    forwards: [],
    ...extra,
  }) as MachineConfig;

describe('ssh access planning', () => {
  it('adds a forward from a port the system picks, or the previous boot port', () => {
    expect(planSshForward(config(), undefined)).toEqual({ add: { guest: 22, host: 0, hostIp: '127.0.0.1', protocol: 'tcp', autoCorrect: true } });
    const previous = { ssh: { hostIp: '127.0.0.1', port: 40222 } } as MachineState;
    expect(planSshForward(config(), previous)?.add?.host).toBe(40222);
  });

  it("uses the Vmfile's own forward of guest port 22", () => {
    const c = config({ forwards: [{ guest: 80, host: 8080, hostIp: '127.0.0.1', protocol: 'tcp' }, { guest: 22, host: 2222, hostIp: '0.0.0.0', protocol: 'tcp' }] });
    expect(planSshForward(c, undefined)).toEqual({ vmfileIndex: 1 });
    expect(sshRecordFor(c.forwards[1]!)).toEqual({ hostIp: '127.0.0.1', port: 2222 });
  });

  it('says why a machine has no ssh: no server in the box, no nat card', () => {
    expect(planSshForward(config({}, false), undefined)).toBeUndefined();
    expect(sshUnavailable(config({}, false))?.why).toBe('its box tiny 0.4.0 runs no SSH server');
    expect(sshUnavailable(config({ nics: [] }))?.why).toBe('it has no nat network card to forward the SSH port through');
    expect(sshUnavailable(config())).toBeUndefined();
  });

  it('resolves host port 0 to a free port that can be bound', async () => {
    const r = await resolveForwards('web', [{ guest: 22, host: 0, hostIp: '127.0.0.1', protocol: 'tcp', autoCorrect: true }]);
    const port = r.forwards[0]!.host;
    expect(port).toBeGreaterThan(0);
    expect(r.notes).toEqual([]);
    const s = net.createServer();
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => s.close(() => resolve()));
  });
});

describe('ssh config text', () => {
  it('prints a Host block per machine, quoting paths with spaces', () => {
    const text = formatSshConfig([
      { name: 'web', host: '127.0.0.1', port: 40222, user: 'root', identityFile: '/p/.vm/machines/web/ssh/id_ed25519', knownHostsFile: '/p/.vm/machines/web/ssh/known_hosts', hostKeyAlias: 'vm-web' },
      { name: 'db', host: '127.0.0.1', port: 40223, user: 'root', identityFile: '/my p/id_ed25519', knownHostsFile: '/my p/known_hosts', hostKeyAlias: 'vm-db' },
    ]);
    expect(text).toBe(`Host web
  HostName 127.0.0.1
  Port 40222
  User root
  IdentityFile /p/.vm/machines/web/ssh/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile /p/.vm/machines/web/ssh/known_hosts
  HostKeyAlias vm-web
  StrictHostKeyChecking yes
  PasswordAuthentication no

Host db
  HostName 127.0.0.1
  Port 40223
  User root
  IdentityFile "/my p/id_ed25519"
  IdentitiesOnly yes
  UserKnownHostsFile "/my p/known_hosts"
  HostKeyAlias vm-db
  StrictHostKeyChecking yes
  PasswordAuthentication no
`);
  });
});

describe("root's authorized_keys", () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample vm web';
  it("finds root's home in /etc/passwd, /root when there is no root line", () => {
    expect(rootHome('daemon:x:1:1::/usr/sbin:/bin/false\nroot:x:0:0:root:/home/admin:/bin/sh\n')).toBe('/home/admin');
    expect(rootHome('rooted:x:0:0::/srv:/bin/sh\n')).toBe('/root');
    expect(rootHome('')).toBe('/root');
  });
  it('adds the key once, keeping the other keys and ending the last line', () => {
    expect(withAuthorizedKey('', key)).toBe(`${key}\n`);
    expect(withAuthorizedKey('ssh-rsa AAAA other', key)).toBe(`ssh-rsa AAAA other\n${key}\n`);
    expect(withAuthorizedKey(`ssh-rsa AAAA other\n${key}\n`, key)).toBeUndefined();
    expect(withAuthorizedKey(`${key}  \n`, key)).toBeUndefined();
  });
});
