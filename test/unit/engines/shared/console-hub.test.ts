// The console fan-out: every client sees the output, one types, a client that does not read loses
// output instead of holding anything back, and input the guest cannot take yet waits.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_BUFFER_LIMIT, ConsoleHub } from '../../../../src/engines/shared/console-hub.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Waits up to 10 s for a condition; the assertion that follows says what was wrong. */
async function until(ok: () => boolean): Promise<void> {
  for (let waited = 0; waited < 10_000 && !ok(); waited += 20) await sleep(20);
}

describe('ConsoleHub', () => {
  let dir: string;
  let server: net.Server;
  let hub: ConsoleHub;
  let typed: string;
  let room: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vm-hub-'));
    typed = '';
    room = Infinity;
    hub = new ConsoleHub({
      input: (b) => {
        const n = Math.min(b.length, room);
        typed += Buffer.from(b.subarray(0, n)).toString();
        room -= n;
        return n;
      },
    });
    server = net.createServer((s) => hub.attach(s));
    await new Promise<void>((r) => server.listen(join(dir, 'c.sock'), r));
  });
  afterEach(() => {
    hub.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = async (): Promise<{ s: net.Socket; got: () => string }> => {
    const s = net.connect(join(dir, 'c.sock'));
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => (got += d));
    await new Promise((r) => s.once('connect', r));
    await sleep(20);
    return { s, got: () => got };
  };

  it('fans output out; the first to type owns the keyboard until it leaves', async () => {
    const a = await client();
    const b = await client();
    hub.publish(new TextEncoder().encode('boot text'));
    await sleep(50);
    expect([a.got(), b.got()]).toEqual(['boot text', 'boot text']);
    a.s.write('from a');
    await sleep(30);
    b.s.write('from b');
    await sleep(50);
    expect(typed).toBe('from a');
    expect(b.got()).toContain('another session is typing on this console');
    a.s.destroy();
    await sleep(50);
    b.s.write(' then b');
    await sleep(50);
    expect(typed).toBe('from a then b');
  });

  it('a client that never reads loses output past its limit; the others get everything', async () => {
    const idle = await client();
    idle.s.pause();
    const reader = await client();
    const chunk = new Uint8Array(64 * 1024).fill(0x78);
    const total = 40 * chunk.length;
    for (let i = 0; i < 40; i++) {
      hub.publish(chunk);
      await sleep(2);
    }
    // Poll rather than guess: a loaded CI host may take a while to move 2.5 MiB through sockets.
    await until(() => reader.got().length >= total);
    expect(reader.got().length).toBe(total);
    idle.s.resume();
    const DROPPED = /\[vm: (\d+) bytes of console output were dropped: this client did not keep up\]/;
    await until(() => {
      const n = DROPPED.exec(idle.got());
      return n !== null && idle.got().length - n[0].length - 4 + Number(n[1]) >= total;
    });
    // The idle client got what fit in the kernel's socket buffers and the hub's limit; the rest was
    // dropped and it is told so.
    const notice = DROPPED.exec(idle.got());
    expect(notice).not.toBeNull();
    const received = idle.got().length - notice![0].length - 4;
    expect(received + Number(notice![1])).toBe(total);
    expect(Number(notice![1])).toBeGreaterThan(total - CLIENT_BUFFER_LIMIT - 4 * 1024 * 1024);
  });

  it('input the guest cannot take yet is held (the client paused) and delivered later, in order', async () => {
    const a = await client();
    room = 4;
    a.s.write('abcdefghij');
    await sleep(30);
    expect(typed).toBe('abcd');
    room = Infinity;
    await sleep(30);
    expect(typed).toBe('abcdefghij');
  });
});
