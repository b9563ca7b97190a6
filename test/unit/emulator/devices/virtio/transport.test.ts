// The virtio-mmio v2 transport driven through its registers by a test driver: identity, feature
// negotiation, queue setup and its guards, interrupts, config space, reset and DEVICE_NEEDS_RESET.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawDisk } from '../../../../../src/engines/builtin/disk/raw-disk.js';
import * as C from '../../../../../src/emulator/devices/virtio/constants.js';
import { VirtioRng } from '../../../../../src/emulator/devices/virtio/rng.js';
import { VirtioBlk } from '../../../../../src/emulator/devices/virtio/blk.js';
import { TestDriver } from './test-driver.js';

const counting = (): VirtioRng => {
  let n = 0;
  return new VirtioRng({ entropy: (b) => b.forEach((_, i) => (b[i] = n++ & 0xff)) });
};

const dir = mkdtempSync(join(tmpdir(), 'vm-virtio-transport-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('virtio-mmio transport', () => {
  it('identifies itself as a version 2 device and offers VIRTIO_F_VERSION_1', () => {
    const d = new TestDriver(counting());
    expect(d.reg(C.VIRTIO_MMIO_MAGIC_VALUE)).toBe(0x74726976);
    expect(d.reg(C.VIRTIO_MMIO_VERSION)).toBe(2);
    expect(d.reg(C.VIRTIO_MMIO_DEVICE_ID)).toBe(C.VIRTIO_ID_RNG);
    expect(d.reg(C.VIRTIO_MMIO_VENDOR_ID)).toBe(0x554d4551);
    expect(d.deviceFeatures()).toBe(1n << 32n);
    d.setReg(C.VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
    expect(d.reg(C.VIRTIO_MMIO_DEVICE_FEATURES)).toBe(0);
    // Registers answer 32-bit accesses only.
    expect(d.transport.read(C.VIRTIO_MMIO_MAGIC_VALUE, 2)).toBe(0);
  });

  it('accepts the offered features and refuses sets without VERSION_1 or with unknown bits', () => {
    const d = new TestDriver(counting());
    expect(d.negotiate() & C.VIRTIO_CONFIG_S_FEATURES_OK).toBeTruthy();
    expect(d.negotiate(0n) & C.VIRTIO_CONFIG_S_FEATURES_OK).toBe(0);
    expect(d.negotiate((1n << 32n) | (1n << 5n)) & C.VIRTIO_CONFIG_S_FEATURES_OK).toBe(0);
    expect(d.needsReset).toBe(false);
  });

  it('serves requests on a queue, raises the used-buffer interrupt and clears it on ack', () => {
    const d = new TestDriver(counting());
    d.init(1);
    const buf = d.alloc(64);
    const head = d.addChain(0, [{ addr: buf, len: 64, write: true }]);
    expect(d.irq).toBe(false);
    d.kick(0);
    expect(d.takeUsed(0)).toEqual([{ id: head, len: 64 }]);
    expect(d.bytes(buf, 4)).toEqual(Uint8Array.of(0, 1, 2, 3));
    expect(d.irq).toBe(true);
    expect(d.ackInterrupts()).toBe(C.VIRTIO_MMIO_INT_VRING);
    expect(d.irq).toBe(false);
  });

  it('honours VIRTQ_AVAIL_F_NO_INTERRUPT', () => {
    const d = new TestDriver(counting());
    d.init(1);
    const l = d.layout(0);
    d.ram.view.setUint16(l.avail - d.ram.base, C.VIRTQ_AVAIL_F_NO_INTERRUPT, true);
    d.addChain(0, [{ addr: d.alloc(8), len: 8, write: true }]);
    d.kick(0);
    expect(d.takeUsed(0)).toHaveLength(1);
    expect(d.irq).toBe(false);
  });

  it('buffers made available before DRIVER_OK are served once the driver is ready', () => {
    const d = new TestDriver(counting());
    d.negotiate();
    d.setupQueue(0);
    d.addChain(0, [{ addr: d.alloc(8), len: 8, write: true }]);
    d.kick(0); // ignored: not DRIVER_OK yet
    expect(d.takeUsed(0)).toHaveLength(0);
    d.driverOk();
    expect(d.takeUsed(0)).toHaveLength(1);
  });

  it('reads QueueNumMax 0 and ignores writes for a queue that does not exist', () => {
    const d = new TestDriver(counting());
    d.negotiate();
    d.setReg(C.VIRTIO_MMIO_QUEUE_SEL, 5);
    expect(d.reg(C.VIRTIO_MMIO_QUEUE_NUM_MAX)).toBe(0);
    d.setReg(C.VIRTIO_MMIO_QUEUE_NUM, 8);
    d.setReg(C.VIRTIO_MMIO_QUEUE_READY, 1);
    expect(d.reg(C.VIRTIO_MMIO_QUEUE_READY)).toBe(0);
    d.setReg(C.VIRTIO_MMIO_QUEUE_SEL, 0xffff_ffff);
    expect(d.reg(C.VIRTIO_MMIO_QUEUE_NUM_MAX)).toBe(0);
    expect(d.needsReset).toBe(false);
  });

  it.each([
    ['a size that is not a power of two', { num: 48 }],
    ['a size above QueueNumMax', { num: 128 }],
    ['a size of zero', { num: 0 }],
    ['a descriptor table outside RAM', { desc: 0x1000 }],
    ['a misaligned descriptor table', { desc: 0x8000_2008 }],
    ['a used ring with a non-zero high address word', { usedHi: 0x8000_0000 }],
    ['a ring running past the end of RAM', { avail: 0x8000_0000 + 4 * 1024 * 1024 - 4 }],
  ])('marks the device NEEDS_RESET when a queue is enabled with %s', (_what, bad: { num?: number; desc?: number; avail?: number; usedHi?: number }) => {
    const d = new TestDriver(counting());
    d.negotiate();
    d.setReg(C.VIRTIO_MMIO_QUEUE_SEL, 0);
    d.setReg(C.VIRTIO_MMIO_QUEUE_NUM, bad.num ?? 64);
    d.setReg(C.VIRTIO_MMIO_QUEUE_DESC_LOW, bad.desc ?? 0x8000_2000);
    d.setReg(C.VIRTIO_MMIO_QUEUE_AVAIL_LOW, bad.avail ?? 0x8000_3000);
    d.setReg(C.VIRTIO_MMIO_QUEUE_USED_LOW, 0x8000_4000);
    d.setReg(C.VIRTIO_MMIO_QUEUE_USED_HIGH, bad.usedHi ?? 0);
    d.setReg(C.VIRTIO_MMIO_QUEUE_READY, 1);
    expect(d.reg(C.VIRTIO_MMIO_QUEUE_READY)).toBe(0);
    expect(d.needsReset).toBe(true);
    expect(d.logs.join('\n')).toMatch(/queue 0: .*DEVICE_NEEDS_RESET/);
  });

  it('ignores queue registers written after DRIVER_OK and keeps serving the queue', () => {
    const d = new TestDriver(counting());
    d.init(1);
    const l = d.layout(0);
    d.setReg(C.VIRTIO_MMIO_QUEUE_SEL, 0);
    d.setReg(C.VIRTIO_MMIO_QUEUE_NUM, 3);
    d.setReg(C.VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1234);
    d.setReg(C.VIRTIO_MMIO_QUEUE_READY, 0);
    expect(d.reg(C.VIRTIO_MMIO_QUEUE_READY)).toBe(1);
    expect(d.logs.some((m) => m.includes('after DRIVER_OK; ignored'))).toBe(true);
    d.addChain(0, [{ addr: d.alloc(8), len: 8, write: true }]);
    d.kick(0);
    expect(d.takeUsed(0)).toHaveLength(1);
    expect(l.size).toBe(64);
    expect(d.needsReset).toBe(false);
  });

  it('ignores driver features written after FEATURES_OK', () => {
    const d = new TestDriver(counting());
    d.negotiate();
    d.setReg(C.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    d.setReg(C.VIRTIO_MMIO_DRIVER_FEATURES, 0);
    d.setupQueue(0);
    d.driverOk();
    expect(d.transport.active).toBe(true);
  });

  it('fails DRIVER_OK without FEATURES_OK', () => {
    const d = new TestDriver(counting());
    d.setReg(C.VIRTIO_MMIO_STATUS, C.VIRTIO_CONFIG_S_ACKNOWLEDGE | C.VIRTIO_CONFIG_S_DRIVER | C.VIRTIO_CONFIG_S_DRIVER_OK);
    expect(d.needsReset).toBe(true);
    expect(d.irq).toBe(true);
    expect(d.ackInterrupts()).toBe(C.VIRTIO_MMIO_INT_CONFIG);
  });

  it('after NEEDS_RESET ignores notifies; a reset (status 0) brings the device back', () => {
    const d = new TestDriver(counting());
    d.init(1);
    const l = d.layout(0);
    d.writeDesc(l.desc, 0, { addr: 0x10, len: 8, flags: C.VIRTQ_DESC_F_WRITE, next: 0 }); // outside RAM
    d.publish(0, 0);
    const gen = d.reg(C.VIRTIO_MMIO_CONFIG_GENERATION);
    d.kick(0);
    expect(d.needsReset).toBe(true);
    expect(d.reg(C.VIRTIO_MMIO_CONFIG_GENERATION)).not.toBe(gen);
    expect(d.ackInterrupts() & C.VIRTIO_MMIO_INT_CONFIG).toBeTruthy();
    d.addChain(0, [{ addr: d.alloc(8), len: 8, write: true }]);
    d.kick(0);
    expect(d.takeUsed(0)).toHaveLength(0);
    // Writing status without 0 keeps NEEDS_RESET; a reset clears it and the queues.
    d.setReg(C.VIRTIO_MMIO_STATUS, C.VIRTIO_CONFIG_S_ACKNOWLEDGE);
    expect(d.needsReset).toBe(true);
    d.setReg(C.VIRTIO_MMIO_STATUS, 0);
    expect(d.status).toBe(0);
    d.setReg(C.VIRTIO_MMIO_QUEUE_SEL, 0);
    expect(d.reg(C.VIRTIO_MMIO_QUEUE_READY)).toBe(0);
    d.init(1);
    d.addChain(0, [{ addr: d.alloc(8), len: 8, write: true }]);
    d.kick(0);
    expect(d.takeUsed(0)).toHaveLength(1);
    expect(d.logs.filter((m) => m.includes('DEVICE_NEEDS_RESET'))).toHaveLength(1);
  });

  it('serves the config space with 1, 2 and 4-byte reads and 0 beyond it', async () => {
    await RawDisk.create(join(dir, 'c.raw'), 1 << 20);
    const disk = await RawDisk.open(join(dir, 'c.raw'));
    const d = new TestDriver(new VirtioBlk({ backend: disk }));
    expect(d.transport.read(C.VIRTIO_MMIO_CONFIG, 4)).toBe(2048); // capacity low word: 1 MiB / 512
    expect(d.transport.read(C.VIRTIO_MMIO_CONFIG + 4, 4)).toBe(0);
    expect(d.transport.read(C.VIRTIO_MMIO_CONFIG + 20, 2)).toBe(512); // blk_size
    expect(d.transport.read(C.VIRTIO_MMIO_CONFIG + 24, 1)).toBe(3); // physical_block_exp
    expect(d.transport.read(C.VIRTIO_MMIO_CONFIG + 0x400, 4)).toBe(0);
    await disk.close();
  });
});
