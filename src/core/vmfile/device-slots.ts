// riscv64 boxes boot on QEMU's `virt` layout on both engines, which has 8 virtio-mmio slots: the
// root disk, extra disks, network cards, the agent channel and synced folders each take one (the
// random-number generator takes one only when one is left). Counted here so `vm validate` says it,
// rather than the engine failing at `vm up`. x86_64 boxes use PCI and have no such limit.
import type { MachineDraft } from './normalize-machine.js';
import type { Reporter } from './reporter.js';
import type { BoxRef } from '../../model/machine-config.js';

export const RISCV_VIRTIO_SLOTS = 8;

export function checkVirtioSlots(d: MachineDraft, box: BoxRef, report: Reporter): void {
  if (box.arch !== 'riscv64') return;
  const root = box.rootDisk ? 1 : 0;
  const need = root + d.disks.length + d.nics.length + 1 + d.syncedFolders.length;
  if (need <= RISCV_VIRTIO_SLOTS) return;
  const n = (k: number, one: string, many: string): string => `${k} ${k === 1 ? one : many}`;
  const parts = [
    root ? 'the root disk' : '',
    d.disks.length ? n(d.disks.length, 'extra disk', 'extra disks') : '',
    d.nics.length ? n(d.nics.length, 'network card', 'network cards') : '',
    'the agent channel',
    d.syncedFolders.length ? n(d.syncedFolders.length, 'synced folder', 'synced folders') : '',
  ].filter(Boolean);
  report.error(d.path, `machine "${d.name}" needs ${need} virtio devices (${parts.join(', ')}), but a riscv64 machine has ${RISCV_VIRTIO_SLOTS} slots`, {
    hint: `declare ${need - RISCV_VIRTIO_SLOTS} fewer disks, network cards or synced folders (one synced folder can hold several folders), or use an x86_64 box on the qemu engine`,
  });
}
