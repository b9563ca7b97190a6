// Bounded-time fuzzing of the virtqueue parser and the devices behind it with random rings: loops,
// huge lengths, out-of-RAM and high addresses, duplicate heads, random avail indexes, sizes that are
// not powers of two, queue registers written after DRIVER_OK, resets with I/O in flight. Every MMIO
// access must return without throwing and quickly; a confused device may only mark itself
// NEEDS_RESET and must serve again after a reset; the overlay disk never grows past its bound and its
// base image is never written. The seed is printed so a failure can be replayed (VIRTIO_FUZZ_SEED).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtioBlk, VIRTIO_BLK_T_IN } from '../../../../../src/emulator/devices/virtio/blk.js';
import * as C from '../../../../../src/emulator/devices/virtio/constants.js';
import { VirtioConsole } from '../../../../../src/emulator/devices/virtio/console.js';
import type { VirtioDevice } from '../../../../../src/emulator/devices/virtio/mmio.js';
import { VirtioNet } from '../../../../../src/emulator/devices/virtio/net.js';
import { VirtioRng } from '../../../../../src/emulator/devices/virtio/rng.js';
import { OverlayDisk } from '../../../../../src/engines/builtin/disk/overlay-disk.js';
import { overlayBound } from '../../../../../src/engines/builtin/disk/overlay-format.js';
import { RAM_BASE, TestDriver, until } from './test-driver.js';

const BUDGET_MS = Number(process.env.VIRTIO_FUZZ_MS ?? 1500); // per device kind
const RAM_BYTES = 256 * 1024;
// Generous: the machine running the tests is shared; a hang or a quadratic blow-up is far above it.
const SLOW_ACCESS_MS = 250;

const dir = mkdtempSync(join(tmpdir(), 'vm-virtio-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REGISTERS = [
  C.VIRTIO_MMIO_DEVICE_FEATURES_SEL, C.VIRTIO_MMIO_DRIVER_FEATURES, C.VIRTIO_MMIO_DRIVER_FEATURES_SEL, C.VIRTIO_MMIO_QUEUE_SEL,
  C.VIRTIO_MMIO_QUEUE_NUM, C.VIRTIO_MMIO_QUEUE_READY, C.VIRTIO_MMIO_QUEUE_NOTIFY, C.VIRTIO_MMIO_INTERRUPT_ACK, C.VIRTIO_MMIO_STATUS,
  C.VIRTIO_MMIO_QUEUE_DESC_LOW, C.VIRTIO_MMIO_QUEUE_DESC_HIGH, C.VIRTIO_MMIO_QUEUE_AVAIL_LOW, C.VIRTIO_MMIO_QUEUE_AVAIL_HIGH,
  C.VIRTIO_MMIO_QUEUE_USED_LOW, C.VIRTIO_MMIO_QUEUE_USED_HIGH,
];

class Fuzzer {
  slowest = 0;
  accesses = 0;
  constructor(
    readonly d: TestDriver,
    readonly rnd: () => number,
  ) {}

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  /** An address: mostly inside RAM, sometimes just outside, below, or with a high word. */
  addr(): { lo: number; hi: number } {
    const r = this.rnd();
    if (r < 0.8) return { lo: RAM_BASE + this.int(RAM_BYTES), hi: 0 };
    if (r < 0.9) return { lo: RAM_BASE + RAM_BYTES - this.int(64), hi: 0 };
    if (r < 0.95) return { lo: this.int(0x1_0000_0000), hi: 0 };
    return { lo: this.int(0x1_0000_0000), hi: 1 + this.int(0xffff_ffff) };
  }

  len(): number {
    const r = this.rnd();
    if (r < 0.7) return this.int(2048);
    if (r < 0.85) return this.int(RAM_BYTES);
    return [0, 0xffff_ffff, 0x8000_0000, RAM_BYTES + 1][this.int(4)]!;
  }

  slowestWhat = '';
  timed(fn: () => void, what = ''): void {
    const t = performance.now();
    expect(fn).not.toThrow();
    const ms = performance.now() - t;
    if (ms > this.slowest) {
      this.slowest = ms;
      this.slowestWhat = what;
    }
    this.accesses++;
  }

  /** Scribble random descriptors over a queue's table and random entries over its available ring. */
  scribble(q: number): void {
    const l = this.d.layout(q);
    const flags = [0, C.VIRTQ_DESC_F_NEXT, C.VIRTQ_DESC_F_WRITE, C.VIRTQ_DESC_F_NEXT | C.VIRTQ_DESC_F_WRITE, C.VIRTQ_DESC_F_INDIRECT, this.int(0x10000)];
    for (let i = 0, n = 1 + this.int(8); i < n; i++) {
      const a = this.addr();
      const idx = this.int(l.size);
      const next = this.rnd() < 0.8 ? this.int(l.size) : this.int(0x10000);
      this.d.writeDesc(l.desc, idx, { addr: a.lo, addrHi: a.hi, len: this.len(), flags: flags[this.int(flags.length)]!, next });
    }
    const heads = 1 + this.int(4);
    for (let i = 0; i < heads; i++) this.d.publish(q, this.rnd() < 0.9 ? this.int(l.size) : this.int(0x10000));
    if (this.rnd() < 0.1) this.d.ram.view.setUint16(l.avail + 2 - RAM_BASE, this.int(0x10000), true);
  }

  /** One random step. */
  step(queues: number): void {
    const d = this.d;
    const r = this.rnd();
    if (r < 0.35) {
      const q = this.int(queues);
      try {
        this.scribble(q);
      } catch {
        // the queue is not laid out (setup failed on purpose); nothing to scribble
      }
      this.timed(() => d.kick(this.rnd() < 0.9 ? q : this.int(0x10000)), 'notify');
    } else if (r < 0.6) {
      const reg = REGISTERS[this.int(REGISTERS.length)]!;
      const v = this.rnd() < 0.5 ? this.int(0x1_0000_0000) : this.int(256);
      this.timed(() => d.setReg(reg, v), `register 0x${reg.toString(16)}`);
    } else if (r < 0.7) {
      this.timed(() => d.transport.write(this.int(0x200), ([1, 2, 4] as const)[this.int(3)]!, this.int(0x1_0000_0000)));
    } else if (r < 0.8) {
      this.timed(() => d.transport.read(this.int(0x200), ([1, 2, 4] as const)[this.int(3)]!));
    } else if (r < 0.9) {
      // Random bytes anywhere in RAM (rings included).
      const at = this.int(RAM_BYTES - 64);
      for (let i = 0; i < 64; i++) d.ram.bytes[at + i] = this.int(256);
    } else {
      const q = this.int(queues);
      this.timed(() => {
        d.setReg(C.VIRTIO_MMIO_STATUS, 0);
        d.init(queues);
      }, 'reset and init');
      this.timed(() => d.kick(q), 'notify after init');
    }
  }
}

async function fuzz(kind: string, make: () => { device: VirtioDevice; check?: () => Promise<void> }, recover: (d: TestDriver) => Promise<void>): Promise<void> {
  const seed = Number(process.env.VIRTIO_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const rnd = prng(seed);
  const end = performance.now() + BUDGET_MS;
  let rounds = 0;
  let failed = 0;
  let slowest = 0;
  let slowestWhat = '';
  let accesses = 0;
  while (performance.now() < end) {
    const { device, check } = make();
    const d = new TestDriver(device, { ramBytes: RAM_BYTES });
    d.init(device.queueSizes.length);
    const f = new Fuzzer(d, rnd);
    for (let i = 0; i < 200; i++) {
      f.step(device.queueSizes.length);
      if (i % 20 === 0) await new Promise((r) => setImmediate(r)); // let disk completions land
    }
    await until(() => d.work === 0, 10_000);
    if (d.needsReset) failed++;
    // Whatever happened, a reset and a clean request work again.
    d.setReg(C.VIRTIO_MMIO_STATUS, 0);
    d.init(device.queueSizes.length);
    expect(d.needsReset).toBe(false);
    await recover(d);
    await check?.();
    if (f.slowest > slowest) {
      slowest = f.slowest;
      slowestWhat = f.slowestWhat;
    }
    accesses += f.accesses;
    rounds++;
  }
  console.log(`fuzz ${kind} (seed ${seed}): ${rounds} rounds, ${accesses} MMIO accesses, ${failed} rounds ended NEEDS_RESET, slowest access ${slowest.toFixed(2)} ms (${slowestWhat})`);
  expect(rounds).toBeGreaterThan(0);
  expect(slowest).toBeLessThan(SLOW_ACCESS_MS);
}

describe('virtio fuzzing with random rings', () => {
  it('virtio-blk on a copy-on-write overlay', async () => {
    const base = join(dir, 'base.img');
    const baseBytes = new Uint8Array(256 * 1024).map((_, i) => i & 0xff);
    writeFileSync(base, baseBytes);
    const sha = createHash('sha256').update(baseBytes).digest('hex');
    let k = 0;
    const open: OverlayDisk[] = [];
    await fuzz(
      'blk',
      () => {
        const path = join(dir, `f${k++}.overlay`);
        // Created synchronously enough: the first request waits for the open below.
        const ready = OverlayDisk.create(path, { path: base, sha256: sha }).then(() => OverlayDisk.open(path, { path: base, sha256: sha }));
        let disk: OverlayDisk | undefined;
        const backend = {
          sizeBytes: 256 * 1024,
          readOnly: false,
          read: async (o: number, l: number) => (disk ??= await ready).read(o, l),
          write: async (o: number, b: Uint8Array) => (disk ??= await ready).write(o, b),
          flush: async () => (disk ??= await ready).flush(),
        };
        return {
          device: new VirtioBlk({ backend }),
          check: async () => {
            disk ??= await ready;
            open.push(disk);
            await disk.close();
            expect(statSync(path).size).toBeLessThanOrEqual(overlayBound(disk.header));
          },
        };
      },
      async (d) => {
        const hdr = d.alloc(16);
        // The whole header, not just the type: RAM may hold the fuzzer's garbage (a stale sector
        // past the disk's end would rightly answer IOERR).
        const h = new DataView(d.ram.bytes.buffer, hdr - RAM_BASE, 16);
        h.setUint32(0, VIRTIO_BLK_T_IN, true);
        h.setUint32(4, 0, true);
        h.setBigUint64(8, 0n, true);
        const status = d.alloc(1);
        d.addChain(0, [{ addr: hdr, len: 16 }, { addr: d.alloc(512), len: 512, write: true }, { addr: status, len: 1, write: true }]);
        d.kick(0);
        await until(() => d.takeUsed(0).length === 1);
        expect(d.bytes(status, 1)[0]).toBe(0);
      },
    );
    expect(open.length).toBeGreaterThan(0);
    expect(createHash('sha256').update(readFileSync(base)).digest('hex')).toBe(sha);
  }, 60_000);

  it('virtio-net', async () => {
    await fuzz(
      'net',
      () => ({ device: new VirtioNet({ mac: new Uint8Array(6), link: { transmit: () => {}, connect: () => {} } }) }),
      async (d) => {
        const a = d.alloc(80);
        d.addChain(1, [{ addr: a, len: 80 }]);
        d.kick(1);
        expect(d.takeUsed(1)).toHaveLength(1);
      },
    );
  }, 60_000);

  it('virtio-console', async () => {
    await fuzz(
      'console',
      () => ({ device: new VirtioConsole([{ console: true }, { name: 'vm.agent' }]) }),
      async (d) => {
        const a = d.alloc(8);
        d.addChain(3, [{ addr: a, len: 8 }]);
        d.kick(3);
        expect(d.takeUsed(3)).toHaveLength(1);
      },
    );
  }, 60_000);

  it('virtio-rng', async () => {
    await fuzz(
      'rng',
      () => ({ device: new VirtioRng({ entropy: (b) => b.fill(1) }) }),
      async (d) => {
        d.addChain(0, [{ addr: d.alloc(16), len: 16, write: true }]);
        d.kick(0);
        expect(d.takeUsed(0)).toHaveLength(1);
      },
    );
  }, 60_000);
});
