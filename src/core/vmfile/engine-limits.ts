// What an engine cannot run, said by `vm validate` at the Vmfile line rather than by the engine at
// `vm up` after the machine was created. The limits come from where they are enforced, loaded only
// for a machine that sets memory, cpus or synced folders: `vm status` of a plain project loads no engine
// or emulator code.
import type { BoxRef, EngineName } from '../../engines/machine-config.js';
import type { MachineDraft } from './normalize-machine.js';
import type { Reporter } from './reporter.js';
import { quote } from './values.js';
import { formatSize } from './units.js';

export async function checkEngineLimits(d: MachineDraft, box: BoxRef, engine: EngineName, report: Reporter): Promise<void> {
  if (engine === 'builtin' && d.memoryPath) {
    const { MAX_RAM_BYTES } = await import('../../emulator/machine/ram.js');
    if (d.memoryBytes > MAX_RAM_BYTES) {
      report.error(d.memoryPath, `memory: ${formatSize(d.memoryBytes)} is more than the builtin engine can give a machine (at most ${formatSize(MAX_RAM_BYTES)})`, {
        hint: box.engines.includes('qemu')
          ? `use at most ${formatSize(MAX_RAM_BYTES)}, or \`engine: qemu\` (needs qemu-system installed)`
          : `use at most ${formatSize(MAX_RAM_BYTES)}`,
      });
    }
  }
  if (engine === 'builtin' && d.cpusPath && d.cpus > 1) {
    const { MAX_HARTS } = await import('../../emulator/machine/virt.js');
    if (d.cpus > MAX_HARTS) {
      report.error(d.cpusPath, `cpus: ${d.cpus} is more than the builtin engine emulates (at most ${MAX_HARTS} harts)`, {
        hint: box.engines.includes('qemu') ? `use at most ${MAX_HARTS}, or \`engine: qemu\` (needs qemu-system installed)` : `use at most ${MAX_HARTS}`,
      });
    }
  }
  if (d.syncedFolders.length > 0) {
    // Both engines pass mounts to the box's init as vm.mount=TAG:PATH on the kernel command line.
    const { UNMOUNTABLE } = await import('../../engines/guest-params.js');
    for (const f of d.syncedFolders) {
      if (!UNMOUNTABLE.test(f.config.guestPath)) continue;
      report.error(f.guestPathAt, `synced folder guest path ${quote(f.config.guestPath)} cannot be mounted: the box's init reads mounts from the kernel command line, which cannot carry spaces, \`:\` or control characters`, {
        hint: 'choose a guest path without spaces or colons',
      });
    }
  }
}
