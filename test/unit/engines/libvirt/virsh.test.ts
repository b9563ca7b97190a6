// How virsh's failures reach the user: real virsh runs against URIs that fail in known ways (a
// socket that is not there, an ssh port nobody listens on), a missing virsh, and the classification
// of the stderr texts libvirt 9.0 prints for the cases that cannot be staged here (permission).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LibvirtError } from '../../../../src/engines/libvirt/errors.js';
import { isLocalUri, parseLibvirtUri } from '../../../../src/engines/libvirt/uri.js';
import { classifyVirshFailure, Virsh, VirshCommandError } from '../../../../src/engines/libvirt/virsh.js';
import { agentChannelPath, domainOwner } from '../../../../src/engines/libvirt/libvirt-engine.js';

const hasVirsh = spawnSync('virsh', ['--version']).status === 0;
const hasSsh = spawnSync('ssh', ['-V']).status === 0;

async function failure(p: Promise<unknown>): Promise<LibvirtError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LibvirtError);
  return err as LibvirtError;
}

describe('virsh failures', () => {
  it('a missing virsh names the Debian packages (exit code 4)', async () => {
    const err = await failure(new Virsh('qemu:///system', '/nonexistent/virsh').run(['version']));
    expect(err.message).toBe('/nonexistent/virsh is not installed (needed for engine: libvirt)');
    expect(err.hint).toMatch(/^install libvirt: apt-get install libvirt-clients \(this host\) and libvirt-daemon-system qemu-system-misc/);
    expect(err.exitCode).toBe(4);
  });

  it.skipIf(!hasVirsh)('no daemon behind the socket: says to start it', async () => {
    const uri = 'qemu+unix:///system?socket=/nonexistent/libvirt-sock';
    const err = await failure(new Virsh(uri).run(['version']));
    expect(err.message).toBe(`the libvirt daemon is not running for ${uri}: failed to connect to the hypervisor: Failed to connect socket to '/nonexistent/libvirt-sock': No such file or directory`);
    expect(err.hint).toBe('start it: systemctl start libvirtd (or virtqemud); without systemd: virtlogd -d && libvirtd -d');
  });

  it.skipIf(!hasVirsh || !hasSsh)('a remote host that does not answer: says to check the URI and ssh', async () => {
    const uri = 'qemu+ssh://nobody@127.0.0.1:1/system';
    const err = await failure(new Virsh(uri).run(['version']));
    expect(err.message).toMatch(/^cannot reach the libvirt host qemu\+ssh:\/\/nobody@127\.0\.0\.1:1\/system: failed to connect to the hypervisor: .*Connection refused/);
    expect(err.hint).toMatch(/^check the URI, that the host runs libvirtd, and that `ssh` to it works/);
  });

  it('permission problems (socket mode, polkit) point at the libvirt group', () => {
    for (const stderr of [
      "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied\n",
      'error: failed to connect to the hypervisor\nerror: internal error: Unable to get system bus connection: Could not connect: No such file or directory\n',
      "error: failed to connect to the hypervisor\nerror: authentication unavailable: no polkit agent available to authenticate action 'org.libvirt.unix.manage'\n",
    ]) {
      const err = classifyVirshFailure('qemu:///system', stderr);
      expect(err?.message).toMatch(/^permission denied on libvirt's socket for qemu:\/\/\/system: failed to connect to the hypervisor: /);
      expect(err?.hint).toBe('run vm as a member of the `libvirt` group (adduser $USER libvirt, then log in again), or use qemu:///session');
    }
  });

  it('a command failing after the connection worked is the command\'s own error', () => {
    expect(classifyVirshFailure('qemu:///system', "error: failed to get domain 'x'\n")).toBeUndefined();
    expect(new VirshCommandError(['domstate', 'x'], "error: failed to get domain 'x'\n").message).toBe("virsh domstate failed: failed to get domain 'x'");
  });
});

describe('libvirt URIs', () => {
  it('parses local and remote URIs', () => {
    expect(parseLibvirtUri('qemu:///system')).toEqual({ driver: 'qemu', path: '/system', params: {} });
    expect(parseLibvirtUri('qemu+ssh://root@hv1:2222/system?keyfile=/k%20ey&no_verify=1')).toEqual({
      driver: 'qemu', transport: 'ssh', user: 'root', host: 'hv1', port: 2222, path: '/system', params: { keyfile: '/k ey', no_verify: '1' },
    });
    expect(parseLibvirtUri('not a uri')).toBeUndefined();
    expect(['qemu:///system', 'qemu:///session', 'qemu+unix:///system?socket=/x'].map(isLocalUri)).toEqual([true, true, true]);
    expect(['qemu+ssh://root@127.0.0.1/system', 'qemu+tls://hv1/system', 'nonsense'].map(isLocalUri)).toEqual([false, false, false]);
  });
});

describe('reading domain XML', () => {
  const ours = `<domain type='qemu' id='3'><name>vm-web-1</name><metadata>
    <vm:machine xmlns:vm="urn:x-vm:libvirt:machine:1"><vm:name>web</vm:name><vm:project>/home/dev/a&amp;b</vm:project></vm:machine>
  </metadata><devices>
    <channel type='unix'><source mode='bind' path='/var/lib/libvirt/qemu/channel/target/domain-3-vm-web-1/org.qemu.guest_agent.0'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <channel type='unix'><source mode='bind' path='/var/lib/libvirt/qemu/channel/target/domain-3-vm-web-1/vm.agent'/><target type='virtio' name='vm.agent' state='connected'/></channel>
  </devices></domain>`;

  it('knows its own domains by their metadata, and no other', () => {
    expect(domainOwner(ours)).toEqual({ project: '/home/dev/a&b', name: 'web' });
    expect(domainOwner("<domain type='kvm'><name>vm-web-1</name></domain>")).toBeUndefined();
  });

  it('finds the agent port\'s socket among the channels', () => {
    expect(agentChannelPath(ours)).toBe('/var/lib/libvirt/qemu/channel/target/domain-3-vm-web-1/vm.agent');
    expect(agentChannelPath("<domain><devices><serial type='pty'/></devices></domain>")).toBeUndefined();
  });
});
