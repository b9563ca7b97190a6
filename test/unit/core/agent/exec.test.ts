// startExec's session states (opening, running, killing, done) driven frame by frame through a fake
// channel, so each transition is checked on its own: what is sent on the wire in each state, and
// how `pid`, `exit` and the output streams settle. The real agent runs the same code end to end in
// agent-host.test.ts.
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentChannel, SessionSink } from '../../../../src/core/agent/channel.js';
import { AgentError } from '../../../../src/core/agent/errors.js';
import { startExec } from '../../../../src/core/agent/exec.js';
import { PayloadReader, PayloadWriter } from '../../../../src/core/agent/payloads.js';
import { EXIT_KIND, FLAG_EOF, STREAM, T } from '../../../../src/core/agent/protocol.js';

interface Sent {
  type: number;
  flags: number;
  session: number;
  payload: Buffer;
}

const SESSION = 7;

/** The part of AgentChannel startExec uses, recording what it sends. */
class FakeChannel {
  sent: Sent[] = [];
  sink: SessionSink | undefined;
  closed: number[] = [];
  readonly requestTimeoutMs = 1000;
  info = { maxPayload: 4, stdinWindow: 6 } as AgentChannel['info'];
  openSession(sink: SessionSink): Promise<number> {
    this.sink = sink;
    return Promise.resolve(SESSION);
  }
  closeSession(id: number): void {
    this.closed.push(id);
  }
  send(type: number, flags: number, session: number, payload?: Uint8Array): boolean {
    this.sent.push({ type, flags, session, payload: Buffer.from(payload ?? []) });
    return true;
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
  frame(type: number, payload: Buffer = Buffer.alloc(0), flags = 0): void {
    this.sink!.onFrame({ type, flags, session: SESSION, payload });
  }
  types(): number[] {
    return this.sent.map((s) => s.type);
  }
  asChannel(): AgentChannel {
    return this as unknown as AgentChannel;
  }
}

const exitFrame = (kind: number, value: number, core = 0): Buffer => new PayloadWriter().u8(kind).u8(core).raw(Buffer.alloc(2)).u32(value).done();
const creditFrame = (stream: number, n: number): Buffer => new PayloadWriter().u8(stream).raw(Buffer.alloc(3)).u32(n).done();
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('startExec session states', () => {
  let ch: FakeChannel;
  beforeEach(() => {
    ch = new FakeChannel();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opening sends nothing until prepare is done, then running sends EXEC on the session', async () => {
    let release!: () => void;
    const prepared = new Promise<void>((r) => (release = r));
    const h = startExec(ch.asChannel(), { argv: ['true'] }, () => prepared);
    await settle();
    expect(ch.sent).toEqual([]);
    h.kill('SIGTERM'); // waits for the session, then signals
    release();
    await settle();
    expect(ch.types()[0]).toBe(T.EXEC);
    expect([...ch.types()].sort()).toEqual([T.EXEC, T.STDIN, T.SIGNAL].sort());
    expect(ch.sent.every((s) => s.session === SESSION)).toBe(true);
    const byType = (t: number): Sent => ch.sent.find((s) => s.type === t)!;
    expect(byType(T.STDIN)).toMatchObject({ flags: FLAG_EOF, payload: Buffer.alloc(0) }); // no stdin: end of file at once
    expect(new PayloadReader(byType(T.SIGNAL).payload).u32('signal')).toBe(15);
  });

  it('running: pid, output with credit granted back as it is read, stdin within credit, then the exit code', async () => {
    const h = startExec(ch.asChannel(), { argv: ['cat'], stdin: 'hello world', outputWindow: 4096 });
    await settle();
    // stdinWindow 6, maxPayload 4: 4 + 2 bytes, then it waits for the agent's credit
    expect(ch.sent.filter((s) => s.type === T.STDIN).map((s) => s.payload.toString())).toEqual(['hell', 'o ']);
    ch.frame(T.CREDIT, creditFrame(STREAM.STDIN, 100));
    await settle();
    const stdin = ch.sent.filter((s) => s.type === T.STDIN);
    expect(stdin.map((s) => s.payload.toString()).join('')).toBe('hello world');
    expect(stdin.at(-1)!.flags & FLAG_EOF).toBe(FLAG_EOF);

    ch.frame(T.EXEC_STARTED, new PayloadWriter().u32(4242).done());
    expect(await h.pid).toBe(4242);
    const out: Buffer[] = [];
    h.stdout.on('data', (c: Buffer) => out.push(c));
    ch.frame(T.STDOUT, Buffer.alloc(3000, 0x61));
    await settle();
    await settle();
    const grants = ch.sent.filter((s) => s.type === T.WINDOW).map((s) => new PayloadReader(s.payload));
    expect(grants.length).toBeGreaterThan(0);
    expect(grants[0]!.u8('stream')).toBe(STREAM.STDOUT);
    ch.frame(T.EXIT, exitFrame(EXIT_KIND.CODE, 3));
    await expect(h.exit).resolves.toEqual({ code: 3 });
    expect(Buffer.concat(out).length).toBe(3000);
    expect(ch.closed).toEqual([SESSION]);
  });

  it('done: a kill after the exit sends nothing, and an exit by signal is reported as such', async () => {
    const h = startExec(ch.asChannel(), { argv: ['sleep', '9'] });
    await settle();
    ch.frame(T.EXIT, exitFrame(EXIT_KIND.SIGNAL, 9, 1));
    await expect(h.exit).resolves.toEqual({ signal: 'SIGKILL', signalNumber: 9, coreDumped: true });
    expect(await h.pid).toBeUndefined(); // never started frame: undefined, not pending
    const before = ch.sent.length;
    h.kill('SIGINT');
    await settle();
    expect(ch.sent.length).toBe(before);
    expect(() => h.kill('SIGNOPE')).toThrow(/unknown signal/);
  });

  it('done: a stdin source that never ends is closed once the command exits (a pipe left open must not keep the host waiting)', async () => {
    // What `vm ssh -c` gets as stdin from a script or CI job that never closes its end.
    const open = new PassThrough();
    const h = startExec(ch.asChannel(), { argv: ['uname'], stdin: open });
    await settle();
    open.write('typed ahead');
    await settle();
    expect(ch.sent.filter((s) => s.type === T.STDIN).map((s) => s.payload.toString()).join('')).toBe('typed ahead'.slice(0, 6)); // the stdin window
    ch.frame(T.EXIT, exitFrame(EXIT_KIND.CODE, 0));
    await expect(h.exit).resolves.toEqual({ code: 0 });
    await settle();
    expect(open.destroyed).toBe(true);
    // nothing more goes to the agent for a session that is over
    const sent = ch.sent.length;
    await settle();
    expect(ch.sent.length).toBe(sent);

    // Any other async iterable: its pending next() is left and return() asks it to stop.
    const ch2 = new FakeChannel();
    let returned = 0;
    const never: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<Uint8Array>>(() => {}),
        return: () => {
          returned++;
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    };
    const h2 = startExec(ch2.asChannel(), { argv: ['true'], stdin: never });
    await settle();
    ch2.frame(T.EXIT, exitFrame(EXIT_KIND.CODE, 0));
    await expect(h2.exit).resolves.toEqual({ code: 0 });
    await settle();
    expect(returned).toBe(1);
  });

  it('a stdin source that ends is read to its end and not destroyed', async () => {
    const src = new PassThrough();
    const h = startExec(ch.asChannel(), { argv: ['cat'], stdin: src });
    src.end('abc');
    await settle();
    await settle();
    const stdin = ch.sent.filter((s) => s.type === T.STDIN);
    expect(stdin.map((s) => s.payload.toString()).join('')).toBe('abc');
    expect(stdin.at(-1)!.flags & FLAG_EOF).toBe(FLAG_EOF);
    ch.frame(T.EXIT, exitFrame(EXIT_KIND.CODE, 0));
    await expect(h.exit).resolves.toEqual({ code: 0 });
    expect(src.readableEnded).toBe(true);
  });

  it('running -> killing on timeoutMs: CANCEL, then the EXIT that follows is a timeout error', async () => {
    vi.useFakeTimers();
    const h = startExec(ch.asChannel(), { argv: ['sleep', '30'], timeoutMs: 300 });
    await vi.advanceTimersByTimeAsync(0);
    expect(ch.types()).not.toContain(T.CANCEL);
    await vi.advanceTimersByTimeAsync(300);
    expect(ch.types()).toContain(T.CANCEL);
    // still killing: a signal may still be sent
    h.kill('SIGKILL');
    await vi.advanceTimersByTimeAsync(0);
    expect(ch.types().at(-1)).toBe(T.SIGNAL);
    ch.frame(T.EXIT, exitFrame(EXIT_KIND.SIGNAL, 9));
    await expect(h.exit).rejects.toMatchObject({ kind: 'timeout', message: 'the command timed out after 300 ms and was killed' });
  });

  it('killing gives up on a guest that never reports the kill after the request timeout', async () => {
    vi.useFakeTimers();
    const h = startExec(ch.asChannel(), { argv: ['sleep', '30'], timeoutMs: 100 });
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(ch.requestTimeoutMs - 1);
    expect(ch.closed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await expect(h.exit).rejects.toMatchObject({ kind: 'timeout', message: 'the command timed out after 100 ms and did not stop' });
    expect(ch.closed).toEqual([SESSION]);
  });

  it('opening -> done when the session cannot be had: exit rejects, pid is undefined, nothing was sent', async () => {
    const h = startExec(ch.asChannel(), { argv: ['true'] }, () => Promise.reject(new AgentError('no handshake', 'channel')));
    await expect(h.exit).rejects.toThrow('no handshake');
    expect(await h.pid).toBeUndefined();
    expect(ch.sent).toEqual([]);
    expect(ch.closed).toEqual([]);
  });

  it('a malformed frame cancels the session and ends it with a channel error', async () => {
    const h = startExec(ch.asChannel(), { argv: ['true'] });
    await settle();
    ch.frame(T.EXIT, Buffer.from([0])); // too short
    await expect(h.exit).rejects.toMatchObject({ kind: 'channel', message: expect.stringMatching(/^the agent sent a malformed 94 frame/) });
    expect(ch.sent.at(-1)).toMatchObject({ type: T.CANCEL, session: SESSION });
    expect(h.stdout.destroyed).toBe(true);
  });

  it('an ERROR frame ends it with a guest error carrying the errno; a closed channel with its own error', async () => {
    const h = startExec(ch.asChannel(), { argv: ['nope'] });
    await settle();
    ch.frame(T.ERROR, new PayloadWriter().u32(2).bytes(Buffer.from('No such file or directory')).done());
    await expect(h.exit).rejects.toMatchObject({ kind: 'guest', errno: 2, message: "could not run 'nope' in the guest: No such file or directory" });

    const ch2 = new FakeChannel();
    const h2 = startExec(ch2.asChannel(), { argv: ['x'], stdin: 'pipe' });
    await settle();
    ch2.sink!.onClose(new AgentError('the connection to the guest agent closed', 'channel'));
    await expect(h2.exit).rejects.toThrow('the connection to the guest agent closed');
    // stdin written after the end is dropped, like a closed pipe: the write completes, nothing is sent
    const before = ch2.sent.length;
    await new Promise<void>((r) => h2.stdin!.write('late', () => r()));
    expect(ch2.sent.length).toBe(before);
  });
});
