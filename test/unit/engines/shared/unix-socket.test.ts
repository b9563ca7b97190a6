// One reading of "is a process at this socket?" for every engine and core (src/engines/shared/
// unix-socket.ts): a server that exists but does not take the connection (a stopped or hung engine
// whose backlog is full) holds its path, so no engine start replaces it; it is not up for use either.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineStartError } from '../../../../src/engines/errors.js';
import { checkSocketPath, listenUnix, probeSocket, socketAccepts, socketInUse } from '../../../../src/engines/shared/unix-socket.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vm-unix-socket-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A server in a process that stops itself once listening, its backlog then filled: it takes no more connections. */
async function hungServer(path: string): Promise<void> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen({ path: ${JSON.stringify(path)}, backlog: 1 }, () => { console.log('up'); process.kill(process.pid, 'SIGSTOP'); })`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanups.push(() => child.kill('SIGKILL'));
  await new Promise((r) => child.stdout!.once('data', r));
  const held: net.Socket[] = [];
  cleanups.push(() => held.forEach((s) => s.destroy()));
  // fill the backlog: the kernel completes connections until it is full, then refuses with EAGAIN
  for (;;) {
    const s = net.connect(path);
    held.push(s);
    const r = await new Promise<string>((resolve) => {
      s.once('connect', () => resolve('connect'));
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    if (r !== 'connect') return;
  }
}

describe('unix socket probes', () => {
  it('a live server accepts; a missing path or a stale socket is nobody', async () => {
    const dir = tempDir();
    const live = join(dir, 'live.sock');
    const server = await listenUnix(live, (s) => s.end());
    cleanups.push(() => server.close());
    expect(await probeSocket(live, 1000)).toBe('accepts');
    expect(await socketInUse(live)).toBe(true);
    expect(await socketAccepts(live)).toBe(true);
    expect(await probeSocket(join(dir, 'missing.sock'), 1000)).toBe('nobody');
    // a socket file nobody serves any more, as a killed engine leaves it
    const stale = join(dir, 'stale.sock');
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => child.stdout!.once('data', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await probeSocket(stale, 1000)).toBe('nobody');
    expect(await socketInUse(stale)).toBe(false);
    await expect(checkSocketPath(stale)).resolves.toBeUndefined();
  });

  it('a hung server holds its path (no engine start replaces it) but is not up for use', async () => {
    const dir = tempDir();
    const path = join(dir, 'qmp.sock');
    await hungServer(path);
    expect(await probeSocket(path, 1000)).toBe('unclear');
    expect(await socketInUse(path)).toBe(true);
    expect(await socketAccepts(path)).toBe(false);
    // the qemu and libvirt engines check their socket paths with this; they used to read a server
    // that does not take the connection as free, and qemu would have unlinked a live engine's socket
    await expect(checkSocketPath(path)).rejects.toThrow(EngineStartError);
    await expect(checkSocketPath(path)).rejects.toThrow(`${path} is in use by another running engine`);
    await expect(listenUnix(path, () => undefined)).rejects.toThrow(`${path} is in use by another running engine`);
  });

  it('a file that is not a socket is refused with a hint; a free path passes', async () => {
    const dir = tempDir();
    const file = join(dir, 'console.sock');
    writeFileSync(file, 'mine');
    const err = await checkSocketPath(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineStartError);
    expect((err as EngineStartError).message).toBe(`${file} exists and is not a socket; refusing to replace it`);
    expect((err as EngineStartError).hint).toBe('move the file away, or point VM_RUNTIME_DIR elsewhere');
    await expect(checkSocketPath(join(dir, 'free.sock'))).resolves.toBeUndefined();
  });
});
