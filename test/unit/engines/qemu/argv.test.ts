// qemuArgv against golden files (test/unit/engines/qemu/golden/*.argv, reviewed by a person once, then kept):
// one option per line with its value. After an intended change, regenerate with VM_UPDATE_GOLDEN=1
// and review the diff. Also the configs qemu cannot express, each with its exact message.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { QemuAccel, QemuDiskPlan } from '../../../../src/engines/qemu/argv.js';
import { optValue, qemuArgv } from '../../../../src/engines/qemu/argv.js';
import { QemuConfigError } from '../../../../src/engines/qemu/errors.js';
import { diskPlan } from '../../../../src/engines/qemu/qemu-img.js';
import { privateNetworkEndpoint } from '../../../../src/engines/private-network.js';
import type { MachineConfig } from '../../../../src/model/machine-config.js';
import { riscvConfig, runtimePaths, x86Config } from './machine-fixture.js';

const GOLDEN_DIR = fileURLToPath(new URL('./golden/', import.meta.url));
const UPDATE = process.env.VM_UPDATE_GOLDEN === '1';
const GiB = 1024 ** 3;

function render(program: string, args: string[]): string {
  const q = (v: string): string => (/\s/.test(v) || v === '' ? JSON.stringify(v) : v);
  const lines = [program];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (a.startsWith('-') && next !== undefined && !next.startsWith('-')) {
      lines.push(`${a} ${q(next)}`);
      i++;
    } else {
      lines.push(q(a));
    }
  }
  return `${lines.join('\n')}\n`;
}

function argvFor(config: MachineConfig, accel: QemuAccel = 'tcg', disks: QemuDiskPlan = diskPlan(config)) {
  return qemuArgv({ config, paths: runtimePaths(config.project.stateDir), accel, disks, pidFile: `${config.project.stateDir}/qemu.pid` });
}

function golden(name: string, config: MachineConfig, accel: QemuAccel = 'tcg'): void {
  const cmd = argvFor(config, accel);
  const text = render(cmd.program, cmd.args);
  const file = `${GOLDEN_DIR}${name}.argv`;
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, text);
  }
  if (!existsSync(file)) throw new Error(`no golden file ${file}: run with VM_UPDATE_GOLDEN=1, then review it`);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

/** Two extra disks, NAT + private cards, tcp/udp forwards, rw and ro folders: riscv64's 8 slots, full. */
const rich = (base: (o?: Partial<MachineConfig>) => MachineConfig, extraNics: MachineConfig['nics'] = []): MachineConfig => {
  const c = base();
  return base({
    cpus: 4,
    memoryBytes: GiB,
    hostname: 'web-1',
    cmdline: `${c.cmdline} loglevel=4`,
    disks: [
      { name: 'data', sizeBytes: 8 * GiB, path: `${c.project.stateDir}/disks/data.raw`, format: 'raw' },
      { name: 'scratch', sizeBytes: GiB, path: `${c.project.stateDir}/disks/scratch.raw`, format: 'raw' },
    ],
    nics: [
      { type: 'nat', mac: '52:54:00:aa:bb:01' },
      { type: 'private', network: 'backend', mac: '52:54:00:aa:bb:02', ip: '192.168.56.10' },
      ...extraNics,
    ],
    forwards: [
      { guest: 80, host: 8080, hostIp: '127.0.0.1', protocol: 'tcp' },
      { guest: 53, host: 5353, hostIp: '127.0.0.1', protocol: 'udp' },
      { guest: 443, host: 8443, hostIp: '0.0.0.0', protocol: 'tcp' },
    ],
    syncedFolders: [
      { hostPath: '/home/dev/web', guestPath: '/vagrant', readOnly: false, tag: 'vm0' },
      { hostPath: '/home/dev/web/docs', guestPath: '/srv/docs', readOnly: true, tag: 'vm1' },
    ],
  });
};

describe('qemu argv golden files', () => {
  it('riscv64, 1 cpu, the default NAT card, root overlay, TCG', () => golden('riscv64-minimal', riscvConfig()));
  it('riscv64, 4 cpus, extra disks, tcp/udp forwards with host_ip, private networks, rw and ro folders', () =>
    golden('riscv64-full', rich(riscvConfig)));
  it('riscv64 box that boots from its initrd alone and brings its own firmware', () => {
    const c = riscvConfig();
    golden('riscv64-initrd-only-firmware', riscvConfig({ box: { ...c.box, rootDisk: undefined, firmware: `${c.box.dir}/fw_jump.bin` }, firmware: `${c.box.dir}/fw_jump.bin` }));
  });
  it('x86_64 under TCG', () => golden('x86_64-tcg', x86Config()));
  it('x86_64 under KVM, with everything and a private card without an address', () =>
    golden('x86_64-kvm-full', rich(x86Config, [{ type: 'private', network: 'dhcp-less', mac: '52:54:00:aa:bb:03' }]), 'kvm'));
  it('paths with commas are escaped the way qemu reads them', () => {
    const c = riscvConfig({ project: { dir: '/home/dev/a,b', vmfile: '/home/dev/a,b/Vmfile', stateDir: '/home/dev/a,b/.vm/machines/web' } });
    golden('riscv64-comma-paths', riscvConfig({ ...c, syncedFolders: [{ hostPath: '/home/dev/a,b', guestPath: '/src', readOnly: true, tag: 'vm0' }] }));
  });
});

describe('qemu argv properties', () => {
  it('the first disk device is the root overlay, so the guest sees it as vda as on the builtin engine', () => {
    const { args } = argvFor(rich(riscvConfig));
    const devices = args.filter((_, i) => args[i - 1] === '-device');
    expect(devices[0]).toBe('virtio-blk-device,drive=root');
    expect(devices.slice(0, 3)).toEqual(['virtio-blk-device,drive=root', 'virtio-blk-device,drive=disk0', 'virtio-blk-device,drive=disk1']);
    // every device but the port on the virtio-serial bus takes a virtio-mmio slot
    expect(devices.filter((d) => !d.startsWith('virtserialport'))).toHaveLength(8);
    expect(devices).not.toContain('virtio-rng-device');
    expect(argvFor(riscvConfig()).args.at(-7)).toBe('virtio-rng-device');
  });

  it('private networks use the shared multicast endpoint on loopback', () => {
    const { args } = argvFor(rich(riscvConfig));
    const e = privateNetworkEndpoint('backend');
    expect(args).toContain(`socket,id=net1,mcast=${e.group}:${e.port},localaddr=127.0.0.1`);
    expect(e.group).toMatch(/^239\.255\.\d+\.\d+$/);
    expect(privateNetworkEndpoint('backend')).toEqual(e);
    expect(privateNetworkEndpoint('frontend')).not.toEqual(e);
  });

  it('the kernel command line is the config one plus hostname, static private addresses and mounts', () => {
    const { args } = argvFor(rich(riscvConfig));
    expect(args[args.indexOf('-append') + 1]).toBe(
      'console=ttyS0 earlycon=sbi quiet loglevel=4 vm.hostname=web-1 vm.net=eth1:192.168.56.10/24 vm.mount=vm0:/vagrant vm.mount=vm1:/srv/docs:ro',
    );
  });

  it('optValue doubles commas only', () => {
    expect(optValue('/a,b,,c d')).toBe('/a,,b,,,,c d');
  });

  it('drops the rng when the riscv64 machine has no slot left, and refuses configs past 8 devices', () => {
    const c = riscvConfig();
    const disk = (n: number) => ({ name: `d${n}`, sizeBytes: GiB, path: `${c.project.stateDir}/disks/d${n}.raw`, format: 'raw' as const });
    // root + 5 disks + nat + agent = 8 slots: no rng
    const full = argvFor(riscvConfig({ disks: [1, 2, 3, 4, 5].map(disk) }));
    expect(full.args).not.toContain('virtio-rng-device');
    expect(() => argvFor(riscvConfig({ disks: [1, 2, 3, 4, 5, 6].map(disk) }))).toThrow(
      new QemuConfigError(
        "machine 'web' needs 9 virtio devices (1 root disk, 6 extra disks, 1 network cards, the agent channel, 0 synced folders), but the riscv64 virt machine has 8 slots",
        'declare fewer disks, network cards or synced folders',
      ),
    );
    // x86_64 uses PCI: no such limit
    expect(argvFor(x86Config({ disks: [1, 2, 3, 4, 5, 6, 7, 8].map(disk) })).args.filter((a) => a.startsWith('virtio-blk-pci'))).toHaveLength(9);
  });

  it('refuses what qemu cannot do, with messages that say what to change', () => {
    const fwd = (hostIp: string) => riscvConfig({ forwards: [{ guest: 22, host: 2222, hostIp, protocol: 'tcp' }] });
    expect(() => argvFor(fwd('::1'))).toThrow(
      "forward of guest port 22: qemu 7.2's user network cannot listen on the IPv6 address ::1 (use an IPv4 host_ip such as 127.0.0.1 (or 0.0.0.0 for every interface))",
    );
    expect(() => argvFor(riscvConfig({ nics: [{ type: 'private', network: 'n', mac: '52:54:00:00:00:01' }], forwards: [{ guest: 22, host: 2222, hostIp: '127.0.0.1', protocol: 'tcp' }] }))).toThrow(
      "machine 'web' forwards ports but has no nat network card to forward them to (add a card with type: nat)",
    );
    expect(() => argvFor(riscvConfig({ memoryBytes: 256 * 1024 * 1024 + 512 }))).toThrow('memory must be a whole number of MiB for qemu, got 268435968 bytes');
    expect(() => argvFor(riscvConfig({ syncedFolders: [{ hostPath: '/h', guestPath: '/my share', readOnly: false, tag: 'vm0' }] }))).toThrow(
      "synced folder guest path '/my share' cannot be passed to the box's init (spaces, ':' and control characters are not allowed)",
    );
    const c = riscvConfig();
    expect(() => argvFor(riscvConfig({ box: { ...c.box, kernel: '/boxes/a\nb' } }))).toThrow('kernel path contains a NUL or newline character: "/boxes/a\\nb"');
  });

  it('forwards land on the first NAT card only', () => {
    const c = riscvConfig({
      nics: [
        { type: 'nat', mac: '52:54:00:00:00:01' },
        { type: 'nat', mac: '52:54:00:00:00:02' },
      ],
      forwards: [{ guest: 22, host: 2222, hostIp: '127.0.0.1', protocol: 'tcp' }],
    });
    const netdevs = argvFor(c).args.filter((_, i, a) => a[i - 1] === '-netdev');
    expect(netdevs).toEqual(['user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22', 'user,id=net1']);
  });

  it('is pure: the same input gives the same argv', () => {
    expect(argvFor(rich(x86Config), 'kvm')).toEqual(argvFor(rich(x86Config), 'kvm'));
  });
});
