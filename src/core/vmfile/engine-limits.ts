// What an engine cannot run, said by `vm validate` at the Vmfile line rather than by the engine at
// `vm up` after the machine was created. The limits come from where they are enforced.
import type { BoxRef, EngineName } from '../../engines/machine-config.js';
import { MAX_RAM_BYTES } from '../../emulator/machine/ram.js';
import type { MachineDraft } from './normalize-machine.js';
import type { Reporter } from './reporter.js';
import { formatSize } from './units.js';

export function checkEngineLimits(d: MachineDraft, box: BoxRef, engine: EngineName, report: Reporter): void {
  if (engine === 'builtin' && d.memoryBytes > MAX_RAM_BYTES && d.memoryPath) {
    report.error(d.memoryPath, `memory: ${formatSize(d.memoryBytes)} is more than the builtin engine can give a machine (at most ${formatSize(MAX_RAM_BYTES)})`, {
      hint: box.engines.includes('qemu')
        ? `use at most ${formatSize(MAX_RAM_BYTES)}, or \`engine: qemu\` (needs qemu-system installed)`
        : `use at most ${formatSize(MAX_RAM_BYTES)}`,
    });
  }
}
