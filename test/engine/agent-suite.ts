// The guest agent tests every engine must pass, on a booted tiny box: readiness, exec semantics
// (output, exit codes, signals, stdin, byte-exact args and env), a 5 MB file round trip,
// reconnecting mid-session and poweroff. agent-qemu.test.ts and agent-builtin.test.ts run it.
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AgentClient, waitForAgent } from '../../src/core/agent/client.js';
import { encodeFrame } from '../../src/core/agent/frame-codec.js';
import { T } from '../../src/core/agent/protocol.js';

export interface BootedMachine {
  agentSocket: string;
  /** Resolves with the engine's exit once the machine has stopped by itself. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Console output so far, for failure messages. */
  consoleTail(): string;
  /** Forced stop (cleanup). */
  kill(): void;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

export function agentSuite(engine: string, boot: () => Promise<BootedMachine>, readyTimeoutMs: number): void {
  let vm: BootedMachine;
  let client: AgentClient;

  beforeAll(async () => {
    vm = await boot();
    const t0 = performance.now();
    try {
      client = await waitForAgent(vm.agentSocket, { timeoutMs: readyTimeoutMs, requestTimeoutMs: 60_000 });
    } catch (err) {
      vm.kill();
      throw new Error(`${(err as Error).message}\nconsole tail:\n${vm.consoleTail()}`);
    }
    console.log(`${engine}: the agent answered ${(performance.now() - t0).toFixed(0)} ms after the engine started`);
  }, readyTimeoutMs + 30_000);

  afterAll(() => {
    client?.close();
    vm?.kill();
  });

  it('answers hello: riscv64, its version, the boot id, its capabilities', async () => {
    const info = client.info!;
    expect(info.arch).toBe('riscv64');
    expect(info.version).toBe('0.1.0');
    expect(info.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(info.capabilities).toEqual(['exec', 'signal', 'file-write', 'file-read', 'power']);
    // the port's device node is root-only: whoever can open it is root in the guest
    const node = await client.run({
      argv: ['sh', '-c', 'for d in /sys/class/virtio-ports/*; do [ "$(cat $d/name)" = vm.agent ] && stat -c "%a %u" /dev/${d##*/}; done'],
    });
    expect(node.stdout.toString()).toBe('600 0\n');
    const rtt = await client.ping();
    console.log(`${engine}: agent ping round trip ${rtt.toFixed(1)} ms`);
  });

  it('exec returns stdout, stderr and exit codes 0, 1, 127 exactly', async () => {
    expect(await client.run({ argv: ['sh', '-c', 'echo out; echo err >&2'] })).toEqual({
      status: { code: 0 },
      stdout: Buffer.from('out\n'),
      stderr: Buffer.from('err\n'),
    });
    expect((await client.run({ argv: ['false'] })).status).toEqual({ code: 1 });
    const missing = await client.run({ argv: ['no-such-command'] });
    expect(missing.status).toEqual({ code: 127 });
    expect(missing.stderr.toString()).toContain('no-such-command');
    expect((await client.run({ argv: ['sh', '-c', 'no-such-command'] })).status).toEqual({ code: 127 });
    expect((await client.run({ argv: ['sh', '-c', 'exit 42'] })).status).toEqual({ code: 42 });
  });

  it('reports a command killed by a signal', async () => {
    expect((await client.run({ argv: ['sh', '-c', 'kill -9 $$'] })).status).toEqual({ signal: 'SIGKILL', signalNumber: 9, coreDumped: false });
    const h = client.exec({ argv: ['sleep', '100'] });
    expect(await h.pid).toBeGreaterThan(1);
    h.kill('SIGTERM');
    h.stdout.resume();
    h.stderr.resume();
    expect(await h.exit).toMatchObject({ signal: 'SIGTERM' });
  });

  it('carries binary output (all 256 byte values) and stdin through byte-identical', async () => {
    const input = Buffer.concat([ALL_BYTES, randomBytes(300_000), ALL_BYTES]);
    const r = await client.run({ argv: ['cat'], stdin: input });
    expect(r.stdout.length).toBe(input.length);
    expect(r.stdout.equals(input)).toBe(true);
    await client.writeFile('/tmp/all-bytes', ALL_BYTES);
    const cat = await client.run({ argv: ['cat', '/tmp/all-bytes'] });
    expect(cat.stdout.equals(ALL_BYTES)).toBe(true);
    const both = await client.run({ argv: ['sh', '-c', 'cat /tmp/all-bytes >&2; cat /tmp/all-bytes'] });
    expect(both.stdout.equals(ALL_BYTES) && both.stderr.equals(ALL_BYTES)).toBe(true);
  });

  it('passes args and env with quotes, $(), newlines and control characters byte-identical, refusing NUL', async () => {
    const nasty = [`it's "quoted"`, '$(echo injected) `echo too` $HOME', 'two\nlines\r\n', '\x01\x07\x1b[1m\x7f\t', '', 'ünï©ødé'];
    const raw = Buffer.from(ALL_BYTES.subarray(1));
    const r = await client.run({ argv: ['sh', '-c', 'for a in "$@"; do printf "%s\\0" "$a"; done', 'sh', ...nasty, raw] });
    expect(r.stdout.equals(Buffer.concat([...nasty.map((a) => Buffer.from(`${a}\0`)), raw, Buffer.from([0])]))).toBe(true);
    const env = await client.run({ argv: ['sh', '-c', 'printf "%s" "$NASTY"'], env: { NASTY: nasty.join('\n') } });
    expect(env.stdout.toString()).toBe(nasty.join('\n'));
    expect(() => client.exec({ argv: ['echo', 'nul\0byte'] })).toThrow(/contains a NUL byte, which a command line cannot carry/);
    const cwd = await client.run({ argv: ['pwd'], cwd: '/etc' });
    expect(cwd.stdout.toString()).toBe('/etc\n');
  });

  it('round-trips a 5 MB file byte-identical', async () => {
    const data = randomBytes(5 * 1024 * 1024);
    const t0 = performance.now();
    await client.writeFile('/root/five-mb.bin', data, { mode: 0o600 });
    const t1 = performance.now();
    const back = await client.readFile('/root/five-mb.bin');
    const t2 = performance.now();
    console.log(`${engine}: 5 MB upload ${(t1 - t0).toFixed(0)} ms, download ${(t2 - t1).toFixed(0)} ms`);
    expect(back.length).toBe(data.length);
    expect(sha(back)).toBe(sha(data));
    const inGuest = await client.run({ argv: ['sh', '-c', 'sha256sum /root/five-mb.bin; stat -c %a /root/five-mb.bin'] });
    expect(inGuest.stdout.toString()).toBe(`${sha(data)}  /root/five-mb.bin\n600\n`);
  }, 180_000); // sha256sum of 5 MB alone is ~1e9 guest instructions: long on an emulator

  it('reads a 5 MB file of zeros byte-identical (every byte a COBS code byte on the wire)', async () => {
    expect((await client.run({ argv: ['dd', 'if=/dev/zero', 'of=/root/zeros.bin', 'bs=65536', 'count=80'] })).status).toEqual({ code: 0 });
    const t0 = performance.now();
    const back = await client.readFile('/root/zeros.bin');
    console.log(`${engine}: 5 MB of zeros download ${(performance.now() - t0).toFixed(0)} ms`);
    expect(back.length).toBe(5 * 1024 * 1024);
    expect(back.equals(Buffer.alloc(5 * 1024 * 1024))).toBe(true);
    await client.run({ argv: ['rm', '/root/zeros.bin'] });
  }, 120_000);

  it('survives a client that disconnects mid-session, mid-frame; the next client resets it', async () => {
    // client A: a long command and a stream in flight, then its socket dies halfway through a frame
    const a = await AgentClient.connect(vm.agentSocket);
    client.close(); // one host at a time: the suite's client steps aside
    await a.hello(60_000);
    const sleeper = a.exec({ argv: ['sleep', '1000'] });
    const sleeperPid = await sleeper.pid;
    const flood = a.exec({ argv: ['sh', '-c', 'while :; do echo flood; done'] });
    flood.stdout.resume();
    await new Promise<void>((resolve) => flood.stdout.once('data', () => resolve()));
    const raw = connect(vm.agentSocket); // not used: a second connection must not disturb anything
    raw.destroy();
    const half = encodeFrame(T.STDIN, 0, 1, randomBytes(1000));
    (a as unknown as { channel: { stream: { write(b: Buffer): void } } }).channel.stream.write(half.subarray(0, 500));
    a.close();
    await expect(sleeper.exit).rejects.toMatchObject({ kind: 'channel' });

    // client B: a fresh handshake resets the agent; the old commands are gone
    client = await waitForAgent(vm.agentSocket, { timeoutMs: 60_000, requestTimeoutMs: 60_000 });
    // killed: gone, or a zombie the agent has not reaped yet
    const state = `$(awk '{print $3}' /proc/${sleeperPid}/stat 2>/dev/null)`;
    const ps = await client.run({ argv: ['sh', '-c', `s=${state}; [ -z "$s" ] || [ "$s" = Z ] && echo gone || echo "alive ($s)"; ps -o stat,args | grep -v '^Z' | grep -c '[f]lood' || true`] });
    expect(ps.stdout.toString()).toBe('gone\n0\n');
    expect((await client.run({ argv: ['echo', 'B works'] })).stdout.toString()).toBe('B works\n');
  });

  it('does not spin while no host is connected', async () => {
    const cpuTicks = async (): Promise<number> => {
      const stat = (await client.readFile(`/proc/${client.info!.pid}/stat`)).toString();
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[11]) + Number(fields[12]); // utime + stime, in USER_HZ (100/s) ticks
    };
    const before = await cpuTicks();
    client.close();
    await new Promise((r) => setTimeout(r, 3000));
    client = await waitForAgent(vm.agentSocket, { timeoutMs: 60_000, requestTimeoutMs: 60_000 });
    const used = (await cpuTicks()) - before;
    console.log(`${engine}: the agent used ${used * 10} ms of CPU over 3 s with no host`);
    expect(used).toBeLessThan(50);
  });

  it('recovers when the agent itself dies and init respawns it', async () => {
    const oldPid = client.info!.pid;
    // the command kills the agent running it: its session dies with the agent
    const h = client.exec({ argv: ['sh', '-c', `kill -9 ${oldPid}; sleep 5`] });
    h.stdout.resume();
    h.stderr.resume();
    await expect(h.exit).rejects.toMatchObject({ kind: 'channel', message: expect.stringContaining('restarted') });
    // the next operation shakes hands with the new agent by itself
    expect((await client.run({ argv: ['echo', 'new agent'] })).stdout.toString()).toBe('new agent\n');
    expect(client.info!.pid).not.toBe(oldPid);
  });

  it('powers the machine off', async () => {
    await client.poweroff();
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running after poweroff:\n${vm.consoleTail()}`)), 60_000));
    expect(await Promise.race([vm.exited, timeout])).toEqual({ code: 0, signal: null });
  });
}
