// A paused `virt` machine's whole state apart from RAM: harts, clock, interrupt controllers, UART,
// RTC, host SBI and every virtio transport with its queues and device model. RAM goes separately
// (snapshot/ram-pages.ts) because it is large and the host compresses it. Restoring expects a machine built
// with the same shape (RAM size, harts, devices in the same slots) that has not run yet.

import type { Hart } from '../cpu/hart.js';
import type { VirtioMmio } from '../devices/virtio/mmio.js';
import type { VirtMachine } from './virt.js';
import { restoreHart, saveHart } from './hart-snapshot.js';
import { SnapshotError, StateReader, type StateObject, type StateValue } from '../snapshot/state-value.js';

/** Bumped whenever a device's saved fields change meaning: older states are then refused. */
export const MACHINE_STATE_VERSION = 1;

export interface MachineParts {
  vm: VirtMachine;
  harts: readonly Hart[];
  /** The virtio transports, in the order the machine was built with. */
  transports: readonly VirtioMmio[];
}

/** The state of a machine whose scheduler is stopped. Throws SnapshotError when it cannot be saved now. */
export function saveMachineState(p: MachineParts): StateObject {
  if (p.vm.scheduler.isRunning) throw new SnapshotError('the machine must be paused to be saved');
  return {
    version: MACHINE_STATE_VERSION,
    ramBytes: p.vm.ram.size,
    clock: { ticks: p.vm.clock.now(), warped: p.vm.clock.warpedTicks },
    instructions: p.vm.scheduler.instructions,
    harts: p.harts.map(saveHart),
    plic: p.vm.plic.saveState(),
    clint: p.vm.clint.saveState(),
    uart: p.vm.uart.saveState(),
    rtc: p.vm.rtc.saveState(),
    sbi: p.vm.sbi?.saveState() ?? null,
    virtio: p.transports.map((t) => t.saveState()),
  };
}

/** Put a saved state into a machine that has not run. Throws SnapshotError when it does not fit. */
export function restoreMachineState(p: MachineParts, state: StateValue): void {
  if (p.vm.scheduler.isRunning) throw new SnapshotError('a running machine cannot be restored into');
  const r = StateReader.of(state, 'state');
  const version = r.int('version', 0);
  if (version !== MACHINE_STATE_VERSION) throw new SnapshotError(`machine state version ${version}; this emulator reads version ${MACHINE_STATE_VERSION}`);
  const ramBytes = r.int('ramBytes', 0);
  if (ramBytes !== p.vm.ram.size) throw new SnapshotError(`the state is of a machine with ${ramBytes / 1048576} MiB of RAM, this one has ${p.vm.ram.size / 1048576} MiB`);
  const harts = r.objects('harts');
  if (harts.length !== p.harts.length) throw new SnapshotError(`the state is of a machine with ${harts.length} harts, this one has ${p.harts.length}`);
  const virtio = r.objects('virtio');
  if (virtio.length !== p.transports.length) {
    throw new SnapshotError(`the state is of a machine with ${virtio.length} virtio devices, this one has ${p.transports.length}`);
  }
  const sbi = r.objOrNull('sbi');
  if ((sbi === null) !== (p.vm.sbi === null)) throw new SnapshotError('the state and this machine differ in their firmware (host SBI or not)');
  const clock = r.obj('clock');
  p.vm.clock.set(clock.num('ticks', 0, Number.MAX_SAFE_INTEGER));
  p.vm.clock.warpedTicks = clock.num('warped', 0, Number.MAX_SAFE_INTEGER);
  p.vm.scheduler.instructions = r.num('instructions', 0);
  p.harts.forEach((h, i) => restoreHart(h, harts[i]!));
  p.vm.plic.restoreState(r.obj('plic'));
  p.vm.clint.restoreState(r.obj('clint'));
  p.vm.uart.restoreState(r.obj('uart'));
  p.vm.rtc.restoreState(r.obj('rtc'));
  if (sbi) p.vm.sbi!.restoreState(sbi);
  p.transports.forEach((t, i) => t.restoreState(virtio[i]!));
}
