// Talking to a running machine's guest agent: connect (through the machine's agent multiplexer, so
// commands share the guest: a running `vm ssh -c` does not lock out provision, halt or the console's
// window size), shake hands (waiting for the agent within a deadline), do the work, disconnect.
import type { RuntimePaths } from '../../../engines/engine.js';
import { AgentClient, AgentError, connectAgent, viaMux, waitForAgent, type ConnectOptions } from '../../agent/index.js';
import { UserError } from '../../errors.js';

/** How commands connect to a machine's agent. */
export function machineAgent(paths: RuntimePaths): ConnectOptions {
  return { connect: viaMux(paths.agentSocket, paths.engineLog) };
}

/** Whether the agent answers a handshake within `timeoutMs` (a readiness probe). */
export async function agentAnswers(paths: RuntimePaths, timeoutMs: number): Promise<boolean> {
  try {
    const c = await connectAgent(paths.agentSocket, { ...machineAgent(paths), connectTimeoutMs: timeoutMs, helloTimeoutMs: timeoutMs });
    c.close();
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` with a connected agent; waits up to `waitMs` for the agent to answer first. */
export async function withAgent<T>(name: string, paths: RuntimePaths, waitMs: number, fn: (agent: AgentClient) => Promise<T>): Promise<T> {
  let agent: AgentClient;
  try {
    agent = await waitForAgent(paths.agentSocket, { ...machineAgent(paths), timeoutMs: waitMs });
  } catch (err) {
    if (err instanceof AgentError) {
      throw new UserError(`the guest agent of machine '${name}' does not answer: ${err.message}`, {
        hint: 'the guest may still be booting, or be stuck, or its box may have no agent: see `vm logs`',
      });
    }
    throw err;
  }
  try {
    return await fn(agent);
  } finally {
    agent.close();
  }
}
