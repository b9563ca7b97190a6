// Warm images (engines/builtin/warm/warm-image.ts) without a guest: what goes into the shape key,
// which machines must boot cold, and that an image that is missing, unreadable, of another format,
// vm version or shape is reported as a note (a cold boot follows), never thrown. The whole cycle with
// a guest is test/e2e/warm-start.test.ts.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findWarmImage, saveWarmImage, WARM_FORMAT, warmKey, warmRefusal, warmShape } from '../../../../../src/engines/builtin/warm/warm-image.js';
import { riscvConfig } from '../../qemu/machine-fixture.js';

const cache = mkdtempSync(join(tmpdir(), 'vm-warm-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const config = riscvConfig({ engine: 'builtin', engineRequested: 'builtin' });

describe('warm images', () => {
  it('machines of one shape share a key whatever their name, hostname and MACs; the shape is what the guest kept from its boot', () => {
    const other = riscvConfig({ engine: 'builtin', name: 'db', hostname: 'db', nics: [{ type: 'nat', mac: '52:54:00:aa:bb:99' }], project: { dir: '/p', vmfile: '/p/Vmfile', stateDir: '/p/.vm/machines/db' } });
    expect(warmKey(other)).toBe(warmKey(config));
    for (const change of [
      { memoryBytes: 512 * MiB },
      { cpus: 2 },
      { rootDiskBytes: 1024 * MiB },
      { nics: [...config.nics, { type: 'nat' as const, mac: '52:54:00:aa:bb:02' }] },
      { syncedFolders: [{ hostPath: '/h', guestPath: '/share', readOnly: false, tag: 'share' }] },
      { disks: [{ name: 'data', sizeBytes: MiB, path: '/p/data.img', format: 'raw' as const }] },
      { box: { ...config.box, checksum: '2'.repeat(64) } },
      { cmdline: `${config.cmdline} loglevel=7` },
    ]) {
      expect(warmKey(riscvConfig({ engine: 'builtin', ...change }))).not.toBe(warmKey(config));
    }
    expect(warmShape(config)).toMatchObject({ format: WARM_FORMAT, memoryBytes: 256 * MiB, cpus: 1, nics: ['nat'] });
  });

  it('a machine on a private network boots cold, and says why', () => {
    expect(warmRefusal(config)).toBeUndefined();
    expect(warmRefusal(riscvConfig({ nics: [...config.nics, { type: 'private', network: 'lab', mac: '52:54:00:aa:bb:03', ip: '192.168.56.10' }] }))).toBe(
      'NIC 2 is on a private network, whose address and peers cannot be handed to a resumed guest',
    );
  });

  it('no image is no note; a bad one is a note naming what is wrong, never an error', async () => {
    expect(await findWarmImage(cache, config)).toEqual({});
    const dir = join(cache, warmKey(config));
    mkdirSync(dir);
    writeFileSync(join(dir, 'warm.json'), 'not json');
    expect((await findWarmImage(cache, config)).note).toBe(`the warm image ${dir} was not used: its warm.json is not JSON`);
    writeFileSync(join(dir, 'warm.json'), JSON.stringify({ format: WARM_FORMAT + 1 }));
    expect((await findWarmImage(cache, config)).note).toMatch(/has format 2, this vm reads 1$/);
    writeFileSync(join(dir, 'warm.json'), JSON.stringify({ format: WARM_FORMAT, key: warmKey(config), shape: { ...warmShape(config), vm: '0.0.1' } }));
    expect((await findWarmImage(cache, config)).note).toMatch(/made by another vm version or for another machine shape$/);
    const from = { machine: 'web', hostname: 'web', macs: [], mounts: [] };
    writeFileSync(join(dir, 'warm.json'), JSON.stringify({ format: WARM_FORMAT, key: warmKey(config), shape: warmShape(config), from }));
    expect((await findWarmImage(cache, config)).note).toMatch(/was not used: the saved machine state .*memory\.state is missing$/);
    writeFileSync(join(dir, 'memory.state'), 'VM-STATE truncated');
    expect((await findWarmImage(cache, config)).note).toMatch(/is damaged \(truncated\); it was not loaded$/);
  });

  it('a save that fails leaves no folder behind, and folders of saves whose writer died are swept', async () => {
    const save = mkdtempSync(join(tmpdir(), 'vm-warm-save-'));
    const dead = join(save, '.abc.tmp-999999999-00');
    const live = join(save, `.abc.tmp-${process.pid}-00`);
    mkdirSync(dead);
    mkdirSync(live);
    const paths = { runDir: save, consoleSocket: '', agentSocket: '', qmpSocket: join(save, 'no-qmp.sock'), consoleLog: '', engineLog: '' };
    await expect(saveWarmImage(save, config, paths)).rejects.toThrow();
    expect(existsSync(dead)).toBe(false);
    expect(readdirSync(save)).toEqual([`.abc.tmp-${process.pid}-00`]);
    rmSync(save, { recursive: true, force: true });
  });
});
