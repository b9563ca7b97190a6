// The pure parts of the ssh tunnel for forwards on a remote libvirt host: reading qemu's `info
// usernet` (the text is qemu 7.2's, as it answered for hostfwd=tcp:127.0.0.1:0-:80), pairing rows
// with forwards, and the ssh argv the URI's user, port, keyfile and no_verify make. The tunnel itself
// runs for real in test/engine/libvirt-remote.test.ts and test/e2e/libvirt-remote.test.ts.
import { describe, expect, it } from 'vitest';
import { matchForwards, parseUsernetForwards, tunnelArgv, tunnelVia } from '../../../../src/engines/libvirt/forward-tunnel.js';
import { LibvirtError } from '../../../../src/engines/libvirt/errors.js';

const USERNET =
  'Hub -1 (vmnet0):\r\n' +
  '  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r\n' +
  '  TCP[HOST_FORWARD]   3       127.0.0.1 38063       10.0.2.15    80     0     0\r\n' +
  '  TCP[HOST_FORWARD]   4       127.0.0.1 40111       10.0.2.15    22     0     0\r\n' +
  '  TCP[ESTABLISHED]   27       10.0.2.15 47568   151.101.2.132    80     0     0\r\n' +
  '  UDP[236 sec]       29       10.0.2.15 40373        10.0.2.3    53     0     0\r\n';

describe('info usernet', () => {
  it('lists the host forwards with the ports the kernel picked, nothing else', () => {
    expect(parseUsernetForwards(USERNET)).toEqual([
      { protocol: 'tcp', hostAddr: '127.0.0.1', hostPort: 38063, guestPort: 80 },
      { protocol: 'tcp', hostAddr: '127.0.0.1', hostPort: 40111, guestPort: 22 },
    ]);
  });

  it('pairs each forward with its listener by guest port', () => {
    const forwards = [
      { guest: 22, host: 2222, hostIp: '127.0.0.1', protocol: 'tcp' as const },
      { guest: 80, host: 8080, hostIp: '0.0.0.0', protocol: 'tcp' as const },
    ];
    expect(matchForwards(forwards, parseUsernetForwards(USERNET))).toEqual([
      { hostIp: '127.0.0.1', host: 2222, guest: 22, protocol: 'tcp', remote: '127.0.0.1:40111' },
      { hostIp: '0.0.0.0', host: 8080, guest: 80, protocol: 'tcp', remote: '127.0.0.1:38063' },
    ]);
  });

  it('a forward qemu does not list is an error naming it', () => {
    expect(() => matchForwards([{ guest: 443, host: 8443, hostIp: '127.0.0.1', protocol: 'tcp' }], parseUsernetForwards(USERNET))).toThrow(
      new LibvirtError('qemu on the hypervisor host does not list a listener for guest port 443 (info usernet)'),
    );
  });
});

describe('the tunnel command', () => {
  const forwards = [
    { hostIp: '127.0.0.1', host: 8080, guest: 80, protocol: 'tcp' as const, remote: '127.0.0.1:38063' },
    { hostIp: '::1', host: 2222, guest: 22, protocol: 'tcp' as const, remote: '127.0.0.1:40111' },
  ];

  it('uses the URI\'s user, port, keyfile and no_verify, runs nothing remotely, one -L per forward', () => {
    expect(tunnelArgv('qemu+ssh://root@hv1:2200/system?keyfile=/k/id&no_verify=1', forwards)).toEqual([
      'ssh', '-o', 'LogLevel=VERBOSE', '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
      '-p', '2200', '-i', '/k/id', '-l', 'root',
      '-N', '-o', 'ExitOnForwardFailure=yes', '-o', 'ServerAliveInterval=10', '-o', 'ServerAliveCountMax=3',
      '-L', '127.0.0.1:8080:127.0.0.1:38063',
      '-L', '[::1]:2222:127.0.0.1:40111',
      '--', 'hv1',
    ]);
    expect(tunnelVia('qemu+ssh://root@hv1:2200/system?keyfile=/k/id')).toBe('ssh root@hv1:2200');
  });

  it('the user\'s own ssh settings for a bare host', () => {
    expect(tunnelArgv('qemu+ssh://hv1/system', forwards.slice(0, 1))).toEqual([
      'ssh', '-o', 'LogLevel=VERBOSE', '-o', 'BatchMode=yes',
      '-N', '-o', 'ExitOnForwardFailure=yes', '-o', 'ServerAliveInterval=10', '-o', 'ServerAliveCountMax=3',
      '-L', '127.0.0.1:8080:127.0.0.1:38063',
      '--', 'hv1',
    ]);
  });
});
