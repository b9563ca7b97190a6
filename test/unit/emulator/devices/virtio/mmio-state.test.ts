// A virtio transport's state carried into a fresh device on a copy of guest RAM: a console transmit
// chain the host had taken only part of (its reader was full) is finished from the saved offset,
// input the host had queued reaches the guest, and the used ring continues at the saved index.
// A state from a different device, or naming a head that is not in flight, is refused.
import { describe, expect, it } from 'vitest';
import { rxQueueOf, txQueueOf, VIRTIO_CONSOLE_DEVICE_READY, VIRTIO_CONSOLE_PORT_OPEN, VIRTIO_CONSOLE_PORT_READY, VirtioConsole } from '../../../../../src/emulator/devices/virtio/console.js';
import { VirtioMmio } from '../../../../../src/emulator/devices/virtio/mmio.js';
import { VirtioRng } from '../../../../../src/emulator/devices/virtio/rng.js';
import { Ram } from '../../../../../src/emulator/memory/ram.js';
import { decodeState, encodeState, StateReader, type StateObject } from '../../../../../src/emulator/snapshot/state-value.js';
import { RAM_BASE, TestDriver } from './test-driver.js';

const consoleDevice = (): VirtioConsole => new VirtioConsole([{ console: true }, { name: 'vm.agent' }]);

function control(d: TestDriver, id: number, event: number, value: number): void {
  const a = d.alloc(8);
  const v = new DataView(new ArrayBuffer(8));
  v.setUint32(0, id, true);
  v.setUint16(4, event, true);
  v.setUint16(6, value, true);
  d.put(a, new Uint8Array(v.buffer));
  d.addChain(3, [{ addr: a, len: 8 }]);
  d.kick(3);
}

/** A fresh transport over a copy of `from`'s RAM, restored from `state` (through the text encoding). */
function restored(from: TestDriver, device: VirtioConsole | VirtioRng, state: StateObject): { ram: Ram; t: VirtioMmio } {
  const ram = new Ram(RAM_BASE, from.ram.size);
  ram.bytes.set(from.ram.bytes);
  const t = new VirtioMmio(ram, device, { irq: () => {} });
  t.restoreState(StateReader.of(decodeState(encodeState(state)), 'virtio'));
  return { ram, t };
}

describe('virtio state', () => {
  it('finishes a half-taken transmit chain and delivers queued input after a restore', () => {
    const dev = consoleDevice();
    let room = false;
    const got: Uint8Array[] = [];
    dev.ports[1]!.sink = { output: (b) => (got.push(b), room) };
    const d = new TestDriver(dev);
    d.init(dev.queueSizes.length);
    for (let i = 0; i < 4; i++) d.addChain(2, [{ addr: d.alloc(256), len: 256, write: true }]);
    d.kick(2);
    control(d, 0xffff_ffff, VIRTIO_CONSOLE_DEVICE_READY, 1);
    control(d, 1, VIRTIO_CONSOLE_PORT_READY, 1);
    control(d, 1, VIRTIO_CONSOLE_PORT_OPEN, 1);
    const text = new Uint8Array(100_000).map((_, i) => 33 + (i % 90));
    const out = d.alloc(text.length);
    d.put(out, text);
    d.addChain(txQueueOf(1), [{ addr: out, len: text.length }]);
    d.kick(txQueueOf(1));
    expect(got.length).toBe(1); // the reader took one piece and said "full"
    const taken = got[0]!.length;
    expect(taken).toBeLessThan(text.length);
    expect(dev.ports[1]!.write(new TextEncoder().encode('input for the guest'))).toBe(19);
    const usedBefore = d.transport.saveState();

    const dev2 = consoleDevice();
    const rest: Uint8Array[] = [];
    dev2.ports[1]!.sink = { output: (b) => (rest.push(b), true) };
    const { ram, t } = restored(d, dev2, usedBefore);
    t.kick();
    expect(Buffer.concat([got[0]!, ...rest]).equals(Buffer.from(text))).toBe(true);
    // The chain went back on the used ring of the restored machine's RAM, after the saved entries.
    const used = d.layout(txQueueOf(1)).used;
    expect(ram.view.getUint16(used - RAM_BASE + 2, true)).toBe(1);
    // Input waits in the port until the guest posts a buffer, then arrives whole.
    const inBuf = d.alloc(64);
    ram.bytes.fill(0, inBuf - RAM_BASE, inBuf - RAM_BASE + 64);
    const avail = d.layout(rxQueueOf(1)).avail;
    const descTable = d.layout(rxQueueOf(1)).desc;
    const dv = ram.view;
    dv.setUint32(descTable - RAM_BASE, inBuf, true);
    dv.setUint32(descTable - RAM_BASE + 4, 0, true);
    dv.setUint32(descTable - RAM_BASE + 8, 64, true);
    dv.setUint16(descTable - RAM_BASE + 12, 2, true); // VIRTQ_DESC_F_WRITE
    dv.setUint16(avail - RAM_BASE + 4, 0, true);
    dv.setUint16(avail - RAM_BASE + 2, 1, true);
    t.write(0x050, 4, rxQueueOf(1)); // QueueNotify
    expect(new TextDecoder().decode(ram.bytes.subarray(inBuf - RAM_BASE, inBuf - RAM_BASE + 19))).toBe('input for the guest');
  });

  it('refuses a state of another device kind or one naming a head not in flight', () => {
    const d = new TestDriver(consoleDevice());
    d.init(consoleDevice().queueSizes.length);
    const state = d.transport.saveState();
    expect(() => restored(d, new VirtioRng({ entropy: () => {} }), state)).toThrow(
      'virtio: the saved device is virtio-console, this machine has virtio-rng there',
    );
    const bad = decodeState(encodeState(state)) as StateObject;
    ((bad.device as StateObject).ports as StateObject[])[1]!.tx = { head: 3, offset: 0 };
    expect(() => restored(d, consoleDevice(), bad)).toThrow('queue 5: descriptor 3 is not in flight');
  });
});
