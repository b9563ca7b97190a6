// What must hold when things go wrong, through the real CLI: two `up` at once boot one engine;
// SIGKILL of the CLI at each step of `up` leaves a state that `status` reports truthfully and that
// `up` and `destroy` handle; a host port already taken fails before boot, naming it; a file where
// a socket should be is left alone.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, E2E_READY, Project, show } from './helpers/vm-cli.js';

const BOOT = 300_000;

/** Engine processes (builtin engine-main.js, or its bundle's starter engine-main.start.cjs, or qemu-system-*) whose command line names this project's machines. */
function enginesOf(p: Project): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const engine = /engine-main(\.js|\.start\.cjs)/.test(cmd) || /(^|\/)qemu-system-/.test(cmd);
      if (engine && cmd.includes(join(p.dir, '.vm/machines')) && alive(Number(d))) pids.push(Number(d));
    } catch {
      // gone
    }
  }
  return pids;
}

describe.skipIf(!E2E_READY)('reliability (compiled CLI; run `npm run build` first; skipped when the engine under test is missing)', () => {
  let p: Project;

  beforeAll(() => {
    p = new Project('rel', `box: tiny
memory: 128M
boot_timeout: 4m
provision:
  - type: shell
    name: first
    inline: echo provisioned >> /root/first.log
`);
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  it('two `vm up` at once: exactly one boots the machine, the other finds it running', async () => {
    const a = p.start(['up'], { timeoutMs: BOOT });
    const b = p.start(['up'], { timeoutMs: BOOT });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, show(ra)).toBe(0);
    expect(rb.code, show(rb)).toBe(0);
    const outcomes = [ra.stdout, rb.stdout].map((o) => (o.includes('default: booted') ? 'booted' : o.includes('default: already running') ? 'running' : 'other'));
    expect(outcomes.sort()).toEqual(['booted', 'running']);
    expect(enginesOf(p)).toHaveLength(1);
    const r = await p.run(['ssh', '-c', 'cat /root/first.log']);
    expect(r.stdout).toBe('provisioned\n');
  }, BOOT);

  it('a host port already in use fails `up` before boot, naming the port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const q = new Project('port', `box: tiny\nmemory: 64M\nforwards:\n  - guest: 80\n    host: ${port}\n`);
    try {
      const r = await q.run(['up'], { timeoutMs: 60_000 });
      expect(r.code, show(r)).toBe(1);
      expect(r.stderr).toContain(`machine 'default' forwards 127.0.0.1:${port}/tcp to guest port 80, but host port ${port} is already in use`);
      expect(enginesOf(q)).toEqual([]);
      expect((await q.status())[0]!.status).toBe('created');
    } finally {
      blocker.close();
      await q.cleanup();
    }
  }, 120_000);

  it('kill -9 of the CLI once the engine is recorded: status says running; up finishes the job', async () => {
    await p.run(['destroy', '--force']);
    const killed = await p.run(['up'], { env: { VM_TEST_KILL_AT: 'after-running' }, timeoutMs: BOOT });
    expect(killed.signal).toBe('SIGKILL');
    const [m] = await p.status();
    expect(m!.status).toBe('running');
    expect(enginesOf(p)).toEqual([m!.pid]);
    const up = await p.run(['up'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stderr).toContain('its first provisioning had not finished; ran it now');
    expect(enginesOf(p)).toEqual([m!.pid]);
    expect((await p.run(['ssh', '-c', 'cat /root/first.log'])).stdout).toBe('provisioned\n');
  }, BOOT);

  it('kill -9 of the CLI right after it spawned the engine: the next up stops that engine and boots one', async () => {
    await p.run(['destroy', '--force']);
    const killed = await p.run(['up'], { env: { VM_TEST_KILL_AT: 'after-spawn' }, timeoutMs: BOOT });
    expect(killed.signal).toBe('SIGKILL');
    expect((await p.status())[0]!.status).toBe('created');
    const up = await p.run(['up'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stderr).toContain("stopped an engine of 'default' left by an interrupted command");
    const [m] = await p.status();
    expect(m!.status).toBe('running');
    expect(enginesOf(p)).toEqual([m!.pid]);
  }, BOOT);

  it('kill -9 of the CLI before the engine starts: state "created", destroy cleans up', async () => {
    await p.run(['destroy', '--force']);
    for (const step of ['after-created', 'after-prepare']) {
      const killed = await p.run(['up'], { env: { VM_TEST_KILL_AT: step }, timeoutMs: 60_000 });
      expect(killed.signal, step).toBe('SIGKILL');
      expect((await p.status())[0]!.status, step).toBe('created');
      expect(enginesOf(p), step).toEqual([]);
    }
    const d = await p.run(['destroy', '--force']);
    expect(d.code, show(d)).toBe(0);
    expect((await p.status())[0]!.status).toBe('not created');
    // a lock left by a killed command is cleared, not waited on
    const st = await p.run(['status']);
    expect(st.stdout).toContain('not created');
  }, 180_000);

  it('a regular file where the runtime dir keeps a socket is refused and left untouched', async () => {
    const q = new Project('sock', 'box: tiny\nmemory: 64M\n');
    try {
      // Boot once to learn the runtime dir, then plant a file at its qmp.sock path.
      const hashDirs = (): string[] => readdirSync(q.runtime);
      const r = await q.run(['up', '--no-provision'], { timeoutMs: BOOT });
      expect(r.code, show(r)).toBe(0);
      const [dir] = hashDirs();
      await q.run(['halt', '--force']);
      mkdirSync(join(q.runtime, dir!), { recursive: true, mode: 0o700 });
      writeFileSync(join(q.runtime, dir!, 'owner'), join(q.dir, '.vm/machines/default'));
      writeFileSync(join(q.runtime, dir!, 'qmp.sock'), 'not a socket');
      const again = await q.run(['up'], { timeoutMs: BOOT });
      expect(again.code, show(again)).not.toBe(0);
      expect(again.stderr).toContain('exists and is not a socket; refusing to replace it');
      expect(readFileSync(join(q.runtime, dir!, 'qmp.sock'), 'utf8')).toBe('not a socket');
    } finally {
      await q.cleanup();
    }
  }, BOOT);
});
