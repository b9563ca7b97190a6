// `vm debug boot`'s boot spec (core/debug/foreground-boot.ts): a box's files as `vm up` compiles them
// (the box's command line first, its firmware or host SBI), or a kernel named on the command line;
// the request's size, additions, firmware override, warp and profile on top. No machine is started.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { foregroundBootSpec, type ForegroundBootRequest } from '../../../../src/core/debug/foreground-boot.js';
import { UserError } from '../../../../src/core/errors.js';
import { demoFiles, demoManifest, tempEnv, writeBoxFolder, type TempEnv } from '../boxes/fixtures.js';

const MIB = 1024 * 1024;

describe('foregroundBootSpec', () => {
  let t: TempEnv;
  let base: Omit<ForegroundBootRequest, 'box' | 'kernel'>;
  beforeEach(() => {
    t = tempEnv();
    base = { memoryBytes: 256 * MIB, cpus: 2, idleWarp: 'until-ready', profile: false, cwd: t.root, loc: t.loc };
  });
  afterEach(() => t.cleanup());

  /** A bundled box named `name` (installed into the temp store on first use, as `vm up` does). */
  const bundle = (name: string, over: Record<string, unknown> = {}): string => {
    const files = { ...demoFiles(), 'fw_jump.bin': Buffer.from('opensbi') };
    return writeBoxFolder(join(t.loc.bundledDir, name), files, demoManifest(files, { name, version: '1.0.0', cmdline: 'console=ttyS0 root=/dev/vda ', ...over }));
  };

  it('boots a bare kernel with host SBI: paths resolved from cwd, console=ttyS0 then the additions', async () => {
    const spec = await foregroundBootSpec({ ...base, kernel: 'Image', initrd: 'sub/initrd.gz', append: 'quiet loglevel=7', idleWarp: 'never', profile: true });
    expect(spec).toEqual({
      kernel: join(t.root, 'Image'),
      initrd: join(t.root, 'sub/initrd.gz'),
      firmware: undefined,
      memoryBytes: 256 * MIB,
      cpus: 2,
      cmdline: 'console=ttyS0 quiet loglevel=7',
      idleWarp: 'never',
      profile: true,
    });
    expect(spec.devices).toBeUndefined();
  });

  it("boots a box with its own files, command line and firmware, as vm up compiles them", async () => {
    bundle('demo', { firmware: 'fw_jump.bin' });
    const spec = await foregroundBootSpec({ ...base, box: 'demo', append: 'single' });
    const stored = join(t.loc.home, 'boxes');
    expect(spec.kernel!.startsWith(stored) && spec.kernel!.endsWith('/Image')).toBe(true);
    expect(spec.initrd!.endsWith('/initrd.gz')).toBe(true);
    expect(spec.firmware!.endsWith('/fw_jump.bin')).toBe(true);
    expect(spec.cmdline).toBe('console=ttyS0 root=/dev/vda single');
    expect(spec).toMatchObject({ memoryBytes: 256 * MIB, cpus: 2, idleWarp: 'until-ready' });
    expect(spec).not.toHaveProperty('profile');
    expect(spec.devices).toEqual({ console: true, rng: true }); // the agent channel (window size) and entropy; no disks, no network
  });

  it('--firmware overrides the box: sbi drops its image, a path is resolved from cwd', async () => {
    bundle('demo', { firmware: 'fw_jump.bin' });
    expect((await foregroundBootSpec({ ...base, box: 'demo', firmware: 'sbi' })).firmware).toBeUndefined();
    expect((await foregroundBootSpec({ ...base, box: 'demo', firmware: 'fw/opensbi.bin' })).firmware).toBe(join(t.root, 'fw/opensbi.bin'));
    expect((await foregroundBootSpec({ ...base, kernel: 'Image', firmware: 'fw.bin' })).firmware).toBe(join(t.root, 'fw.bin'));
  });

  it('refuses a box the builtin engine cannot run, an unknown box, and a box with a kernel', async () => {
    bundle('pc', { architecture: 'x86_64', engines: ['qemu'] });
    const pc = await foregroundBootSpec({ ...base, box: 'pc' }).catch((e: unknown) => e);
    expect(pc).toBeInstanceOf(UserError);
    expect((pc as UserError).message).toBe("the builtin engine runs riscv64 machines; box 'pc' is x86_64");
    expect((pc as UserError).options.hint).toMatch(/engine: qemu/);
    await expect(foregroundBootSpec({ ...base, box: 'nothing-here' })).rejects.toThrow(UserError);
    await expect(foregroundBootSpec({ ...base, box: 'demo', kernel: 'Image' })).rejects.toThrow('give either a box or a kernel, not both');
  });
});
