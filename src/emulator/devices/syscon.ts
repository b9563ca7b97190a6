// SiFive "test" finisher / syscon on `virt`: a 32-bit write at offset 0 powers off, reboots or
// fails the machine. Reference: QEMU hw/misc/sifive_test.c (FINISHER_FAIL 0x3333 with the exit code
// in bits 31:16, FINISHER_PASS 0x5555, FINISHER_RESET 0x7777); Linux uses it via syscon-poweroff.

import type { MmioDevice } from '../memory/bus.js';

const FINISHER_FAIL = 0x3333;
const FINISHER_PASS = 0x5555;
const FINISHER_RESET = 0x7777;
export const SYSCON_SIZE = 0x1000;

export type MachineExit =
  | { kind: 'poweroff'; status: 0 }
  | { kind: 'reboot'; status: 0 }
  | { kind: 'fail'; status: number };

export class Syscon implements MmioDevice {
  constructor(private readonly onExit: (exit: MachineExit) => void) {}

  read(): number {
    return 0;
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    // QEMU accepts 16- and 32-bit writes; OpenSBI's sifive_test driver uses writew.
    if (offset !== 0 || size === 1) return;
    switch (value & 0xffff) {
      case FINISHER_FAIL:
        this.onExit({ kind: 'fail', status: value >>> 16 });
        break;
      case FINISHER_PASS:
        this.onExit({ kind: 'poweroff', status: 0 });
        break;
      case FINISHER_RESET:
        this.onExit({ kind: 'reboot', status: 0 });
        break;
    }
  }
}
