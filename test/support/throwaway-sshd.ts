// A "remote" libvirt host for tests: an sshd of the test's own on a free port of 127.0.0.1, with a
// host key and a user key made for the run, so `qemu+ssh://root@127.0.0.1:PORT/system?keyfile=...&no_verify=1`
// goes through ssh exactly as it would to another host (virsh, vol-upload, `virsh console`, the
// agent relay, the forward tunnel). Needs root (sshd for root@127.0.0.1), sshd, ssh, socat and a
// libvirt daemon with qemu-system-riscv64; `remoteLibvirtSkipReason` says which is missing.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deletePool } from '../../bench/lib/libvirt-pool.js';

const SSHD = '/usr/sbin/sshd';
const have = (p: string, args: string[]): boolean => spawnSync(p, args).error === undefined;

export function remoteLibvirtSkipReason(): string | undefined {
  if (!existsSync(SSHD)) return 'sshd is not installed (apt-get install openssh-server)';
  if (!have('ssh', ['-V'])) return 'ssh is not installed';
  if (!have('socat', ['-V'])) return 'socat is not installed (the agent relay on the hypervisor host)';
  const v = spawnSync('virsh', ['-c', 'qemu:///system', 'domcapabilities', '--arch', 'riscv64', '--virttype', 'qemu'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return 'no libvirt daemon with qemu-system-riscv64 on this host';
  if (spawnSync('id', ['-u'], { encoding: 'utf8' }).stdout.trim() !== '0') return 'needs root (sshd for root@127.0.0.1)';
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ThrowawaySshd {
  port: number;
  /** The libvirt URI of this host's system daemon through the sshd. */
  uri: string;
  stop(): void;
}

export async function startThrowawaySshd(): Promise<ThrowawaySshd> {
  const dir = mkdtempSync(join(tmpdir(), 'vm-sshd-'));
  for (const k of ['host', 'user']) {
    if (spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, k)]).status !== 0) throw new Error('ssh-keygen failed');
  }
  copyFileSync(join(dir, 'user.pub'), join(dir, 'authorized_keys'));
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  spawnSync('mkdir', ['-p', '/run/sshd']);
  const port = await freePort();
  // -D: stays in the foreground as our child, so the test ends exactly the sshd it started
  const sshd: ChildProcess = spawn(
    SSHD,
    ['-D', '-f', '/dev/null', '-h', join(dir, 'host'), '-p', String(port), '-o', 'ListenAddress=127.0.0.1', '-o', `AuthorizedKeysFile=${join(dir, 'authorized_keys')}`,
      '-o', 'PermitRootLogin=prohibit-password', '-o', 'PasswordAuthentication=no', '-o', 'StrictModes=no', '-o', 'UsePAM=no', '-o', `PidFile=${join(dir, 'sshd.pid')}`],
    { stdio: 'ignore' },
  );
  const uri = `qemu+ssh://root@127.0.0.1:${port}/system?keyfile=${join(dir, 'user')}&no_verify=1`;
  for (let i = 0; i < 50; i++) {
    if (spawnSync('virsh', ['-c', uri, 'version']).status === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    uri,
    stop: () => {
      sshd.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** virsh on this host's system libvirt directly (not through the sshd): what a test checks and cleans up with. */
export function systemVirsh(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync('virsh', ['-q', '-c', 'qemu:///system', ...args], { encoding: 'utf8' });
}

/** Removes a test's storage pool from this host's system libvirt: its volumes, the pool, its folder. */
export function removePool(pool: string): void {
  deletePool('qemu:///system', pool);
}

/** What a remote-libvirt test leaves on this host, removed: its domain (when it made one), its pool, its sshd. */
export function releaseRemoteLibvirt(o: { sshd?: ThrowawaySshd; pool: string; domain?: string }): void {
  if (o.domain) {
    systemVirsh('destroy', o.domain);
    systemVirsh('undefine', o.domain);
  }
  removePool(o.pool);
  o.sshd?.stop();
}
