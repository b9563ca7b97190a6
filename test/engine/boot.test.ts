// Boots the bundled tiny box on the builtin engine (as `vm debug boot` does): host SBI, OpenSBI
// firmware, and two harts. Types on the serial console and reads the answers; `poweroff` must end
// the machine with a clean power-off (exit status 0).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBox } from '../../src/core/boxes/catalog.js';
import { DEFAULT_THRESHOLD } from '../../src/emulator/cpu/jit/cache.js';
import { startBuiltinMachine, type BuiltinBootSpec, type BuiltinMachine } from '../../src/engines/builtin/builtin-machine.js';
import type { Hart } from '../../src/emulator/cpu/hart.js';
import { createHash } from 'node:crypto';
import type { BoxRef } from '../../src/model/machine-config.js';

const BOX_DIR = join(import.meta.dirname, '../../boxes/tiny');
const HAVE_BOX = existsSync(join(BOX_DIR, 'box.json'));
const FW_JUMP = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';
const BOOT_TIMEOUT = 90_000;

/** Resolve when the console output (since `from`) matches `re`. */
function waitFor(vm: BuiltinMachine, re: RegExp, ms: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (c: Buffer) => {
      seen += c.toString('latin1');
      if (re.test(seen)) {
        done();
        resolve(seen);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${what}; console tail:\n${vm.consoleTail().slice(-1500)}`));
    }, ms);
    const done = () => {
      clearTimeout(timer);
      vm.output.off('data', onData);
    };
    vm.output.on('data', onData);
  });
}

async function bootToShell(spec: BuiltinBootSpec): Promise<{ vm: BuiltinMachine; logs: string[]; bootMs: number }> {
  const logs: string[] = [];
  const t0 = performance.now();
  const vm = await startBuiltinMachine(spec, { onLog: (m) => logs.push(m) });
  vm.output.resume();
  const ready = await Promise.race([vm.ready.then(() => true), vm.exit.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(false), BOOT_TIMEOUT))]);
  if (!ready) {
    vm.stop();
    throw new Error(`no ready marker; exit ${JSON.stringify(vm.machine.exitEvent)}; logs ${logs.join('; ')}; console tail:\n${vm.consoleTail().slice(-2000)}`);
  }
  return { vm, logs, bootMs: performance.now() - t0 };
}

async function runCommand(vm: BuiltinMachine, cmd: string, re: RegExp): Promise<string> {
  const out = waitFor(vm, re, 30_000, `the output of \`${cmd}\``);
  vm.write(`${cmd}\n`);
  return out;
}

async function powerOff(vm: BuiltinMachine) {
  vm.write('poweroff\n');
  const timeout = setTimeout(() => vm.stop(), 30_000);
  const exit = await vm.exit;
  clearTimeout(timeout);
  return exit;
}

describe.skipIf(!HAVE_BOX)('booting the tiny box on the builtin engine', () => {
  let home: string;
  let box: BoxRef;
  const spec = (over: Partial<BuiltinBootSpec> = {}): BuiltinBootSpec => ({
    kernel: box.kernel,
    initrd: box.initrd,
    memoryBytes: 256 * 1024 * 1024,
    cpus: 1,
    cmdline: box.cmdline,
    ...over,
  });

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'vm-boot-store-'));
    box = await resolveBox('tiny', undefined, { loc: { home, bundledDir: join(BOX_DIR, '..') } });
  }, 120_000);
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('host SBI: runs shell commands and powers off cleanly', async () => {
    const { vm, logs, bootMs } = await bootToShell(spec());
    const out = await runCommand(vm, 'uname -m; echo $((6*7))', /\nriscv64\r?\n42\r?\n/);
    expect(out).toMatch(/\nriscv64\r?\n42\r?\n/);
    expect(await powerOff(vm)).toEqual({ kind: 'poweroff', status: 0 });
    expect(logs).toEqual([]);
    console.log(`tiny box, host SBI: shell ready in ${(bootMs / 1000).toFixed(2)} s`);
  }, 180_000);

  it.skipIf(!existsSync(FW_JUMP))('OpenSBI fw_jump firmware in M-mode: same', async () => {
    const { vm, logs, bootMs } = await bootToShell(spec({ firmware: FW_JUMP }));
    expect(vm.consoleTail()).toContain('vm: ready');
    const out = await runCommand(vm, 'uname -m; echo $((6*7))', /\nriscv64\r?\n42\r?\n/);
    expect(out).toMatch(/\nriscv64\r?\n42\r?\n/);
    expect(await powerOff(vm)).toEqual({ kind: 'poweroff', status: 0 });
    expect(logs).toEqual([]);
    console.log(`tiny box, OpenSBI: shell ready in ${(bootMs / 1000).toFixed(2)} s`);
  }, 180_000);

  it('hot guest code is translated to WebAssembly and the guest still computes right, on 2 harts', async () => {
    const { vm } = await bootToShell(spec({ cpus: 2 }));
    const harts = vm.machine.harts as Hart[];
    expect(harts.map((h) => h.jit.threshold)).toEqual([DEFAULT_THRESHOLD, DEFAULT_THRESHOLD]);
    const want = createHash('sha256').update('a'.repeat(3_000_000)).digest('hex');
    const out = await runCommand(vm, "head -c 3000000 /dev/zero | tr '\\0' a | sha256sum; i=0; s=0; while [ $i -lt 3000 ]; do s=$((s + i * i % 7)); i=$((i + 1)); done; echo sum=$s", /sum=\d+\r?\n/);
    expect(out).toContain(want);
    // sum over i < 3000 of (i*i mod 7): squares mod 7 cycle 0,1,4,2,2,4,1 (sum 14) every 7 values
    let sum = 0;
    for (let i = 0; i < 3000; i++) sum += (i * i) % 7;
    expect(out).toContain(`sum=${sum}`);
    expect(harts.reduce((n, h) => n + h.jit.stats.translatedInsns, 0)).toBeGreaterThan(0);
    expect(await powerOff(vm)).toEqual({ kind: 'poweroff', status: 0 });
  }, 180_000);

  it('with translation off (jitThreshold 0) the same box boots and computes, interpreted only', async () => {
    const { vm: plain } = await bootToShell(spec({ jitThreshold: 0 }));
    const out = await runCommand(plain, 'echo $((6*7))', /\n42\r?\n/);
    expect(out).toMatch(/\n42\r?\n/);
    expect((plain.machine.harts as Hart[])[0]!.jit.stats.regions).toBe(0);
    expect(await powerOff(plain)).toEqual({ kind: 'poweroff', status: 0 });
  }, 180_000);

  it('cpus: 2 brings up both harts, with host SBI (HSM) and with OpenSBI (CLINT IPIs)', async () => {
    for (const firmware of [undefined, ...(existsSync(FW_JUMP) ? [FW_JUMP] : [])]) {
      const { vm } = await bootToShell(spec({ cpus: 2, firmware }));
      const out = await runCommand(vm, 'nproc; cat /sys/devices/system/cpu/online', /\n(\d+)\r?\n([0-9-]+)\r?\n/);
      expect(out).toMatch(/\n2\r?\n0-1\r?\n/);
      expect(await powerOff(vm)).toEqual({ kind: 'poweroff', status: 0 });
    }
  }, 180_000);
});
