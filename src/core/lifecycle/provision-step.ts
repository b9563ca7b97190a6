// The guest-agent side of `up` and `vm provision`: readiness through the agent, and running
// provisioners on a running machine.
import type { RuntimePaths } from '../../engines/engine.js';
import type { MachineConfig, ProvisionerConfig } from '../../engines/machine-config.js';
import { runProvisioners as runOverAgent, type ProvisionOutput } from '../provision/index.js';
import { agentAnswers, withAgent } from './agent-session.js';

/** How long a provisioning run waits for the agent of a machine that was just found ready. */
const AGENT_WAIT_MS = 30_000;

/** A readiness probe: the guest agent answering a handshake. */
export function guestReadyProbe(paths: RuntimePaths): () => Promise<boolean> {
  return () => agentAnswers(paths, 2000);
}

export async function runProvisioners(config: MachineConfig, paths: RuntimePaths, list: ProvisionerConfig[], out: ProvisionOutput): Promise<string[]> {
  return withAgent(config.name, paths, AGENT_WAIT_MS, (agent) => runOverAgent(agent, config, list, out));
}
