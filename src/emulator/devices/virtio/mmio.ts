// The virtio-mmio transport (version 2): registers, feature negotiation, queue setup, notifications,
// interrupt status, reset and DEVICE_NEEDS_RESET, shared by every virtio device model.
// Spec: Virtio 1.2, 4.2 "Virtio Over MMIO" (4.2.2 register layout, 4.2.3.1 initialization),
// 2.1 status field, 2.4 device reset, 3.1 initialization; Linux drivers/virtio/virtio_mmio.c.
//
// A device model (blk, net, console, rng, 9p) implements VirtioDevice and reaches the transport only
// through the VirtioContext it is bound to. Guest mistakes never throw: a malformed queue or a
// device-model exception marks this one device NEEDS_RESET, logs, raises a configuration interrupt
// and stops it until the driver resets it. Host work (disk I/O...) completes from the event loop via
// `track`; a reset in between turns its completion into a no-op (chains carry their generation).

import type { MmioDevice } from '../../memory/bus.js';
import type { Ram } from '../../memory/ram.js';
import { SnapshotError, type StateObject, type StateReader, type StateValue } from '../../snapshot/state-value.js';
import { GuestMemory, type Chain } from './chain.js';
import {
  featureBit,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_F_VERSION_1,
  VIRTIO_MMIO_CONFIG,
  VIRTIO_MMIO_CONFIG_GENERATION,
  VIRTIO_MMIO_DEVICE_FEATURES,
  VIRTIO_MMIO_DEVICE_FEATURES_SEL,
  VIRTIO_MMIO_DEVICE_ID,
  VIRTIO_MMIO_DRIVER_FEATURES,
  VIRTIO_MMIO_DRIVER_FEATURES_SEL,
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_INTERRUPT_ACK,
  VIRTIO_MMIO_INTERRUPT_STATUS,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_MAGIC_VALUE,
  VIRTIO_MMIO_QUEUE_AVAIL_HIGH,
  VIRTIO_MMIO_QUEUE_AVAIL_LOW,
  VIRTIO_MMIO_QUEUE_DESC_HIGH,
  VIRTIO_MMIO_QUEUE_DESC_LOW,
  VIRTIO_MMIO_QUEUE_NOTIFY,
  VIRTIO_MMIO_QUEUE_NUM,
  VIRTIO_MMIO_QUEUE_NUM_MAX,
  VIRTIO_MMIO_QUEUE_READY,
  VIRTIO_MMIO_QUEUE_SEL,
  VIRTIO_MMIO_QUEUE_USED_HIGH,
  VIRTIO_MMIO_QUEUE_USED_LOW,
  VIRTIO_MMIO_STATUS,
  VIRTIO_MMIO_TRANSPORT_VERSION,
  VIRTIO_MMIO_VENDOR_ID,
  VIRTIO_MMIO_VERSION,
  VIRTIO_RING_F_INDIRECT_DESC,
  VIRTIO_VENDOR_ID,
} from './constants.js';
import { Virtqueue } from './queue.js';

/** What a device model implements. */
export interface VirtioDevice {
  /** Short name for logs ("blk", "net", "console", "rng", "9p"). */
  readonly kind: string;
  readonly deviceId: number;
  /** Feature bits offered besides VIRTIO_F_VERSION_1, which the transport always adds. */
  readonly features: bigint;
  /** QueueNumMax of each queue, each a power of two; the length is the number of queues. */
  readonly queueSizes: readonly number[];
  /** Device-specific configuration space, little-endian; the transport serves reads from it. */
  readonly config: Uint8Array;
  /** Called once, when the transport is built. */
  bind(ctx: VirtioContext): void;
  /** The driver wrote `size` bytes of `value` at config `offset` (inside `config`). Optional. */
  writeConfig?(offset: number, size: 1 | 2 | 4, value: number): void;
  /** DRIVER_OK: the driver finished setup; queues may be used from now on. */
  activate(): void;
  /** Queue `queue` has new buffers (also called for each ready queue right after `activate`). */
  notify(queue: number): void;
  /** The driver reset the device: drop queued work (completions of older chains are ignored anyway). */
  reset(): void;
  /**
   * The model's own state for a snapshot, taken with no host work outstanding; chains it holds are
   * named by queue and head. A model without it must hold no chain when saved (the transport checks).
   */
  saveState?(): StateValue;
  /** Put back what saveState returned; `chainAt` reads a held chain again from guest RAM. */
  restoreState?(r: StateReader, chainAt: (queue: number, head: number) => Chain): void;
}

/** The transport as a device model sees it. */
export interface VirtioContext {
  readonly mem: GuestMemory;
  /** DRIVER_OK set, no FAILED, no NEEDS_RESET. */
  readonly active: boolean;
  /** Bumped by every reset; chains remember the one they were taken in. */
  readonly generation: number;
  /** Whether the driver accepted feature `bit`. */
  hasFeature(bit: number): boolean;
  /** Next available chain of `queue`, or null (none, inactive, or malformed: then the device has failed). */
  pop(queue: number): Chain | null;
  /** Put back the chain just popped, untouched. */
  unpop(chain: Chain): void;
  /** Return a chain on the used ring with `written` bytes and interrupt the driver; no-op if stale. */
  complete(chain: Chain, written: number): void;
  /** Whether `chain` was taken since the last reset (its completion would still count). */
  isCurrent(chain: Chain): boolean;
  /** Count `work` as outstanding host work; a rejection is a device failure (logged). */
  track(work: Promise<unknown>): void;
  /** Mark the device DEVICE_NEEDS_RESET: a guest error (or a device bug) it cannot continue after. */
  fail(reason: string): void;
  /** The config space changed: bump the generation and send a configuration interrupt. */
  configChanged(): void;
  /** A rate-limited note about this device. */
  log(message: string): void;
  /** Get an idle machine running again (host-side data arrived for the guest). */
  wake(): void;
  /** Run device code from a host callback (not an MMIO access): an exception fails the device. */
  guard(fn: () => void): void;
}

/** What the platform provides each transport. */
export interface VirtioHost {
  /** The slot's interrupt line. */
  irq(level: boolean): void;
  /** End an idle sleep of the machine (called when host-side events give the guest work). */
  wake?(): void;
  /** Host work began / ended: while some is outstanding the platform must not skip idle guest time. */
  workStarted?(): void;
  workFinished?(): void;
  /** Rate-limited sink, grouped by `kind`. */
  log?(kind: string, message: string): void;
  /** The device wrote guest RAM (DMA): lets CPUs drop code translated from those pages. */
  onRamWrite?(addr: number, length: number): void;
}

const FEATURE_WORDS = 2;

export class VirtioMmio implements MmioDevice {
  readonly mem: GuestMemory;
  private readonly queues: Virtqueue[];
  private readonly offered: bigint;
  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = 0n;
  private queueSel = 0;
  private interruptStatus = 0;
  private configGeneration = 0;
  private generation = 0;
  private irqLevel = false;
  private readonly logKind: string;

  constructor(
    ram: Ram,
    readonly device: VirtioDevice,
    private readonly host: VirtioHost,
    /** Where the device sits, for log lines ("slot 7"). */
    where = '',
  ) {
    this.mem = new GuestMemory(ram, host.onRamWrite);
    this.offered = device.features | featureBit(VIRTIO_F_VERSION_1);
    this.queues = device.queueSizes.map((size, i) => new Virtqueue(this.mem, size, i));
    this.logKind = `virtio-${device.kind}${where ? ` (${where})` : ''}`;
    device.bind(this.context());
  }

  /** No chain is out with a model that cannot save the chains it holds (see VirtioDevice.saveState). */
  get quiescent(): boolean {
    return this.device.saveState !== undefined || this.queues.every((q) => q.pending === 0);
  }

  /** The device set DEVICE_NEEDS_RESET and the driver has not reset it since. */
  get broken(): boolean {
    return (this.status & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0;
  }

  get active(): boolean {
    return (this.status & (VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FAILED | VIRTIO_CONFIG_S_NEEDS_RESET)) === VIRTIO_CONFIG_S_DRIVER_OK;
  }

  /** Registers, queues and the model's state. Throws SnapshotError when the model cannot be saved now. */
  saveState(): StateObject {
    if (!this.device.saveState) {
      const busy = this.queues.reduce((n, q) => n + q.pending, 0);
      if (busy > 0) throw new SnapshotError(`${this.logKind} has ${busy} requests in flight`);
    }
    return {
      kind: this.device.kind,
      status: this.status,
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: this.driverFeatures,
      queueSel: this.queueSel,
      interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration,
      generation: this.generation,
      irqLevel: this.irqLevel,
      config: this.device.config.slice(),
      queues: this.queues.map((q) => q.saveState()),
      device: this.device.saveState?.() ?? null,
    };
  }

  /** Sets the transport and model as saved, without driving the interrupt line (the PLIC is restored with it). */
  restoreState(r: StateReader): void {
    const kind = r.str('kind');
    if (kind !== this.device.kind) throw new SnapshotError(`${r.path}: the saved device is virtio-${kind}, this machine has ${this.logKind} there`);
    this.status = r.int('status', 0, 255);
    this.deviceFeaturesSel = r.int('deviceFeaturesSel', 0, 0xffff_ffff);
    this.driverFeaturesSel = r.int('driverFeaturesSel', 0, 0xffff_ffff);
    this.driverFeatures = r.big('driverFeatures');
    if ((this.driverFeatures & ~this.offered) !== 0n) throw new SnapshotError(`${r.path}: the saved features 0x${this.driverFeatures.toString(16)} are not all offered by this device (0x${this.offered.toString(16)})`);
    this.queueSel = r.int('queueSel', 0, 0xffff_ffff);
    this.interruptStatus = r.int('interruptStatus', 0, 0xffff_ffff);
    this.configGeneration = r.int('configGeneration', 0, 0xffff_ffff);
    this.generation = r.int('generation', 0, Number.MAX_SAFE_INTEGER);
    this.irqLevel = r.bool('irqLevel');
    this.device.config.set(r.bytes('config', this.device.config.length));
    const queues = r.objects('queues', this.queues.length);
    this.queues.forEach((q, i) => q.restoreState(queues[i]!));
    const model = r.objOrNull('device');
    if (this.device.restoreState) {
      if (!model) throw new SnapshotError(`${r.path}.device: missing`);
      this.device.restoreState(model, (queue, head) => {
        const q = this.queues[queue];
        if (!q) throw new SnapshotError(`${r.path}: queue ${queue} does not exist`);
        return q.chainAt(head, this.generation);
      });
    } else if (this.queues.some((q) => q.pending > 0)) {
      throw new SnapshotError(`${r.path}: requests in flight for a device that keeps none`);
    }
  }

  /** After a restore, once the machine runs: let the model look at its queues again (as after DRIVER_OK). */
  kick(): void {
    if (!this.active) return;
    try {
      for (const q of this.queues) if (q.ready && this.active) this.device.notify(q.index);
    } catch (err) {
      this.internalError(err);
    }
  }

  read(offset: number, size: 1 | 2 | 4): number {
    if (offset >= VIRTIO_MMIO_CONFIG) return this.readConfig(offset - VIRTIO_MMIO_CONFIG, size);
    if (size !== 4 || offset % 4 !== 0) return 0;
    switch (offset) {
      case VIRTIO_MMIO_MAGIC_VALUE:
        return VIRTIO_MMIO_MAGIC;
      case VIRTIO_MMIO_VERSION:
        return VIRTIO_MMIO_TRANSPORT_VERSION;
      case VIRTIO_MMIO_DEVICE_ID:
        return this.device.deviceId;
      case VIRTIO_MMIO_VENDOR_ID:
        return VIRTIO_VENDOR_ID;
      case VIRTIO_MMIO_DEVICE_FEATURES:
        if (this.deviceFeaturesSel >= FEATURE_WORDS) return 0;
        return Number((this.offered >> BigInt(32 * this.deviceFeaturesSel)) & 0xffff_ffffn);
      case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return this.queues[this.queueSel]?.maxSize ?? 0;
      case VIRTIO_MMIO_QUEUE_READY:
        return this.queues[this.queueSel]?.ready ? 1 : 0;
      case VIRTIO_MMIO_INTERRUPT_STATUS:
        return this.interruptStatus;
      case VIRTIO_MMIO_STATUS:
        return this.status;
      case VIRTIO_MMIO_CONFIG_GENERATION:
        return this.configGeneration;
    }
    return 0;
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    try {
      if (offset >= VIRTIO_MMIO_CONFIG) return this.writeConfig(offset - VIRTIO_MMIO_CONFIG, size, value);
      if (size !== 4 || offset % 4 !== 0) return;
      this.writeRegister(offset, value >>> 0);
    } catch (err) {
      this.internalError(err);
    }
  }

  private writeRegister(offset: number, value: number): void {
    switch (offset) {
      case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        this.deviceFeaturesSel = value;
        return;
      case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        this.driverFeaturesSel = value;
        return;
      case VIRTIO_MMIO_DRIVER_FEATURES: {
        if (this.status & VIRTIO_CONFIG_S_FEATURES_OK) return this.note('driver features written after FEATURES_OK; ignored');
        if (this.driverFeaturesSel >= FEATURE_WORDS) return;
        const shift = BigInt(32 * this.driverFeaturesSel);
        this.driverFeatures = (this.driverFeatures & ~(0xffff_ffffn << shift)) | (BigInt(value) << shift);
        return;
      }
      case VIRTIO_MMIO_QUEUE_SEL:
        this.queueSel = value;
        return;
      case VIRTIO_MMIO_QUEUE_NOTIFY:
        return this.notify(value);
      case VIRTIO_MMIO_INTERRUPT_ACK:
        this.interruptStatus &= ~value;
        this.updateIrq();
        return;
      case VIRTIO_MMIO_STATUS:
        return this.writeStatus(value & 0xff);
      case VIRTIO_MMIO_QUEUE_NUM:
      case VIRTIO_MMIO_QUEUE_READY:
      case VIRTIO_MMIO_QUEUE_DESC_LOW:
      case VIRTIO_MMIO_QUEUE_DESC_HIGH:
      case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
      case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
      case VIRTIO_MMIO_QUEUE_USED_LOW:
      case VIRTIO_MMIO_QUEUE_USED_HIGH:
        return this.writeQueueRegister(offset, value);
    }
  }

  /** Queue layout registers: only for an existing, not-ready queue, before DRIVER_OK. */
  private writeQueueRegister(offset: number, value: number): void {
    const q = this.queues[this.queueSel];
    if (!q) return this.note(`queue register 0x${offset.toString(16)} written for queue ${this.queueSel}, which does not exist; ignored`);
    if (this.status & VIRTIO_CONFIG_S_DRIVER_OK) return this.note(`queue ${q.index} register 0x${offset.toString(16)} written after DRIVER_OK; ignored`);
    if (offset === VIRTIO_MMIO_QUEUE_READY) {
      if ((value & 1) === 0) return q.reset();
      if (q.ready) return;
      q.indirect = this.hasFeature(VIRTIO_RING_F_INDIRECT_DESC);
      const problem = q.enable();
      if (problem) this.fail(`queue ${q.index}: ${problem}`);
      return;
    }
    if (q.ready) return this.note(`queue ${q.index} register 0x${offset.toString(16)} written while the queue is ready; ignored`);
    switch (offset) {
      case VIRTIO_MMIO_QUEUE_NUM:
        q.num = value;
        return;
      case VIRTIO_MMIO_QUEUE_DESC_LOW:
        q.descLo = value;
        return;
      case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        q.descHi = value;
        return;
      case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
        q.driverLo = value;
        return;
      case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
        q.driverHi = value;
        return;
      case VIRTIO_MMIO_QUEUE_USED_LOW:
        q.deviceLo = value;
        return;
      case VIRTIO_MMIO_QUEUE_USED_HIGH:
        q.deviceHi = value;
        return;
    }
  }

  private writeStatus(value: number): void {
    if (value === 0) return this.reset();
    const before = this.status;
    let next = value | (before & VIRTIO_CONFIG_S_NEEDS_RESET);
    if (next & VIRTIO_CONFIG_S_FEATURES_OK && !(before & VIRTIO_CONFIG_S_FEATURES_OK)) {
      // 3.1.1: the device refuses a feature set it cannot honour by leaving FEATURES_OK clear.
      const unknown = this.driverFeatures & ~this.offered;
      if (unknown !== 0n || !this.hasFeature(VIRTIO_F_VERSION_1)) {
        next &= ~VIRTIO_CONFIG_S_FEATURES_OK;
        this.note(`driver features 0x${this.driverFeatures.toString(16)} refused (offered 0x${this.offered.toString(16)}; VERSION_1 is required)`);
      }
    }
    this.status = next;
    if (next & VIRTIO_CONFIG_S_DRIVER_OK && !(before & VIRTIO_CONFIG_S_DRIVER_OK)) {
      if (!(next & VIRTIO_CONFIG_S_FEATURES_OK)) return this.fail('DRIVER_OK set without FEATURES_OK');
      if (!this.active) return;
      this.device.activate();
      for (const q of this.queues) if (q.ready && this.active) this.device.notify(q.index);
    }
  }

  private notify(index: number): void {
    if (!this.active) return;
    const q = this.queues[index];
    if (!q || !q.ready) return this.note(`notify for queue ${index}, which does not exist or is not ready; ignored`);
    this.device.notify(index);
  }

  private reset(): void {
    this.status = 0;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.driverFeatures = 0n;
    this.queueSel = 0;
    this.interruptStatus = 0;
    this.generation++;
    for (const q of this.queues) q.reset();
    this.updateIrq();
    this.device.reset();
  }

  private readConfig(offset: number, size: 1 | 2 | 4): number {
    const c = this.device.config;
    if (offset < 0 || offset + size > c.length) return 0;
    if (size === 1) return c[offset]!;
    if (size === 2) return c[offset]! | (c[offset + 1]! << 8);
    return (c[offset]! | (c[offset + 1]! << 8) | (c[offset + 2]! << 16) | (c[offset + 3]! << 24)) >>> 0;
  }

  private writeConfig(offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset < 0 || offset + size > this.device.config.length) return;
    this.device.writeConfig?.(offset, size, value);
  }

  private hasFeature(bit: number): boolean {
    return (this.driverFeatures & featureBit(bit)) !== 0n;
  }

  private raise(bits: number): void {
    this.interruptStatus |= bits;
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = this.interruptStatus !== 0;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.host.irq(level);
    if (level) this.host.wake?.();
  }

  fail(reason: string): void {
    if (this.status & VIRTIO_CONFIG_S_NEEDS_RESET) return;
    this.host.log?.(this.logKind, `${this.logKind}: ${reason}; device marked DEVICE_NEEDS_RESET`);
    this.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
    // 2.1.2: with DRIVER_OK set, NEEDS_RESET comes with a configuration change notification.
    if (this.status & VIRTIO_CONFIG_S_DRIVER_OK) {
      this.configGeneration = (this.configGeneration + 1) >>> 0;
      this.raise(VIRTIO_MMIO_INT_CONFIG);
    }
  }

  private note(message: string): void {
    this.host.log?.(this.logKind, `${this.logKind}: ${message}`);
  }

  private internalError(err: unknown): void {
    const what = err instanceof Error ? err.message : String(err);
    this.fail(`internal error: ${what}`);
  }

  private context(): VirtioContext {
    const t = this; // the getters below read live transport state
    return {
      mem: this.mem,
      get active() {
        return t.active;
      },
      get generation() {
        return t.generation;
      },
      hasFeature: (bit) => this.hasFeature(bit),
      pop: (index) => {
        const q = this.queues[index];
        if (!q || !this.active) return null;
        const r = q.pop(this.generation);
        if (typeof r === 'string') {
          this.fail(`queue ${index}: ${r}`);
          return null;
        }
        return r;
      },
      unpop: (chain) => {
        if (chain.generation === this.generation) this.queues[chain.queue]?.unpop(chain);
      },
      complete: (chain, written) => {
        if (chain.generation !== this.generation || this.broken) return;
        const q = this.queues[chain.queue]!;
        if (!q.pushUsed(chain.head, written >>> 0)) return;
        if (q.wantsInterrupt()) this.raise(VIRTIO_MMIO_INT_VRING);
      },
      isCurrent: (chain) => chain.generation === this.generation && !this.broken,
      track: (work) => {
        this.host.workStarted?.();
        work.then(
          () => this.host.workFinished?.(),
          (err: unknown) => {
            this.host.workFinished?.();
            this.internalError(err);
          },
        );
      },
      fail: (reason) => this.fail(reason),
      configChanged: () => {
        this.configGeneration = (this.configGeneration + 1) >>> 0;
        if (this.status & VIRTIO_CONFIG_S_DRIVER_OK) this.raise(VIRTIO_MMIO_INT_CONFIG);
      },
      log: (message) => this.note(message),
      wake: () => this.host.wake?.(),
      guard: (fn) => {
        try {
          fn();
        } catch (err) {
          this.internalError(err);
        }
      },
    };
  }
}
