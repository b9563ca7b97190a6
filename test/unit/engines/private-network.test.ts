// Private networks on loopback multicast: a stable endpoint per network name, frames between two
// links on the same network, none to another network, a card's own frames not echoed back.
import { describe, expect, it } from 'vitest';
import { privateNetworkEndpoint } from '../../../src/engines/private-network.js';
import { openPrivateLink } from '../../../src/engines/builtin/private-link.js';

const frame = (dst: string, src: string, payload: string): Uint8Array => {
  const mac = (m: string): number[] => m.split(':').map((h) => parseInt(h, 16));
  return Uint8Array.from([...mac(dst), ...mac(src), 0x88, 0xb5, ...Buffer.from(payload)]);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('private network endpoints (shared with the qemu engine)', () => {
  it('depend on the name only: the same group and port for the same name, another for another', () => {
    const a = privateNetworkEndpoint('backend');
    expect(privateNetworkEndpoint('backend')).toEqual(a);
    expect(privateNetworkEndpoint('frontend')).not.toEqual(a);
    expect(a.group).toMatch(/^239\.\d+\.\d+\.\d+$/);
    expect(a.localAddr).toBe('127.0.0.1');
  });
});

describe('openPrivateLink', () => {
  it('carries frames between cards of one network, not to others, and drops its own echo', async () => {
    const net = `unit-${process.pid}`;
    const links = [
      openPrivateLink(net, '52:54:00:00:00:01', () => undefined),
      openPrivateLink(net, '52:54:00:00:00:02', () => undefined),
      openPrivateLink(`${net}-other`, '52:54:00:00:00:03', () => undefined),
    ];
    const got: string[][] = [[], [], []];
    links.forEach((l, i) => l.link.connect((f) => got[i]!.push(Buffer.from(f.subarray(14)).toString())));
    await sleep(100);
    try {
      links[0]!.link.transmit(frame('ff:ff:ff:ff:ff:ff', '52:54:00:00:00:01', 'from-1'));
      links[1]!.link.transmit(frame('52:54:00:00:00:01', '52:54:00:00:00:02', 'from-2'));
      links[2]!.link.transmit(frame('ff:ff:ff:ff:ff:ff', '52:54:00:00:00:03', 'elsewhere'));
      links[0]!.link.transmit(new Uint8Array(5)); // not a frame: ignored
      await sleep(200);
      expect(got).toEqual([['from-2'], ['from-1'], []]);
    } finally {
      await Promise.all(links.map((l) => l.close()));
    }
  });
});
