// `vm snapshot` on a machine with an extra disk, through the compiled CLI (the root disk alone is
// test/e2e/snapshot.test.ts; a file of its own so the two machines can run on two test workers).
// Extra disks are layered like the root disk: a snapshot copies no disk (the machine's folder
// grows by what was written, not by the disk's size), restore brings back the disk's contents,
// delete in any order keeps the others. Then kill -9 of `vm snapshot restore` at each of its steps
// (core/machines/restore-journal.ts): the next `vm up` shows the old state or the snapshot's, the
// root disk, the extra disk and the memory always together.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { E2E_READY, ENGINE, Project, show, upForSuite } from './helpers/vm-cli.js';

const BOOT = 300_000;

describe.skipIf(!E2E_READY)('snapshots of a machine with an extra disk', () => {
  let p: Project;
  const MiB = 1024 * 1024;

  upForSuite('snapshot-disks', 'box: tiny\nmemory: 256M\nboot_timeout: 4m\ndisks:\n  - {name: data, size: 64M}\n', (made) => (p = made));

  const guest = (cmd: string): Promise<string> => p.guest(cmd);
  const vm = async (args: string[], env?: Record<string, string>): Promise<void> => {
    const r = await p.run(args, { timeoutMs: BOOT, ...(env ? { env } : {}) });
    expect(r.code, show(r)).toBe(0);
  };
  const vdbSum = async (): Promise<string> => (await guest('head -c 8388608 /dev/vdb | sha256sum')).split(' ')[0]!;
  /** Bytes the machine's folder takes, but the snapshots' memory. */
  const used = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((n, e) => {
      const f = join(dir, e.name);
      if (e.isDirectory()) return n + used(f);
      return e.name === 'memory.state' ? n : n + statSync(f).blocks * 512;
    }, 0);
  const snapshotFiles = (snap: string): string[] => readdirSync(join(p.machineDir('default'), 'snapshots', snap)).sort();
  const dataLayers = (): string[] => readdirSync(join(p.machineDir('default'), 'disks')).filter((f) => /^data\.l.*\.(overlay|qcow2)$/.test(f));

  it('save, restore and delete bring the extra disk back without copying it', async () => {
    await guest('dd if=/dev/urandom of=/dev/vdb bs=1M count=8 2>/dev/null && echo one > /root/a && sync');
    const one = await vdbSum();
    const before = used(p.machineDir('default'));
    await vm(['snapshot', 'save', 's1']);
    // Nothing but its record and memory in the snapshot, and the folder did not grow by the 8 MiB written.
    expect(snapshotFiles('s1')).toEqual(['memory.state', 'snapshot.json']);
    expect(used(p.machineDir('default')) - before).toBeLessThan(2 * MiB);
    const info = JSON.parse(readFileSync(join(p.machineDir('default'), 'snapshots', 's1', 'snapshot.json'), 'utf8')) as { disks: string[]; layers: { disk: string }[] };
    expect(info.disks).toEqual([]);
    expect(info.layers.map((l) => l.disk).sort()).toEqual([ENGINE === 'qemu' ? 'disks/data.qcow2' : 'disks/data.overlay', ENGINE === 'qemu' ? 'qemu-root.qcow2' : 'root.overlay'].sort());

    await guest('dd if=/dev/urandom of=/dev/vdb bs=1M count=8 2>/dev/null && echo two > /root/a && sync');
    const two = await vdbSum();
    expect(two).not.toBe(one);
    await vm(['snapshot', 'save', 's2']);
    await guest('dd if=/dev/zero of=/dev/vdb bs=1M count=1 2>/dev/null && sync');
    await vm(['snapshot', 'restore', 's1']);
    expect(await vdbSum()).toBe(one);
    expect(await guest('cat /root/a')).toBe('one\n');
    // Deleting s1, which s2 lies on, keeps s2 whole.
    await vm(['snapshot', 'delete', 's1']);
    await vm(['snapshot', 'restore', 's2']);
    expect(await vdbSum()).toBe(two);
    expect(await guest('cat /root/a')).toBe('two\n');
    // A halted machine's snapshot is the same chain.
    await vm(['halt']);
    await vm(['snapshot', 'save', 'cold']);
    await vm(['up']);
    await guest('dd if=/dev/zero of=/dev/vdb bs=1M count=8 2>/dev/null && sync');
    await vm(['snapshot', 'restore', 'cold', '--no-start']);
    await vm(['up']);
    expect(await vdbSum()).toBe(two);
    // With every snapshot of the halted machine deleted, every layer is merged away and the disk reads the same.
    await vm(['halt']);
    await vm(['snapshot', 'delete', 's2']);
    await vm(['snapshot', 'delete', 'cold']);
    expect(dataLayers()).toEqual([]);
    await vm(['up']);
    expect(await vdbSum()).toBe(two);
  }, 10 * BOOT);

  it('kill -9 of `vm snapshot restore` at each step leaves the old state or the snapshot, all disks and memory together', async () => {
    const marks = async (): Promise<string> => guest('cat /root/m; dd if=/dev/vdb bs=512 skip=100 count=1 2>/dev/null | head -c 1; echo; test -e /tmp/mem && echo mem || echo no-mem');
    await guest("echo A > /root/m && printf A | dd of=/dev/vdb bs=512 seek=100 conv=notrunc 2>/dev/null && echo x > /tmp/mem && sync");
    await vm(['snapshot', 'save', 'k']);
    const snapshot = 'A\nA\nmem\n';
    const old = 'B\nB\nno-mem\n';
    // The journal is the commit point: killed before it, the machine keeps its disks (it was
    // stopped, so its memory is gone); from it on, the next command finishes the restore.
    for (const [step, want] of [['restore-staged', old], ['restore-journaled', snapshot], ['restore-disk', snapshot], ['restore-state-saved', snapshot]] as const) {
      await guest("echo B > /root/m && printf B | dd of=/dev/vdb bs=512 seek=100 conv=notrunc 2>/dev/null && rm -f /tmp/mem && sync");
      expect(await marks()).toBe(old);
      const killed = await p.run(['snapshot', 'restore', 'k'], { env: { VM_TEST_KILL_AT: step }, timeoutMs: BOOT });
      expect(killed.signal, `${step}: ${show(killed)}`).toBe('SIGKILL');
      await vm(['up']);
      expect(await marks(), step).toBe(want);
      const files = readdirSync(p.machineDir('default'), { recursive: true }) as string[];
      expect(files.filter((f) => /restore-/.test(f)), step).toEqual([]);
    }
  }, 12 * BOOT);
});
