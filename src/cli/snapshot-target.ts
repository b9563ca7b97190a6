// The machine and snapshot name the `vm snapshot` commands take: `NAME SNAP`, or `SNAP` alone when
// the Vmfile has one machine (as Vagrant's `snapshot save [vm-name] NAME`).
import { Args } from '@oclif/core';
import type { MachineConfig } from '../model/machine-config.js';
import type { Selection } from '../core/lifecycle/select.js';

export const snapshotArgs = {
  name: Args.string({ description: 'machine name (may be left out when the Vmfile has one machine), then the snapshot name', required: true, ignoreStdin: true }),
  snapshot: Args.string({ description: 'snapshot name', ignoreStdin: true }),
};

export async function snapshotTarget(file: string | undefined, a: string, b: string | undefined, command: string): Promise<{ sel: Selection; config: MachineConfig; snap: string }> {
  const { selectOne } = await import('../core/lifecycle/select.js');
  const { sel, config } = await selectOne({ file, name: b === undefined ? undefined : a, cwd: process.cwd(), command });
  return { sel, config, snap: b ?? a };
}

export const humanBytes = (n: number | undefined): string => (n === undefined ? '-' : n < 1048576 ? `${Math.ceil(n / 1024)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
