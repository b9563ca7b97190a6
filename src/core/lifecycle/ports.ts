// `vm port`: the forwards of machines, with whether they are live (their machine runs).
import type { ForwardConfig, MachineConfig } from '../../engines/machine-config.js';
import { inspectMachine } from '../machines/state.js';

export interface MachinePorts {
  name: string;
  running: boolean;
  forwards: ForwardConfig[];
}

export async function listPorts(projectDir: string, machines: MachineConfig[]): Promise<MachinePorts[]> {
  return Promise.all(
    machines.map(async (m) => ({
      name: m.name,
      running: (await inspectMachine(projectDir, m.name, m.engine)).status === 'running',
      forwards: m.forwards,
    })),
  );
}
