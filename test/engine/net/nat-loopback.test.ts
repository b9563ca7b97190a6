// The NAT on Node's real sockets, with our own TCP as the guest over a lossy simulated link:
// runs anywhere (no root, no namespaces). Servers and clients are on 127.0.0.1 only.

import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UserNet } from '../../../src/emulator/net/user-net.js';
import type { TcpCloseReason, TcpConnection } from '../../../src/emulator/net/tcp-connection.js';
import { bindForwards } from '../../../src/engines/builtin/net/forward-ports.js';
import { NodeNetHost, nodeNetClock } from '../../../src/engines/builtin/net/node-net-host.js';
import { ETH_HEADER_SIZE } from '../../../src/emulator/net/ethernet.js';
import { IPPROTO_UDP, parseIpv4Packet } from '../../../src/emulator/net/ipv4.js';
import { parseUdp } from '../../../src/emulator/net/udp.js';
import { GATEWAY, GUEST, udpFrame } from '../../unit/emulator/net/frame-builders.js';
import { appEvents, GUEST_MAC, GuestStack, type LinkOptions } from './guest-stack.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(link: LinkOptions = {}) {
  const userNet = new UserNet({
    host: new NodeNetHost(),
    clock: nodeNetClock,
    config: { guestMac: Array.from(GUEST_MAC, (b) => b.toString(16).padStart(2, '0')).join(':') },
  });
  cleanups.push(() => userNet.close());
  return { userNet, guest: new GuestStack(userNet, nodeNetClock, link) };
}

async function listen(handler: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

/** Writes `data` from the guest in chunks, honouring back-pressure, then FIN. */
function guestWriteAll(conn: TcpConnection, data: Uint8Array): () => void {
  let offset = 0;
  const more = () => {
    while (offset < data.length) {
      const chunk = data.subarray(offset, offset + 16384);
      offset += chunk.length;
      if (!conn.send(chunk)) return;
    }
    conn.shutdownWrite();
  };
  return more;
}

function guestSession(guest: GuestStack, port: number, upload: Uint8Array | undefined) {
  return new Promise<{ received: Uint8Array; reason: TcpCloseReason }>((resolve) => {
    const chunks: Uint8Array[] = [];
    let more = () => {};
    guest.connect(GATEWAY, port, (conn) => {
      more = upload ? guestWriteAll(conn, upload) : () => conn.shutdownWrite();
      return appEvents({
        onEstablished: () => more(),
        onSendSpace: () => more(),
        onData: (d) => chunks.push(d),
        onClosed: (reason) => resolve({ received: Uint8Array.from(Buffer.concat(chunks)), reason }),
      });
    });
  });
}

describe('NAT over Node sockets with a lossy link', () => {
  it('carries 4 MB each way through the gateway to a host server, intact despite loss and reordering', async () => {
    const { guest, userNet } = setup({ loss: 0.01, reorder: 0.01, seed: 7 });
    const upload = randomBytes(4 * 1024 * 1024);
    const download = randomBytes(4 * 1024 * 1024);
    const port = await listen((s) => {
      const got: Buffer[] = [];
      s.on('data', (d) => got.push(d));
      s.on('end', () => {
        s.write(sha(Buffer.concat(got)));
        s.end(download);
      });
    });
    const t0 = performance.now();
    const { received, reason } = await guestSession(guest, port, upload);
    const ms = performance.now() - t0;
    expect(reason).toBe('normal');
    expect(Buffer.from(received.subarray(0, 64)).toString()).toBe(sha(upload));
    expect(sha(received.subarray(64))).toBe(sha(download));
    expect(guest.lost).toBeGreaterThan(0);
    expect(userNet.stats.tcpRetransmits).toBeGreaterThan(0);
    console.log(`lossy link: 8 MB in ${ms.toFixed(0)} ms, ${guest.lost} frames lost, ${userNet.stats.tcpRetransmits} NAT retransmits`);
  });

  it('resets the guest when the host port is closed', async () => {
    const { guest } = setup();
    const closedPort = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const { reason } = await guestSession(guest, closedPort, undefined);
    expect(reason).toBe('refused');
  });

  it('bridges a host reset to a guest reset', async () => {
    const { guest } = setup();
    const port = await listen((s) => s.once('data', () => s.resetAndDestroy()));
    const { reason } = await guestSession(guest, port, new TextEncoder().encode('hello'));
    expect(reason).toBe('reset');
  });

  it('serves 50 parallel forwarded connections from the host to a guest echo server, bodies intact', async () => {
    const { guest, userNet } = setup({ loss: 0.005, seed: 11 });
    guest.listen(7, (conn) =>
      appEvents({
        onData: (d) => conn.send(d),
        onRemoteFin: () => conn.shutdownWrite(),
      }),
    );
    const fwd = await bindForwards([{ guest: 7, host: 0, hostIp: '127.0.0.1', protocol: 'tcp' }]);
    cleanups.push(() => fwd.close());
    fwd.attach(userNet);
    const hostPort = fwd.listening[0]!.port;
    const one = (i: number) =>
      new Promise<boolean>((resolve, reject) => {
        const body = randomBytes(32 * 1024 + i);
        const got: Buffer[] = [];
        const c = net.connect({ port: hostPort, host: '127.0.0.1', allowHalfOpen: true }, () => c.end(body));
        c.on('data', (d) => got.push(d));
        c.on('end', () => resolve(Buffer.concat(got).equals(body)));
        c.on('error', reject);
      });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => one(i)));
    expect(results.every(Boolean)).toBe(true);
    expect(userNet.stats.tcpConnectionsOpened).toBe(50);
  });

  it('resets a forwarded host connection when nothing listens in the guest', async () => {
    const { userNet } = setup();
    new GuestStack(userNet, nodeNetClock); // a guest that answers nothing: our SYNs go unanswered
    const fwd = await bindForwards([{ guest: 9, host: 0, hostIp: '127.0.0.1', protocol: 'tcp' }]);
    cleanups.push(() => fwd.close());
    fwd.attach(userNet);
    const outcome = await new Promise<string>((resolve) => {
      const c = net.connect(fwd.listening[0]!.port, '127.0.0.1');
      c.on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message));
      c.on('close', () => resolve('closed'));
      setTimeout(() => {
        userNet.close(); // machine shut down while the connection waits
      }, 300);
    });
    expect(['ECONNRESET', 'closed']).toContain(outcome);
  });

  it('relays a UDP forward: a host datagram reaches the guest port and the guest\'s answer returns', async () => {
    const { userNet } = setup();
    const toGuest: Uint8Array[] = [];
    userNet.onFrameToGuest = (f) => toGuest.push(f);
    const fwd = await bindForwards([{ guest: 5353, host: 0, hostIp: '127.0.0.1', protocol: 'udp' }]);
    cleanups.push(() => fwd.close());
    fwd.attach(userNet);
    const client = dgram.createSocket('udp4');
    cleanups.push(() => new Promise<void>((r) => client.close(() => r())));
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
    const answer = new Promise<string>((resolve) => client.once('message', (m) => resolve(m.toString())));
    client.send('question', fwd.listening[0]!.port, '127.0.0.1');
    const deadline = Date.now() + 5000;
    while (toGuest.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const ip = parseIpv4Packet(toGuest[0]!.subarray(ETH_HEADER_SIZE));
    if (!ip.ok) throw new Error(ip.reason);
    expect(ip.value).toMatchObject({ src: GATEWAY, dst: GUEST, protocol: IPPROTO_UDP });
    const d = parseUdp(ip.value.payload, ip.value.src, ip.value.dst);
    if (!d.ok) throw new Error(d.reason);
    expect(d.value.dstPort).toBe(5353);
    expect(Buffer.from(d.value.payload).toString()).toBe('question');
    userNet.receiveFromGuest(udpFrame(GATEWAY, 5353, d.value.srcPort, new TextEncoder().encode('answer')));
    expect(await answer).toBe('answer');
  });
});
