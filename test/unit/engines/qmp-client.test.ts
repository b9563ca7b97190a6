// QmpClient against a scripted QMP server on a Unix socket: greeting and capabilities, answers
// matched by id (even out of order), error replies, events, time limits, a server that goes away,
// and a flood that would grow the buffer without bound.
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QmpClient, QmpCommandError, QmpConnectionError } from '../../../src/engines/qmp-client.js';

const GREETING = { QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: 'test' }, capabilities: ['oob'] } };

interface Cmd {
  execute: string;
  arguments?: Record<string, unknown>;
  id?: string;
}

/** A QMP server whose answers the test writes: `onCommand` sees each command and the socket. */
async function fakeQmp(onCommand: (cmd: Cmd, s: Socket) => void, o: { greet?: boolean } = {}): Promise<{ path: string; server: Server; seen: Cmd[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'vm-qmp-'));
  dirs.push(dir);
  const path = join(dir, 'qmp.sock');
  const seen: Cmd[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    if (o.greet !== false) s.write(`${JSON.stringify(GREETING)}\r\n`);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const cmd = JSON.parse(buf.slice(0, nl)) as Cmd;
        buf = buf.slice(nl + 1);
        seen.push(cmd);
        if (cmd.execute === 'qmp_capabilities') s.write(`${JSON.stringify({ return: {}, id: cmd.id })}\r\n`);
        else onCommand(cmd, s);
      }
    });
    s.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(path, () => r()));
  return { path, server, seen };
}

const dirs: string[] = [];
const servers: Server[] = [];
const sockets: Socket[] = [];
const clients: QmpClient[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function client(path: string, timeoutMs?: number): Promise<QmpClient> {
  const c = await QmpClient.connect(path, timeoutMs);
  clients.push(c);
  return c;
}

describe('QmpClient', () => {
  it('greets, negotiates capabilities, then runs commands with arguments', async () => {
    const { path, seen } = await fakeQmp((cmd, s) => s.write(`${JSON.stringify({ return: { status: 'running', running: true }, id: cmd.id })}\n`));
    const c = await client(path);
    expect(c.greeting).toEqual(GREETING);
    expect(await c.queryStatus()).toEqual({ status: 'running', running: true });
    await c.execute('human-monitor-command', { 'command-line': 'info status' });
    expect(seen.map((x) => x.execute)).toEqual(['qmp_capabilities', 'query-status', 'human-monitor-command']);
    expect(seen[2]!.arguments).toEqual({ 'command-line': 'info status' });
  });

  it('matches answers by id even when they come out of order, with events in between', async () => {
    const held: Cmd[] = [];
    const { path } = await fakeQmp((cmd, s) => {
      held.push(cmd);
      if (held.length === 2) {
        s.write(`${JSON.stringify({ event: 'POWERDOWN', timestamp: { seconds: 1, microseconds: 2 } })}\n`);
        s.write(`${JSON.stringify({ return: 'second', id: held[1]!.id })}\n${JSON.stringify({ return: 'first', id: held[0]!.id })}\n`);
      }
    });
    const c = await client(path);
    const [a, b] = await Promise.all([c.execute('one'), c.execute('two')]);
    expect([a, b]).toEqual(['first', 'second']);
    expect(await c.waitForEvent('POWERDOWN', 100)).toEqual({ event: 'POWERDOWN', timestamp: { seconds: 1, microseconds: 2 } });
  });

  it('turns error replies into QmpCommandError with the class and description', async () => {
    const { path } = await fakeQmp((cmd, s) => s.write(`${JSON.stringify({ error: { class: 'CommandNotFound', desc: "The command nope has not been found" }, id: cmd.id })}\n`));
    const c = await client(path);
    const err = await c.execute('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpCommandError);
    expect(err).toMatchObject({ command: 'nope', errorClass: 'CommandNotFound', message: 'QMP nope failed: The command nope has not been found (CommandNotFound)' });
  });

  it('waits for an event that comes later, and times out on one that does not', async () => {
    const { path } = await fakeQmp((cmd, s) => {
      s.write(`${JSON.stringify({ return: {}, id: cmd.id })}\n`);
      setTimeout(() => s.write(`${JSON.stringify({ event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' } })}\n`), 50);
    });
    const c = await client(path);
    const pending = c.waitForEvent('SHUTDOWN', 2000);
    await c.execute('system_powerdown');
    expect((await pending).data).toEqual({ guest: true, reason: 'guest-shutdown' });
    await expect(c.waitForEvent('RESET', 100)).rejects.toThrow('no QMP event RESET within 100 ms');
  });

  it('times out a command nobody answers, and fails pending commands when the server goes away', async () => {
    const { path } = await fakeQmp((cmd, s) => {
      if (cmd.execute === 'hang-up') s.destroy();
    });
    const c = await client(path);
    await expect(c.execute('silence', undefined, 100)).rejects.toThrow('QMP silence got no answer within 100 ms');
    const err = await c.execute('hang-up', undefined, 2000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpConnectionError);
    expect((err as Error).message).toBe('QMP connection closed');
    await expect(c.execute('after')).rejects.toThrow('QMP connection closed');
  });

  it('gives up on a server that never greets, and on a missing socket', async () => {
    const { path } = await fakeQmp(() => undefined, { greet: false });
    await expect(QmpClient.connect(path, 200)).rejects.toThrow('no QMP greeting within');
    await expect(QmpClient.connect(join(tmpdir(), 'vm-no-such-qmp.sock'), 200)).rejects.toThrow(/^cannot connect to QMP at .*vm-no-such-qmp\.sock: connect ENOENT/);
  });

  it('drops a connection whose message grows past the limit instead of buffering it all', async () => {
    const { path } = await fakeQmp((cmd, s) => {
      const chunk = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 6; i++) s.write(chunk);
    });
    const c = await client(path);
    await expect(c.execute('flood', undefined, 5000)).rejects.toThrow('QMP message longer than 4194304 bytes');
  });
});
