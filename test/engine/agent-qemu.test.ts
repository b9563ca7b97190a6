// The guest agent on qemu-system-riscv64 -M virt: the tiny box boots from its root disk (a
// snapshot: the image is never written) with the agent's port on a Unix socket, as the qemu
// engine wires it; and the box's static addresses for private NICs (vm.net). Skipped, with the
// reason in the title, when qemu is not installed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForAgent } from '../../src/core/agent/client.js';
import { agentSuite, type BootedMachine } from './agent-suite.js';

const QEMU = 'qemu-system-riscv64';
const ARCHIVE = fileURLToPath(new URL('../../boxes/tiny/tiny.box', import.meta.url));
const probe = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
const qemuVersion = probe.status === 0 ? probe.stdout.split('\n')[0]!.trim() : null;

interface Box {
  kernel: string;
  initrd: string;
  cmdline: string;
  root_disk: { path: string };
}

function unpack(dir: string): Box {
  const tar = spawnSync('tar', ['-xzf', ARCHIVE, '-C', dir], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`could not unpack ${ARCHIVE}: ${tar.stderr}`);
  return JSON.parse(readFileSync(join(dir, 'box.json'), 'utf8')) as Box;
}

function bootQemu(dir: string, box: Box, append: string, extra: string[] = []): BootedMachine {
  const agentSocket = join(dir, 'agent.sock');
  const proc = spawn(QEMU, [
    '-M', 'virt', '-m', '256', '-smp', '2', '-nographic', '-no-reboot',
    '-kernel', join(dir, box.kernel), '-initrd', join(dir, box.initrd),
    '-append', `${box.cmdline} panic=-1 ${append}`.trim(),
    '-global', 'virtio-mmio.force-legacy=false',
    '-drive', `file=${join(dir, box.root_disk.path)},if=none,format=raw,id=d,snapshot=on`,
    '-device', 'virtio-blk-device,drive=d',
    '-device', 'virtio-serial-device',
    '-chardev', `socket,id=agent,path=${agentSocket},server=on,wait=off`,
    '-device', 'virtserialport,chardev=agent,name=vm.agent',
    ...extra,
  ], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => (output += c.toString('latin1')));
  proc.stderr.on('data', (c: Buffer) => (output += c.toString('latin1')));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    agentSocket,
    exited,
    consoleTail: () => output.slice(-3000),
    kill: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

describe.skipIf(!qemuVersion)(`guest agent on ${qemuVersion ?? `qemu (skipped: ${QEMU} is not installed)`}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-agent-qemu-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  agentSuite('qemu TCG', async () => bootQemu(dir, unpack(dir), ''), 120_000);
});

describe.skipIf(!qemuVersion)('tiny box on qemu: vm.net static addresses on private NICs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-net-qemu-'));
  let vm: BootedMachine;
  afterAll(() => {
    vm?.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeAll(() => {
    // three NICs: eth0 on DHCP, eth1 static, eth2 with a malformed spec; eth7 does not exist
    const nic = (n: number): string[] => ['-netdev', `user,id=n${n}`, '-device', `virtio-net-device,netdev=n${n}`];
    vm = bootQemu(dir, unpack(dir), 'vm.net=eth1:192.168.56.10/24 vm.net=eth2:1.2.3.4 vm.net=eth7:10.9.9.9/8', [...nic(0), ...nic(1), ...nic(2)]);
  });

  it('gives eth1 its static address without DHCP, keeps DHCP on eth0, and names bad specs', async () => {
    const client = await waitForAgent(vm.agentSocket, { timeoutMs: 120_000 });
    const r = await client.run({ argv: ['sh', '-c', 'ip -4 -o addr show | awk \'{print $2, $4}\'; ps -o args | grep "[u]dhcpc" | grep -o "\\-i eth[0-9]"'] });
    expect(r.stdout.toString()).toBe('lo 127.0.0.1/8\neth0 10.0.2.15/24\neth1 192.168.56.10/24\n-i eth0\n');
    const console = vm.consoleTail();
    expect(console).toContain('vm: eth1 192.168.56.10/24 (static)');
    expect(console).toContain('vm: vm.net=eth7:10.9.9.9/8: there is no interface eth7');
    expect(console).toContain('vm: vm.net=eth2:1.2.3.4: expected IFACE:ADDR/PREFIX, e.g. eth1:192.168.56.10/24');
    expect(console).toContain('vm: eth2 has no address (bad vm.net)');
    await client.poweroff();
    expect(await vm.exited).toEqual({ code: 0, signal: null });
  }, 180_000);
});
