// The runtime dir for sockets: private modes whatever the umask, links and other users' folders
// refused, socket paths that would not fit refused with a clear error, stale sockets only removed
// when they are sockets.
import { chownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../../../src/core/errors.js';
import { muxSocketPath } from '../../../../../src/core/agent/mux-connect.js';
import { MAX_SOCKET_PATH_BYTES, prepareRuntimeDir, removeIfSocket, removeRuntimeDir, runtimePathsFor, VM_RUNTIME_DIR_ENV } from '../../../../../src/core/lifecycle/engine/runtime-dir.js';

describe('runtime dir', () => {
  let base: string;
  let oldEnv: string | undefined;
  let oldUmask: number;

  beforeEach(() => {
    base = mkdtempSync('/tmp/vmrt-');
    oldEnv = process.env[VM_RUNTIME_DIR_ENV];
    process.env[VM_RUNTIME_DIR_ENV] = join(base, 'rt');
    oldUmask = process.umask(0o000);
  });
  afterEach(() => {
    process.umask(oldUmask);
    if (oldEnv === undefined) delete process.env[VM_RUNTIME_DIR_ENV];
    else process.env[VM_RUNTIME_DIR_ENV] = oldEnv;
    rmSync(base, { recursive: true, force: true });
  });

  it('is 0700 at both levels even with umask 000, and names the state dir it serves', async () => {
    const p = await prepareRuntimeDir('/projects/a/.vm/machines/default');
    expect(lstatSync(join(base, 'rt')).mode & 0o777).toBe(0o700);
    expect(lstatSync(p.runDir).mode & 0o777).toBe(0o700);
    expect(p.runDir).toMatch(/\/rt\/[0-9a-f]{8}$/);
    expect(readFileSync(join(p.runDir, 'owner'), 'utf8')).toBe('/projects/a/.vm/machines/default');
    expect(p.consoleLog).toBe('/projects/a/.vm/machines/default/console.log');
    // idempotent, and the same paths for the same machine
    expect(await prepareRuntimeDir('/projects/a/.vm/machines/default')).toEqual(p);
  });

  it('refuses a symlink, a file, another machine\'s folder', async () => {
    symlinkSync(base, join(base, 'rt'));
    await expect(prepareRuntimeDir('/x')).rejects.toThrow(/it is a symlink/);
    rmSync(join(base, 'rt'));
    writeFileSync(join(base, 'rt'), '');
    await expect(prepareRuntimeDir('/x')).rejects.toThrow(/it is not a directory/);
    rmSync(join(base, 'rt'));
    const p = runtimePathsFor('/x', join(base, 'rt'));
    mkdirSync(p.runDir, { recursive: true });
    writeFileSync(join(p.runDir, 'owner'), '/another/machine');
    await expect(prepareRuntimeDir('/x')).rejects.toThrow("the runtime folder " + p.runDir + " belongs to another machine (/another/machine)");
  });

  it.skipIf(process.getuid?.() !== 0)("refuses a folder another user created (as root: chown it away)", async () => {
    mkdirSync(join(base, 'rt'), { mode: 0o700 });
    chownSync(join(base, 'rt'), 4242, 4242);
    await expect(prepareRuntimeDir('/x')).rejects.toThrow(/belongs to user 4242, not to you/);
  });

  it('a socket path over the limit is a UserError naming it and the way out', async () => {
    process.env[VM_RUNTIME_DIR_ENV] = join(base, 'd'.repeat(MAX_SOCKET_PATH_BYTES));
    const err = await prepareRuntimeDir('/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/more than the 107 a Unix socket path may hold/);
    expect((err as UserError).options.hint).toContain(VM_RUNTIME_DIR_ENV);
  });

  it('removes sockets only, and the folder only when empty', async () => {
    const p = await prepareRuntimeDir('/y');
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(p.consoleSocket, r));
    srv.close();
    writeFileSync(p.qmpSocket, 'a regular file');
    await removeIfSocket(p.qmpSocket);
    expect(readFileSync(p.qmpSocket, 'utf8')).toBe('a regular file');
    await removeRuntimeDir(p);
    expect(() => lstatSync(p.consoleSocket)).toThrow();
    expect(readFileSync(p.qmpSocket, 'utf8')).toBe('a regular file');
    rmSync(p.qmpSocket);
    await removeRuntimeDir(p);
    expect(() => lstatSync(p.runDir)).toThrow();
  });

  it("an agent multiplexer that has not ended yet does not keep the folder: its socket goes with the machine's", async () => {
    const p = await prepareRuntimeDir('/z');
    const mux = net.createServer();
    await new Promise<void>((r) => mux.listen(muxSocketPath(p.agentSocket), r));
    try {
      await removeRuntimeDir(p);
      expect(() => lstatSync(p.runDir)).toThrow();
    } finally {
      await new Promise<void>((r) => mux.close(() => r()));
    }
  });
});
