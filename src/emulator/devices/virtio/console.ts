// virtio-console with VIRTIO_CONSOLE_F_MULTIPORT: several named byte-stream ports on one device,
// set up through the control queues (the guest says DEVICE_READY, the device adds each port, the
// guest answers PORT_READY, the device names it, marks consoles, and says whether the host end is
// open). Bytes move through ConsolePort objects with bounded buffers and flow control both ways.
// Spec: Virtio 1.2, 5.3 "Console Device" (5.3.5 initialization, 5.3.6.2 multiport);
// Linux drivers/char/virtio_console.c (handle_control_message, add_port, in_intr).
//
// Queues: 0/1 receive/transmit of port 0, 2/3 control receive/transmit, then 4+2(p-1)/5+2(p-1)
// for port p >= 1. Input is held until the guest opens its end: Linux discards data that arrives
// for a port no guest program holds open.

import { readChain, writeChain, type Chain } from './chain.js';
import { featureBit, VIRTIO_ID_CONSOLE } from './constants.js';
import { ConsolePort, type ConsolePortOptions } from './console-port.js';
import type { VirtioContext, VirtioDevice } from './mmio.js';
import type { StateObject, StateReader } from '../../snapshot/state-value.js';

export const VIRTIO_CONSOLE_F_MULTIPORT = 1;

export const VIRTIO_CONSOLE_DEVICE_READY = 0;
export const VIRTIO_CONSOLE_PORT_ADD = 1;
export const VIRTIO_CONSOLE_PORT_REMOVE = 2;
export const VIRTIO_CONSOLE_PORT_READY = 3;
export const VIRTIO_CONSOLE_CONSOLE_PORT = 4;
export const VIRTIO_CONSOLE_RESIZE = 5;
export const VIRTIO_CONSOLE_PORT_OPEN = 6;
export const VIRTIO_CONSOLE_PORT_NAME = 7;

const CONTROL_RX = 2;
const CONTROL_TX = 3;
/** struct virtio_console_control: id u32, event u16, value u16. */
const CONTROL_SIZE = 8;
/** Control messages waiting for the guest's control buffers; more means a guest spamming requests. */
const MAX_CONTROL_BACKLOG = 64;
/** Guest output is handed to the host in pieces of at most this many bytes. */
const OUTPUT_PIECE = 64 * 1024;
/** Largest transmit chain accepted (Linux writes at most 32 KiB per buffer): bounds one notify's work. */
const MAX_OUTPUT_CHAIN = 1024 * 1024;
/** Linux supports up to 0x8000 ports per device; a handful is all anyone needs here. */
const MAX_PORTS = 31;

export const rxQueueOf = (port: number): number => (port === 0 ? 0 : 2 + 2 * port);
export const txQueueOf = (port: number): number => rxQueueOf(port) + 1;

interface PortState {
  port: ConsolePort;
  ready: boolean;
  /** A transmit chain partly handed to the host when it said "full". */
  tx: { chain: Chain; offset: number } | null;
  paused: boolean;
}

export class VirtioConsole implements VirtioDevice {
  readonly kind = 'console';
  readonly deviceId = VIRTIO_ID_CONSOLE;
  readonly features = featureBit(VIRTIO_CONSOLE_F_MULTIPORT);
  readonly queueSizes: readonly number[];
  /** struct virtio_console_config: cols, rows, max_nr_ports, emerg_wr. */
  readonly config = new Uint8Array(12);
  readonly ports: readonly ConsolePort[];
  private readonly state: PortState[];
  private ctx!: VirtioContext;
  private readonly control: Uint8Array[] = [];

  constructor(ports: ConsolePortOptions[], o: { queueSize?: number } = {}) {
    if (ports.length < 1 || ports.length > MAX_PORTS) throw new RangeError(`a console has 1 to ${MAX_PORTS} ports, got ${ports.length}`);
    this.ports = ports.map((p, i) => new ConsolePort(i, p));
    this.state = this.ports.map((port) => ({ port, ready: false, tx: null, paused: false }));
    const size = o.queueSize ?? 128;
    this.queueSizes = Array.from({ length: (ports.length + 1) * 2 }, (_, q) => (q === CONTROL_RX || q === CONTROL_TX ? 32 : size));
    new DataView(this.config.buffer).setUint32(4, ports.length, true);
    for (const s of this.state) {
      s.port.onInput = () => this.ctx?.guard(() => this.deliverInput(s));
      s.port.onResume = () => {
        s.paused = false;
        this.ctx?.guard(() => this.takeOutput(s));
      };
      s.port.onHostOpen = (open) => {
        if (s.ready) this.ctx?.guard(() => this.sendControl(s.port.id, VIRTIO_CONSOLE_PORT_OPEN, open ? 1 : 0));
      };
    }
  }

  bind(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  private get multiport(): boolean {
    return this.ctx.hasFeature(VIRTIO_CONSOLE_F_MULTIPORT);
  }

  activate(): void {
    if (this.multiport) return;
    // A driver without multiport sees port 0 only, always open, as a console.
    const s = this.state[0]!;
    s.ready = true;
    s.port.setGuestOpen(true);
  }

  reset(): void {
    this.control.length = 0;
    for (const s of this.state) {
      s.ready = false;
      s.tx = null;
      s.paused = false;
      s.port.setGuestOpen(false);
    }
  }

  saveState(): StateObject {
    return {
      control: this.control.map((m) => m.slice()),
      ports: this.state.map((s) => ({ ready: s.ready, tx: s.tx ? { head: s.tx.chain.head, offset: s.tx.offset } : null, port: s.port.saveState() })),
    };
  }

  /** Output that was paused for a slow reader continues: the host end is a new one after a restore. */
  restoreState(r: StateReader, chainAt: (queue: number, head: number) => Chain): void {
    this.control.length = 0;
    this.control.push(...r.byteList('control'));
    const ports = r.objects('ports', this.state.length);
    this.state.forEach((s, i) => {
      const p = ports[i]!;
      s.ready = p.bool('ready');
      s.paused = false;
      const tx = p.objOrNull('tx');
      s.tx = null;
      if (tx) {
        const chain = chainAt(txQueueOf(s.port.id), tx.int('head', 0, 0xffff));
        s.tx = { chain, offset: tx.int('offset', 0, chain.readableBytes) };
      }
      s.port.restoreState(p.obj('port'));
    });
  }

  notify(queue: number): void {
    if (queue === CONTROL_RX) return this.flushControl();
    if (queue === CONTROL_TX) return this.readControl();
    const p = queue < 2 ? 0 : (queue - 2) >> 1;
    const s = this.state[p];
    if (!s) return;
    if (queue === rxQueueOf(p)) this.deliverInput(s);
    else this.takeOutput(s);
  }

  private deliverInput(s: PortState): void {
    const ctx = this.ctx;
    if (!ctx.active || !s.ready || !s.port.guestOpen) return;
    while (s.port.pendingInput > 0) {
      const chain = ctx.pop(rxQueueOf(s.port.id));
      if (!chain) return;
      let filled = 0;
      for (let d = s.port.takeInput(chain.writableBytes); d; d = s.port.takeInput(chain.writableBytes - filled)) {
        writeChain(ctx.mem, chain, filled, d);
        filled += d.length;
      }
      ctx.complete(chain, filled);
    }
  }

  private takeOutput(s: PortState): void {
    const ctx = this.ctx;
    if (!ctx.active) return;
    while (!s.paused) {
      if (!s.tx) {
        const chain = ctx.pop(txQueueOf(s.port.id));
        if (!chain) return;
        if (chain.readableBytes > MAX_OUTPUT_CHAIN) return ctx.fail(`port ${s.port.id}: transmit buffer of ${chain.readableBytes} bytes is larger than ${MAX_OUTPUT_CHAIN}`);
        if (!s.port.sink) {
          // Nobody consumes this port: count the bytes without copying them.
          s.port.droppedOutput += chain.readableBytes;
          ctx.complete(chain, 0);
          continue;
        }
        s.tx = { chain, offset: 0 };
      }
      const { chain, offset } = s.tx;
      const piece = readChain(ctx.mem, chain, offset, Math.min(OUTPUT_PIECE, chain.readableBytes - offset));
      s.tx.offset += piece.length;
      if (s.tx.offset >= chain.readableBytes) {
        s.tx = null;
        ctx.complete(chain, 0);
      }
      if (piece.length > 0 && !s.port.deliverOutput(piece)) s.paused = true;
    }
  }

  private readControl(): void {
    const ctx = this.ctx;
    for (let chain = ctx.pop(CONTROL_TX); chain; chain = ctx.pop(CONTROL_TX)) {
      const msg = chain.readableBytes >= CONTROL_SIZE ? new DataView(readChain(ctx.mem, chain, 0, CONTROL_SIZE).buffer) : null;
      ctx.complete(chain, 0);
      if (msg) this.handleControl(msg.getUint32(0, true), msg.getUint16(4, true), msg.getUint16(6, true));
      else ctx.log(`control message of ${chain.readableBytes} bytes is too short; ignored`);
    }
  }

  private handleControl(id: number, event: number, value: number): void {
    switch (event) {
      case VIRTIO_CONSOLE_DEVICE_READY:
        if (value !== 1) return this.ctx.log('the guest driver failed to initialise the console device');
        for (const s of this.state) this.sendControl(s.port.id, VIRTIO_CONSOLE_PORT_ADD, 1);
        return;
      case VIRTIO_CONSOLE_PORT_READY: {
        const s = this.state[id];
        if (!s || value !== 1 || s.ready) return;
        s.ready = true;
        if (s.port.isConsole) this.sendControl(id, VIRTIO_CONSOLE_CONSOLE_PORT, 1);
        if (s.port.name !== undefined) this.sendControl(id, VIRTIO_CONSOLE_PORT_NAME, 1, new TextEncoder().encode(s.port.name));
        if (s.port.hostConnected) this.sendControl(id, VIRTIO_CONSOLE_PORT_OPEN, 1);
        // A console port is open from the guest's side as soon as it exists (init_port_console).
        if (s.port.isConsole) s.port.setGuestOpen(true);
        this.deliverInput(s);
        return;
      }
      case VIRTIO_CONSOLE_PORT_OPEN: {
        const s = this.state[id];
        if (!s || !s.ready) return;
        s.port.setGuestOpen(value !== 0);
        this.deliverInput(s);
        return;
      }
    }
  }

  private sendControl(id: number, event: number, value: number, extra?: Uint8Array): void {
    if (!this.ctx.active || !this.multiport) return;
    if (this.control.length >= MAX_CONTROL_BACKLOG) return this.ctx.log('control messages pile up: the guest posts no control buffers; dropping');
    const msg = new Uint8Array(CONTROL_SIZE + (extra?.length ?? 0));
    const v = new DataView(msg.buffer);
    v.setUint32(0, id, true);
    v.setUint16(4, event, true);
    v.setUint16(6, value, true);
    if (extra) msg.set(extra, CONTROL_SIZE);
    this.control.push(msg);
    this.flushControl();
  }

  private flushControl(): void {
    const ctx = this.ctx;
    while (this.control.length > 0) {
      const chain = ctx.pop(CONTROL_RX);
      if (!chain) return;
      const msg = this.control.shift()!;
      if (chain.writableBytes < msg.length) {
        ctx.unpop(chain);
        ctx.log(`control buffer of ${chain.writableBytes} bytes is too small for a ${msg.length}-byte message; dropped`);
        continue;
      }
      writeChain(ctx.mem, chain, 0, msg);
      ctx.complete(chain, msg.length);
    }
  }
}
