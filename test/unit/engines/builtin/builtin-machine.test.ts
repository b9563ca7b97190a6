// How the builtin engine turns a MachineConfig into devices (bootSpecFromConfig) and what it refuses
// before a machine exists: too many devices for the 8 slots, a private NIC without a backend, a
// qcow2 root disk, a missing overlay, a taken forward port. Errors are BootFileErrors with a message
// for the user, and nothing stays open after one (the forward's port is free again).
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BootFileError } from '../../../../src/engines/errors.js';
import { bootSpecFromConfig, startBuiltinMachine, virtioSlotsNeeded, type BuiltinBootSpec } from '../../../../src/engines/builtin/builtin-machine.js';
import { destroyDisks, openRootDisk, prepareDisks, rootOverlayPath } from '../../../../src/engines/builtin/disk/machine-disks.js';
import type { EthernetLink } from '../../../../src/emulator/devices/virtio/net.js';
import type { MachineConfig } from '../../../../src/model/machine-config.js';

const dir = mkdtempSync(join(tmpdir(), 'vm-builtin-devices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SHA = 'ab'.repeat(32);

function config(over: Partial<MachineConfig> = {}): MachineConfig {
  const stateDir = join(dir, 'project/.vm/machines/m');
  writeFileSync(join(dir, 'root.img'), new Uint8Array(1024 * 1024));
  return {
    name: 'm',
    project: { dir: join(dir, 'project'), vmfile: join(dir, 'project/Vmfile'), stateDir },
    engine: 'builtin',
    engineRequested: 'auto',
    accel: 'auto',
    arch: 'riscv64',
    cpus: 1,
    memoryBytes: 64 * 1024 * 1024,
    hostname: 'm',
    box: {
      name: 'tiny',
      version: '0.1.0',
      dir,
      arch: 'riscv64',
      engines: ['builtin'],
      kernel: join(dir, 'Image'),
      rootDisk: { path: join(dir, 'root.img'), format: 'raw', sha256: SHA },
      cmdline: 'console=ttyS0',
      checksum: 'x',
    },
    cmdline: 'console=ttyS0',
    firmware: 'sbi',
    disks: [{ name: 'data', sizeBytes: 1024 * 1024, path: join(stateDir, 'disks/data.raw'), format: 'raw' }],
    nics: [
      { type: 'nat', mac: '52:54:00:00:00:01' },
      { type: 'nat', mac: '52:54:00:00:00:02' },
    ],
    forwards: [{ guest: 80, host: 8080, hostIp: '127.0.0.1', protocol: 'tcp' }],
    syncedFolders: [],
    provision: [],
    env: {},
    bootTimeoutMs: 1000,
    ...over,
  };
}

const message = async (p: Promise<unknown>): Promise<string> => {
  const err = await p.then(
    () => new Error('resolved'),
    (e: unknown) => e as Error,
  );
  expect(err).toBeInstanceOf(BootFileError);
  return err.message;
};

describe('builtin engine devices from a MachineConfig', () => {
  it('maps the root overlay, extra disks, NICs (forwards on the first NAT NIC only), console and rng', () => {
    const c = config();
    const d = bootSpecFromConfig(c).devices!;
    expect(d.rootDisk).toEqual({ overlay: rootOverlayPath(c), base: { path: join(dir, 'root.img'), sha256: SHA } });
    expect(d.disks).toEqual([{ path: c.disks[0]!.path, serial: 'data', layered: true }]);
    expect(d.nics).toEqual([
      { kind: 'nat', mac: '52:54:00:00:00:01', forwards: c.forwards, hostname: 'm' },
      { kind: 'nat', mac: '52:54:00:00:00:02', forwards: [], hostname: 'm' },
    ]);
    expect([d.console, d.rng]).toEqual([true, true]);
    expect(virtioSlotsNeeded(d)).toBe(5); // root, data, two NICs, console: the rng only takes a slot left free
  });

  it('takes private-network NICs from the caller, and says so when nobody provides them', () => {
    const link: EthernetLink = { transmit: () => {}, connect: () => {} };
    const c = config({ nics: [{ type: 'private', network: 'backend', mac: '52:54:00:00:00:09' }] });
    expect(() => bootSpecFromConfig(c)).toThrow("NIC 1 is on private network 'backend', but this engine process has no private-network backend");
    const seen: string[] = [];
    const d = bootSpecFromConfig(c, { privateLink: (nic) => (seen.push(nic.network), link) }).devices!;
    expect(seen).toEqual(['backend']);
    expect(d.nics).toEqual([{ kind: 'link', mac: '52:54:00:00:00:09', link }]);
  });

  it('refuses a qcow2 root disk, which the builtin engine cannot read', () => {
    const c = config();
    c.box.rootDisk = { ...c.box.rootDisk!, format: 'qcow2' };
    expect(() => bootSpecFromConfig(c)).toThrow('box tiny 0.1.0 has a qcow2 root disk; the builtin engine reads raw images only');
  });

  it('refuses more devices than the 8 virtio slots', async () => {
    const c = config({
      disks: Array.from({ length: 5 }, (_, i) => ({ name: `d${i}`, sizeBytes: 512, path: join(dir, `d${i}`), format: 'raw' as const })),
    });
    expect(await message(startBuiltinMachine(bootSpecFromConfig(c)))).toBe(
      'the machine needs 9 virtio devices (6 disks, 2 network cards, the console, 0 others such as synced folders) but the builtin engine has 8 slots',
    );
  });

  it('refuses a missing overlay instead of starting from a blank disk', async () => {
    const c = config();
    const spec: BuiltinBootSpec = { ...bootSpecFromConfig(c), kernel: undefined, firmware: join(dir, 'root.img') };
    expect(await message(startBuiltinMachine(spec))).toBe(`the root disk overlay is missing: ${rootOverlayPath(c)}`);
  });

  it('prepares disks once, sparse, leaves them alone after, destroys them and never the box', async () => {
    const c = config();
    await prepareDisks(c);
    const overlay = statSync(rootOverlayPath(c));
    const data = statSync(c.disks[0]!.path);
    expect(data.size).toBe(1024 * 1024);
    expect(data.blocks).toBe(0);
    expect(overlay.mode & 0o777).toBe(0o600);
    await prepareDisks(c);
    expect(statSync(rootOverlayPath(c)).ino).toBe(overlay.ino);
    await prepareDisks({ ...c, disks: [{ ...c.disks[0]!, sizeBytes: 2 * 1024 * 1024 }] });
    expect(statSync(c.disks[0]!.path).size).toBe(2 * 1024 * 1024);
    await expect(prepareDisks(c)).rejects.toThrow(/larger than the 1048576 the Vmfile now declares; disks cannot shrink/);
    await destroyDisks(c);
    expect(existsSync(rootOverlayPath(c)) || existsSync(c.disks[0]!.path)).toBe(false);
    expect(existsSync(c.box.rootDisk!.path)).toBe(true);
  });

  it("gives the root overlay the Vmfile's disk_size, and refuses an existing machine whose disk_size changed", async () => {
    const c = config({ disks: [], project: { dir: join(dir, 'sized'), vmfile: join(dir, 'sized/Vmfile'), stateDir: join(dir, 'sized/.vm/machines/m') } });
    const size = 64 * 1024 * 1024;
    await prepareDisks({ ...c, rootDiskBytes: size });
    const disk = await openRootDisk(rootOverlayPath(c), { path: c.box.rootDisk!.path, sha256: SHA });
    expect(disk.sizeBytes).toBe(size);
    // past the image: reads as zeros, writes land in the overlay
    expect(await disk.read(size - 4096, 4096)).toEqual(new Uint8Array(4096));
    await disk.write(size - 512, new Uint8Array(512).fill(7));
    expect(await disk.read(size - 512, 512)).toEqual(new Uint8Array(512).fill(7));
    await disk.close();
    expect(statSync(c.box.rootDisk!.path).size).toBe(1024 * 1024);
    await prepareDisks({ ...c, rootDiskBytes: size }); // unchanged: fine
    let err: unknown;
    await prepareDisks({ ...c, rootDiskBytes: 2 * size }).catch((e: unknown) => (err = e));
    expect(err).toMatchObject({
      name: 'DiskError',
      message: `the root disk of machine 'm' is ${size} bytes, set when it was created; the Vmfile's disk_size now says ${2 * size}, and the builtin engine cannot resize a machine's root disk`,
    });
    expect((err as { hint: string }).hint).toMatch(/^Set disk_size back to 67108864, or run `vm destroy m` and `vm up`/);
    // a machine created without disk_size has the image's size, which disk_size may name
    const plain = config({ disks: [], project: { dir: join(dir, 'plain'), vmfile: join(dir, 'plain/Vmfile'), stateDir: join(dir, 'plain/.vm/machines/m') } });
    await prepareDisks(plain);
    await prepareDisks({ ...plain, rootDiskBytes: 1024 * 1024 });
    await expect(prepareDisks({ ...plain, rootDiskBytes: size })).rejects.toThrow("the root disk of machine 'm' is 1048576 bytes");
  });

  it('fails before boot when a forward port is taken, naming it, and leaves nothing open', async () => {
    const c = config({ nics: [{ type: 'nat', mac: '52:54:00:00:00:01' }], disks: [] });
    await prepareDisks(c);
    const holder = net.createServer();
    const port = await new Promise<number>((r) => holder.listen(0, '127.0.0.1', () => r((holder.address() as net.AddressInfo).port)));
    c.forwards = [{ guest: 22, host: port, hostIp: '127.0.0.1', protocol: 'tcp' }, { guest: 80, host: 0, hostIp: '127.0.0.1', protocol: 'tcp' }];
    const spec: BuiltinBootSpec = { ...bootSpecFromConfig(c), kernel: undefined, firmware: join(dir, 'root.img') };
    expect(await message(startBuiltinMachine(spec))).toMatch(new RegExp(`^cannot forward 127\\.0\\.0\\.1:${port}/tcp to guest port 22: 127\\.0\\.0\\.1:${port} is already in use`));
    await new Promise<void>((r) => holder.close(() => r()));
    // Once the port is free the same machine starts (and stops, closing its disks).
    c.forwards = [];
    const vm = await startBuiltinMachine({ ...bootSpecFromConfig(c), kernel: undefined, firmware: join(dir, 'root.img') });
    vm.stop();
    expect(await vm.exit).toEqual({ kind: 'stopped', status: 0 });
    await destroyDisks(c);
  });
});

describe('WebAssembly tiering choice', () => {
  it('V8 tiering as is with more than two cores, hot functions only with two or fewer, unless VM_WASM_TIERING says otherwise', async () => {
    const { wasmTiering } = await import('../../../../src/engines/builtin/builtin-machine.js');
    expect(wasmTiering({}, 1)).toBe('hot');
    expect(wasmTiering({}, 2)).toBe('hot');
    expect(wasmTiering({}, 4)).toBe('on');
    expect(wasmTiering({ VM_WASM_TIERING: 'on' }, 2)).toBe('on');
    expect(wasmTiering({ VM_WASM_TIERING: 'off' }, 16)).toBe('off');
    expect(wasmTiering({ VM_WASM_TIERING: 'hot' }, 16)).toBe('hot');
    expect(wasmTiering({ VM_WASM_TIERING: 'fast' }, 16)).toBe('on');
  });
  it('batches compile at once with two cores or fewer, in the background with more, unless VM_WASM_COMPILE says otherwise', async () => {
    const { wasmCompile } = await import('../../../../src/engines/builtin/builtin-machine.js');
    expect(wasmCompile({}, 1)).toBe('sync');
    expect(wasmCompile({}, 2)).toBe('sync');
    expect(wasmCompile({}, 4)).toBe('background');
    expect(wasmCompile({ VM_WASM_COMPILE: 'background' }, 2)).toBe('background');
    expect(wasmCompile({ VM_WASM_COMPILE: 'sync' }, 16)).toBe('sync');
    expect(wasmCompile({ VM_WASM_COMPILE: 'later' }, 16)).toBe('background');
  });
});
