// Per-machine locks between real processes: the second waits then fails naming the holder (exit code
// EXIT.locked), stale locks (dead pid, other boot, reused pid, old garbage) are cleared, and N
// processes incrementing one counter under the lock never lose an update.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, withLock } from '../../../../src/core/machines/lock.js';
import { lockMachine, withMachineLock } from '../../../../src/core/machines/machine-lock.js';
import { currentBootId, identify } from '../../../../src/core/machines/process-identity.js';
import { EXIT, UserError } from '../../../../src/core/errors.js';
import { distModule, ensureDist } from '../../../support/dist.js';

let root: string;
let project: string;
const lockFile = (): string => join(project, '.vm', 'locks', 'default.lock');

beforeAll(() => ensureDist(), 180_000);
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vm-lock-'));
  project = join(root, 'project');
  mkdirSync(project);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A child `vm` process: takes the machine lock as COMMAND, says "acquired", holds it HOLD ms. */
const CHILD = `
const { withMachineLock } = await import(process.env.MOD);
const [project, command, hold, timeout] = process.argv.slice(1);
try {
  await withMachineLock(project, 'default', command, async () => {
    console.log('acquired ' + Date.now());
    await new Promise((r) => setTimeout(r, Number(hold)));
  }, { timeoutMs: Number(timeout) });
  console.log('released');
} catch (err) {
  process.stderr.write(err.message + '\\n');
  process.exit(err.exitCode ?? 70);
}`;

interface Run {
  child: ChildProcess;
  out: string[];
  err: string[];
  done: Promise<number>;
}
function run(command: string, holdMs: number, timeoutMs: number): Run {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, project, command, String(holdMs), String(timeoutMs)], {
    env: { ...process.env, MOD: distModule('core/machines/machine-lock.js') },
  });
  const r: Run = { child, out: [], err: [], done: new Promise((res) => child.on('exit', (code, sig) => res(code ?? (sig ? 128 : -1)))) };
  child.stdout!.on('data', (d: Buffer) => r.out.push(...d.toString().trim().split('\n')));
  child.stderr!.on('data', (d: Buffer) => r.err.push(d.toString()));
  return r;
}
async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('machine lock between processes', () => {
  it('the second command waits, then fails with EXIT.locked naming the holder; a patient one gets it after', async () => {
    const holder = run('vm up', 2500, 1000);
    await until(() => holder.out.some((l) => l.startsWith('acquired')));
    const impatient = run('vm halt', 0, 300);
    const patient = run('vm ssh', 0, 10_000);
    const started = Date.now();
    expect(await impatient.done).toBe(EXIT.locked);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(impatient.err.join('')).toMatch(new RegExp(`^machine 'default' is locked by \`vm up\` \\(pid ${holder.child.pid}\\) since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\n$`));
    expect(await holder.done).toBe(0);
    expect(await patient.done).toBe(0);
    const released = Number(holder.out.find((l) => l.startsWith('acquired'))!.split(' ')[1]) + 2500;
    expect(Number(patient.out.find((l) => l.startsWith('acquired'))!.split(' ')[1])).toBeGreaterThanOrEqual(released - 5);
    expect(existsSync(lockFile())).toBe(false);
  });

  it('a lock left by a SIGKILLed process is detected as stale and cleared', async () => {
    const holder = run('vm up', 60_000, 1000);
    await until(() => holder.out.some((l) => l.startsWith('acquired')));
    holder.child.kill('SIGKILL');
    await holder.done;
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(holder.child.pid);
    const started = Date.now();
    await withMachineLock(project, 'default', 'vm up', async () => {
      expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(process.pid);
    }, { timeoutMs: 0 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('four processes incrementing one counter under the lock lose no update', async () => {
    const counter = join(root, 'counter');
    writeFileSync(counter, '0');
    const script = `
      const { withLock } = await import(process.env.MOD);
      const { readFileSync, writeFileSync } = await import('node:fs');
      for (let i = 0; i < 25; i++) {
        await withLock(process.argv[1], 'count', { what: 'counter', timeoutMs: 60000 }, async () => {
          const n = Number(readFileSync(process.argv[2], 'utf8'));
          await new Promise((r) => setTimeout(r, 1));
          writeFileSync(process.argv[2], String(n + 1));
        });
      }`;
    const kids = Array.from({ length: 4 }, () => {
      const c = spawn(process.execPath, ['--input-type=module', '-e', script, join(root, 'counter.lock'), counter], {
        env: { ...process.env, MOD: distModule('core/machines/lock.js') },
        stdio: 'inherit',
      });
      return new Promise<number | null>((r) => c.on('exit', r));
    });
    expect(await Promise.all(kids)).toEqual([0, 0, 0, 0]);
    expect(readFileSync(counter, 'utf8')).toBe('100');
  });
});

describe('stale and odd lock files (in-process)', () => {
  const writeLock = (owner: object): void => {
    mkdirSync(join(project, '.vm', 'locks'), { recursive: true });
    writeFileSync(lockFile(), JSON.stringify({ command: 'vm up', startedAt: new Date().toISOString(), nonce: 'n', ...owner }));
  };

  it('a live pid recorded under another boot id, or with another start time, is stale; nobody is signalled', async () => {
    const parent = identify(process.ppid);
    writeLock({ pid: process.ppid, bootId: 'not-this-boot' });
    const kill = process.kill;
    const signalled: unknown[] = [];
    process.kill = ((pid: number, sig?: string | number) => {
      if (sig !== 0) signalled.push([pid, sig]);
      return kill.call(process, pid, sig as number);
    }) as typeof process.kill;
    try {
      await withMachineLock(project, 'default', 'vm up', async () => undefined, { timeoutMs: 0 });
      writeLock({ pid: process.ppid, bootId: currentBootId(), startTime: (parent.startTime ?? 0) + 7 });
      await withMachineLock(project, 'default', 'vm up', async () => undefined, { timeoutMs: 0 });
    } finally {
      process.kill = kill;
    }
    expect(signalled).toEqual([]);
  });

  it('a live holder is respected: the wait times out with the holder named', async () => {
    const parent = identify(process.ppid);
    writeLock({ ...parent, command: 'vm provision' });
    const err = await withMachineLock(project, 'default', 'vm up', async () => undefined, { timeoutMs: 200 }).catch((e: UserError) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(EXIT.locked);
    expect((err as UserError).message).toMatch(new RegExp(`^machine 'default' is locked by \`vm provision\` \\(pid ${process.ppid}\\) since `));
    expect((err as UserError).options.hint).toBe('wait for that command to finish and try again (or set VM_LOCK_TIMEOUT=SECONDS to wait longer)');
    expect(existsSync(lockFile())).toBe(true);
  });

  it('an unreadable lock file is waited on while fresh and cleared once old', async () => {
    mkdirSync(join(project, '.vm', 'locks'), { recursive: true });
    writeFileSync(lockFile(), 'garbage');
    await expect(withMachineLock(project, 'default', 'vm up', async () => undefined, { timeoutMs: 100 })).rejects.toThrow(
      `machine 'default' is locked (unreadable lock file ${lockFile()})`,
    );
    const old = Date.now() / 1000 - 60;
    utimesSync(lockFile(), old, old);
    await withMachineLock(project, 'default', 'vm up', async () => undefined, { timeoutMs: 0 });
  });

  it('a symlink at the lock path is refused', async () => {
    mkdirSync(join(project, '.vm', 'locks'), { recursive: true });
    const { symlinkSync } = await import('node:fs');
    symlinkSync(join(root, 'nowhere'), lockFile());
    await expect(withMachineLock(project, 'default', 'vm up', async () => undefined, { timeoutMs: 0 })).rejects.toThrow(
      `refusing to use lock ${lockFile()}: it is a symlink`,
    );
  });

  it('releases on error and never removes a lock it does not own', async () => {
    const path = join(root, 'x.lock');
    await expect(withLock(path, 'vm up', { what: 'x' }, async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(existsSync(path)).toBe(false);
    const lock = await acquireLock(path, 'vm up', { what: 'x' });
    writeFileSync(path, 'someone else took it over');
    await lock.release();
    expect(readFileSync(path, 'utf8')).toBe('someone else took it over');
  });

  it('the handle `vm up` holds and the lock other commands take are one lock (one module)', async () => {
    const held = await lockMachine(project, 'default', 'vm up');
    expect(held.path).toBe(lockFile());
    await expect(withMachineLock(project, 'default', 'vm halt', async () => undefined, { timeoutMs: 0 })).rejects.toThrow(/already locked by this process/);
    await held.release();
    await withMachineLock(project, 'default', 'vm halt', async () => {
      await expect(lockMachine(project, 'default', 'vm up', { timeoutMs: 0 })).rejects.toThrow(/already locked by this process/);
    });
    await expect(lockMachine(project, '../x', 'vm up')).rejects.toThrow(UserError);
  });

  it('taking the same lock twice in one process is a bug, not a wait', async () => {
    const path = join(root, 'y.lock');
    const lock = await acquireLock(path, 'vm up', { what: 'y' });
    await expect(acquireLock(path, 'vm up', { what: 'y', timeoutMs: 5000 })).rejects.toThrow(/already locked by this process/);
    await lock.release();
  });
});
