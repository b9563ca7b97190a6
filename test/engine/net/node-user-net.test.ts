import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { formatMac } from '../../../src/emulator/net/ethernet.js';
import { ForwardBindError } from '../../../src/engines/builtin/net/forward-ports.js';
import { startNodeUserNet } from '../../../src/engines/builtin/net/node-user-net.js';

describe('startNodeUserNet', () => {
  it('binds the forwards, builds the network with the NIC MAC and hostname, and closes both', async () => {
    const n = await startNodeUserNet({
      mac: '52:54:00:12:34:56',
      hostname: 'web',
      forwards: [{ guest: 80, host: 0, hostIp: '127.0.0.1', protocol: 'tcp' }],
    });
    expect(formatMac(n.net.config.guestMac!)).toBe('52:54:00:12:34:56');
    expect(n.net.config.hostname).toBe('web');
    const port = n.forwards.listening[0]!.port;
    await n.close();
    // The port is free again.
    await new Promise<void>((resolve, reject) => {
      const s = net.createServer().once('error', reject).listen(port, '127.0.0.1', () => s.close(() => resolve()));
    });
  });

  it('fails before building anything when a forward port is taken', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      await expect(
        startNodeUserNet({ forwards: [{ guest: 22, host: port, hostIp: '127.0.0.1', protocol: 'tcp' }] }),
      ).rejects.toBeInstanceOf(ForwardBindError);
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
  });

  it('rejects a bad MAC with a message naming it', async () => {
    await expect(startNodeUserNet({ mac: 'not-a-mac', forwards: [] })).rejects.toThrow('guestMac "not-a-mac" is not a MAC address');
  });
});
