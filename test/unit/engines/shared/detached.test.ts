// The one way vm starts a process that outlives the command (src/engines/shared/detached.ts): the
// engines, qemu's console relay, the libvirt domain keeper, core's agent multiplexer and port watcher.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineStartError } from '../../../../src/engines/errors.js';
import { detachedNodeEnv, spawnDetached, startDetached } from '../../../../src/engines/shared/detached.js';

const dir = mkdtempSync(join(tmpdir(), 'vm-detached-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('detached processes', () => {
  it('run in their own process group, append their output to the log and say how they ended', async () => {
    const log = join(dir, 'engine.log');
    writeFileSync(log, 'before\n');
    const d = await startDetached('/bin/sh', ['-c', 'echo "pgid $(ps -o pgid= -p $$)"; sleep 0.2; exit 3'], { log, cwd: dir });
    expect(d.exited()).toBe('');
    expect(await d.ended).toBe('exit code 3');
    expect(d.exited()).toBe('exit code 3');
    const text = readFileSync(log, 'utf8');
    expect(text.startsWith('before\n')).toBe(true);
    // a group of its own: a Ctrl-C on the CLI's group does not reach it
    expect(Number(/pgid\s+(\d+)/.exec(text)![1])).toBe(d.pid);
    expect(Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(process.pid)], { encoding: 'utf8' }).trim())).not.toBe(d.pid);
  });

  it('a program that cannot start is an EngineStartError for an engine, an ending with the reason otherwise', async () => {
    const log = join(dir, 'missing.log');
    const err = await startDetached(join(dir, 'no-such-program'), [], { log, cwd: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineStartError);
    expect((err as Error).message).toMatch(/^cannot start .*no-such-program: spawn .*no-such-program ENOENT$/);
    const d = spawnDetached(join(dir, 'no-such-program'), [], { log, cwd: dir });
    expect(d.pid).toBeUndefined();
    expect(await d.ended).toMatch(/ENOENT/);
  });

  it('never writes through a link planted where the log goes', () => {
    const link = join(dir, 'link.log');
    symlinkSync(join(dir, 'target'), link);
    expect(() => spawnDetached('/bin/true', [], { log: link, cwd: dir })).toThrow(/ELOOP/);
  });

  it("a vm Node process does not inherit the CLI's NODE_OPTIONS", () => {
    expect(detachedNodeEnv({ PATH: '/bin', NODE_OPTIONS: '--inspect' })).toEqual({ PATH: '/bin', NODE_OPTIONS: '' });
  });
});
