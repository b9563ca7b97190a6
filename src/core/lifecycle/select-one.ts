// The one machine a command such as `vm ssh` acts on: the one named, else the only one, else the
// machine marked `primary: true` (as Vagrant's single-machine commands pick).
import type { MachineConfig } from '../../engines/machine-config.js';
import { UserError } from '../errors.js';
import { selectMachines, type Selection } from './select-machines.js';

export async function selectOne(o: { file?: string; name?: string; cwd?: string; command: string }): Promise<{ sel: Selection; config: MachineConfig }> {
  const sel = await selectMachines({ file: o.file, cwd: o.cwd, names: o.name ? [o.name] : undefined, readOnly: true });
  if (sel.machines.length === 1) return { sel, config: sel.machines[0]! };
  const primary = sel.machines.find((m) => m.primary);
  if (primary) return { sel: { ...sel, machines: [primary] }, config: primary };
  throw new UserError(`this Vmfile has ${sel.machines.length} machines (${sel.machines.map((m) => m.name).join(', ')}): name the one for \`${o.command}\``, {
    hint: `for example: ${o.command} ${sel.machines[0]!.name} (or mark one machine \`primary: true\` in the Vmfile)`,
  });
}
