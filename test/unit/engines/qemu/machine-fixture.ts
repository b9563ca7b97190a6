// MachineConfig and RuntimePaths fixtures for the qemu engine's unit tests: fixed, fake absolute
// paths (argv is pure and never touches them).
import type { RuntimePaths } from '../../../../src/engines/engine.js';
import type { MachineConfig } from '../../../../src/model/machine-config.js';

const MiB = 1024 * 1024;

export function riscvConfig(over: Partial<MachineConfig> = {}): MachineConfig {
  const stateDir = '/home/dev/web/.vm/machines/web';
  return {
    name: 'web',
    project: { dir: '/home/dev/web', vmfile: '/home/dev/web/Vmfile', stateDir },
    engine: 'qemu',
    engineRequested: 'qemu',
    accel: 'auto',
    arch: 'riscv64',
    cpus: 1,
    memoryBytes: 256 * MiB,
    hostname: 'web',
    box: {
      name: 'tiny',
      version: '0.1.0',
      dir: '/home/dev/.local/share/vm/boxes/tiny/0.1.0',
      arch: 'riscv64',
      engines: ['builtin', 'qemu'],
      kernel: '/home/dev/.local/share/vm/boxes/tiny/0.1.0/Image',
      initrd: '/home/dev/.local/share/vm/boxes/tiny/0.1.0/initrd.gz',
      rootDisk: { path: '/home/dev/.local/share/vm/boxes/tiny/0.1.0/root.img', format: 'raw', sha256: '0'.repeat(64) },
      cmdline: 'console=ttyS0 earlycon=sbi quiet',
      checksum: '1'.repeat(64),
    },
    cmdline: 'console=ttyS0 earlycon=sbi quiet',
    firmware: 'sbi',
    disks: [],
    nics: [{ type: 'nat', mac: '52:54:00:aa:bb:01' }],
    forwards: [],
    syncedFolders: [],
    provision: [],
    env: {},
    bootTimeoutMs: 120_000,
    ...over,
  };
}

export function x86Config(over: Partial<MachineConfig> = {}): MachineConfig {
  const base = riscvConfig();
  const boxDir = '/home/dev/.local/share/vm/boxes/tiny-x86_64/0.1.0';
  return riscvConfig({
    arch: 'x86_64',
    box: {
      ...base.box,
      name: 'tiny-x86_64',
      dir: boxDir,
      arch: 'x86_64',
      engines: ['qemu'],
      kernel: `${boxDir}/vmlinuz`,
      initrd: `${boxDir}/initrd.gz`,
      rootDisk: { path: `${boxDir}/root.img`, format: 'raw', sha256: '0'.repeat(64) },
      cmdline: 'console=ttyS0 quiet',
    },
    cmdline: 'console=ttyS0 quiet',
    ...over,
  });
}

export function runtimePaths(stateDir = '/home/dev/web/.vm/machines/web'): RuntimePaths {
  const runDir = '/run/user/1000/vm/3f2a9c1d';
  return {
    runDir,
    consoleSocket: `${runDir}/console.sock`,
    agentSocket: `${runDir}/agent.sock`,
    qmpSocket: `${runDir}/qmp.sock`,
    consoleLog: `${stateDir}/console.log`,
    engineLog: `${stateDir}/engine.log`,
  };
}
