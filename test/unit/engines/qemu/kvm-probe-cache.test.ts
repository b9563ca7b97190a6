// The KVM probe's verdict cache (src/engines/qemu/kvm-probe-cache.ts) and the probe's use of it
// (kvm-probe.ts): keyed on the host boot, the qemu program, the kernel and the probe's settings; a
// corrupt or unwritable file is never an error; replaced atomically. The probe runs a fake qemu (a
// shell script that counts its runs), so no test here depends on the host's KVM.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  kvmProbeCacheFile,
  kvmProbeCacheKey,
  readCachedVerdict,
  writeCachedVerdict,
  type CachedVerdict,
  type KvmProbeIdentity,
} from '../../../../src/engines/qemu/kvm-probe-cache.js';
import { probeKvm, type KvmProbeOptions } from '../../../../src/engines/qemu/kvm-probe.js';
import { PROBE_GUEST_EXIT_STATUS } from '../../../../src/engines/qemu/kvm-probe-guest.js';
import { probeSource } from '../../../../src/engines/qemu/qemu-engine.js';

const root = mkdtempSync(join(tmpdir(), 'vm-kvm-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const d = join(root, `t${n++}`);
  mkdirSync(d);
  return d;
};

const BOOT_A = 'c7a51c7d-0000-4000-8000-00000000000a';
const BOOT_B = 'c7a51c7d-0000-4000-8000-00000000000b';

/** A folder with a boot id file, a fake qemu program and kernel, and the identity of a probe with them. */
function host(dir: string): { bootIdFile: string; id: KvmProbeIdentity } {
  const bootIdFile = join(dir, 'boot_id');
  writeFileSync(bootIdFile, `${BOOT_A}\n`);
  const program = join(dir, 'qemu-system-x86_64');
  writeFileSync(program, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const kernel = join(dir, 'bzImage');
  writeFileSync(kernel, 'kernel bytes');
  return { bootIdFile, id: { arch: 'x86_64', program, cpu: 'host', device: '/dev/kvm', timeoutMs: 3000, kernel, kernelTimeoutMs: 5000 } };
}

const refused: CachedVerdict = { usable: false, reason: 'a test guest did not finish within 3 s under KVM', elapsedMs: 3004, probedAt: '2026-01-02T03:04:05.000Z' };

describe('KVM probe cache key', () => {
  it('is the same for the same probe on the same boot, and differs with the boot id, the program, the kernel and the settings', async () => {
    const { bootIdFile, id } = host(fresh());
    const key = (await kvmProbeCacheKey(id, { bootIdFile }))!;
    expect(key.bootId).toBe(BOOT_A);
    expect(await kvmProbeCacheKey(id, { bootIdFile })).toEqual(key);

    writeFileSync(bootIdFile, `${BOOT_B}\n`);
    const otherBoot = (await kvmProbeCacheKey(id, { bootIdFile }))!;
    expect(otherBoot.bootId).toBe(BOOT_B);
    expect(otherBoot.key).not.toBe(key.key);
    writeFileSync(bootIdFile, `${BOOT_A}\n`);

    // a qemu upgraded in place: same path, other size; then only another mtime
    writeFileSync(id.program, '#!/bin/sh\nexit 0 # 9.2\n', { mode: 0o755 });
    const upgraded = (await kvmProbeCacheKey(id, { bootIdFile }))!.key;
    expect(upgraded).not.toBe(key.key);
    utimesSync(id.program, new Date(2020, 0, 1), new Date(2020, 0, 1));
    const touched = (await kvmProbeCacheKey(id, { bootIdFile }))!.key;
    expect(touched).not.toBe(upgraded);

    const keys = new Set([touched]);
    for (const other of [{ ...id, program: `${id.program}-other` }, { ...id, cpu: 'qemu64' }, { ...id, timeoutMs: 10_000 }, { ...id, kernelTimeoutMs: 1000 }, { ...id, device: '/dev/kvm2' }]) {
      if (other.program !== id.program) writeFileSync(other.program, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      keys.add((await kvmProbeCacheKey(other, { bootIdFile }))!.key);
    }
    writeFileSync(id.kernel!, 'another kernel build');
    keys.add((await kvmProbeCacheKey(id, { bootIdFile }))!.key);
    expect(keys.size).toBe(7);
  });

  it('is none when there is no boot id or the program cannot be looked at: nothing is cached then', async () => {
    const { bootIdFile, id } = host(fresh());
    expect(await kvmProbeCacheKey(id, { bootIdFile: join(root, 'no-boot-id') })).toBeUndefined();
    writeFileSync(bootIdFile, '\n');
    expect(await kvmProbeCacheKey(id, { bootIdFile })).toBeUndefined();
    writeFileSync(bootIdFile, BOOT_A);
    expect(await kvmProbeCacheKey({ ...id, program: 'qemu-system-x86_64' }, { bootIdFile })).toBeUndefined();
  });
});

describe('KVM probe cache file', () => {
  it('answers a verdict it stored, for that key and boot only', async () => {
    const file = kvmProbeCacheFile(join(fresh(), 'cache'));
    expect(await readCachedVerdict(file, BOOT_A, 'k1')).toBeUndefined();
    // the cache folder is made on the first write
    expect(await writeCachedVerdict(file, BOOT_A, 'k1', refused)).toBe(true);
    const passed: CachedVerdict = { usable: true, elapsedMs: 420, probedAt: '2026-01-02T03:04:06.000Z' };
    expect(await writeCachedVerdict(file, BOOT_A, 'k2', passed)).toBe(true);
    expect(await readCachedVerdict(file, BOOT_A, 'k1')).toEqual(refused);
    expect(await readCachedVerdict(file, BOOT_A, 'k2')).toEqual(passed);
    expect(await readCachedVerdict(file, BOOT_A, 'k3')).toBeUndefined();
    expect(await readCachedVerdict(file, BOOT_B, 'k1')).toBeUndefined();
    // a verdict of the next boot drops the last boot's
    expect(await writeCachedVerdict(file, BOOT_B, 'k1', passed)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ bootId: BOOT_B, entries: { k1: passed } });
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).entries)).toEqual(['k1']);
  });

  it('ignores a corrupt, foreign or half-valid file, and the next verdict replaces it', async () => {
    const file = kvmProbeCacheFile(fresh());
    for (const body of ['', '{"format":"vm-kvm-pro', 'null', '[]', '{"format":"something-else/1","bootId":"x","entries":{}}', '\u0000\u0001binary']) {
      writeFileSync(file, body);
      expect(await readCachedVerdict(file, BOOT_A, 'k1')).toBeUndefined();
      expect(await writeCachedVerdict(file, BOOT_A, 'k1', refused)).toBe(true);
      expect(await readCachedVerdict(file, BOOT_A, 'k1')).toEqual(refused);
    }
    // an entry that is not a verdict is never answered, and its good neighbours survive the next write
    writeFileSync(file, JSON.stringify({ format: 'vm-kvm-probe-cache/1', bootId: BOOT_A, entries: { bad: { usable: false }, also: 'x', good: refused } }));
    expect(await readCachedVerdict(file, BOOT_A, 'bad')).toBeUndefined();
    expect(await readCachedVerdict(file, BOOT_A, 'good')).toEqual(refused);
    await writeCachedVerdict(file, BOOT_A, 'k2', refused);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).entries).sort()).toEqual(['good', 'k2']);
  });

  it('an unreadable or unwritable cache is no error: it reads as empty and the write says it did not happen', async () => {
    const dir = fresh();
    const file = kvmProbeCacheFile(dir);
    mkdirSync(file); // something that is not a file where the cache belongs
    expect(await readCachedVerdict(file, BOOT_A, 'k1')).toBeUndefined();
    expect(await writeCachedVerdict(file, BOOT_A, 'k1', refused)).toBe(false);
    expect(readdirSync(dir)).toEqual(['kvm-probe.json']);
    const blocked = join(fresh(), 'not-a-dir');
    writeFileSync(blocked, '');
    expect(await writeCachedVerdict(join(blocked, 'kvm-probe.json'), BOOT_A, 'k1', refused)).toBe(false);
  });

  it('is replaced atomically: a new file renamed over the old, no temp file left, concurrent writers never leave a torn file', async () => {
    const dir = fresh();
    const file = kvmProbeCacheFile(dir);
    await writeCachedVerdict(file, BOOT_A, 'k0', refused);
    const before = statSync(file).ino;
    await writeCachedVerdict(file, BOOT_A, 'k1', refused);
    expect(statSync(file).ino).not.toBe(before);
    await Promise.all(Array.from({ length: 16 }, (_, i) => writeCachedVerdict(file, BOOT_A, `p${i}`, refused)));
    expect(readdirSync(dir)).toEqual(['kvm-probe.json']);
    const body = JSON.parse(readFileSync(file, 'utf8'));
    expect(body).toMatchObject({ format: 'vm-kvm-probe-cache/1', bootId: BOOT_A });
    // racing writers may drop each other's entries (the loser probes again), but what is there is whole
    for (const v of Object.values(body.entries)) expect(v).toEqual(refused);
    expect(statSync(file).mode & 0o777).toBe(0o644);
  });
});

describe('the probe with a cache file', () => {
  /** A fake qemu that counts its runs in `runs`, then does `body`; and probe options for it. */
  function fakeQemu(body: string): { runs: () => number; opts: KvmProbeOptions & { cacheFile: string; bootIdFile: string } } {
    const dir = fresh();
    const { bootIdFile } = host(dir);
    const count = join(dir, 'runs');
    const program = join(dir, 'fake-qemu');
    writeFileSync(program, `#!/bin/sh\necho run >> '${count}'\n${body}\n`, { mode: 0o755 });
    const device = join(dir, 'kvm');
    writeFileSync(device, '');
    return {
      runs: () => {
        try {
          return readFileSync(count, 'utf8').split('\n').filter(Boolean).length;
        } catch {
          return 0;
        }
      },
      opts: { arch: 'x86_64', hostArch: 'x64', program, kvmDevice: device, timeoutMs: 300, cacheFile: join(dir, 'cache', 'kvm-probe.json'), bootIdFile },
    };
  }

  it('pays a hanging guest once per boot: the second probe answers the first one\'s reason from the cache', async () => {
    const q = fakeQemu('exec sleep 30');
    const first = await probeKvm(q.opts);
    expect(first).toMatchObject({ usable: false, reason: expect.stringContaining('did not finish within 0.3 s under KVM') });
    expect(first.cached).toBeUndefined();
    expect(q.runs()).toBe(1);
    const second = await probeKvm(q.opts);
    expect(q.runs()).toBe(1);
    expect(second).toEqual({ usable: false, reason: (first as { reason: string }).reason, elapsedMs: first.elapsedMs, cached: { probedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), file: q.opts.cacheFile } });
    expect(probeSource(second)).toBe(`; verdict of a probe at ${second.cached!.probedAt}, kept for this host boot (delete ${q.opts.cacheFile} to probe again)`);
    expect(probeSource(first)).toBe('');

    // after a reboot, or with the cache file deleted, it probes again
    writeFileSync(q.opts.bootIdFile, BOOT_B);
    expect((await probeKvm(q.opts)).cached).toBeUndefined();
    expect(q.runs()).toBe(2);
    rmSync(q.opts.cacheFile);
    expect((await probeKvm(q.opts)).cached).toBeUndefined();
    expect(q.runs()).toBe(3);
    // without a cache file it always probes
    const { cacheFile: _, ...uncached } = q.opts;
    await probeKvm(uncached);
    await probeKvm(uncached);
    expect(q.runs()).toBe(5);
  });

  it('keeps a passing verdict, and a corrupt cache only means probing again', async () => {
    const q = fakeQemu(`exit ${PROBE_GUEST_EXIT_STATUS}`);
    mkdirSync(join(q.opts.cacheFile, '..'), { recursive: true });
    writeFileSync(q.opts.cacheFile, '{ not json');
    expect(await probeKvm(q.opts)).toMatchObject({ usable: true });
    expect(q.runs()).toBe(1);
    expect(await probeKvm(q.opts)).toMatchObject({ usable: true, cached: { file: q.opts.cacheFile } });
    expect(q.runs()).toBe(1);
  });

  it('caches nothing when qemu would not start, and still checks the device every time', async () => {
    const q = fakeQemu('exit 0');
    chmodSync(q.opts.program, 0o644);
    expect(await probeKvm(q.opts)).toMatchObject({ usable: false, reason: expect.stringContaining(`cannot run ${q.opts.program}`) });
    chmodSync(q.opts.program, 0o755);
    expect(await probeKvm(q.opts)).toMatchObject({ usable: false, reason: expect.stringContaining('qemu could not run a test guest under KVM: exit status 0') });
    expect(q.runs()).toBe(1);
    // cached now, but a device that went away is said as such, not answered from the cache
    rmSync(q.opts.kvmDevice!);
    expect(await probeKvm(q.opts)).toMatchObject({ usable: false, reason: expect.stringContaining('does not exist') });
    expect(q.runs()).toBe(1);
  });
});
