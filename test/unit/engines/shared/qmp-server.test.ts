// The builtin engine's QMP subset, checked with the lifecycle's own QMP client and raw bytes.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QmpClient } from '../../../../src/engines/qmp-client.js';
import { JsonObjectSplitter, QmpServer, type QmpBackend } from '../../../../src/engines/shared/qmp-server.js';

class FakeMachine implements QmpBackend {
  calls: string[] = [];
  state = 'running';
  runState(): string {
    return this.state;
  }
  powerdown(): string | undefined {
    this.calls.push('powerdown');
    return this.state === 'running' ? undefined : 'not running';
  }
  reset(): void {
    this.calls.push('reset');
  }
  quit(): void {
    this.calls.push('quit');
  }
}

describe('JsonObjectSplitter', () => {
  it('splits objects however the stream is cut, strings and escapes included', () => {
    const text = '{"execute":"a","arguments":{"s":"}{\\"x"}}  {"execute":"b"}\n';
    for (let cut = 1; cut < text.length; cut++) {
      const s = new JsonObjectSplitter();
      const got = [...s.push(text.slice(0, cut))!, ...s.push(text.slice(cut))!];
      expect(got.map((o) => JSON.parse(o).execute)).toEqual(['a', 'b']);
    }
  });

  it('refuses what is not a stream of objects', () => {
    expect(new JsonObjectSplitter().push('[1]')).toBeNull();
    expect(new JsonObjectSplitter().push('"x"')).toBeNull();
    expect(new JsonObjectSplitter().push('}')).toBeNull();
  });
});

describe('QmpServer', () => {
  let dir: string;
  let server: net.Server;
  let machine: FakeMachine;
  let qmp: QmpServer;
  const sock = (): string => join(dir, 'qmp.sock');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vm-qmp-'));
    machine = new FakeMachine();
    qmp = new QmpServer(machine);
    server = net.createServer((s) => qmp.accept(s));
    await new Promise<void>((r) => server.listen(sock(), r));
  });
  afterEach(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('greets, requires negotiation, then answers the subset', async () => {
    const raw = net.connect(sock());
    let text = '';
    raw.setEncoding('utf8').on('data', (d: string) => (text += d));
    const lines = async (n: number): Promise<Record<string, unknown>[]> => {
      for (let i = 0; i < 100 && text.split('\r\n').filter(Boolean).length < n; i++) await new Promise((r) => setTimeout(r, 10));
      return text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    expect((await lines(1))[0]).toHaveProperty('QMP.capabilities', []);
    raw.write('{"execute": "query-status", "id": 1}');
    expect((await lines(2))[1]).toEqual({ error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" }, id: 1 });
    raw.write('{"execute":"qmp_capabilities"}{"execute":"query-status","id":"x"}{"execute":"nope"}');
    const l = await lines(5);
    expect(l[2]).toEqual({ return: {} });
    expect(l[3]).toEqual({ return: { status: 'running', singlestep: false, running: true }, id: 'x' });
    expect(l[4]).toEqual({ error: { class: 'CommandNotFound', desc: 'The command nope has not been found' } });
    raw.destroy();
  });

  it('system_powerdown, system_reset and quit reach the machine; errors come back as QmpCommandErrors', async () => {
    const c = await QmpClient.connect(sock());
    await c.execute('system_powerdown');
    await c.execute('system_reset');
    await c.execute('quit');
    expect(machine.calls).toEqual(['powerdown', 'reset', 'quit']);
    machine.state = 'shutdown';
    await expect(c.execute('system_powerdown')).rejects.toMatchObject({ name: 'QmpCommandError', desc: 'not running', errorClass: 'GenericError' });
    qmp.event('SHUTDOWN', { guest: true, reason: 'guest-shutdown' });
    await c.waitForEvent('SHUTDOWN', 2000);
    expect(c.receivedEvents().map((e) => e.event)).toEqual(['POWERDOWN', 'SHUTDOWN']);
    c.close();
  });

  it('a client sending garbage or an endless object is cut off', async () => {
    for (const junk of ['not json', `{"execute":"${'x'.repeat(70 * 1024)}`]) {
      const raw = net.connect(sock());
      let text = '';
      raw.setEncoding('utf8').on('data', (d: string) => (text += d));
      const closed = new Promise((r) => raw.on('close', r));
      raw.write(junk);
      await closed;
      expect(text).toContain('JSON parse error');
    }
  });
});
