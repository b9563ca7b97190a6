// Goldfish real-time clock: host wall time in nanoseconds since the epoch, with one alarm.
// Reference: Android goldfish "RTC" device spec (GOLDFISH-VIRTUAL-HARDWARE.TXT) and QEMU
// hw/rtc/goldfish_rtc.c; Linux drivers/rtc/rtc-goldfish.c reads TIME_LOW first, which latches TIME_HIGH.

import type { MmioDevice } from '../memory/bus.js';
import type { StateObject, StateReader } from '../snapshot/state-value.js';

const RTC_TIME_LOW = 0x00;
const RTC_TIME_HIGH = 0x04;
const RTC_ALARM_LOW = 0x08;
const RTC_ALARM_HIGH = 0x0c;
const RTC_IRQ_ENABLED = 0x10;
const RTC_CLEAR_ALARM = 0x14;
const RTC_ALARM_STATUS = 0x18;
const RTC_CLEAR_INTERRUPT = 0x1c;
export const GOLDFISH_RTC_SIZE = 0x1000;

const MASK32 = 0xffffffffn;

export interface GoldfishRtcOptions {
  irq: (level: boolean) => void;
  /** Host wall-clock time in nanoseconds since the Unix epoch. */
  wallNs: () => bigint;
}

export class GoldfishRtc implements MmioDevice {
  /** Guest-set time minus host time, so a guest `hwclock -w` sticks for this run. */
  private offset = 0n;
  private latchedHigh = 0;
  private alarmHigh = 0;
  private alarm = -1n; // armed alarm time, or -1
  private irqEnabled = false;
  private alarmFired = false;
  private level = false;

  constructor(private readonly opts: GoldfishRtcOptions) {}

  private now(): bigint {
    return this.opts.wallNs() + this.offset;
  }

  /** The guest's offset from host wall time stays: a `hwclock -w` survives a suspend, as on hardware. */
  saveState(): StateObject {
    return { offset: this.offset, latchedHigh: this.latchedHigh, alarmHigh: this.alarmHigh, alarm: this.alarm, irqEnabled: this.irqEnabled, alarmFired: this.alarmFired, level: this.level };
  }

  restoreState(r: StateReader): void {
    this.offset = r.big('offset');
    this.latchedHigh = r.int('latchedHigh', 0, 0xffff_ffff);
    this.alarmHigh = r.int('alarmHigh', 0, 0xffff_ffff);
    this.alarm = r.big('alarm');
    this.irqEnabled = r.bool('irqEnabled');
    this.alarmFired = r.bool('alarmFired');
    this.level = r.bool('level');
  }

  /** Fire the alarm if its time has come; called by the platform between slices. */
  poll(): void {
    if (this.alarm >= 0n && this.now() >= this.alarm) {
      this.alarm = -1n;
      this.alarmFired = true;
      this.updateIrq();
    }
  }

  /** Nanoseconds of host time until the alarm (Infinity if none). */
  nsUntilAlarm(): number {
    return this.alarm < 0n ? Infinity : Math.max(0, Number(this.alarm - this.now()));
  }

  private updateIrq(): void {
    const level = this.alarmFired && this.irqEnabled;
    if (level !== this.level) {
      this.level = level;
      this.opts.irq(level);
    }
  }

  read(offset: number, size: 1 | 2 | 4): number {
    if (size !== 4) return 0;
    switch (offset) {
      case RTC_TIME_LOW: {
        const t = this.now();
        this.latchedHigh = Number((t >> 32n) & MASK32);
        return Number(t & MASK32);
      }
      case RTC_TIME_HIGH:
        return this.latchedHigh;
      case RTC_ALARM_LOW:
        return this.alarm < 0n ? 0 : Number(this.alarm & MASK32);
      case RTC_ALARM_HIGH:
        return this.alarm < 0n ? 0 : Number((this.alarm >> 32n) & MASK32);
      case RTC_IRQ_ENABLED:
        return this.irqEnabled ? 1 : 0;
      case RTC_ALARM_STATUS:
        return this.alarm >= 0n ? 1 : 0;
    }
    return 0;
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size !== 4) return;
    switch (offset) {
      case RTC_TIME_LOW: {
        // Setting the time: high word first (latched), then low, as the Linux driver does.
        const t = (BigInt(this.latchedHigh) << 32n) | BigInt(value >>> 0);
        this.offset = t - this.opts.wallNs();
        break;
      }
      case RTC_TIME_HIGH:
        this.latchedHigh = value >>> 0;
        break;
      case RTC_ALARM_LOW:
        // Writing the low word arms the alarm with the previously written high word.
        this.alarm = (BigInt(this.alarmHigh) << 32n) | BigInt(value >>> 0);
        this.poll();
        break;
      case RTC_ALARM_HIGH:
        this.alarmHigh = value >>> 0;
        break;
      case RTC_IRQ_ENABLED:
        this.irqEnabled = (value & 1) !== 0;
        this.updateIrq();
        break;
      case RTC_CLEAR_ALARM:
        this.alarm = -1n;
        break;
      case RTC_CLEAR_INTERRUPT:
        this.alarmFired = false;
        this.updateIrq();
        break;
    }
  }
}
