// Talking to a running machine's guest agent: connect to agent.sock, shake hands (waiting for the
// agent within a deadline), do the work, disconnect. The engine serves one agent client at a time.
import type { RuntimePaths } from '../../engines/engine.js';
import { AgentClient, AgentError, connectAgent, waitForAgent } from '../agent/index.js';
import { UserError } from '../errors.js';

/** Whether the agent answers a handshake within `timeoutMs` (a readiness probe). */
export async function agentAnswers(paths: RuntimePaths, timeoutMs: number): Promise<boolean> {
  try {
    const c = await connectAgent(paths.agentSocket, { connectTimeoutMs: timeoutMs, helloTimeoutMs: timeoutMs });
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
    agent = await waitForAgent(paths.agentSocket, { timeoutMs: waitMs });
  } catch (err) {
    if (err instanceof AgentError) {
      throw new UserError(`the guest agent of machine '${name}' does not answer: ${err.message}`, {
        hint: 'the box may have no agent, or the guest is still booting or stuck: see `vm logs`',
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
