// The one machine a command such as `vm ssh` acts on: the one named, else the only one.
import type { MachineConfig } from '../../engines/machine-config.js';
import { UserError } from '../errors.js';
import { selectMachines, type Selection } from './select-machines.js';

export async function selectOne(o: { file?: string; name?: string; cwd?: string; command: string }): Promise<{ sel: Selection; config: MachineConfig }> {
  const sel = await selectMachines({ file: o.file, cwd: o.cwd, names: o.name ? [o.name] : undefined, readOnly: true });
  if (sel.machines.length !== 1) {
    throw new UserError(`this Vmfile has ${sel.machines.length} machines (${sel.machines.map((m) => m.name).join(', ')}): name the one for \`${o.command}\``, {
      hint: `for example: ${o.command} ${sel.machines[0]!.name}`,
    });
  }
  return { sel, config: sel.machines[0]! };
}
