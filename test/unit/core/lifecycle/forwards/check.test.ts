// Host ports before boot, on real sockets: a taken port fails naming it, unless the forward has
// auto_correct, which moves it to a free port and says so.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForwardConfig } from '../../../../../src/model/machine-config.js';
import { resolveForwards } from '../../../../../src/core/lifecycle/forwards/check.js';

describe('resolveForwards', () => {
  let holder: net.Server;
  let taken = 0;
  beforeAll(async () => {
    holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    taken = (holder.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => holder.close(() => r())));

  const fwd = (host: number, extra: Partial<ForwardConfig> = {}): ForwardConfig => ({ guest: 80, host, hostIp: '127.0.0.1', protocol: 'tcp', ...extra });

  it('keeps free ports as they are', async () => {
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    expect(await resolveForwards('web', [fwd(free, { autoCorrect: true })])).toEqual({ forwards: [fwd(free, { autoCorrect: true })], notes: [] });
  });

  it('fails on a taken port without auto_correct, naming it', async () => {
    await expect(resolveForwards('web', [fwd(taken)])).rejects.toThrow(`machine 'web' forwards 127.0.0.1:${taken}/tcp to guest port 80, but host port ${taken} is already in use`);
  });

  it('moves a taken port with auto_correct to one that can be bound, and says which', async () => {
    const r = await resolveForwards('web', [fwd(taken, { autoCorrect: true })]);
    const moved = r.forwards[0]!.host;
    expect(moved).not.toBe(taken);
    expect(r.forwards).toEqual([fwd(moved, { autoCorrect: true })]);
    expect(r.notes).toEqual([`machine 'web': host port ${taken} was in use, so 127.0.0.1:${moved}/tcp forwards to guest port 80 instead (auto_correct)`]);
    // the port it picked really is free to listen on
    const s = net.createServer();
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(moved, '127.0.0.1', resolve));
    await new Promise<void>((r2) => s.close(() => r2()));
  });
});
