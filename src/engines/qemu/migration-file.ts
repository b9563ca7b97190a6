// Suspend and resume on qemu through its migration stream (docs/devel/migration.rst), kept in a file.
// qemu runs under `-sandbox spawn=deny`, so `exec:` migration URIs are out and QEMU 7.2 has no `file:`
// URI: the stream goes over a loopback TCP connection to this process, which writes it to a temp
// file, fsyncs and renames it (save), or streams the file back into `-incoming tcp:` (resume).
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import net from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { QmpClient } from '../qmp-client.js';
import { syncDir } from '../builtin/disk/sync-dir.js';

/** How long a migration to or from the file may take. */
export const MIGRATION_TIMEOUT_MS = 300_000;

/** Why qemu cannot migrate this machine, or undefined. */
export function migrationBlocker(syncedFolders: number): string | undefined {
  if (syncedFolders > 0) {
    return "qemu cannot migrate a machine with a mounted virtfs (9p) share, and vm suspends qemu machines by migrating them: this machine has synced folders. Remove `synced_folders` or use the builtin engine";
  }
  return undefined;
}

/** Pause the guest and migrate it into `path` (atomically). The qemu process stays, paused, for the caller to quit. */
export async function migrateToFile(qmp: QmpClient, path: string): Promise<number> {
  const tmp = `${path}.tmp-${process.pid}`;
  await unlink(tmp).catch(() => {});
  const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
  let bytes = 0;
  const received = new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    out.on('finish', () => resolve());
  });
  const server = net.createServer((sock) => {
    server.close();
    sock.on('data', (b: Buffer) => (bytes += b.length));
    sock.pipe(out);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  try {
    await qmp.execute('stop');
    await qmp.execute('migrate', { uri: `tcp:127.0.0.1:${port}` });
    const deadline = Date.now() + MIGRATION_TIMEOUT_MS;
    for (;;) {
      const m = await qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
      if (m.status === 'completed') break;
      if (m.status === 'failed' || m.status === 'cancelled') throw new Error(`qemu's migration ${m.status}${m['error-desc'] ? `: ${m['error-desc']}` : ''}`);
      if (Date.now() > deadline) throw new Error(`qemu's migration did not finish within ${MIGRATION_TIMEOUT_MS / 1000} s`);
      await sleep(50);
    }
    await received;
    const fh = await open(tmp, 'r+');
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
    await syncDir(dirname(path));
    return bytes;
  } catch (err) {
    server.close();
    out.destroy();
    await unlink(tmp).catch(() => {});
    // The guest goes on as it was.
    await qmp.execute('cont').catch(() => undefined);
    throw err;
  }
}

/** A free loopback port for `-incoming tcp:` (bound and released: qemu takes it right after). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Stream `path` into a qemu waiting with `-incoming tcp:127.0.0.1:PORT`, then wait until it has loaded it. */
export async function migrateFromFile(qmp: QmpClient, path: string, port: number, timeoutMs = MIGRATION_TIMEOUT_MS): Promise<void> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const sent = new Promise<void>((resolve, reject) => {
    const input = createReadStream(path);
    input.once('error', reject);
    sock.once('error', reject);
    input.pipe(sock);
    sock.once('finish', resolve);
  });
  await sent;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await qmp.queryStatus();
    if (s.status !== 'inmigrate') {
      if (s.status === 'paused' || s.status === 'prelaunch' || s.status === 'running' || s.status === 'postmigrate') return;
      throw new Error(`qemu did not load the saved state (status ${s.status})`);
    }
    if (Date.now() > deadline) throw new Error(`qemu did not load the saved state within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}
