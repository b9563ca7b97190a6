// Berkeley HTIF `tohost`/`fromhost` words: how riscv-tests-style bare-metal programs end. A 64-bit
// write of (code << 1) | 1 to tohost means "exit with code" (0 = pass). Reference: riscv-tests
// env/p/riscv_test.h (RVTEST_PASS / RVTEST_FAIL) and riscv-fesvr's command layout (device in bits
// 63:56, command in 55:48, payload in 47:0; device 0 command 0 with payload bit 0 set = exit).
//
// Two ways to watch the word: as an MMIO device (the bus sees the stores) or in RAM, where CPU
// stores go straight to the host buffer, so the platform calls poll() between run slices.
// Anything but an exit command is reported through onUnsupported and acknowledged by clearing
// tohost, so a guest never makes the host throw; a guest waiting for a reply then just waits.

import type { MmioDevice } from '../../../src/emulator/memory/bus.js';
import type { Ram } from '../../../src/emulator/memory/ram.js';

/** Offsets inside the MMIO window: tohost at 0, fromhost at 8 (each 64 bits). */
export const HTIF_TOHOST = 0;
export const HTIF_FROMHOST = 8;
export const HTIF_SIZE = 16;

const PAYLOAD_HI_MASK = 0xffff; // payload bits 47:32 in the high word
const TWO32 = 2 ** 32;

export interface HtifOptions {
  /** The guest asked to exit: 0 = pass, n = failure code n (riscv-tests: the failing test number). */
  onExit: (code: number) => void;
  /** Any other command (device, command, payload as the guest wrote them), for the host's log. */
  onUnsupported?: (device: number, command: number, payload: bigint) => void;
}

export class Htif implements MmioDevice {
  private tohostLo = 0;
  private fromhostLo = 0;
  private fromhostHi = 0;
  private ram: Ram | undefined;
  private ramOffset = 0;
  /** The first exit code seen, if the guest has asked to exit. */
  exitCode: number | undefined;

  constructor(private readonly opts: HtifOptions) {}

  /**
   * Watch the 8-byte tohost word at physical address `tohost` in RAM (then call poll()). The
   * address usually comes from a program's symbol table, so a bad one is an error sentence.
   */
  watchRam(ram: Ram, tohost: number): string | undefined {
    if (!Number.isSafeInteger(tohost) || tohost % 8 !== 0 || tohost < ram.base || tohost + 8 > ram.end) {
      return `HTIF tohost at 0x${tohost.toString(16)} is not an aligned doubleword inside RAM`;
    }
    this.ram = ram;
    this.ramOffset = tohost - ram.base;
    return undefined;
  }

  /** Look at the RAM tohost word; handle and clear it if the guest wrote one. True if it did. */
  poll(): boolean {
    const ram = this.ram;
    if (ram === undefined) return false;
    const lo = ram.view.getUint32(this.ramOffset, true);
    const hi = ram.view.getUint32(this.ramOffset + 4, true);
    if (lo === 0 && hi === 0) return false;
    ram.view.setUint32(this.ramOffset, 0, true);
    ram.view.setUint32(this.ramOffset + 4, 0, true);
    this.command(lo, hi);
    return true;
  }

  read(offset: number, size: 1 | 2 | 4): number {
    if (size !== 4) return 0;
    switch (offset) {
      case HTIF_TOHOST:
        return this.tohostLo;
      case HTIF_FROMHOST:
        return this.fromhostLo;
      case HTIF_FROMHOST + 4:
        return this.fromhostHi;
      default:
        return 0; // tohost's high half reads 0: a command is consumed as soon as it is complete
    }
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size !== 4) return;
    switch (offset) {
      // A doubleword store reaches the bus as two words, low first: the high word completes it.
      // An RV32 program writes tohost then tohost + 4 the same way.
      case HTIF_TOHOST:
        this.tohostLo = value >>> 0;
        break;
      case HTIF_TOHOST + 4: {
        const lo = this.tohostLo;
        this.tohostLo = 0;
        if (lo !== 0 || value !== 0) this.command(lo, value >>> 0);
        break;
      }
      case HTIF_FROMHOST:
        this.fromhostLo = value >>> 0;
        break;
      case HTIF_FROMHOST + 4:
        this.fromhostHi = value >>> 0;
        break;
    }
  }

  private command(lo: number, hi: number): void {
    const device = hi >>> 24;
    const command = (hi >>> 16) & 0xff;
    const payloadHi = hi & PAYLOAD_HI_MASK;
    if (device === 0 && command === 0 && (lo & 1) === 1) {
      // payload >> 1, exact: the payload has 48 bits.
      const code = payloadHi * (TWO32 / 2) + (lo >>> 1);
      if (this.exitCode === undefined) this.exitCode = code;
      this.opts.onExit(code);
      return;
    }
    this.opts.onUnsupported?.(device, command, (BigInt(payloadHi) << 32n) | BigInt(lo >>> 0));
  }
}
