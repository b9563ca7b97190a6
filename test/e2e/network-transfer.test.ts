// Bulk TCP through the NAT with a real guest kernel, both directions, through the real CLI: 10 MiB of
// random bytes pushed from the host into `nc -l` in the guest over a forward and fetched back from
// the guest's httpd over another, 10 MiB fetched by the guest's wget from a server on the host's
// loopback (via the gateway address) and fetched back, and 100 forwarded requests at once. Every
// body is compared by sha256. On the builtin engine this drives the virtio-net offloads (TSO out of the
// guest, large segments into it, checksum offload) end to end.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_READY, ENGINE, Project, show } from './helpers/vm-cli.js';

const BOOT = 400_000;
const MIB = 1024 * 1024;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function get(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(parts)) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

describe.skipIf(!E2E_READY)('bulk TCP through the NAT (compiled CLI; run `npm run build` first; skipped when the engine under test is missing)', () => {
  let p: Project;
  let ncPort: number;
  let httpPort: number;
  let server: http.Server;
  const blob = randomBytes(10 * MIB);

  beforeAll(async () => {
    ncPort = await freePort();
    httpPort = await freePort();
    server = http.createServer((req, res) => {
      if (req.url !== '/blob') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': blob.length }).end(blob);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    p = new Project(
      'bulk',
      `box: tiny\nmemory: 256M\nboot_timeout: 5m\nforwards:\n  - {guest: 5001, host: ${ncPort}}\n  - {guest: 80, host: ${httpPort}}\n`,
    );
    const up = await p.run(['up'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    const www = await p.run(['ssh', '-c', 'mkdir -p /www && echo small-page > /www/index.html && httpd -p 80 -h /www']);
    expect(www.code, show(www)).toBe(0);
  }, BOOT);

  afterAll(async () => {
    await p?.cleanup();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  // The guest never hashes (its sha256sum alone would take seconds on an emulated CPU): what went in
  // is fetched back out through its httpd and compared here, so each check covers both directions.
  async function fetchBack(path: string, want: Buffer): Promise<void> {
    let body = Buffer.alloc(0);
    for (let i = 0; i < 100; i++) {
      body = await get(httpPort, path).catch(() => Buffer.alloc(0));
      if (body.length === want.length) break;
      await new Promise((r) => setTimeout(r, 300)); // still being written in the guest
    }
    expect(body.length).toBe(want.length);
    expect(sha(body)).toBe(sha(want));
  }

  it('host -> guest -> host: 10 MiB into nc over a forward, back out of httpd over another, sha256 intact', async () => {
    const listen = await p.run(['ssh', '-c', 'nc -l -p 5001 > /www/in.bin 2>/dev/null </dev/null & echo started']);
    expect(listen.stdout, show(listen)).toBe('started\n');
    // The listener may take a moment to be up: retry the connection until it is accepted.
    for (let attempt = 0; ; attempt++) {
      const sent = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port: ncPort });
        let accepted = false;
        s.on('connect', () => s.end(blob));
        s.on('finish', () => (accepted = true));
        s.on('close', () => resolve(accepted));
        s.on('error', () => undefined);
      });
      if (sent) break;
      expect(attempt, 'nc in the guest never accepted').toBeLessThan(50);
      await new Promise((r) => setTimeout(r, 200));
    }
    await fetchBack('/in.bin', blob);
  }, 120_000);

  it('100 forwarded requests at once all get their page', async () => {
    // qemu's user networking (libslirp) listens for a forward with a backlog of 1: a burst of
    // connects overflows it and the kernel drops SYNs, which the clients retry for minutes. Our NAT
    // accepts them all at once; on qemu the same 100 requests go one after another.
    const atOnce = ENGINE === 'qemu' ? 1 : 100;
    const pages: Buffer[] = [];
    for (let i = 0; i < 100; i += atOnce) pages.push(...(await Promise.all(Array.from({ length: atOnce }, () => get(httpPort, '/index.html')))));
    expect(pages.filter((b) => b.toString() !== 'small-page\n')).toEqual([]);
  }, 120_000);

  it('guest wget of a host loopback server through the gateway: 10 MiB intact', async () => {
    const port = (server.address() as AddressInfo).port;
    const r = await p.run(['ssh', '-c', `wget -q -O /www/fetched.bin http://10.0.2.2:${port}/blob`]);
    expect(r.code, show(r)).toBe(0);
    await fetchBack('/fetched.bin', blob);
  }, 120_000);
});
