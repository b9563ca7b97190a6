// The KVM probe answers within its time limits instead of hanging, and its verdict matches what
// actually happens when its guests run under KVM with time to spare. On this project's machines
// /dev/kvm opens but nested guests crawl or hang: there the answer is "unusable". Both probe guests
// (the tiny one, and the x86_64 box's kernel up to its no-root panic) are checked under TCG first, so
// "unusable" is about KVM and not about the probe.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_KERNEL_PROBE_TIMEOUT_MS, kernelProbe, probeArgs, probeKvm } from '../../src/engines/qemu/kvm-probe.js';
import { PROBE_GUEST_EXIT_STATUS, probeGuestImage } from '../../src/engines/qemu/kvm-probe-guest.js';
import { QemuEngine } from '../../src/engines/qemu/qemu-engine.js';
import { KVM_PROBE_CACHE_FILE } from '../../src/engines/qemu/kvm-probe-cache.js';
import { cleanup, qemuVersion, unpackBox } from './qemu-harness.js';
import { riscvConfig, x86Config } from '../unit/engines/qemu/machine-fixture.js';

const QEMU = 'qemu-system-x86_64';
const version = qemuVersion(QEMU);
const onX86 = process.arch === 'x64';
const TIMEOUT_MS = 3000;
/** Slack for starting qemu and killing it. */
const MARGIN_MS = 2000;

/** Runs the tiny probe guest to the end (or `limitMs`); how it ended and how long it took. */
function runGuest(args: string[], limitMs: number): Promise<{ status: number | null; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(QEMU, args, { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, ms: performance.now() - t0 });
    });
  });
}

describe.skipIf(!version || !onX86)(`KVM probe (${version ?? `skipped: ${QEMU} is not installed`})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-kvm-probe-test-'));
  const image = join(dir, 'guest.bin');
  writeFileSync(image, probeGuestImage());
  const kernel = unpackBox('tiny-x86_64', dir).ref.kernel;
  afterAll(() => cleanup(dir));

  it('the tiny guest reaches its exit under TCG, and the box kernel its no-root panic', async () => {
    expect((await runGuest(probeArgs(image, 'max', 'tcg'), 30_000)).status).toBe(PROBE_GUEST_EXIT_STATUS);
    expect(await kernelProbe(QEMU, kernel, join(dir, 'tcg-serial.log'), 'max', 'tcg', 60_000)).toEqual({ ok: true });
    expect(readFileSync(join(dir, 'tcg-serial.log'), 'utf8')).toContain('Kernel panic - not syncing: VFS: Unable to mount root fs');
  }, 90_000);

  it('answers within its time limit with the CPU model the engine uses (host)', async () => {
    const t0 = performance.now();
    const verdict = await probeKvm({ arch: 'x86_64', program: QEMU, timeoutMs: TIMEOUT_MS, kernel });
    console.log(`KVM probe, cpu host: ${JSON.stringify(verdict)}`);
    expect(performance.now() - t0).toBeLessThan(TIMEOUT_MS + DEFAULT_KERNEL_PROBE_TIMEOUT_MS + 2 * MARGIN_MS);
    // ground truth: the tiny guest with cpu host, given time
    const truth = existsSync('/dev/kvm') ? await runGuest(probeArgs(image, 'host'), 20_000) : { status: null, ms: 0 };
    if (truth.status !== PROBE_GUEST_EXIT_STATUS) expect(verdict.usable).toBe(false);
  }, 60_000);

  it('answers within its time limits, and right, when the tiny guest runs but a kernel may not (cpu qemu64)', async () => {
    const t0 = performance.now();
    const verdict = await probeKvm({ arch: 'x86_64', program: QEMU, timeoutMs: TIMEOUT_MS, kernel, cpu: 'qemu64' });
    const took = performance.now() - t0;
    console.log(`KVM probe, cpu qemu64: ${JSON.stringify(verdict)} in ${took.toFixed(0)} ms`);
    expect(took).toBeLessThan(TIMEOUT_MS + DEFAULT_KERNEL_PROBE_TIMEOUT_MS + 2 * MARGIN_MS);
    if (!existsSync('/dev/kvm')) {
      expect(verdict.usable).toBe(false);
      return;
    }
    // ground truth, with time to spare: the tiny guest, then the kernel
    const tiny = await runGuest(probeArgs(image, 'qemu64'), 20_000);
    const t1 = performance.now();
    const boot = await kernelProbe(QEMU, kernel, join(dir, 'kvm-serial.log'), 'qemu64', 'kvm', 20_000);
    const kernelMs = performance.now() - t1;
    console.log(`ground truth under KVM: tiny guest status ${tiny.status} after ${tiny.ms.toFixed(0)} ms; kernel ${JSON.stringify(boot)} after ${kernelMs.toFixed(0)} ms`);
    const works = tiny.status === PROBE_GUEST_EXIT_STATUS && tiny.ms < TIMEOUT_MS && boot.ok && kernelMs < DEFAULT_KERNEL_PROBE_TIMEOUT_MS;
    const broken = tiny.status !== PROBE_GUEST_EXIT_STATUS || !boot.ok;
    if (works) expect(verdict.usable).toBe(true);
    if (broken) expect(verdict.usable).toBe(false);
    // with all the time the tiny guest wants, the kernel stage decides alone
    if (tiny.status === PROBE_GUEST_EXIT_STATUS && !boot.ok) {
      const second = await probeKvm({ arch: 'x86_64', program: QEMU, timeoutMs: 20_000, kernel, cpu: 'qemu64' });
      expect(second).toMatchObject({ usable: false, reason: `the machine's kernel did not get through its boot within ${DEFAULT_KERNEL_PROBE_TIMEOUT_MS / 1000} s under KVM (a tiny test guest ran; nested virtualization often runs those and hangs real kernels)` });
    }
  }, 150_000);

  it('says why for other architectures and missing devices, without running qemu', async () => {
    expect(await probeKvm({ arch: 'riscv64', program: QEMU })).toMatchObject({
      usable: false,
      reason: "KVM runs guests of the host's own architecture only (host x86_64, guest riscv64)",
    });
    expect(await probeKvm({ arch: 'x86_64', program: QEMU, kvmDevice: join(dir, 'no-kvm') })).toMatchObject({
      usable: false,
      reason: `${join(dir, 'no-kvm')} does not exist (the kvm module is not loaded, or this machine is a VM without nested virtualization)`,
    });
  });

  it('leaves no probe process behind (the timed-out ones are killed)', () => {
    const ps = processCommandLines();
    const probes = ps.filter((l) => (l.includes('isa-debug-exit') || l.includes('panic=-1')) && /\/vm-kvm-probe-(?!test-)/.test(l));
    expect(probes).toEqual([]);
  });

  it('the engine picks TCG under accel auto when the probe fails, and refuses accel kvm with the reason', async () => {
    const engine = new QemuEngine({ kvmProbeTimeoutMs: TIMEOUT_MS });
    const c = x86Config();
    const x86 = x86Config({ box: { ...c.box, kernel } });
    const probe = await engine.probe(x86);
    const choice = await engine.chooseAccel(x86);
    expect(choice.accel).toBe(probe.usable ? 'kvm' : 'tcg');
    if (!probe.usable) {
      expect(choice.note).toBe(`KVM not used: ${probe.reason}`);
      await expect(engine.chooseAccel({ ...x86, accel: 'kvm' })).rejects.toThrow(`the machine asks for accel: kvm, but KVM cannot run guests here: ${probe.reason}`);
    }
    expect(await engine.chooseAccel({ ...x86, accel: 'tcg' })).toEqual({ accel: 'tcg', note: 'accel: tcg' });
    expect((await engine.chooseAccel(riscvConfig())).accel).toBe('tcg');
  }, 30_000);

  it('with a cache folder, a later engine object (a later `vm up`) answers from the first one\'s verdict and says so', async () => {
    const cacheDir = join(dir, 'cache');
    const c = x86Config();
    const x86 = x86Config({ box: { ...c.box, kernel } });
    const first = await new QemuEngine({ kvmProbeTimeoutMs: TIMEOUT_MS, cacheDir }).probe(x86);
    expect(first.cached).toBeUndefined();
    expect(existsSync(join(cacheDir, KVM_PROBE_CACHE_FILE))).toBe(true);
    const t0 = performance.now();
    const engine = new QemuEngine({ kvmProbeTimeoutMs: TIMEOUT_MS, cacheDir });
    const choice = await engine.chooseAccel(x86);
    const took = performance.now() - t0;
    const second = await engine.probe(x86);
    console.log(`cached verdict in ${took.toFixed(0)} ms: ${choice.note}`);
    expect(second).toMatchObject({ usable: first.usable, elapsedMs: first.elapsedMs, cached: { file: join(cacheDir, KVM_PROBE_CACHE_FILE) } });
    expect(choice.accel).toBe(first.usable ? 'kvm' : 'tcg');
    expect(choice.note).toContain(`kept for this host boot (delete ${join(cacheDir, KVM_PROBE_CACHE_FILE)} to probe again)`);
    if (!first.usable) expect(choice.note).toContain(`KVM not used: ${first.reason}`);
  }, 30_000);
});

/** Every process's command line, from /proc. */
function processCommandLines(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      out.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '));
    } catch {
      // gone
    }
  }
  return out;
}
