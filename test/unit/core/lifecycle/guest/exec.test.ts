// `vm ssh -c` tells a failed guest command from a machine that went away under it: the command's own
// code for the first, 255 (as ssh exits when the connection is lost) for the second. The real C agent
// runs behind a unix socket standing in for the engine's agent.sock; "the engine dies" = the socket closes.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT, UserError } from '../../../../../src/core/errors.js';
import { execCommand } from '../../../../../src/core/lifecycle/guest/exec.js';
import type { RunningMachine } from '../../../../../src/core/lifecycle/select.js';
import { buildHostAgent, compilerMissing, startHostAgent, type HostAgent } from '../../agent/host-agent.js';

const sink = (onData: (s: string) => void = () => {}) =>
  new Writable({
    write(chunk: Buffer, _enc, done) {
      onData(chunk.toString());
      done();
    },
  });

describe.skipIf(compilerMissing)('vm ssh -c exit codes', () => {
  let dir = '';
  let server: Server | undefined;
  const agents: HostAgent[] = [];
  const conns: Socket[] = [];

  afterEach(async () => {
    for (const c of conns.splice(0)) c.destroy();
    server?.close();
    for (const a of agents.splice(0)) await a.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A machine whose agent.sock leads to a fresh host agent per connection. */
  async function machine(): Promise<RunningMachine> {
    const agentPath = buildHostAgent().path;
    dir = mkdtempSync(join(tmpdir(), 'vm-exec-lost-'));
    const agentSocket = join(dir, 'agent.sock');
    server = createServer((c) => {
      const a = startHostAgent(agentPath);
      agents.push(a);
      conns.push(c);
      c.pipe(a.socket);
      a.socket.pipe(c);
      c.on('error', () => {});
      a.socket.on('error', () => {});
    });
    await new Promise<void>((r) => server!.listen(agentSocket, r));
    const paths = { runDir: dir, consoleSocket: '', agentSocket, qmpSocket: '', consoleLog: join(dir, 'console.log'), engineLog: join(dir, 'engine.log') };
    return { config: { name: 'web', env: {} }, paths } as unknown as RunningMachine;
  }

  it('a failing guest command gives its own code; a machine lost mid-command gives 255 and says so', async () => {
    const m = await machine();
    expect(await execCommand(m, 'exit 3', { stdout: sink(), stderr: sink() })).toBe(3);

    let started: () => void;
    const running = new Promise<void>((r) => (started = r));
    const lost = execCommand(m, 'echo started; sleep 30', { stdout: sink((s) => s.includes('started') && started()), stderr: sink() }).catch((e: unknown) => e);
    await running;
    for (const c of conns) c.destroy(); // the engine (and with it agent.sock) goes away
    const err = await lost;
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(EXIT.connectionLost);
    expect(EXIT.connectionLost).toBe(255);
    expect((err as UserError).message).toMatch(/^lost the connection to machine 'web' while the command ran: /);
  }, 120_000);
  it('a host reader that goes away (`vm ssh -c CMD | head`) ends the command with SIGPIPE instead of stalling it', async () => {
    const m = await machine();
    let got = '';
    // the host side of a pipe whose reader exited: the first write works, then EPIPE
    const closedPipe = new Writable({
      write(chunk: Buffer, _enc, done) {
        if (got) return done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        got = chunk.toString();
        done();
      },
    });
    // far more output than the agent may send ahead of its reader
    const code = await execCommand(m, 'seq 1 2000000', { stdout: closedPipe, stderr: sink() });
    expect(code).toBe(128 + 13);
    expect(got.startsWith('1\n2\n')).toBe(true);
  }, 120_000);

  it('stdin that stays open after the command exits (a script that never closes it) does not hold the command back', async () => {
    const m = await machine();
    const stdin = new PassThrough();
    stdin.write('ahead\n');
    let out = '';
    const code = await execCommand(m, 'read line; echo "got $line"', { stdin, stdout: sink((s) => (out += s)), stderr: sink() });
    expect(code).toBe(0);
    expect(out).toBe('got ahead\n');
    // released, so a CLI whose process.stdin this is can exit
    expect(stdin.destroyed).toBe(true);
  }, 120_000);
});
