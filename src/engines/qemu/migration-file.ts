// Suspend and resume on qemu through its migration stream (docs/devel/migration.rst), kept in a file.
// qemu runs under `-sandbox spawn=deny`, so `exec:` migration URIs are out and QEMU 7.2 has no `file:`
// URI: the stream goes over a loopback TCP connection to this process, which writes it to a temp
// file, fsyncs and renames it (save), or streams the file back into `-incoming tcp:` (resume).
//
// A riscv64 guest's timer does not survive the trip on qemu before 10.2: the stream carries the
// `stimecmp` value (Sstc) but not the host timer armed for it, so the loaded guest never gets the
// timer interrupt it is waiting for. Linux then has an expired hrtimer it is never told about, and
// every sleep in the guest hangs while interrupts from devices still come in. After loading, the
// engine writes `stimecmp` back through qemu's gdbstub (the only way in from outside to a CSR):
// qemu arms the timer for it again, or raises the interrupt at once if its time has passed.
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import net from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { QmpClient } from '../qmp-client.js';
import { GdbRemote, registerNumber } from './gdb-remote.js';
import { optValue } from './argv.js';
import { syncDir } from '../shared/atomic-file.js';

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

/** CSR numbers (RISC-V privileged spec, table 2.2 "Currently allocated RISC-V supervisor-level CSR addresses"). */
const CSR_SSTATUS = 0x100;
const CSR_STIMECMP = 0x14d;

/**
 * Writes the loaded riscv64 guest's `stimecmp` back to itself through a gdbstub opened for the
 * purpose on `socketPath` and closed again, so qemu re-arms the supervisor timer (see the top of
 * this file). qemu stops the machine while a debugger is attached and runs it when it detaches.
 */
export function rearmGuestTimer(qmp: QmpClient, socketPath: string): Promise<void> {
  return rearmGuestTimerThrough((line) => qmp.execute<string>('human-monitor-command', { 'command-line': line }), socketPath);
}

/** The same through any way to qemu's human monitor (the libvirt engine has `virsh qemu-monitor-command --hmp`). */
export async function rearmGuestTimerThrough(hmp: (line: string) => Promise<string>, socketPath: string): Promise<void> {
  await unlink(socketPath).catch(() => undefined);
  const started = await hmp(`gdbserver unix:${optValue(socketPath)},server=on,wait=off`);
  if (!started.includes('Waiting for gdb connection')) throw new Error(`qemu did not open its gdbstub: ${started.trim()}`);
  let gdb: GdbRemote | undefined;
  try {
    gdb = await GdbRemote.connect(socketPath);
    await gdb.request('qSupported:xmlRegisters=riscv');
    // qemu numbers CSRs from a base it lists only for the CSRs it could read when it described the
    // target (stimecmp is not among them): take the base from sstatus, which is always there.
    const sstatus = registerNumber(await gdb.targetDescription(), 'sstatus');
    if (sstatus === undefined) throw new Error("qemu's gdbstub does not describe the sstatus CSR");
    const stimecmp = sstatus - CSR_SSTATUS + CSR_STIMECMP;
    await gdb.writeRegister(stimecmp, await gdb.readRegister(stimecmp));
    await gdb.detach();
  } finally {
    gdb?.close();
    await hmp('gdbserver none').catch(() => undefined);
    await unlink(socketPath).catch(() => undefined);
  }
}
