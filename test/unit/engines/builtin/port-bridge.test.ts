// The agent port bridge: one client at a time on the guest's port, later ones wait their turn.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PortBridge } from '../../../../src/engines/builtin/port-bridge.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('PortBridge', () => {
  let dir: string;
  let server: net.Server;
  let bridge: PortBridge;
  let toGuest: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vm-bridge-'));
    toGuest = '';
    bridge = new PortBridge();
    bridge.setPort({ send: (b) => ((toGuest += Buffer.from(b).toString()), true) });
    server = net.createServer((s) => bridge.attach(s));
    await new Promise<void>((r) => server.listen(join(dir, 'a.sock'), r));
  });
  afterEach(() => {
    bridge.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the second client only after the first leaves; guest bytes go to the current one', async () => {
    const a = net.connect(join(dir, 'a.sock'));
    let gotA = '';
    a.setEncoding('utf8').on('data', (d: string) => (gotA += d));
    await sleep(30);
    const b = net.connect(join(dir, 'a.sock'));
    let gotB = '';
    b.setEncoding('utf8').on('data', (d: string) => (gotB += d));
    await sleep(30);
    a.write('A1');
    b.write('B1');
    await sleep(30);
    bridge.fromGuest(Buffer.from('for-a'));
    await sleep(30);
    expect([toGuest, gotA, gotB]).toEqual(['A1', 'for-a', '']);
    a.destroy();
    await sleep(50);
    bridge.fromGuest(Buffer.from('for-b'));
    await sleep(30);
    expect([toGuest, gotB]).toEqual(['A1B1', 'for-b']);
    b.destroy();
    await sleep(30);
    bridge.fromGuest(Buffer.from('nobody')); // dropped, nothing breaks
  });

  it('holds what a client sends before the guest side exists, and hands it over once it does', async () => {
    bridge.setPort(null);
    const a = net.connect(join(dir, 'a.sock'));
    await sleep(30);
    a.write('hello');
    await sleep(30);
    expect(toGuest).toBe('');
    bridge.setPort({ send: (b) => ((toGuest += Buffer.from(b).toString()), true) });
    await sleep(30);
    a.write(' again');
    await sleep(30);
    expect(toGuest).toBe('hello again');
    a.destroy();
  });
});
