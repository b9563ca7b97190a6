// CLINT per the ACLINT spec / SiFive memory map: msip, mtimecmp (two 32-bit halves), mtime.
import { describe, expect, it } from 'vitest';
import { Clint } from '../../../../src/emulator/devices/clint.js';

function make(harts = 2) {
  let t = 1000;
  const msip = new Map<number, boolean>();
  const mtip = new Map<number, boolean>();
  const time = { now: () => t, set: (v: number) => (t = v) };
  const c = new Clint({ harts, time, msip: (h, l) => msip.set(h, l), mtip: (h, l) => mtip.set(h, l) });
  return { c, msip, mtip, advance: (d: number) => (t += d), time };
}

describe('Clint', () => {
  it('drives MSIP from bit 0 of each hart’s msip word', () => {
    const { c, msip } = make();
    c.write(4, 4, 0xffffffff);
    expect(msip.get(1)).toBe(true);
    expect(c.read(4, 4)).toBe(1);
    expect(msip.has(0)).toBe(false);
    c.write(4, 4, 0);
    expect(msip.get(1)).toBe(false);
  });

  it('resets mtimecmp to all ones (no timer) and raises MTIP once mtime reaches it', () => {
    const { c, mtip, advance } = make();
    c.update();
    expect(mtip.get(0) ?? false).toBe(false);
    expect(c.read(0x4000, 4)).toBe(0xffffffff);
    c.write(0x4000, 4, 1500);
    c.write(0x4004, 4, 0);
    expect(mtip.get(0) ?? false).toBe(false);
    expect(c.nextDeadline()).toBe(1500);
    advance(499);
    c.update();
    expect(mtip.get(0) ?? false).toBe(false);
    advance(1);
    c.update();
    expect(mtip.get(0)).toBe(true);
    expect(c.nextDeadline()).toBe(Infinity); // hart 1 disarmed (all ones); hart 0 already firing
    c.write(0x4004, 4, 0xffffffff); // re-arm far away clears the line
    expect(mtip.get(0)).toBe(false);
  });

  it('raises MTIP immediately when mtimecmp is written into the past', () => {
    const { c, mtip } = make();
    c.write(0x4008, 4, 10);
    c.write(0x400c, 4, 0);
    expect(mtip.get(1)).toBe(true);
  });

  it('reads mtime as two halves without tearing across a carry', () => {
    const { c, time } = make();
    time.set(2 ** 32 - 1);
    const lo = c.read(0xbff8, 4);
    time.set(2 ** 32); // time moves between the two reads
    const hi = c.read(0xbffc, 4);
    expect([hi, lo]).toEqual([0, 0xffffffff]);
    expect(c.read(0xbffc, 4)).toBe(1); // an unpaired high read is current
  });

  it('lets software write mtime', () => {
    const { c, time } = make();
    c.write(0xbff8, 4, 5);
    c.write(0xbffc, 4, 1);
    expect(time.now()).toBe(2 ** 32 + 5);
  });

  it('ignores accesses past the last hart and narrow accesses', () => {
    const { c, msip } = make(1);
    c.write(4, 4, 1);
    c.write(0, 1, 1);
    expect(msip.size).toBe(0);
    expect(c.read(0x4008, 4)).toBe(0);
  });
});
