// domainXml against golden files (golden/*.xml, reviewed once, then kept; regenerate with
// VM_UPDATE_GOLDEN=1 after an intended change and review the diff). Each golden is also checked
// against libvirt's own RelaxNG schema with virt-xml-validate (libvirt-clients) when installed.
// Then the configs the libvirt engine cannot express, each with its exact message.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { domainXml, xmlEscape, type DomainVolumes } from '../../../../src/engines/libvirt/domain-xml.js';
import { LibvirtConfigError } from '../../../../src/engines/libvirt/errors.js';
import { domainName, extraDiskName, rootOverlayName } from '../../../../src/engines/libvirt/names.js';
import type { MachineConfig } from '../../../../src/model/machine-config.js';
import { riscvConfig, x86Config } from '../qemu/machine-fixture.js';

const GOLDEN_DIR = fileURLToPath(new URL('./golden/', import.meta.url));
const UPDATE = process.env.VM_UPDATE_GOLDEN === '1';
const GiB = 1024 ** 3;
const POOL_DIR = '/var/lib/libvirt/vm';
// virt-xml-validate is a shell script around xmllint (libxml2-utils), which libvirt-clients does not pull in
const hasValidator = ['virt-xml-validate', 'xmllint'].every((p) => spawnSync(p, ['--version'], { encoding: 'utf8' }).error === undefined);

function lv(over: Partial<MachineConfig> = {}, make = riscvConfig): MachineConfig {
  return make({ engine: 'libvirt', engineRequested: 'libvirt', libvirt: { uri: 'qemu:///system', pool: 'vm' }, ...over });
}

function volumesFor(c: MachineConfig): DomainVolumes {
  const d = domainName(c);
  return {
    pool: 'vm',
    kernel: `${POOL_DIR}/box-${c.box.name}-kernel`,
    ...(c.box.initrd ? { initrd: `${POOL_DIR}/box-${c.box.name}-initrd` } : {}),
    ...(c.firmware !== 'sbi' ? { firmware: `${POOL_DIR}/box-${c.box.name}-firmware` } : {}),
    ...(c.box.rootDisk ? { root: rootOverlayName(d) } : {}),
    extra: c.disks.map((x) => extraDiskName(d, x.name)),
  };
}

const xmlFor = (c: MachineConfig, local = true, tunnelForwards = false): string => domainXml({ config: c, domain: domainName(c), volumes: volumesFor(c), local, tunnelForwards });

function golden(name: string, config: MachineConfig, local = true, tunnelForwards = false): void {
  const text = xmlFor(config, local, tunnelForwards);
  const file = `${GOLDEN_DIR}${name}.xml`;
  if (UPDATE || !existsSync(file)) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, text);
  }
  expect(text).toBe(readFileSync(file, 'utf8'));
  if (hasValidator) {
    const r = spawnSync('virt-xml-validate', [file, 'domain'], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe(`${file} validates`);
  }
}

describe('domainXml golden files', () => {
  it('riscv64, the minimal machine: one NAT card, root overlay, agent channel, rng', () => {
    golden('riscv64-minimal', lv());
  });

  it('riscv64, everything: 2 cpus, 1 GiB, extra disk, forwards, a private network, a synced folder', () => {
    golden(
      'riscv64-full',
      lv({
        cpus: 2,
        memoryBytes: 1 * GiB,
        hostname: 'web-1',
        disks: [{ name: 'data', sizeBytes: 2 * GiB, path: '/home/dev/web/.vm/machines/web/disk-data.img', format: 'raw' }],
        nics: [
          { type: 'nat', mac: '52:54:00:aa:bb:01' },
          { type: 'private', network: 'backend', mac: '52:54:00:aa:bb:02', ip: '192.168.50.10/24' },
        ],
        forwards: [
          { guest: 80, host: 8080, hostIp: '127.0.0.1', protocol: 'tcp' },
          { guest: 53, host: 5353, hostIp: '0.0.0.0', protocol: 'udp' },
        ],
        syncedFolders: [{ hostPath: "/home/dev/web/it's & <src>", guestPath: '/vagrant', readOnly: true, tag: 'vm0' }],
      }),
    );
  });

  it('riscv64 with the box\'s own firmware and no root disk', () => {
    const base = riscvConfig();
    const { rootDisk: _, ...box } = base.box;
    golden('riscv64-initrd-only-firmware', lv({ box, firmware: '/home/dev/.local/share/vm/boxes/tiny/0.1.0/fw_jump.bin' }));
  });

  it('riscv64 on a remote host over ssh: qemu listens on that host\'s loopback, ports the kernel picks (the ssh tunnel brings them here)', () => {
    golden(
      'riscv64-remote-ssh',
      lv({
        libvirt: { uri: 'qemu+ssh://root@hv1/system', pool: 'vm' },
        forwards: [
          { guest: 80, host: 8080, hostIp: '127.0.0.1', protocol: 'tcp' },
          { guest: 22, host: 2222, hostIp: '0.0.0.0', protocol: 'tcp' },
        ],
      }),
      false,
      true,
    );
  });

  it('x86_64 q35: PCI devices, ACPI for the power button', () => {
    golden('x86_64', lv({ forwards: [{ guest: 22, host: 2222, hostIp: '127.0.0.1', protocol: 'tcp' }] }, x86Config));
  });
});

describe('domainXml refuses what libvirt cannot express', () => {
  const refusal = (c: MachineConfig, local = true): LibvirtConfigError => {
    try {
      xmlFor(c, local);
    } catch (err) {
      expect(err).toBeInstanceOf(LibvirtConfigError);
      return err as LibvirtConfigError;
    }
    throw new Error('expected a LibvirtConfigError');
  };

  it('synced folders on a remote hypervisor host', () => {
    const c = lv({ libvirt: { uri: 'qemu+ssh://root@hv1/system', pool: 'vm' }, syncedFolders: [{ hostPath: '/home/dev/web', guestPath: '/vagrant', readOnly: false, tag: 'vm0' }] });
    const err = refusal(c, false);
    expect(err.message).toBe("machine 'web' has synced folders, but its libvirt host is remote (qemu+ssh://root@hv1/system): 9p shares need the folder on the hypervisor host");
    expect(err.hint).toBe('remove synced_folders, copy files with a `file` provisioner, or use a local URI (qemu:///system)');
    expect(err.exitCode).toBe(4);
  });

  it('more virtio devices than riscv64 virt has slots', () => {
    const disks = Array.from({ length: 6 }, (_, i) => ({ name: `d${i}`, sizeBytes: GiB, path: `/x/d${i}.img`, format: 'raw' as const }));
    expect(refusal(lv({ disks })).message).toBe(
      "machine 'web' needs 9 virtio devices (1 root disk, 6 extra disks, 1 network cards, the agent channel, 0 synced folders), but the riscv64 virt machine has 8 slots",
    );
  });

  it('a UDP forward through the ssh tunnel', () => {
    const c = lv({ libvirt: { uri: 'qemu+ssh://root@hv1/system', pool: 'vm' }, forwards: [{ guest: 53, host: 5353, hostIp: '127.0.0.1', protocol: 'udp' }] });
    let err: unknown;
    try {
      xmlFor(c, false, true);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LibvirtConfigError);
    expect((err as Error).message).toBe('forward of guest port 53: the ssh tunnel to a remote libvirt host carries TCP only, not udp');
  });

  it('an IPv6 forward (qemu 7.2 user networking)', () => {
    expect(refusal(lv({ forwards: [{ guest: 80, host: 8080, hostIp: '::1', protocol: 'tcp' }] })).message).toBe(
      "forward of guest port 80: qemu 7.2's user network cannot listen on the IPv6 address ::1",
    );
  });

  it('memory that is not whole MiB, control characters XML cannot carry', () => {
    expect(refusal(lv({ memoryBytes: 256 * 1024 * 1024 + 1 })).message).toBe('memory must be a whole number of MiB for libvirt, got 268435457 bytes');
    expect(() => xmlEscape('a\u0001b')).toThrow('"a\\u0001b" holds control characters that XML cannot carry');
  });

  it('escapes markup in every value', () => {
    expect(xmlEscape(`<a href="x">it's & </a>`)).toBe('&lt;a href=&quot;x&quot;&gt;it&apos;s &amp; &lt;/a&gt;');
  });
});
