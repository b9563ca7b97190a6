// Goldfish RTC: nanoseconds since the epoch with TIME_HIGH latched by a TIME_LOW read, one alarm.
import { describe, expect, it } from 'vitest';
import { GoldfishRtc } from '../../../../src/emulator/devices/goldfish-rtc.js';

function make(start: bigint) {
  let now = start;
  const irq: boolean[] = [];
  const rtc = new GoldfishRtc({ irq: (l) => irq.push(l), wallNs: () => now });
  return { rtc, irq, set: (t: bigint) => (now = t) };
}

describe('GoldfishRtc', () => {
  it('returns host wall time, high word latched by the low read', () => {
    const { rtc, set } = make(0x1_ffff_ffffn);
    const lo = rtc.read(0x00, 4);
    set(0x2_0000_0001n);
    expect([rtc.read(0x04, 4), lo]).toEqual([1, 0xffffffff]);
  });

  it('keeps a time the guest sets, relative to the host clock', () => {
    const { rtc, set } = make(1000n);
    rtc.write(0x04, 4, 0);
    rtc.write(0x00, 4, 5000);
    set(1500n);
    expect(rtc.read(0x00, 4)).toBe(5500);
  });

  it('fires an enabled alarm and clears it on CLEAR_INTERRUPT', () => {
    const { rtc, irq, set } = make(100n);
    rtc.write(0x0c, 4, 0);
    rtc.write(0x08, 4, 200);
    rtc.write(0x10, 4, 1);
    expect(rtc.read(0x18, 4)).toBe(1);
    expect(rtc.nsUntilAlarm()).toBe(100);
    rtc.poll();
    expect(irq).toEqual([]);
    set(200n);
    rtc.poll();
    expect(irq).toEqual([true]);
    expect(rtc.read(0x18, 4)).toBe(0);
    rtc.write(0x1c, 4, 1);
    expect(irq).toEqual([true, false]);
  });
});
