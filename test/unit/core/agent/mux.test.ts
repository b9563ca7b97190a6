// The agent multiplexer (src/core/agent/mux.ts) in front of the real C agent (this host's build, on
// a socket pair): several clients at once, each with its own handshake and session ids, none
// disturbing the others; a client that leaves has its commands killed. Then the same through the
// path commands use (withAgent over viaMux, the mux in its own process) in front of an engine-like
// socket that serves one client at a time, as QEMU's chardev and the builtin engine's bridge do.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient, connectSocket } from '../../../../src/core/agent/client.js';
import { encodeFrame, FrameDecoder } from '../../../../src/core/agent/frame-codec.js';
import { PayloadWriter } from '../../../../src/core/agent/payloads.js';
import { T } from '../../../../src/core/agent/protocol.js';
import { AgentMux } from '../../../../src/core/agent/mux.js';
import { muxSocketPath, startMuxWithEngine } from '../../../../src/core/agent/mux-connect.js';
import { withAgent } from '../../../../src/core/lifecycle/guest/agent.js';
import type { RuntimePaths } from '../../../../src/engines/engine.js';
import { buildHostAgent, compilerMissing, startHostAgent, type HostAgent } from './host-agent.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pids of the mux processes serving `agentSocket` (found by their command lines). */
function muxProcessesFor(agentSocket: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('mux-main.js')) && argv.includes(agentSocket)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The pid of the mux process serving `agentSocket`, or 0. */
const muxProcessFor = (agentSocket: string): number => muxProcessesFor(agentSocket)[0] ?? 0;

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(compilerMissing)(`the agent multiplexer${compilerMissing ? ` (skipped: ${compilerMissing})` : ''}`, () => {
  let agentPath = '';
  let agent: HostAgent | undefined;
  let dir = '';
  const cleanups: Array<() => void | Promise<void>> = [];

  beforeAll(() => {
    agentPath = buildHostAgent().path;
  }, 120_000);

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    if (agent) expect(await agent.stop()).toBe(0);
    agent = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  /** The mux in this process, on a socket in a fresh folder; returns a client factory. */
  async function inProcessMux(): Promise<() => Promise<AgentClient>> {
    agent = startHostAgent(agentPath);
    dir = mkdtempSync(join(tmpdir(), 'vm-mux-'));
    const mux = new AgentMux(agent.socket);
    const server = createServer((s) => mux.attach(s));
    const path = join(dir, 'mux.sock');
    await new Promise<void>((r) => server.listen(path, r));
    cleanups.push(() => {
      server.close();
      mux.close();
    });
    return async () => {
      const c = await AgentClient.connect(path, { requestTimeoutMs: 10_000 });
      cleanups.push(() => c.close());
      await c.hello(10_000);
      return c;
    };
  }

  it('serves several clients at once: a new client neither waits for nor resets the others', async () => {
    const client = await inProcessMux();
    const a = await client();
    const long = a.run({ argv: ['sh', '-c', 'sleep 1; echo a; exit 3'] });
    // both clients number their sessions from 1: the mux keeps them apart
    const b = await client();
    const started = Date.now();
    const quick = await b.run({ argv: ['sh', '-c', 'echo b'] });
    expect(Date.now() - started).toBeLessThan(900);
    expect(quick).toEqual({ status: { code: 0 }, stdout: Buffer.from('b\n'), stderr: Buffer.alloc(0) });
    // a third handshake, then file transfers beside the running command
    const c = await client();
    const file = join(dir, 'shared.txt');
    await c.writeFile(file, 'through the mux');
    expect((await b.readFile(file)).toString()).toBe('through the mux');
    expect(await a.ping()).toBeGreaterThanOrEqual(0);
    expect(await long).toEqual({ status: { code: 3 }, stdout: Buffer.from('a\n'), stderr: Buffer.alloc(0) });
  });

  it("a client's handshake cancels only its own commands; a client that leaves has its commands killed", async () => {
    const client = await inProcessMux();
    const a = await client();
    const b = await client();
    const aHandle = a.exec({ argv: ['sleep', '30'] });
    const bHandle = b.exec({ argv: ['sleep', '30'] });
    const [aPid, bPid] = [(await aHandle.pid)!, (await bHandle.pid)!];
    expect(alive(aPid) && alive(bPid)).toBe(true);
    const aLost = aHandle.exit.catch((err: Error) => err);
    await a.hello(10_000);
    expect(await aLost).toBeInstanceOf(Error);
    await until(() => !alive(aPid), 5000);
    expect(alive(bPid)).toBe(true);
    b.close();
    await until(() => !alive(bPid), 5000);
  });

  it('passes the guest refusing a request back to the client that made it', async () => {
    const client = await inProcessMux();
    const a = await client();
    // the agent on a socket (--fd) refuses power actions
    await expect(a.poweroff(5000)).rejects.toThrow(/refused the power request: power actions are disabled/);
    expect((await a.run({ argv: ['true'] })).status).toEqual({ code: 0 });
  });

  it('commands reach a machine whose engine serves one agent client at a time, all at once', async () => {
    agent = startHostAgent(agentPath);
    dir = mkdtempSync(join(tmpdir(), 'vm-mux-'));
    const agentSocket = join(dir, 'agent.sock');
    // the engine's side, as QEMU's socket chardev: one client at a time, later ones wait their turn
    let current: Socket | null = null;
    const waiting: Socket[] = [];
    const activate = (s: Socket): void => {
      current = s;
      s.on('data', (d) => agent!.socket.write(d));
      s.once('close', () => {
        current = null;
        const next = waiting.shift();
        if (next) activate(next);
      });
    };
    agent.socket.on('data', (d: Buffer) => current?.write(d));
    const engine: Server = createServer((s) => {
      s.on('error', () => undefined);
      if (current) waiting.push(s);
      else activate(s);
    });
    await new Promise<void>((r) => engine.listen(agentSocket, r));
    cleanups.push(async () => {
      for (const s of [current, ...waiting]) s?.destroy();
      await new Promise<void>((r) => engine.close(() => r()));
    });
    const paths = { runDir: dir, agentSocket, consoleSocket: join(dir, 'console.sock'), qmpSocket: join(dir, 'qmp.sock'), consoleLog: join(dir, 'console.log'), engineLog: join(dir, 'engine.log') } satisfies RuntimePaths;

    const long = withAgent('m', paths, 20_000, (a) => a.run({ argv: ['sh', '-c', 'sleep 3; echo long'] }));
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const quick = await withAgent('m', paths, 20_000, (a) => a.run({ argv: ['echo', 'quick'] }));
    expect(quick.stdout.toString()).toBe('quick\n');
    // without the mux the second command waits for the engine's one connection (3 s here)
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await long).stdout.toString()).toBe('long\n');
    // the mux process ends with the engine's socket, and takes its own socket with it
    const muxPid = muxProcessFor(agentSocket);
    expect(muxPid).toBeGreaterThan(0);
    for (const s of [current, ...waiting]) s?.destroy();
    engine.close();
    await until(() => !alive(muxPid), 5000);
    expect(existsSync(muxSocketPath(agentSocket))).toBe(false);
  }, 30_000);
});

// A resuming machine's mux starts with its engine (core/lifecycle/power/up.ts): before the engine's
// agent socket is there, which it waits for; the first command then goes through it instead of
// starting a second one.
describe('a mux started with its engine', () => {
  it("waits for the engine's agent socket; the first command uses it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-mux-'));
    const agentSocket = join(dir, 'agent.sock');
    const paths = { runDir: dir, agentSocket, consoleSocket: join(dir, 'console.sock'), qmpSocket: join(dir, 'qmp.sock'), consoleLog: join(dir, 'console.log'), engineLog: join(dir, 'engine.log') } satisfies RuntimePaths;
    startMuxWithEngine(agentSocket, paths.engineLog, 20_000);
    await until(() => muxProcessFor(agentSocket) > 0, 5000);
    // the engine's socket comes later, as an engine process takes a while to start
    await new Promise((r) => setTimeout(r, 300));
    const agent = await fakeAgent(dir, 'agent.sock');
    try {
      await withAgent('m', paths, 20_000, async (a) => expect(a.info).toBeDefined());
      expect(agent.hellos()).toBe(1);
      expect(muxProcessesFor(agentSocket)).toHaveLength(1);
      const pid = muxProcessFor(agentSocket);
      agent.close();
      await until(() => !alive(pid), 5000);
    } finally {
      agent.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

/**
 * A scripted agent on the mux's upstream: answers HELLO (counting them), starts every EXEC and
 * leaves it running, and restarts (AGENT_RESET) when the test says so.
 */
async function fakeAgent(dir: string, name = 'fake-agent.sock'): Promise<{ path: string; hellos: () => number; restart: () => void; close: () => void }> {
  let hellos = 0;
  let conn: Socket | undefined;
  const server = createServer((s) => {
    conn = s;
    const decoder = new FrameDecoder((f) => {
      if (f.type === T.HELLO) {
        hellos++;
        const ack = new PayloadWriter().raw(f.payload.subarray(4, 20)).u32(1).u32(65536).u32(32).u32(262144).u32(262144).u32(0).done();
        s.write(Buffer.from([0]));
        s.write(encodeFrame(T.HELLO_ACK, 0, 0, ack));
      } else if (f.type === T.EXEC) {
        s.write(encodeFrame(T.EXEC_STARTED, 0, f.session, new PayloadWriter().u32(4242).done()));
      }
    });
    s.on('data', (d: Buffer) => decoder.push(d));
    s.on('error', () => undefined);
  });
  const path = join(dir, name);
  await new Promise<void>((r) => server.listen(path, r));
  return {
    path,
    hellos: () => hellos,
    restart: () => {
      conn!.write(Buffer.from([0]));
      conn!.write(encodeFrame(T.AGENT_RESET, 0, 0, new PayloadWriter().u32(0).done()));
    },
    close: () => {
      conn?.destroy();
      server.close();
    },
  };
}

describe('the agent multiplexer when the agent restarts', () => {
  it('fails the operations it lost, in every client, and shakes hands again for the next one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-mux-'));
    const agent = await fakeAgent(dir);
    const upstream = await connectSocket(agent.path, 5000);
    const mux = new AgentMux(upstream);
    const server = createServer((s) => mux.attach(s));
    const path = join(dir, 'mux.sock');
    await new Promise<void>((r) => server.listen(path, r));
    const clients: AgentClient[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const c = await AgentClient.connect(path, { requestTimeoutMs: 5000 });
        clients.push(c);
        await c.hello(5000);
      }
      // one handshake upstream for both clients
      expect(agent.hellos()).toBe(1);
      const handles = clients.map((c) => c.exec({ argv: ['sleep', '30'] }));
      expect(await Promise.all(handles.map((h) => h.pid))).toEqual([4242, 4242]);
      const lost = handles.map((h) => h.exit.then(() => 'exited', (err: Error) => err.message));
      agent.restart();
      expect(await Promise.all(lost)).toEqual(Array(2).fill(expect.stringMatching(/restarted/)));
      // the next operation shakes hands again, through the mux, with the restarted agent
      const again = clients[0]!.exec({ argv: ['true'] });
      expect(await again.pid).toBe(4242);
      expect(agent.hellos()).toBe(2);
    } finally {
      for (const c of clients) c.close();
      server.close();
      mux.close();
      agent.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

