// Shared by bench/libvirt.js and the libvirt tests (test/e2e/libvirt-suspend.test.ts,
// test/engine/libvirt-engine.test.ts, test/support/throwaway-sshd.ts): a libvirt storage pool of their
// own (named per process), deleted at the end with the volumes `vm up` uploaded into it, so the
// host's own pools are never touched.
import { spawnSync } from 'node:child_process';

/**
 * `virsh -q -c URI ARGS`, synchronously, in the C locale (output parsed in English).
 * @param {string} uri
 * @param {...string} args
 * @returns {import('node:child_process').SpawnSyncReturns<string>}
 */
export function virshAt(uri, ...args) {
  return spawnSync('virsh', ['-q', '-c', uri, ...args], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
}

/**
 * Deletes the pool `pool` at `uri` with its volumes: each volume, then the pool's directory
 * (pool-destroy, pool-delete), then its definition. Nothing when no such pool exists; each step is
 * tried whatever the one before did, so a half-made pool goes too.
 * @param {string} uri
 * @param {string} pool
 */
export function deletePool(uri, pool) {
  if (virshAt(uri, 'pool-info', pool).status !== 0) return;
  for (const line of virshAt(uri, 'vol-list', pool).stdout.split('\n')) {
    const vol = line.trim().split(/\s+/)[0];
    if (vol) virshAt(uri, 'vol-delete', '--pool', pool, vol);
  }
  virshAt(uri, 'pool-destroy', pool);
  virshAt(uri, 'pool-delete', pool);
  virshAt(uri, 'pool-undefine', pool);
}
