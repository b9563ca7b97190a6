// auto_forwards' bookkeeping against the real agent on this host (--fd mode): the kernel's socket
// table read through the agent, listeners opened for new ports and closed for gone ones, a taken
// host port skipped with why. (Connections through the tunnel are the e2e test's: here "guest" and
// host are one machine, so a tunnelled connection would reach the forwarder itself.)
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../../../src/core/agent/client.js';
import { AutoForwarder } from '../../../../../src/core/lifecycle/forwards/auto-forward.js';
import { guestListeningPorts } from '../../../../../src/core/lifecycle/ready.js';
import { buildHostAgent, compilerMissing, startHostAgent, type HostAgent } from '../../agent/host-agent.js';

const bindable = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });

describe.skipIf(compilerMissing)('AutoForwarder', () => {
  let agent: HostAgent;
  let client: AgentClient;
  let holder: net.Server;
  let taken = 0;

  beforeAll(async () => {
    agent = startHostAgent(buildHostAgent().path);
    client = new AgentClient(agent.socket, { requestTimeoutMs: 10_000 });
    await client.hello(10_000);
    holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    taken = (holder.address() as net.AddressInfo).port;
  }, 120_000);
  afterAll(async () => {
    await new Promise<void>((r) => holder.close(() => r()));
    expect(await agent.stop()).toBe(0);
  });

  it('reads listening ports from the kernel through the agent', async () => {
    expect(await guestListeningPorts(client)).toContain(taken);
  });

  it('opens a listener per new port, skips a taken one, leaves excluded ones, closes gone ones', async () => {
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const lines: string[] = [];
    const f = new AutoForwarder(client, new Set([22]), (m) => lines.push(m));
    expect(await f.sync([22, taken, free])).toBe(true);
    expect(f.record(42)).toEqual({ pid: 42, forwards: [{ guest: free, host: free, hostIp: '127.0.0.1' }], skipped: [{ guest: taken, why: `host port ${taken} is in use` }] });
    expect(await bindable(free)).toBe(false);
    expect(await f.sync([22, taken, free])).toBe(false);
    expect(await f.sync([])).toBe(true);
    expect(f.record(42)).toEqual({ pid: 42, forwards: [], skipped: [] });
    expect(await bindable(free)).toBe(true);
    expect(lines).toEqual([`guest port ${free} listens: forwarding 127.0.0.1:${free}`, `guest port ${free} no longer listens: stopped forwarding it`]);
    f.close();
  });
});
