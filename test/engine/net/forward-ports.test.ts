import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { bindForwards, ForwardBindError } from '../../../src/engines/builtin/net/forward-ports.js';
import { findPortHolder } from '../../../src/engines/builtin/net/port-holder.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function holdTcp(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

async function holdUdp(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
  return s.address().port;
}

describe('forward ports', () => {
  it('listens on 127.0.0.1 for each forward', async () => {
    const bound = await bindForwards([
      { guest: 80, host: 0, hostIp: '127.0.0.1', protocol: 'tcp' },
      { guest: 53, host: 0, hostIp: '127.0.0.1', protocol: 'udp' },
    ]);
    cleanups.push(() => bound.close());
    expect(bound.listening.map((l) => l.forward.guest)).toEqual([80, 53]);
    expect(bound.listening.every((l) => l.port > 0)).toBe(true);
    // The TCP port really is taken now: a second bind fails.
    await expect(bindForwards([{ guest: 80, host: bound.listening[0]!.port, hostIp: '127.0.0.1', protocol: 'tcp' }])).rejects.toThrow(
      ForwardBindError,
    );
  });

  it('fails on a taken TCP port, naming host_ip:port and the process holding it', async () => {
    const port = await holdTcp();
    const err = await bindForwards([{ guest: 8080, host: port, hostIp: '127.0.0.1', protocol: 'tcp' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForwardBindError);
    const e = err as ForwardBindError;
    expect(e.code).toBe('EADDRINUSE');
    expect(e.message).toContain(`127.0.0.1:${port} is already in use`);
    if (process.platform === 'linux') {
      expect(e.holder?.pid).toBe(process.pid);
      expect(e.message).toContain(`by process ${process.pid} (`);
      expect(e.hint).toContain(`Stop process ${process.pid}`);
    }
  });

  it('fails on a taken UDP port the same way', async () => {
    const port = await holdUdp();
    const err = (await bindForwards([{ guest: 53, host: port, hostIp: '127.0.0.1', protocol: 'udp' }]).catch((e: unknown) => e)) as ForwardBindError;
    expect(err).toBeInstanceOf(ForwardBindError);
    expect(err.message).toBe(
      `cannot forward 127.0.0.1:${port}/udp to guest port 53: 127.0.0.1:${port} is already in use` +
        (err.holder ? ` by process ${err.holder.pid} (${err.holder.command})` : ''),
    );
  });

  it('releases the forwards it had bound when a later one fails', async () => {
    const taken = await holdTcp();
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    await expect(
      bindForwards([
        { guest: 1, host: free, hostIp: '127.0.0.1', protocol: 'tcp' },
        { guest: 2, host: taken, hostIp: '127.0.0.1', protocol: 'tcp' },
      ]),
    ).rejects.toThrow(`127.0.0.1:${taken} is already in use`);
    const again = await bindForwards([{ guest: 1, host: free, hostIp: '127.0.0.1', protocol: 'tcp' }]);
    await again.close();
  });

  it('explains an address the host does not have', async () => {
    const err = (await bindForwards([{ guest: 1, host: 0, hostIp: '192.0.2.1', protocol: 'tcp' }]).catch((e: unknown) => e)) as ForwardBindError;
    expect(err).toBeInstanceOf(ForwardBindError);
    expect(err.message).toBe('cannot forward 192.0.2.1:0/tcp to guest port 1: 192.0.2.1 is not an address of this host');
  });

  it('finds nothing for a free port', async () => {
    expect(await findPortHolder('tcp', 1)).toBeUndefined();
  });
});
