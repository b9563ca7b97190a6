// NodeTcpSocket.resumeNow on real loopback sockets: bytes the socket already holds reach the handler
// before resumeNow returns, byte-exact and once, and a handler that pauses stops the hand-over.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { HostTcpHandlers } from '../../../src/emulator/net/net-host.js';
import { NodeTcpSocket } from '../../../src/engines/builtin/net/node-tcp-socket.js';

const pattern = (n: number) => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * 7) % 251));

/** A server socket that has `data` waiting in it (paused since accept), and the client that sent it. */
async function heldSocket(data: Buffer): Promise<{ socket: NodeTcpSocket; raw: net.Socket; done: () => void }> {
  let raw!: net.Socket;
  const server = net.createServer((s) => {
    raw = s;
    s.pause();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', r));
  client.end(data);
  await expect.poll(() => raw?.readableLength ?? 0, { timeout: 5000 }).toBeGreaterThan(0);
  await new Promise((r) => setTimeout(r, 50));
  const socket = new NodeTcpSocket(raw);
  socket.pause();
  return { socket, raw, done: () => (client.destroy(), raw.destroy(), server.close()) };
}

function handlers(onData: (d: Uint8Array) => void): HostTcpHandlers {
  return { onConnect() {}, onData, onDrain() {}, onEnd() {}, onClose() {} };
}

describe('NodeTcpSocket.resumeNow', () => {
  it('hands over what the socket holds before returning, then the rest as it flows, each byte once', async () => {
    const data = pattern(300_000);
    const t = await heldSocket(data);
    const got: Buffer[] = [];
    t.socket.attach(handlers((d) => got.push(Buffer.from(d))));
    const held = t.raw.readableLength;
    t.socket.resumeNow();
    expect(got.reduce((n, b) => n + b.length, 0)).toBe(held);
    await expect.poll(() => got.reduce((n, b) => n + b.length, 0), { timeout: 5000 }).toBe(data.length);
    expect(Buffer.concat(got).equals(data)).toBe(true);
    t.done();
  });

  it('stops handing over when the handler pauses the socket, and loses nothing', async () => {
    const data = pattern(200_000);
    const t = await heldSocket(data);
    const got: Buffer[] = [];
    t.socket.attach(
      handlers((d) => {
        got.push(Buffer.from(d));
        t.socket.pause();
      }),
    );
    t.socket.resumeNow();
    expect(got).toHaveLength(1);
    while (got.reduce((n, b) => n + b.length, 0) < data.length) {
      const before = got.length;
      t.socket.resumeNow();
      if (got.length === before) await new Promise((r) => setTimeout(r, 10));
    }
    expect(Buffer.concat(got).equals(data)).toBe(true);
    t.done();
  });
});
