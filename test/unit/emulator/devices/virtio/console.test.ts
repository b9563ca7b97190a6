// virtio-console multiport through the transport, playing Linux's side of the control protocol:
// DEVICE_READY -> PORT_ADD for each port, PORT_READY -> CONSOLE_PORT / PORT_NAME / PORT_OPEN;
// input held until the guest opens the port; bounded buffers and flow control both ways; rng too.
import { describe, expect, it } from 'vitest';
import * as C from '../../../../../src/emulator/devices/virtio/constants.js';
import {
  rxQueueOf,
  txQueueOf,
  VIRTIO_CONSOLE_CONSOLE_PORT,
  VIRTIO_CONSOLE_DEVICE_READY,
  VIRTIO_CONSOLE_F_MULTIPORT,
  VIRTIO_CONSOLE_PORT_ADD,
  VIRTIO_CONSOLE_PORT_NAME,
  VIRTIO_CONSOLE_PORT_OPEN,
  VIRTIO_CONSOLE_PORT_READY,
  VirtioConsole,
} from '../../../../../src/emulator/devices/virtio/console.js';
import { VirtioRng } from '../../../../../src/emulator/devices/virtio/rng.js';
import { TestDriver } from './test-driver.js';

const BAD_ID = 0xffff_ffff;

class ConsoleDriver extends TestDriver {
  private ctrlBufs: number[] = [];

  constructor(readonly dev: VirtioConsole) {
    super(dev);
    this.start();
  }

  /** Driver setup as Linux does it: queues, DRIVER_OK, control receive buffers. */
  start(): void {
    this.ctrlBufs = [];
    this.init(this.dev.queueSizes.length);
    expect(this.deviceFeatures() & C.featureBit(VIRTIO_CONSOLE_F_MULTIPORT)).not.toBe(0n);
    for (let i = 0; i < 8; i++) {
      const a = this.alloc(256);
      this.ctrlBufs.push(a);
      this.addChain(2, [{ addr: a, len: 256, write: true }]);
    }
    this.kick(2);
  }

  control(id: number, event: number, value: number): void {
    const a = this.alloc(8);
    const v = new DataView(new ArrayBuffer(8));
    v.setUint32(0, id, true);
    v.setUint16(4, event, true);
    v.setUint16(6, value, true);
    this.put(a, new Uint8Array(v.buffer));
    this.addChain(3, [{ addr: a, len: 8 }]);
    this.kick(3);
  }

  /** Control messages the device sent since the last call: [id, event, value, extra text]. */
  received(): [number, number, number, string][] {
    return this.takeUsed(2).map(({ id, len }) => {
      const bytes = this.bytes(this.ctrlBufs[id]!, len);
      const v = new DataView(bytes.buffer);
      const extra = new TextDecoder().decode(bytes.subarray(8));
      return [v.getUint32(0, true), v.getUint16(4, true), v.getUint16(6, true), extra];
    });
  }

  postInput(port: number, len: number): number {
    const a = this.alloc(len);
    this.addChain(rxQueueOf(port), [{ addr: a, len, write: true }]);
    this.kick(rxQueueOf(port));
    return a;
  }

  output(port: number, text: string): void {
    const bytes = new TextEncoder().encode(text);
    const a = this.alloc(bytes.length);
    this.put(a, bytes);
    this.addChain(txQueueOf(port), [{ addr: a, len: bytes.length }]);
    this.kick(txQueueOf(port));
  }
}

const agentConsole = (): VirtioConsole => new VirtioConsole([{ console: true }, { name: 'vm.agent', inputLimit: 16 }]);

describe('virtio-console (multiport)', () => {
  it('says how many ports it has and runs the port handshake Linux expects', () => {
    const dev = agentConsole();
    const d = new ConsoleDriver(dev);
    expect(d.transport.read(C.VIRTIO_MMIO_CONFIG + 4, 4)).toBe(2);
    expect(d.received()).toEqual([]);
    d.control(BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
    expect(d.received()).toEqual([
      [0, VIRTIO_CONSOLE_PORT_ADD, 1, ''],
      [1, VIRTIO_CONSOLE_PORT_ADD, 1, ''],
    ]);
    d.control(0, VIRTIO_CONSOLE_PORT_READY, 1);
    expect(d.received()).toEqual([
      [0, VIRTIO_CONSOLE_CONSOLE_PORT, 1, ''],
      [0, VIRTIO_CONSOLE_PORT_OPEN, 1, ''],
    ]);
    d.control(1, VIRTIO_CONSOLE_PORT_READY, 1);
    expect(d.received()).toEqual([
      [1, VIRTIO_CONSOLE_PORT_NAME, 1, 'vm.agent'],
      [1, VIRTIO_CONSOLE_PORT_OPEN, 1, ''],
    ]);
    expect(dev.ports[0]!.guestOpen).toBe(true); // a console port is open once it exists
    expect(dev.ports[1]!.guestOpen).toBe(false);
    // Host end closes and opens again: the guest hears about it.
    dev.ports[1]!.setHostConnected(false);
    dev.ports[1]!.setHostConnected(true);
    expect(d.received()).toEqual([
      [1, VIRTIO_CONSOLE_PORT_OPEN, 0, ''],
      [1, VIRTIO_CONSOLE_PORT_OPEN, 1, ''],
    ]);
    // Unknown ports and events are ignored.
    d.control(9, VIRTIO_CONSOLE_PORT_READY, 1);
    d.control(1, 77, 1);
    expect(d.received()).toEqual([]);
    expect(d.needsReset).toBe(false);
  });

  it('holds host input until the guest opens the port, bounded, and reports room again', () => {
    const dev = agentConsole();
    const port = dev.ports[1]!;
    let drained = 0;
    port.sink = { output: () => true, inputDrained: () => drained++ };
    const d = new ConsoleDriver(dev);
    d.control(BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
    d.control(1, VIRTIO_CONSOLE_PORT_READY, 1);
    expect(port.write(new TextEncoder().encode('hello, agent!'))).toBe(13);
    expect(port.write(new TextEncoder().encode('0123456789'))).toBe(3); // inputLimit 16
    const buf = d.postInput(1, 64);
    expect(d.takeUsed(rxQueueOf(1))).toEqual([]); // the guest has not opened it: Linux would discard
    d.control(1, VIRTIO_CONSOLE_PORT_OPEN, 1);
    const [used] = d.takeUsed(rxQueueOf(1));
    expect(new TextDecoder().decode(d.bytes(buf, used!.len))).toBe('hello, agent!012');
    expect(drained).toBe(1);
    expect(port.pendingInput).toBe(0);
  });

  it('passes guest output to the sink and stops taking it while the sink is full', () => {
    const dev = agentConsole();
    const port = dev.ports[1]!;
    const got: string[] = [];
    let room = true;
    port.sink = { output: (b) => (got.push(new TextDecoder().decode(b)), room) };
    const d = new ConsoleDriver(dev);
    d.control(BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
    d.control(1, VIRTIO_CONSOLE_PORT_READY, 1);
    d.control(1, VIRTIO_CONSOLE_PORT_OPEN, 1);
    expect(port.guestOpen).toBe(true);
    room = false;
    d.output(1, 'first');
    d.output(1, 'second');
    expect(got).toEqual(['first']);
    expect(d.takeUsed(txQueueOf(1))).toHaveLength(1);
    room = true;
    port.resumeOutput();
    expect(got).toEqual(['first', 'second']);
    expect(d.takeUsed(txQueueOf(1))).toHaveLength(1);
    d.control(1, VIRTIO_CONSOLE_PORT_OPEN, 0);
    expect(port.guestOpen).toBe(false);
  });

  it('counts output nobody consumes instead of stalling the guest', () => {
    const dev = agentConsole();
    const d = new ConsoleDriver(dev);
    d.control(BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
    d.control(0, VIRTIO_CONSOLE_PORT_READY, 1);
    d.output(0, 'to nobody');
    expect(dev.ports[0]!.droppedOutput).toBe(9);
    expect(d.takeUsed(txQueueOf(0))).toHaveLength(1);
  });

  it('forgets guest-side state on reset and runs the handshake again', () => {
    const dev = agentConsole();
    const d = new ConsoleDriver(dev);
    d.control(BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
    d.control(1, VIRTIO_CONSOLE_PORT_READY, 1);
    d.control(1, VIRTIO_CONSOLE_PORT_OPEN, 1);
    d.setReg(C.VIRTIO_MMIO_STATUS, 0);
    expect(dev.ports[1]!.guestOpen).toBe(false);
    d.start();
    d.control(BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
    expect(d.received().map((m) => m[1])).toEqual([VIRTIO_CONSOLE_PORT_ADD, VIRTIO_CONSOLE_PORT_ADD]);
  });
});

describe('virtio-rng', () => {
  it('fills each buffer from the entropy source, at most 64 KiB per request', () => {
    const seen: number[] = [];
    const rng = new VirtioRng({ entropy: (b) => (seen.push(b.length), b.fill(0x5a)) });
    const d = new TestDriver(rng, { ramBytes: 1 << 20 });
    d.init(1);
    const small = d.alloc(32);
    d.addChain(0, [{ addr: small, len: 32, write: true }]);
    const big = d.alloc(100_000);
    d.addChain(0, [{ addr: big, len: 100_000, write: true }]);
    d.kick(0);
    expect(d.takeUsed(0)).toEqual([
      { id: 0, len: 32 },
      { id: 1, len: 65536 },
    ]);
    expect(d.bytes(small, 32).every((b) => b === 0x5a)).toBe(true);
    expect(d.bytes(big + 65536, 10).every((b) => b === 0)).toBe(true);
    expect(Math.max(...seen)).toBeLessThanOrEqual(65536);
    expect(rng.bytesServed).toBe(32 + 65536);
  });
});
