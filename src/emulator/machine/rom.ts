// A read-only memory region (QEMU `virt`'s mask ROM at 0x1000 holds the reset vector and the
// fw_dynamic_info block). Guest writes are ignored and reported, never applied.

import type { MmioDevice } from '../memory/bus.js';

export class Rom implements MmioDevice {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    private readonly onWrite?: (offset: number, size: number, value: number) => void,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  read(offset: number, size: 1 | 2 | 4): number {
    if (offset + size > this.bytes.length) return 0;
    if (size === 4) return this.view.getUint32(offset, true);
    if (size === 2) return this.view.getUint16(offset, true);
    return this.view.getUint8(offset);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    this.onWrite?.(offset, size, value);
  }
}
