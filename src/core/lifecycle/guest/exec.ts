// `vm ssh -c CMD` and `vm ssh -- CMD ARGS...`: a command run in the guest through the guest agent
// (with `sh -c`, or as an argv with no shell at all), its output streamed and its exit code returned (128 + N when a signal N ended it, as a shell reports it); a connection
// lost while it runs is EXIT.connectionLost, not a code the command could have returned.
import { AgentError } from '../../agent/index.js';
import { EXIT, UserError } from '../../errors.js';
import { exitCodeOf } from '../../provision/provision-error.js';
import { withAgent } from './agent.js';
import type { RunningMachine } from '../select.js';

/** How long `ssh -c` waits for the agent of a running machine (it may still be booting). */
const AGENT_WAIT_MS = 30_000;

export interface ExecStreams {
  /** Piped input for the command; none = end of file at once. */
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Copies a guest output stream to a host one, waiting on the host side when it is slow. When the host
 * side breaks (its reader went away: `vm ssh -c CMD | head`, EPIPE), `broken` is called once and the
 * rest is read and dropped: waiting for a 'drain' that a broken stream never emits would stall the
 * command on a full window, and with it `vm ssh`.
 */
function pump(from: NodeJS.ReadableStream, to: NodeJS.WritableStream, broken: () => void): Promise<void> {
  return new Promise((resolve) => {
    let gone = false;
    const onGone = (): void => {
      if (gone) return;
      gone = true;
      broken();
      from.resume();
    };
    to.once('error', onGone);
    to.once('close', onGone);
    from.on('data', (c: Buffer) => {
      if (gone) return;
      if (!to.write(c)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    const done = (): void => {
      to.off('error', onGone);
      to.off('close', onGone);
      resolve();
    };
    from.once('end', done);
    from.once('close', done);
  });
}

/** Runs `command` with `sh -c` in the guest; resolves with its exit code. */
export function execCommand(m: RunningMachine, command: string, io: ExecStreams): Promise<number> {
  return execArgv(m, ['/bin/sh', '-c', command], io);
}

/**
 * Runs `argv` in the guest as given: no shell splits or expands it (the agent looks argv[0] up in
 * PATH, and answers 127 when it is not found, as a shell would). Resolves with its exit code.
 */
export async function execArgv(m: RunningMachine, argv: string[], io: ExecStreams): Promise<number> {
  if (argv.length === 0) throw new UserError('no command to run: give one after `--`', { hint: 'for example: vm ssh -- uname -a' });
  return withAgent(m.config.name, m.paths, AGENT_WAIT_MS, async (agent) => {
    const handle = agent.exec({
      argv,
      env: m.config.env,
      stdin: io.stdin ? (io.stdin as AsyncIterable<Uint8Array>) : undefined,
    });
    try {
      // Nobody reads the output any more: the command gets SIGPIPE, as a writer into a closed pipe does.
      const broken = (): void => handle.kill('SIGPIPE');
      const [status] = await Promise.all([handle.exit, pump(handle.stdout, io.stdout, broken), pump(handle.stderr, io.stderr, broken)]);
      return exitCodeOf(status);
    } catch (err) {
      // Not the command failing: the channel to it broke (the engine died, the agent restarted).
      // Its own exit code, so scripts can tell it from any code the guest command returns but 255.
      if (err instanceof AgentError && (err.kind === 'channel' || err.kind === 'timeout')) {
        throw new UserError(`lost the connection to machine '${m.config.name}' while the command ran: ${err.message}`, {
          exitCode: EXIT.connectionLost,
          hint: `the command may or may not have finished in the guest; see \`vm status ${m.config.name}\` and \`vm logs ${m.config.name}\``,
        });
      }
      throw err;
    }
  });
}
