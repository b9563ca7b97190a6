// The checks of a Debian box booted with `vm up`, shared by test/e2e/debian-box.test.ts (riscv64, on
// builtin or qemu) and test/e2e/debian-box-x86_64.test.ts (x86_64, on qemu): the guest runs the
// box's architecture, a provisioner runs with the NAT's DHCP address, route and DNS in place, a
// private network card has its static address, the hostname and a synced folder arrive, sshd is up,
// the root file system has grown to the Vmfile's disk_size (larger than the box's 2G image), `vm
// halt` powers off. Nothing here reaches Debian's archive from the guest (debian-apt.test.ts does,
// opt-in); the guest's name lookup goes through the NAT's DNS only when the host resolves the name.
import { lookup } from 'node:dns/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianBox, type DebianBoxSource } from './debian-box.js';
import { Project, show } from './vm-cli.js';

const GiB = 1024 ** 3;

/** The archive's host name resolves on this host: then the guest, through the NAT's DNS, must resolve it too. */
const HOST_RESOLVES = await lookup('deb.debian.org').then(
  () => true,
  () => false,
);

export interface DebianSuite {
  source: DebianBoxSource;
  engine: 'builtin' | 'qemu';
  /** Why the suite cannot run here, or undefined. */
  skip: string | undefined;
  /**
   * Wait for systemd to finish the boot and check the units it started then: boxes, not engines,
   * and the rest of the boot takes minutes under the builtin CPU.
   */
  settle: boolean;
}

/** Defines the suite: one `vm up` of the box on the engine, its checks, `vm halt`. */
export function debianBoxSuite({ source, engine: ENGINE, skip, settle }: DebianSuite): void {
  describe.skipIf(skip !== undefined)(`a Debian box on ${ENGINE}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let p: Project;
    /** From `vm box add`'s report: "Added box 'NAME' VERSION (ARCH; ENGINES) in DIR". */
    let box: { name: string; arch: string };
    beforeAll(async () => {
      p = new Project('debian', '');
      const got = await debianBox(p, source as Exclude<typeof source, { skip: string }>);
      if (got.built) process.stderr.write(`${'recipe' in source ? source.recipe.name : 'the box'}: vm box build took ${got.seconds.toFixed(1)} s\n`);
      const started = Date.now();
      const added = await p.run(['box', 'add', got.path], { timeoutMs: 600_000 });
      expect(added.code, show(added)).toBe(0);
      process.stderr.write(`${'recipe' in source ? source.recipe.name : 'the box'}: vm box add took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      const m = /box '([^']+)' \S+ \((\w+);/.exec(added.stdout);
      expect(m, show(added)).not.toBeNull();
      box = { name: m![1]!, arch: m![2]! };
      writeFileSync(join(p.dir, 'shared.txt'), 'from the host\n');
      writeFileSync(
        join(p.dir, 'Vmfile'),
        `box: ${box.name}\nengine: ${ENGINE}\nmemory: 1G\nhostname: deb-test\nboot_timeout: ${ENGINE === 'builtin' ? '20m' : '5m'}\ndisk_size: 4G\n` +
          'synced_folders: [{host: ., guest: /vagrant}]\n' +
          // A network name unique to this run, so a parallel run elsewhere on the host never joins it.
          `nics: [{type: nat}, {type: private, network: e2e-deb-${process.pid}, ip: 192.168.78.10}]\n` +
          'provision:\n  - {type: shell, inline: "dpkg-query -W -f \'${Version}\' openssh-server > /root/provisioned; ip -4 route show default > /root/route-at-provision; grep ^nameserver /etc/resolv.conf > /root/dns-at-provision' +
          (HOST_RESOLVES ? '; getent ahostsv4 deb.debian.org > /root/lookup-at-provision' : '') +
          '"}\n',
      );
    }, 2_500_000);
    afterAll(async () => {
      await p?.cleanup();
    });

    it('boots to agent-ready, provisions, and has its hostname, synced folder and sshd', async (ctx) => {
      // The builtin engine is a riscv64 machine; a given x86_64 box boots on qemu only.
      ctx.skip(ENGINE === 'builtin' && box.arch !== 'riscv64', `the builtin engine runs riscv64 boxes; ${box.name} is ${box.arch}`);
      const started = Date.now();
      const up = await p.run(['up'], { timeoutMs: 1_500_000 });
      const seconds = (Date.now() - started) / 1000;
      expect(up.code, show(up)).toBe(0);
      process.stderr.write(`${box.name} on ${ENGINE}: vm up (boot to agent-ready + provision) took ${seconds.toFixed(1)} s\n`);
      const run = async (cmd: string) => {
        const r = await p.run(['ssh', '-c', cmd], { timeoutMs: 300_000 });
        expect(r.code, show(r)).toBe(0);
        return r.stdout.trim();
      };
      expect(await run('uname -m')).toBe(box.arch);
      expect(await run('cat /root/provisioned')).toMatch(/^1:10\./);
      // Provisioners run once the agent answers: the NAT card's DHCP address and route were already there
      // (apt-get in a provisioner needs them), and `vm up` showed the address the box reported.
      expect(await run('cat /root/route-at-provision')).toMatch(/^default via 10\.0\.2\.2 dev eth0/);
      // ...and resolv.conf had the lease's DNS server (the NAT's), through which a name resolved.
      expect(await run('cat /root/dns-at-provision')).toMatch(/^nameserver 10\.0\.2\.3$/m);
      if (HOST_RESOLVES) expect(await run('cat /root/lookup-at-provision')).toMatch(/^\d+\.\d+\.\d+\.\d+\s/);
      // The box reports static cards first (no lease to wait for), so eth0 need not lead the line.
      expect(up.stdout + up.stderr).toMatch(/Network: .*eth0 10\.0\.2\.15\/24/);
      // The private card has the Vmfile's static address (vm.net), and no DHCP client on it.
      expect(up.stdout + up.stderr).toMatch(/Network: .*eth1 192\.168\.78\.10\/24/);
      expect(await run('ip -4 -o addr show dev eth1')).toMatch(/inet 192\.168\.78\.10\/24 /);
      const dhcp = await run('pgrep -af udhcpc');
      expect(dhcp).toMatch(/-i eth0 /);
      expect(dhcp).not.toMatch(/-i eth1 /);
      expect(await run('hostname')).toBe('deb-test');
      expect(await run('cat /vagrant/shared.txt')).toBe('from the host');
      // The host keys are made early in the boot (the box's vm-ssh-keygen.service has no default
      // dependencies), not after basic.target: `vm up` reads the ed25519 one once the agent answers.
      const [keygenStart, basic] = (await run('systemctl show -P InactiveExitTimestampMonotonic vm-ssh-keygen.service; systemctl show -P ActiveEnterTimestampMonotonic basic.target')).split('\n').map(Number);
      expect(keygenStart).toBeGreaterThan(0);
      expect(keygenStart).toBeLessThan(basic!);
      // sshd's socket listens from the start of the boot (the box's ssh-socket-early.conf), not from
      // sockets.target after sysinit.target: `vm up` waits for port 22 to listen before it returns.
      const [socketUp, sysinit] = (await run('systemctl show -P ActiveEnterTimestampMonotonic ssh.socket; systemctl show -P ActiveEnterTimestampMonotonic sysinit.target')).split('\n').map(Number);
      expect(socketUp).toBeGreaterThan(0);
      if (sysinit! > 0) expect(socketUp).toBeLessThan(sysinit!);
      // Ready comes before the rest of the boot: wait for systemd to finish.
      if (settle) {
        // Polled rather than `is-system-running --wait`, which was once seen never to return.
        const settle =
          'for i in $(seq 300); do s=$(systemctl is-system-running); case $s in running|degraded) break;; esac; sleep 1; done; ' +
          'echo $s; systemctl --failed --no-legend --plain';
        expect(await run(settle)).toBe('running');
        // sshd is socket-activated (the box's boot trims): the socket listens, the service starts per connection.
        expect(await run('systemctl is-active ssh.socket vm-agent.service')).toBe('active\nactive');
        // Started after the agent (the box's vm-after-agent.conf), but started.
        expect(await run('systemctl is-active systemd-logind.service dbus.service systemd-user-sessions.service')).toBe('active\nactive\nactive');
      }
      expect(await run('ls /etc/ssh/ssh_host_ed25519_key')).toBe('/etc/ssh/ssh_host_ed25519_key');
      // The disk is disk_size; the root file system (the whole disk) was grown to it before ready.
      expect(Number(await run('cat /sys/block/vda/size')) * 512).toBe(4 * GiB);
      expect(await run('systemctl is-active systemd-growfs-root.service')).toBe('active');
      const fsBytes = Number(await run("df -B1 --output=size / | tail -n 1"));
      // ext4's own metadata (journal, inode tables) takes a few percent; the 2G image would be below 2 GiB.
      expect(fsBytes).toBeGreaterThan(3.8 * GiB);
      expect(fsBytes).toBeLessThanOrEqual(4 * GiB);
      const halt = await p.run(['halt'], { timeoutMs: 300_000 });
      expect(halt.code, show(halt)).toBe(0);
    }, 1_900_000);
  });
}
