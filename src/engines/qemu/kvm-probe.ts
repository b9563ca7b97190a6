// Whether KVM can really run a guest here. /dev/kvm opening is not proof: on this project's build
// machines it opens and creates VMs, yet Linux guests hang (nested virtualization; see
// shared/notes/measurements.md). So the probe runs guests under KVM and calls KVM usable only if
// they finish within their time limits, killing them otherwise:
//   1. a tiny guest (kvm-probe-guest.S: firmware, long mode, memory, 100000 I/O exits), cheap;
//   2. when the machine's kernel is known, that kernel itself, with no disk and no initrd, up to its
//      "VFS: Unable to mount root fs" panic (panic=-1 + -no-reboot make qemu exit then). Here the
//      tiny guest can pass (nested KVM is slow, not dead) while Linux hangs: only a kernel proves it.
// `accel: auto` picks KVM only after a passing probe. Given a cache file, the verdict of a probe that
// ran its guests is kept for the rest of the host's boot (kvm-probe-cache.ts); the cheap checks before
// (architecture, the device's permissions) are made every time.

import { spawn } from 'node:child_process';
import { constants as C } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Arch } from '../../model/machine-config.js';
import { PROBE_GUEST_EXIT_STATUS, probeGuestImage } from './kvm-probe-guest.js';
import { kvmProbeCacheKey, readCachedVerdict, writeCachedVerdict, type CachedVerdict } from './kvm-probe-cache.js';

/** A working KVM runs the tiny guest in well under a second; nested KVM here takes 3-15 s. */
export const DEFAULT_KVM_PROBE_TIMEOUT_MS = 3000;
/** A working KVM boots a kernel to its no-root panic in about a second (TCG here: 4.6 s). */
export const DEFAULT_KERNEL_PROBE_TIMEOUT_MS = 5000;
/** What the kernel stage waits for on the serial console. */
const KERNEL_PANIC_TEXT = 'Kernel panic';
const STDERR_LIMIT = 16 * 1024;

/** Where a verdict came from when it is a cached one: when that probe ran, and the file to delete to probe again. */
export interface KvmProbeCached {
  probedAt: string;
  file: string;
}

export type KvmProbeResult =
  | { usable: true; elapsedMs: number; cached?: KvmProbeCached }
  | { usable: false; reason: string; elapsedMs: number; cached?: KvmProbeCached };

export interface KvmProbeOptions {
  /** The guest architecture to run. */
  arch: Arch;
  /** The qemu-system program for that architecture (path or name on PATH). */
  program: string;
  timeoutMs?: number;
  /** The machine's kernel (x86 bzImage): booted as the second stage when given. */
  kernel?: string;
  kernelTimeoutMs?: number;
  /** CPU model for the probe; the engine runs KVM guests with `host`, so that is what is proved. */
  cpu?: string;
  /** Device node to check first (tests). */
  kvmDevice?: string;
  /** Host architecture in Node's spelling (tests); default process.arch. */
  hostArch?: string;
  /** Keep the verdict here for the host's boot, and answer from it (kvm-probe-cache.ts); none: always probe. */
  cacheFile?: string;
  /** The host's boot id file (tests); default /proc/sys/kernel/random/boot_id. */
  bootIdFile?: string;
}

const HOST_ARCH: Record<string, Arch | undefined> = { x64: 'x86_64', riscv64: 'riscv64' };

/** Stage 1 argv: the same machine type as real x86_64 guests, nothing attached but the exit device. */
export function probeArgs(image: string, cpu: string, accel = 'kvm'): string[] {
  return [
    '-machine', 'q35', '-accel', accel, '-cpu', cpu, '-m', '32',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-kernel', image,
  ];
}

/** Stage 2 argv: the kernel alone; it panics for want of a root file system, then qemu exits. */
export function kernelProbeArgs(kernel: string, serialLog: string, cpu: string, accel = 'kvm'): string[] {
  return [
    '-machine', 'q35', '-accel', accel, '-cpu', cpu, '-m', '256',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-serial', `file:${serialLog.replace(/,/g, ',,')}`,
    '-kernel', kernel,
    '-append', 'console=ttyS0 loglevel=4 panic=-1',
  ];
}

export async function probeKvm(o: KvmProbeOptions): Promise<KvmProbeResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const unusable = (reason: string): KvmProbeResult => ({ usable: false, reason, elapsedMs: elapsed() });
  const timeoutMs = o.timeoutMs ?? DEFAULT_KVM_PROBE_TIMEOUT_MS;

  const host = HOST_ARCH[o.hostArch ?? process.arch];
  if (host !== o.arch) return unusable(`KVM runs guests of the host's own architecture only (host ${host ?? o.hostArch ?? process.arch}, guest ${o.arch})`);
  if (o.arch !== 'x86_64') return unusable(`vm has no KVM probe guest for ${o.arch} hosts yet, so it cannot prove KVM works`);
  const device = o.kvmDevice ?? '/dev/kvm';
  try {
    await access(device, C.R_OK | C.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return unusable(`${device} does not exist (the kvm module is not loaded, or this machine is a VM without nested virtualization)`);
    if (code === 'EACCES' || code === 'EPERM') return unusable(`no read/write permission on ${device} (add your user to its group, usually kvm)`);
    return unusable(`cannot open ${device}: ${(err as Error).message}`);
  }

  const cpu = o.cpu ?? 'host';
  const kernelTimeoutMs = o.kernelTimeoutMs ?? DEFAULT_KERNEL_PROBE_TIMEOUT_MS;
  const cache = o.cacheFile
    ? await kvmProbeCacheKey({ arch: o.arch, program: o.program, cpu, device, timeoutMs, ...(o.kernel ? { kernel: o.kernel, kernelTimeoutMs } : {}) }, o.bootIdFile ? { bootIdFile: o.bootIdFile } : {})
    : undefined;
  if (cache && o.cacheFile) {
    const hit = await readCachedVerdict(o.cacheFile, cache.bootId, cache.key);
    if (hit) {
      const cached = { probedAt: hit.probedAt, file: o.cacheFile };
      return hit.usable ? { usable: true, elapsedMs: hit.elapsedMs, cached } : { usable: false, reason: hit.reason, elapsedMs: hit.elapsedMs, cached };
    }
  }
  const probedAt = new Date().toISOString();
  const verdict = await runGuests(o, cpu, timeoutMs, kernelTimeoutMs);
  const result: KvmProbeResult = verdict.usable ? { usable: true, elapsedMs: elapsed() } : unusable(verdict.reason);
  // a program that would not start says nothing about KVM: the next probe tries again
  if (cache && o.cacheFile && (verdict.usable || !verdict.transient)) {
    const entry: CachedVerdict = result.usable ? { usable: true, elapsedMs: result.elapsedMs, probedAt } : { usable: false, reason: result.reason, elapsedMs: result.elapsedMs, probedAt };
    await writeCachedVerdict(o.cacheFile, cache.bootId, cache.key, entry);
  }
  return result;
}

/** The guest stages; `transient` when qemu could not be started at all (not a verdict on KVM). */
async function runGuests(o: KvmProbeOptions, cpu: string, timeoutMs: number, kernelTimeoutMs: number): Promise<{ usable: true } | { usable: false; reason: string; transient?: boolean }> {
  const dir = await mkdtemp(join(tmpdir(), 'vm-kvm-probe-'));
  try {
    const image = join(dir, 'probe-guest.bin');
    await writeFile(image, probeGuestImage(), { mode: 0o600 });
    const run = await runProbe(o.program, probeArgs(image, cpu), timeoutMs);
    if (run.kind === 'timeout') {
      return { usable: false, reason: `a test guest did not finish within ${timeoutMs / 1000} s under KVM (where KVM works it takes well under a second; nested virtualization often cannot run guests)` };
    }
    if (run.kind === 'spawn-error') return { usable: false, reason: `cannot run ${o.program}: ${run.message}`, transient: true };
    if (run.status !== PROBE_GUEST_EXIT_STATUS) {
      const why = lastLines(run.stderr) || (run.signal ? `killed by ${run.signal}` : `exit status ${run.status}`);
      return { usable: false, reason: `qemu could not run a test guest under KVM: ${why}` };
    }
    if (!o.kernel) return { usable: true };
    const kernel = await kernelProbe(o.program, o.kernel, join(dir, 'serial.log'), cpu, 'kvm', kernelTimeoutMs);
    return kernel.ok ? { usable: true } : { usable: false, reason: kernel.reason, ...(kernel.transient ? { transient: true } : {}) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Boots `kernel` to its no-root panic under `accel`; ok when that happens within `timeoutMs`. */
export async function kernelProbe(program: string, kernel: string, serialLog: string, cpu: string, accel: string, timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string; transient?: true }> {
  const run = await runProbe(program, kernelProbeArgs(kernel, serialLog, cpu, accel), timeoutMs);
  if (run.kind === 'spawn-error') return { ok: false, reason: `cannot run ${program}: ${run.message}`, transient: true };
  if (run.kind === 'timeout') {
    return { ok: false, reason: `the machine's kernel did not get through its boot within ${timeoutMs / 1000} s under ${accel.toUpperCase()} (a tiny test guest ran; nested virtualization often runs those and hangs real kernels)` };
  }
  const serial = await readFile(serialLog, 'utf8').catch(() => '');
  if (run.status === 0 && serial.includes(KERNEL_PANIC_TEXT)) return { ok: true };
  const why = lastLines(run.stderr) || (run.signal ? `killed by ${run.signal}` : `exit status ${run.status}, console: ${JSON.stringify(serial.slice(-200))}`);
  return { ok: false, reason: `the machine's kernel did not boot under ${accel.toUpperCase()}: ${why}` };
}

type ProbeRun =
  | { kind: 'exit'; status: number | null; signal: NodeJS.Signals | null; stderr: string }
  | { kind: 'timeout' }
  | { kind: 'spawn-error'; message: string };

function runProbe(program: string, args: string[], timeoutMs: number): Promise<ProbeRun> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let settled = false;
    // a hung probe must never outlive us: it would burn a core forever
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    const finish = (r: ProbeRun): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      process.off('exit', killOnExit);
      resolve(r);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ kind: 'timeout' });
    }, timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < STDERR_LIMIT) stderr += d;
    });
    child.once('error', (err) => finish({ kind: 'spawn-error', message: err.message }));
    child.once('close', (status, signal) => finish({ kind: 'exit', status, signal, stderr }));
  });
}

function lastLines(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/warning: host doesn't support requested feature/.test(l));
  return lines.slice(-2).join('; ');
}
