// A failing provisioner makes `vm up` / `vm provision` exit 1 ("a failed guest command" in the README's
// exit-code table), whatever the script's own code, which the message keeps. Runs the real C agent.
import { afterEach, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../../src/core/agent/client.js';
import { EXIT } from '../../../../src/core/errors.js';
import { ProvisionError } from '../../../../src/core/provision/provision-error.js';
import { runProvisioners } from '../../../../src/core/provision/run.js';
import type { MachineConfig, ProvisionerConfig } from '../../../../src/model/machine-config.js';
import { buildHostAgent, compilerMissing, startHostAgent, type HostAgent } from '../agent/host-agent.js';

describe.skipIf(compilerMissing)('provisioner exit codes', () => {
  let agent: HostAgent | undefined;
  afterEach(async () => {
    await agent?.stop();
  });

  it('a script failing with 127 (command not found) ends with exit code 1 and says 127', async () => {
    agent = startHostAgent(buildHostAgent().path);
    const client = new AgentClient(agent.socket, { requestTimeoutMs: 10_000 });
    await client.hello(10_000);
    const shell = (name: string, script: string): ProvisionerConfig => ({ type: 'shell', name, run: 'once', script, args: [], env: {} });
    const config = { name: 'web', env: {} } as unknown as MachineConfig;
    const out = { start: () => {}, output: () => {} };
    const err = await runProvisioners(client, config, [shell('ok', 'true'), shell('setup', 'no-such-command-here')], out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionError);
    expect((err as ProvisionError).exitCode).toBe(EXIT.userError);
    expect((err as ProvisionError).message).toBe("provisioner 'setup' of machine 'web' failed with exit code 127");
    client.close();
  }, 120_000);
});
