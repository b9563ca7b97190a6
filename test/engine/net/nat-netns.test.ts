// The NAT with the Linux kernel as its guest: a TAP device in a network namespace of the test's
// own, relayed to a real UserNet (see netns-guest.ts). busybox in the namespace is the guest's
// userland; the host side is servers on 127.0.0.1. Needs root, socat, iproute2 and busybox;
// skipped (with the reason printed) otherwise.

import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDnsResponse, DNS_TYPE_A, parseDnsQuery } from '../../../src/emulator/net/dns-message.js';
import { bindForwards, type BoundForwards } from '../../../src/engines/builtin/net/forward-ports.js';
import { netnsSkipReason, startNetnsGuest, type NetnsGuest } from './netns-guest.js';

const skip = netnsSkipReason();
if (skip !== undefined) console.log(`skipping the network-namespace NAT tests: ${skip}`);

const MB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const rate = (bytes: number, ms: number) => (bytes / MB / (ms / 1000)).toFixed(1);

describe.skipIf(skip !== undefined)('NAT with the kernel as guest', () => {
  let g: NetnsGuest;
  let dir: string;
  const closers: Array<() => Promise<void> | void> = [];
  const figures: string[] = [];

  async function serve(handler: (s: net.Socket) => void): Promise<number> {
    const server = net.createServer({ allowHalfOpen: true }, handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    return (server.address() as net.AddressInfo).port;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vm-nat-'));
    g = await startNetnsGuest({ config: { hostname: 'nat-guest' } });
  });

  afterAll(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    await g?.close();
    rmSync(dir, { recursive: true, force: true });
    if (figures.length > 0) console.log(`throughput through the NAT (socat TAP relay included):\n  ${figures.join('\n  ')}`);
  });

  it('leases 10.0.2.15/24 with router, DNS, lease time and hostname over DHCP', async () => {
    const script = join(dir, 'udhcpc.sh');
    writeFileSync(
      script,
      `#!/bin/sh\nenv > ${dir}/dhcp-$1.env\n` +
        'if [ "$1" = bound ]; then busybox ip addr add $ip/$mask dev $interface && busybox ip route add default via $router; fi\n',
    );
    chmodSync(script, 0o755);
    const r = await g.run(['busybox', 'udhcpc', '-i', g.tap, '-n', '-q', '-f', '-t', '5', '-T', '1', '-s', script]);
    expect(r.code, r.stderr).toBe(0);
    const env = Object.fromEntries(
      readFileSync(join(dir, 'dhcp-bound.env'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({ ip: '10.0.2.15', mask: '24', router: '10.0.2.2', dns: '10.0.2.3', lease: '86400', hostname: 'nat-guest' });
    const addr = await g.run(['ip', '-4', 'addr', 'show', g.tap]);
    expect(addr.stdout).toContain('inet 10.0.2.15/24');
  });

  it('answers ping to the gateway', async () => {
    const r = await g.run(['busybox', 'ping', '-c', '3', '-W', '2', '10.0.2.2']);
    expect(r.stdout).toContain('3 packets transmitted, 3 packets received');
  });

  it('resolves names through the host resolver at 10.0.2.3, NXDOMAIN included', async () => {
    const ok = await g.run(['busybox', 'nslookup', 'localhost', '10.0.2.3']);
    expect(ok.stdout).toMatch(/Name:\s+localhost\nAddress: 127\.0\.0\.1/);
    const missing = await g.run(['busybox', 'nslookup', 'no-such-host.invalid', '10.0.2.3']);
    expect(missing.stdout + missing.stderr).toContain('NXDOMAIN');
  });

  it('carries UDP to a host server through the gateway and its answer back', async () => {
    const server = dgram.createSocket('udp4');
    server.on('message', (msg, rinfo) => {
      const q = parseDnsQuery(msg);
      if (q.kind !== 'query') return;
      const answers = [{ name: q.question.name, type: DNS_TYPE_A, ttl: 1, value: '192.0.2.99' }];
      const reply = buildDnsResponse({ id: q.id, opcode: 0, recursionDesired: q.recursionDesired, rcode: 0, question: q.question, answers: q.question.type === DNS_TYPE_A ? answers : [] });
      server.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const r = await g.run(['busybox', 'nslookup', '-type=a', 'udp.test', `10.0.2.2:${server.address().port}`]);
    expect(r.stdout).toContain('Address: 192.0.2.99');
    expect(g.net.stats.udpFlowsOpened).toBeGreaterThan(0);
  });

  it('fetches a page from a host server through the gateway with wget', async () => {
    const page = randomBytes(48 * 1024).toString('base64');
    const server = http.createServer((_req, res) => res.end(page));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as net.AddressInfo).port;
    const r = await g.run(['busybox', 'wget', '-q', '-O', '-', `http://10.0.2.2:${port}/page`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(page);
  });

  it('serves 100 parallel host requests to busybox httpd in the guest through a forward, bodies intact', async () => {
    const www = join(dir, 'www');
    mkdirSync(www);
    const body = randomBytes(24 * 1024).toString('hex');
    writeFileSync(join(www, 'index.html'), body);
    g.start(['busybox', 'httpd', '-f', '-p', '8080', '-h', www]);
    const fwd = await bindForwards([{ guest: 8080, host: 0, hostIp: '127.0.0.1', protocol: 'tcp' }]);
    closers.push(() => fwd.close());
    fwd.attach(g.net);
    const port = fwd.listening[0]!.port;
    await waitFor(async () => (await get(port)).status === 200);
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: 100 }, () => get(port)));
    const ms = performance.now() - t0;
    expect(results.filter((r) => r.status === 200 && r.body === body).length).toBe(100);
    const t1 = performance.now();
    for (let i = 0; i < 20; i++) expect((await get(port)).body).toBe(body);
    const each = (performance.now() - t1) / 20;
    figures.push(`100 parallel forwarded HTTP GETs of 48 KB: ${ms.toFixed(0)} ms; one GET (connect + 48 KB) in sequence: ${each.toFixed(1)} ms`);
  });

  it('moves 10 MB each way between guest and a host server (outbound connection), same sha256', async () => {
    const data = randomBytes(10 * MB);
    const file = join(dir, 'ten.bin');
    writeFileSync(file, data);
    let uploaded = '';
    const sink = await serve((s) => {
      const h = createHash('sha256');
      s.on('data', (d) => h.update(d));
      s.on('end', () => {
        uploaded = h.digest('hex');
        s.end();
      });
    });
    let t0 = performance.now();
    const up = await g.run(['sh', '-c', `busybox nc 10.0.2.2 ${sink} < ${file}`], { timeoutMs: 120_000 });
    const upMs = performance.now() - t0;
    expect(up.code, up.stderr).toBe(0);
    expect(uploaded).toBe(sha(data));

    const source = await serve((s) => s.end(data));
    t0 = performance.now();
    const down = await g.run(['sh', '-c', `busybox nc 10.0.2.2 ${source} < /dev/null | busybox sha256sum`], { timeoutMs: 120_000 });
    const downMs = performance.now() - t0;
    expect(down.stdout.slice(0, 64)).toBe(sha(data));
    figures.push(`outbound, guest -> host: ${rate(data.length, upMs)} MB/s`, `outbound, host -> guest: ${rate(data.length, downMs)} MB/s`);
  });

  it('moves 10 MB each way through a port forward into the guest, same sha256', async () => {
    const data = randomBytes(10 * MB);
    const file = join(dir, 'ten-in.bin');
    const received = join(dir, 'received.bin');
    writeFileSync(file, data);
    const fwd: BoundForwards = await bindForwards([
      { guest: 9000, host: 0, hostIp: '127.0.0.1', protocol: 'tcp' },
      { guest: 9001, host: 0, hostIp: '127.0.0.1', protocol: 'tcp' },
    ]);
    closers.push(() => fwd.close());
    fwd.attach(g.net);
    const [pushPort, pullPort] = fwd.listening.map((l) => l.port);

    const receiver = g.start(['sh', '-c', `busybox nc -l -p 9000 > ${received}`]);
    const receiverDone = new Promise((r) => receiver.once('exit', r));
    await waitForListen(g, 9000);
    let t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const c = net.connect({ port: pushPort!, host: '127.0.0.1' }, () => c.end(data));
      c.resume();
      c.on('close', () => resolve());
      c.on('error', reject);
    });
    await receiverDone;
    const pushMs = performance.now() - t0;
    expect(sha(readFileSync(received))).toBe(sha(data));

    g.start(['sh', '-c', `busybox nc -l -p 9001 < ${file}`]);
    await waitForListen(g, 9001);
    t0 = performance.now();
    const pulled = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const c = net.connect({ port: pullPort!, host: '127.0.0.1', allowHalfOpen: true });
      c.on('data', (d) => chunks.push(d));
      c.on('end', () => {
        c.end();
        resolve(Buffer.concat(chunks));
      });
      c.on('error', reject);
    });
    const pullMs = performance.now() - t0;
    expect(sha(pulled)).toBe(sha(data));
    figures.push(`forward, host -> guest: ${rate(data.length, pushMs)} MB/s`, `forward, guest -> host: ${rate(data.length, pullMs)} MB/s`);
    expect(g.net.stats.dropped['internal-error']).toBe(0);
  });
});

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/index.html', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('timed out waiting for the guest service');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitForListen(g: NetnsGuest, port: number): Promise<void> {
  await waitFor(async () => (await g.run(['busybox', 'netstat', '-ltn'])).stdout.includes(`:${port} `));
}
