// The KVM probe's verdict, kept for the rest of the host's boot. Where KVM guests hang the probe
// costs its whole time limit, and it would be paid again at every `vm up`; yet what it proves only
// changes with the host (a reboot, another kernel module or hypervisor setting), the qemu binary, the
// kernel it booted or the probe itself. So a verdict is keyed on all of those: the host's boot id, the
// qemu program's path, size, mtime and inode, the kernel's likewise, the probe guest's bytes, and the
// probe's own settings (architecture, CPU model, time limits, device). A verdict of another boot is
// dropped at the next write.
//
// The file is a cache and nothing more: unreadable, corrupt or of another format, it is ignored (and
// replaced by the next verdict); failing to write it costs only the next probe. It is replaced
// atomically (temp file + rename), so a reader sees the old file or the new one. Deleting it makes
// the next `vm up` probe again.

import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../shared/atomic-file.js';
import { probeGuestImage } from './kvm-probe-guest.js';

/** The cache file's name in the folder the engine is given. */
export const KVM_PROBE_CACHE_FILE = 'kvm-probe.json';
const FORMAT = 'vm-kvm-probe-cache/1';
/** Where Linux says which boot this is; a new random id at every boot. */
export const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

/** What a probe ran with; two probes with the same identity on one host boot give the same verdict. */
export interface KvmProbeIdentity {
  arch: string;
  /** Absolute path of the qemu-system program. */
  program: string;
  cpu: string;
  device: string;
  timeoutMs: number;
  /** The kernel booted as the second stage, when there was one. */
  kernel?: string;
  kernelTimeoutMs?: number;
}

export type CachedVerdict = { usable: true; elapsedMs: number; probedAt: string } | { usable: false; reason: string; elapsedMs: number; probedAt: string };

interface CacheFile {
  format: typeof FORMAT;
  bootId: string;
  entries: Record<string, CachedVerdict>;
}

/** A file's identity without reading it: a rebuilt or replaced file changes at least one of these. */
async function fileIdentity(path: string): Promise<{ path: string; size: number; mtimeMs: number; ino: number; dev: number }> {
  const s = await stat(path);
  return { path, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, dev: s.dev };
}

export interface KeyOptions {
  /** Boot id file (tests); default BOOT_ID_FILE. */
  bootIdFile?: string;
}

/**
 * The cache key for a probe with `id` on this host boot, or undefined when there is none to be had
 * (no boot id, e.g. not Linux; the program or kernel cannot be looked at): then nothing is cached.
 */
export async function kvmProbeCacheKey(id: KvmProbeIdentity, o: KeyOptions = {}): Promise<{ bootId: string; key: string } | undefined> {
  try {
    const bootId = (await readFile(o.bootIdFile ?? BOOT_ID_FILE, 'utf8')).trim();
    if (!bootId) return undefined;
    const parts = {
      bootId,
      arch: id.arch,
      cpu: id.cpu,
      device: id.device,
      timeoutMs: id.timeoutMs,
      kernelTimeoutMs: id.kernel ? (id.kernelTimeoutMs ?? null) : null,
      program: await fileIdentity(id.program),
      kernel: id.kernel ? await fileIdentity(id.kernel) : null,
      guest: createHash('sha256').update(probeGuestImage()).digest('hex'),
    };
    return { bootId, key: createHash('sha256').update(JSON.stringify(parts)).digest('hex') };
  } catch {
    return undefined;
  }
}

function isVerdict(v: unknown): v is CachedVerdict {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  if (typeof o.elapsedMs !== 'number' || typeof o.probedAt !== 'string') return false;
  if (o.usable === true) return true;
  return o.usable === false && typeof o.reason === 'string';
}

/** The file's entries for `bootId`; empty when the file is missing, unreadable, corrupt or of another boot. */
async function readEntries(file: string, bootId: string): Promise<Record<string, CachedVerdict>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return {};
  }
  const f = parsed as Partial<CacheFile> | null;
  if (!f || typeof f !== 'object' || f.format !== FORMAT || f.bootId !== bootId || !f.entries || typeof f.entries !== 'object') return {};
  const out: Record<string, CachedVerdict> = {};
  for (const [k, v] of Object.entries(f.entries)) if (isVerdict(v)) out[k] = v;
  return out;
}

/** The verdict cached under `key` for this boot, if any. Never throws. */
export async function readCachedVerdict(file: string, bootId: string, key: string): Promise<CachedVerdict | undefined> {
  return (await readEntries(file, bootId))[key];
}

/**
 * Stores `verdict` under `key`, keeping this boot's other entries and dropping every other boot's.
 * Never throws: a cache that cannot be written only means probing again next time.
 */
export async function writeCachedVerdict(file: string, bootId: string, key: string, verdict: CachedVerdict): Promise<boolean> {
  try {
    const entries = await readEntries(file, bootId);
    entries[key] = verdict;
    const body: CacheFile = { format: FORMAT, bootId, entries };
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, `${JSON.stringify(body, null, 2)}\n`, 0o644);
    return true;
  } catch {
    return false;
  }
}

export const kvmProbeCacheFile = (dir: string): string => join(dir, KVM_PROBE_CACHE_FILE);
