// Two qemu machines on one private network (multicast on loopback, see src/engines/private-network.ts)
// reach each other at their static addresses (vm.net), each keeping its NAT card. Skipped when qemu
// is not installed.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForAgent } from '../../src/core/agent/client.js';
import { QemuEngine } from '../../src/engines/qemu/qemu-engine.js';
import { BOOT_TIMEOUT_MS, Started, cleanup, machineFor, qemuVersion, tempProject, unpackBox, type TestMachine } from './qemu-harness.js';

const version = qemuVersion('qemu-system-riscv64');
const imgVersion = qemuVersion('qemu-img');

describe.skipIf(!version || !imgVersion)(`qemu private network (${version ?? 'skipped: qemu is not installed'})`, () => {
  const engine = new QemuEngine();
  const started = new Started();
  const project = tempProject('vm-qemu-pnet-');
  const machines: TestMachine[] = [];
  afterAll(async () => {
    await started.killAll();
    for (const m of machines) cleanup(m.paths.runDir);
    cleanup(project);
  });

  it('machines on the same private network ping each other at their static addresses', async () => {
    const box = unpackBox('tiny', project);
    // a network name of its own, so a parallel run never shares the group
    const network = `test-${randomBytes(4).toString('hex')}`;
    for (const [name, ip, mac] of [['a', '192.168.77.10', '52:54:00:77:00:0a'], ['b', '192.168.77.11', '52:54:00:77:00:0b']] as const) {
      const m = machineFor(box, project, name, {
        nics: [
          { type: 'nat', mac: mac.replace(':77:', ':76:') },
          { type: 'private', network, mac, ip },
        ],
      });
      machines.push(m);
      await engine.prepare(m.config);
    }
    for (const m of machines) started.add(await engine.start(m.config, m.paths));
    const [a, b] = await Promise.all(machines.map((m) => waitForAgent(m.paths.agentSocket, { timeoutMs: BOOT_TIMEOUT_MS })));
    try {
      const addr = await b!.run({ argv: ['sh', '-c', 'ip -4 -o addr show dev eth1; ip -4 -o addr show dev eth0'] });
      expect(addr.stdout.toString()).toMatch(/eth1\s+inet 192\.168\.77\.11\/24/);
      expect(addr.stdout.toString()).toMatch(/eth0\s+inet 10\.0\.2\.15\/24/);
      const ping = await a!.run({ argv: ['ping', '-c', '3', '-W', '5', '192.168.77.11'] });
      expect(ping.stdout.toString()).toMatch(/3 packets transmitted, 3 packets received/);
      expect(ping.status).toEqual({ code: 0 });
    } finally {
      a?.close();
      b?.close();
    }
  }, BOOT_TIMEOUT_MS * 2);
});
