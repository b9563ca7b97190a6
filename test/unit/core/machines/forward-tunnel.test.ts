// The forward tunnel record as commands see it (core/machines/forward-tunnel.ts over
// engines/shared/forward-tunnel-record.ts), with real processes: a pid counts as the tunnel only when
// its command line is the recorded one (a reused pid is never signalled), a dead tunnel is asked back
// from the process that keeps it, and stopTunnel ends a leftover one and removes the files. The
// real ssh tunnel runs in test/engine/libvirt-remote.test.ts and test/e2e/libvirt-remote.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureTunnel, stopTunnel, tunnelServing } from '../../../../src/core/machines/forward-tunnel.js';
import { readTunnel, TUNNEL_PID_FILE, TUNNEL_RECORD_FILE, type TunnelRecord } from '../../../../src/engines/shared/forward-tunnel-record.js';

const gone = (pid: number): Promise<boolean> =>
  new Promise((resolve) => {
    const t0 = Date.now();
    const poll = (): void => {
      if (!existsSync(`/proc/${pid}`)) return resolve(true);
      if (Date.now() - t0 > 5000) return resolve(false);
      setTimeout(poll, 20);
    };
    poll();
  });

describe('forward tunnel record', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  const sleeper = (secs: string): ChildProcess => {
    const c = spawn('sleep', [secs], { stdio: 'ignore' });
    children.push(c);
    return c;
  };
  const record = (keeperPid: number, argv: string[]): TunnelRecord => {
    const r: TunnelRecord = { keeperPid, via: 'ssh root@hv1:22', argv, forwards: [{ hostIp: '127.0.0.1', host: 8080, guest: 80, protocol: 'tcp', remote: '127.0.0.1:41000' }] };
    writeFileSync(join(dir, TUNNEL_RECORD_FILE), JSON.stringify(r));
    return r;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vm-tunnel-'));
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a pid is the tunnel only when its command line is the recorded one', async () => {
    const t = sleeper('301');
    record(process.pid, ['sleep', '301']);
    writeFileSync(join(dir, TUNNEL_PID_FILE), `${t.pid}\n`);
    expect(readTunnel(dir)?.pid).toBe(t.pid);
    const f = { guest: 80, host: 8080, hostIp: '127.0.0.1', protocol: 'tcp' as const };
    expect(tunnelServing(readTunnel(dir), f)).toBe(`ssh tunnel (pid ${t.pid}) through ssh root@hv1:22 to 127.0.0.1:41000 there`);
    expect(tunnelServing(readTunnel(dir), { ...f, host: 9090 })).toBeUndefined();
    // another program under the recorded pid (reused): not the tunnel, never signalled
    const other = sleeper('302');
    writeFileSync(join(dir, TUNNEL_PID_FILE), `${other.pid}\n`);
    expect(readTunnel(dir)?.pid).toBeUndefined();
    expect(tunnelServing(readTunnel(dir), f)).toBe('ssh tunnel through ssh root@hv1:22 is down (being re-established)');
    expect(stopTunnel(dir)).toBe(false);
    expect(existsSync(`/proc/${other.pid}`)).toBe(true);
    expect(existsSync(join(dir, TUNNEL_RECORD_FILE))).toBe(false);
  });

  it('stopTunnel ends a leftover tunnel and removes its files', async () => {
    const t = sleeper('303');
    record(process.pid, ['sleep', '303']);
    writeFileSync(join(dir, TUNNEL_PID_FILE), `${t.pid}\n`);
    expect(stopTunnel(dir)).toBe(true);
    expect(await gone(t.pid!)).toBe(true);
    expect(existsSync(join(dir, TUNNEL_PID_FILE))).toBe(false);
    expect(readTunnel(dir)).toBeUndefined();
  });

  it('a dead tunnel is asked back from its keeper, which starts a new one', async () => {
    // a keeper: on SIGUSR2 it starts the tunnel again and writes its pid, as the domain keeper does
    const keeper = spawn(
      process.execPath,
      ['-e', `const {spawn}=require('node:child_process');const fs=require('node:fs');process.on('SIGUSR2',()=>{const c=spawn('sleep',['304'],{stdio:'ignore'});fs.writeFileSync(${JSON.stringify(join(dir, TUNNEL_PID_FILE))},String(c.pid));});process.on('SIGTERM',()=>process.exit(0));console.log('ready');setInterval(()=>{},1000);`],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    children.push(keeper);
    await new Promise((r) => keeper.stdout!.once('data', r));
    record(keeper.pid!, ['sleep', '304']);
    expect(readTunnel(dir)?.pid).toBeUndefined();
    // a process that is not its keeper is never signalled
    expect((await ensureTunnel(dir, keeper.pid! + 100000, 500))?.pid).toBeUndefined();
    const back = await ensureTunnel(dir, keeper.pid!);
    expect(back?.pid).toBeGreaterThan(0);
    children.push({ kill: () => process.kill(back!.pid!, 'SIGKILL') } as unknown as ChildProcess);
  });

  it('a machine without a record needs no tunnel', async () => {
    expect(await ensureTunnel(dir, process.pid)).toBeUndefined();
    expect(stopTunnel(dir)).toBe(false);
  });
});
