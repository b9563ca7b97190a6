// A virtio-mmio slot of the `virt` machine. Empty, it answers like QEMU's unused transports:
// magic "virt", version 2, DeviceID 0 (which tells Linux drivers/virtio/virtio_mmio.c to skip it).
// A device plugs in with `attach` and from then on receives every access to the slot.
// Spec: Virtio 1.2, 4.2.2 "MMIO Device Register Layout".

import type { MmioDevice } from '../memory/bus.js';

const VIRTIO_MMIO_MAGIC_VALUE = 0x000;
const VIRTIO_MMIO_VERSION = 0x004;
const VIRTIO_MMIO_DEVICE_ID = 0x008;
const VIRTIO_MMIO_VENDOR_ID = 0x00c;
const VIRT_MAGIC = 0x74726976; // "virt", little-endian
const VENDOR_ID = 0x554d4551; // "QEMU", what Linux sees on QEMU `virt` too

/** What a device plugged into a slot gets from the platform. */
export interface VirtioSlotContext {
  /** The slot's PLIC interrupt line. */
  irq: (level: boolean) => void;
  /** Slot index (0 = lowest address). */
  index: number;
}

export class VirtioSlot implements MmioDevice {
  private device: MmioDevice | null = null;

  constructor(readonly context: VirtioSlotContext) {}

  get occupied(): boolean {
    return this.device !== null;
  }

  /** Plug `device` in. A slot holds one device for the machine's lifetime. */
  attach(device: MmioDevice): void {
    if (this.device) throw new Error(`virtio-mmio slot ${this.context.index} is already occupied`);
    this.device = device;
  }

  read(offset: number, size: 1 | 2 | 4): number {
    if (this.device) return this.device.read(offset, size);
    if (size !== 4) return 0;
    switch (offset) {
      case VIRTIO_MMIO_MAGIC_VALUE:
        return VIRT_MAGIC;
      case VIRTIO_MMIO_VERSION:
        return 2;
      case VIRTIO_MMIO_DEVICE_ID:
        return 0;
      case VIRTIO_MMIO_VENDOR_ID:
        return VENDOR_ID;
    }
    return 0;
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    this.device?.write(offset, size, value);
  }
}
