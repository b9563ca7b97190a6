// The HTIF tohost watcher, in both modes: a RAM word polled between run slices, and an MMIO window
// seen through the bus (a doubleword store arrives as two words, low first).

import { describe, expect, it } from 'vitest';
import { Htif, HTIF_FROMHOST, HTIF_SIZE, HTIF_TOHOST } from './htif.js';
import { Bus } from '../../../src/emulator/memory/bus.js';
import { Ram } from '../../../src/emulator/memory/ram.js';

function recorder() {
  const exits: number[] = [];
  const other: string[] = [];
  const htif = new Htif({
    onExit: (code) => exits.push(code),
    onUnsupported: (dev, cmd, payload) => other.push(`${dev}/${cmd}/${payload.toString(16)}`),
  });
  return { htif, exits, other };
}

describe('HTIF in RAM', () => {
  const TOHOST = 0x8000_1000;

  it('reports exit codes: 1 = pass (0), (n << 1) | 1 = n, and clears tohost', () => {
    const ram = new Ram(0x8000_0000, 0x2000);
    const { htif, exits } = recorder();
    expect(htif.watchRam(ram, TOHOST)).toBeUndefined();
    expect(htif.poll()).toBe(false);
    ram.view.setBigUint64(0x1000, 1n, true);
    expect(htif.poll()).toBe(true);
    expect(ram.view.getBigUint64(0x1000, true)).toBe(0n);
    ram.view.setBigUint64(0x1000, (42n << 1n) | 1n, true);
    htif.poll();
    expect(exits).toEqual([0, 42]);
    expect(htif.exitCode).toBe(0); // the first exit wins
  });

  it('keeps all 47 bits of a large exit code', () => {
    const ram = new Ram(0x8000_0000, 0x2000);
    const { htif, exits } = recorder();
    htif.watchRam(ram, TOHOST);
    const code = 2n ** 46n + 12345n;
    ram.view.setBigUint64(0x1000, (code << 1n) | 1n, true);
    htif.poll();
    expect(exits).toEqual([Number(code)]);
  });

  it('reports other commands without exiting', () => {
    const ram = new Ram(0x8000_0000, 0x2000);
    const { htif, exits, other } = recorder();
    htif.watchRam(ram, TOHOST);
    ram.view.setBigUint64(0x1000, (1n << 56n) | (1n << 48n) | 0x41n, true); // console putchar 'A'
    htif.poll();
    ram.view.setBigUint64(0x1000, 0x8000_2000n, true); // a proxy-kernel syscall pointer (bit 0 clear)
    htif.poll();
    expect(exits).toEqual([]);
    expect(other).toEqual(['1/1/41', '0/0/80002000']);
    expect(ram.view.getBigUint64(0x1000, true)).toBe(0n);
  });

  it('refuses a tohost address outside RAM or misaligned, with a sentence', () => {
    const ram = new Ram(0x8000_0000, 0x2000);
    const { htif } = recorder();
    expect(htif.watchRam(ram, 0x8000_2000)).toBe('HTIF tohost at 0x80002000 is not an aligned doubleword inside RAM');
    expect(htif.watchRam(ram, 0x8000_1004)).toBe('HTIF tohost at 0x80001004 is not an aligned doubleword inside RAM');
    expect(htif.watchRam(ram, 0x1000)).toBe('HTIF tohost at 0x1000 is not an aligned doubleword inside RAM');
    expect(htif.poll()).toBe(false);
  });
});

describe('HTIF as an MMIO device', () => {
  const BASE = 0x4000_0000;
  function setup() {
    const r = recorder();
    const bus = new Bus(new Ram(0x8000_0000, 0x1000));
    bus.map('htif', BASE, HTIF_SIZE, r.htif);
    return { ...r, bus };
  }

  it('acts when the high word completes a doubleword store', () => {
    const { bus, exits } = setup();
    bus.write(BASE + HTIF_TOHOST, 4, (7 << 1) | 1);
    expect(exits).toEqual([]);
    bus.write(BASE + HTIF_TOHOST + 4, 4, 0);
    expect(exits).toEqual([7]);
    // Consumed: tohost reads back 0.
    expect(bus.read(BASE + HTIF_TOHOST, 4)).toBe(0);
  });

  it('takes payload bits from the high word', () => {
    const { bus, exits } = setup();
    bus.write(BASE + HTIF_TOHOST, 4, 1);
    bus.write(BASE + HTIF_TOHOST + 4, 4, 0x0000_0001); // code = 2^31
    expect(exits).toEqual([2 ** 31]);
  });

  it('keeps fromhost as written and ignores narrow or unknown accesses', () => {
    const { bus, exits, other } = setup();
    bus.write(BASE + HTIF_FROMHOST, 4, 0x1234);
    bus.write(BASE + HTIF_FROMHOST + 4, 4, 0x5678);
    expect(bus.read(BASE + HTIF_FROMHOST, 4)).toBe(0x1234);
    expect(bus.read(BASE + HTIF_FROMHOST + 4, 4)).toBe(0x5678);
    bus.write(BASE + HTIF_TOHOST, 1, 1);
    bus.write(BASE + HTIF_TOHOST + 4, 2, 0);
    bus.write(BASE + 12 + 4, 4, 1); // past the window: the bus faults, the device sees nothing
    expect(bus.read(BASE + HTIF_TOHOST, 2)).toBe(0);
    expect(exits).toEqual([]);
    expect(other).toEqual([]);
  });
});
