// Asking a guest to power itself off: through its agent when it answers (the guest stops its
// programs, syncs and unmounts), else the engine's QMP system_powerdown (a power button, where the
// machine has one; the builtin engine has none and says so).
import type { RuntimePaths } from '../../engines/engine.js';
import { connectAgent } from '../agent/index.js';
import { machineAgent } from './agent-session.js';
import { QmpClient } from '../../engines/qmp-client.js';

export type PowerRequest = { ok: true; via: string } | { ok: false; reason: string };

export async function requestGuestPoweroff(paths: RuntimePaths): Promise<PowerRequest> {
  let agentWhy = '';
  try {
    const agent = await connectAgent(paths.agentSocket, { ...machineAgent(paths), connectTimeoutMs: 5000, helloTimeoutMs: 5000 });
    try {
      await agent.poweroff(5000);
      return { ok: true, via: 'its agent' };
    } finally {
      agent.close();
    }
  } catch (err) {
    agentWhy = `the guest agent did not answer: ${(err as Error).message}`;
  }
  let qmp: QmpClient | undefined;
  try {
    qmp = await QmpClient.connect(paths.qmpSocket, 3000);
    await qmp.execute('system_powerdown', undefined, 3000);
    return { ok: true, via: 'the power button (QMP system_powerdown)' };
  } catch (err) {
    return { ok: false, reason: `${agentWhy}; the power button did not work either: ${(err as Error).message}` };
  } finally {
    qmp?.close();
  }
}
