// The real C agent (built for this host, under ASan/UBSan when available) driven by the real
// client over a socket pair: exec semantics, binary safety, flow control, files, resets, and
// garbage on the channel. The same operations run on a booted box in test/engine/agent-*.test.ts.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../../src/core/agent/client.js';
import { AgentError } from '../../../../src/core/agent/errors.js';
import { encodeFrame } from '../../../../src/core/agent/frame-codec.js';
import { T } from '../../../../src/core/agent/protocol.js';
import { buildHostAgent, compilerMissing, startHostAgent, type HostAgent } from './host-agent.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe.skipIf(compilerMissing)(`vm-agent on this host over a socket pair${compilerMissing ? ` (skipped: ${compilerMissing})` : ''}`, () => {
  let agentPath = '';
  let agent: HostAgent;
  let client: AgentClient;
  let dir = '';

  beforeAll(() => {
    agentPath = buildHostAgent().path;
    dir = mkdtempSync(join(tmpdir(), 'vm-agent-test-'));
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function fresh(): Promise<void> {
    agent = startHostAgent(agentPath);
    client = new AgentClient(agent.socket, { requestTimeoutMs: 10_000 });
    await client.hello(10_000);
  }

  afterEach(async () => {
    const code = await agent.stop();
    // a sanitizer finding or a crash shows up here, for every test
    expect({ code, log: agent.log().includes('Sanitizer') ? agent.log() : '' }).toEqual({ code: 0, log: '' });
  });

  it('answers hello with its version, capabilities and the boot id', async () => {
    await fresh();
    const info = client.info!;
    expect(info.protocol).toBe(1);
    expect(info.version).toBe('0.1.0');
    expect(info.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    expect(info.arch).toBe(process.arch === 'x64' ? 'x86_64' : info.arch);
    expect(info.capabilities).toEqual(['exec', 'signal', 'file-write', 'file-read']);
    expect(info.maxPayload).toBe(65536);
    expect(await client.ping()).toBeGreaterThanOrEqual(0);
  });

  it('returns stdout, stderr and the exit code exactly', async () => {
    await fresh();
    const r = await client.run({ argv: ['sh', '-c', 'printf out; printf err >&2; exit 3'] });
    expect(r).toEqual({ status: { code: 3 }, stdout: Buffer.from('out'), stderr: Buffer.from('err') });
    expect((await client.run({ argv: ['true'] })).status).toEqual({ code: 0 });
    expect((await client.run({ argv: ['false'] })).status).toEqual({ code: 1 });
  });

  it('reports 127 for a missing command and 126 for a file that cannot run, like a shell', async () => {
    await fresh();
    const missing = await client.run({ argv: ['no-such-command-xyz'] });
    expect(missing.status).toEqual({ code: 127 });
    expect(missing.stderr.toString()).toBe("vm-agent: cannot run 'no-such-command-xyz': No such file or directory\n");
    const h = client.exec({ argv: ['no-such-command-xyz'] });
    expect(await h.pid).toBeUndefined();
    await h.exit;
    writeFileSync(join(dir, 'not-exec'), 'data', { mode: 0o644 });
    expect((await client.run({ argv: [join(dir, 'not-exec')] })).status).toEqual({ code: 126 });
    expect((await client.run({ argv: ['sh', '-c', 'no-such-command-xyz'] })).status).toEqual({ code: 127 });
  });

  it('reports the terminating signal', async () => {
    await fresh();
    const r = await client.run({ argv: ['sh', '-c', 'kill -9 $$'] });
    expect(r.status).toEqual({ signal: 'SIGKILL', signalNumber: 9, coreDumped: false });
    const h = client.exec({ argv: ['sleep', '30'] });
    expect(await h.pid).toBeGreaterThan(0);
    h.kill('TERM');
    expect(await h.exit).toMatchObject({ signal: 'SIGTERM' });
  });

  it('carries every byte: binary output, args and env with quotes, $(), newlines and control characters', async () => {
    await fresh();
    const out = await client.run({ argv: ['sh', '-c', 'cat'], stdin: Buffer.concat([ALL_BYTES, ALL_BYTES]) });
    expect(out.stdout.equals(Buffer.concat([ALL_BYTES, ALL_BYTES]))).toBe(true);

    const nasty = ['it\'s "quoted"', '$(touch /tmp/pwned) `id`', 'line1\nline2\r\n', '\x01\x02\x1b[31m\x7f', '', ' lead and trail ', 'ünï©ødé'];
    const raw = Buffer.from(ALL_BYTES.subarray(1)); // every byte but NUL, including invalid UTF-8
    const r = await client.run({ argv: ['sh', '-c', 'for a in "$@"; do printf "%s\\0" "$a"; done', 'sh', ...nasty, raw] });
    expect(r.stdout.equals(Buffer.concat([...nasty.map((a) => Buffer.from(`${a}\0`)), raw, Buffer.from([0])]))).toBe(true);

    const env = await client.run({ argv: ['sh', '-c', 'printf "%s\\0%s" "$A" "$B"'], env: { A: nasty.join('|'), B: raw } });
    expect(env.stdout.equals(Buffer.concat([Buffer.from(nasty.join('|')), Buffer.from([0]), raw]))).toBe(true);
  });

  it('refuses NUL in argv, env and cwd on the host with a clear error', async () => {
    await fresh();
    expect(() => client.exec({ argv: ['echo', 'a\0b'] })).toThrow(/argument 1 \("a\\u0000b"\) contains a NUL byte/);
    expect(() => client.exec({ argv: ['env'], env: { X: 'a\0' } })).toThrow(/environment variable X contains a NUL byte/);
    expect(() => client.exec({ argv: ['env'], env: { 'A=B': 'x' } })).toThrow(AgentError);
    expect(() => client.exec({ argv: [] })).toThrow(/argv is empty/);
    expect(() => client.exec({ argv: ['x'.repeat(70_000)] })).toThrow(/more than the agent's limit/);
  });

  it('runs in cwd with env added to (or replacing) its own, and fails clearly on a missing cwd', async () => {
    await fresh();
    const r = await client.run({ argv: ['sh', '-c', 'pwd; echo "$HOME|$X"'], cwd: dir, env: { X: 'y' } });
    expect(r.stdout.toString()).toBe(`${dir}\n/root|y\n`);
    const cleared = await client.run({ argv: ['/usr/bin/env'], clearEnv: true, env: { ONLY: '1' } });
    expect(cleared.stdout.toString()).toBe('ONLY=1\n');
    const bad = client.exec({ argv: ['pwd'], cwd: '/no/such/dir' });
    await expect(bad.exit).rejects.toMatchObject({ kind: 'guest', code: 'ENOENT', message: expect.stringContaining('/no/such/dir') });
  });

  it('streams stdin and stdout with flow control (8 MiB through cat, fed from a stream)', async () => {
    await fresh();
    const data = randomBytes(8 * 1024 * 1024);
    const source = Readable.from((function* () {
      for (let i = 0; i < data.length; i += 100_000) yield data.subarray(i, i + 100_000);
    })());
    const r = await client.run({ argv: ['cat'], stdin: source });
    expect(r.stdout.length).toBe(data.length);
    expect(sha(r.stdout)).toBe(sha(data));
  });

  it('takes stdin written to a pipe, and sees output as it comes', async () => {
    await fresh();
    const h = client.exec({ argv: ['sh', '-c', 'while read line; do echo "got $line"; done'], stdin: 'pipe' });
    const lines: string[] = [];
    h.stdout.on('data', (c: Buffer) => lines.push(c.toString()));
    h.stdin!.write('one\n');
    await new Promise<void>((resolve) => h.stdout.once('data', () => resolve()));
    expect(lines.join('')).toBe('got one\n'); // before stdin was closed: streamed, not buffered
    h.stdin!.end('two\n');
    expect(await h.exit).toEqual({ code: 0 });
    expect(lines.join('')).toBe('got one\ngot two\n');
  });

  it('keeps a producer that nobody reads from growing the agent (the command blocks instead)', async () => {
    await fresh();
    const h = client.exec({ argv: ['sh', '-c', 'head -c 67108864 /dev/zero'] });
    await new Promise((r) => setTimeout(r, 1500));
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${agent.proc.pid}/status`, 'utf8'))![1]) * 1024;
    expect(h.stdout.readableLength).toBeLessThanOrEqual(256 * 1024);
    // bounded by the window and the output queue, not by the 64 MiB the command wants to write
    expect(rss).toBeLessThan(48 * 1024 * 1024);
    // (reading resumes the command: the next test and the 8 MiB cat test show that)
    h.kill('SIGKILL');
    h.stdout.resume();
    expect(await h.exit).toMatchObject({ signal: 'SIGKILL' });
  });

  it('waits without spinning while the host does not read (file and command output)', async () => {
    await fresh();
    const cpuMs = (): number => {
      const f = readFileSync(`/proc/${agent.proc.pid}/stat`, 'utf8');
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    };
    const big = join(dir, 'sparse');
    writeFileSync(big, '');
    truncateSync(big, 6 * 1024 * 1024);
    const reading = client.readFile(big);
    const h = client.exec({ argv: ['head', '-c', '4194304', '/dev/zero'] });
    agent.socket.pause(); // the host stops reading: socket buffers fill, the agent's queue fills
    await new Promise((r) => setTimeout(r, 300));
    const pinged = client.ping(20_000); // and still talks: the agent wakes up with a full queue
    await new Promise((r) => setTimeout(r, 200));
    const before = cpuMs();
    await new Promise((r) => setTimeout(r, 1000));
    const spent = cpuMs() - before;
    console.log(`agent CPU while the host does not read: ${spent} ms in 1 s`);
    expect(spent).toBeLessThan(100);
    agent.socket.resume();
    let total = 0;
    h.stdout.on('data', (c: Buffer) => (total += c.length));
    expect((await reading).length).toBe(6 * 1024 * 1024);
    await pinged;
    expect(await h.exit).toEqual({ code: 0 });
    expect(total).toBe(4 * 1024 * 1024);
  });

  it('ends a command when it exits even if something it started keeps its pipes open', async () => {
    await fresh();
    const t0 = performance.now();
    const r = await client.run({ argv: ['sh', '-c', 'sleep 5 & echo started'] });
    expect(r).toMatchObject({ status: { code: 0 }, stdout: Buffer.from('started\n') });
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('ends a command after timeoutMs, and the exit promise says so', async () => {
    await fresh();
    const h = client.exec({ argv: ['sleep', '30'], timeoutMs: 300 });
    await expect(h.exit).rejects.toMatchObject({ kind: 'timeout', message: expect.stringMatching(/timed out after 300 ms/) });
  });

  it('runs more commands at once than the agent has sessions', async () => {
    await fresh();
    await client.hello(); // concurrent operations on a channel that needs a handshake share one
    const both = await Promise.all([client.hello(), client.hello()]);
    expect(both[0]).toBe(both[1]);
    const runs = await Promise.all(Array.from({ length: 50 }, (_, i) => client.run({ argv: ['sh', '-c', `echo ${i}`] })));
    expect(runs.map((r) => r.stdout.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `${i}\n`));
  });

  it('round-trips a 5 MB file byte-identically, atomically, with its mode', async () => {
    await fresh();
    const data = randomBytes(5 * 1024 * 1024);
    const path = join(dir, 'sub', 'dir', 'big.bin');
    await expect(client.writeFile(path, data)).rejects.toMatchObject({ kind: 'guest', code: 'ENOENT' });
    await client.writeFile(path, data, { mode: 0o600, mkdirs: true });
    expect(statSync(path).mode & 0o7777).toBe(0o600);
    expect(sha(readFileSync(path))).toBe(sha(data));
    expect(readdirSync(join(dir, 'sub', 'dir'))).toEqual(['big.bin']); // no temp file left
    const back = await client.readFile(path);
    expect(sha(back)).toBe(sha(data));
    await client.writeFile(path, 'short', { mode: 0o755 });
    expect(readFileSync(path, 'utf8')).toBe('short');
    expect(statSync(path).mode & 0o7777).toBe(0o755);
    expect((await client.readFile(path)).toString()).toBe('short');
    await client.writeFile(join(dir, 'empty'), new Uint8Array(0));
    expect((await client.readFile(join(dir, 'empty'))).length).toBe(0);
  });

  it('reports file errors with the errno name and the path', async () => {
    await fresh();
    await expect(client.readFile('/no/such/file')).rejects.toMatchObject({ kind: 'guest', code: 'ENOENT', message: expect.stringContaining('/no/such/file') });
    await expect(client.readFile(dir)).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(client.readFile('/dev/null')).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringContaining('not a regular file') });
    await expect(client.writeFile(dir, 'x')).rejects.toMatchObject({ kind: 'guest' });
    expect(readdirSync(dir).filter((n) => n.startsWith('.vm-agent-'))).toEqual([]);
    await expect(client.readFile('relative/path')).rejects.toMatchObject({ kind: 'request' });
    writeFileSync(join(dir, 'big'), Buffer.alloc(2048));
    await expect(client.readFile(join(dir, 'big'), { maxBytes: 1000 })).rejects.toThrow(/2048 bytes, more than the 1000 bytes allowed/);
    expect(await client.ping()).toBeGreaterThanOrEqual(0); // the agent carries on
  });

  it('refuses power actions in --fd mode (it must never reboot the machine it is tested on)', async () => {
    await fresh();
    await expect(client.poweroff()).rejects.toMatchObject({ kind: 'guest', code: 'ENOTSUP' });
  });

  it('a new hello resets the agent: running commands are killed and their operations fail', async () => {
    await fresh();
    const h = client.exec({ argv: ['sleep', '1000'] });
    const pid = (await h.pid)!;
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    await client.hello();
    await expect(h.exit).rejects.toMatchObject({ kind: 'channel' });
    for (let i = 0; i < 50 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect((await client.run({ argv: ['echo', 'after'] })).stdout.toString()).toBe('after\n');
  });

  it('resynchronises after garbage, half frames and hostile frames on the channel', async () => {
    await fresh();
    const sock = agent.socket;
    // random bytes, an unfinished frame, an oversized run without delimiter
    sock.write(randomBytes(100_000));
    sock.write(encodeFrame(T.PING, 0, 7, Buffer.from('x')).subarray(0, 9));
    sock.write(Buffer.alloc(200_000, 0x41));
    // well-formed frames with hostile content: every request type with random payloads
    const types = Object.values(T).filter((t) => t < 0x80 && t !== T.HELLO && t !== T.POWER);
    for (let i = 0; i < 3000; i++) {
      const type = types[i % types.length]!;
      const len = i % 7 === 0 ? 0 : Math.floor(Math.random() * 64);
      const payload = randomBytes(len);
      if (i % 3 === 0 && len >= 8) payload.writeUInt32LE(Math.floor(Math.random() * 8), 0); // plausible counts
      sock.write(encodeFrame(type, Math.random() < 0.5 ? 1 : 0, 1 + (i % 40), payload));
    }
    // a frame whose CRC is wrong
    const bad = encodeFrame(T.PING, 0, 1, Buffer.from('abc'));
    bad[3] ^= 0x10;
    sock.write(bad);
    const info = await client.hello(10_000);
    expect(info.protocol).toBe(1);
    expect((await client.run({ argv: ['echo', 'still here'] })).stdout.toString()).toBe('still here\n');
  });
});
