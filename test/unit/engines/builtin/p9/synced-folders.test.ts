// Synced folders from a MachineConfig: one virtio-9p device per folder, clear errors for folders
// that cannot be served, and the `vm.mount=` kernel parameters the box's init reads.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BootFileError } from '../../../../../src/engines/errors.js';
import { createSyncedFolderDevices } from '../../../../../src/engines/builtin/p9/synced-folders.js';
import { syncedFolderParams } from '../../../../../src/engines/builtin/guest-params.js';
import type { SyncedFolderConfig } from '../../../../../src/model/machine-config.js';

const base = mkdtempSync(join(tmpdir(), 'vm-p9-sf-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const folder = (over: Partial<SyncedFolderConfig>): SyncedFolderConfig => ({ hostPath: base, guestPath: '/vagrant', readOnly: false, tag: 'vagrant', ...over });

describe('synced folders on the builtin engine', () => {
  it('makes one 9p device per folder, with its tag and read-only flag', async () => {
    mkdirSync(join(base, 'a'));
    mkdirSync(join(base, 'b'));
    const devs = await createSyncedFolderDevices({
      syncedFolders: [folder({ hostPath: join(base, 'a'), tag: 'a' }), folder({ hostPath: join(base, 'b'), guestPath: '/data', tag: 'data', readOnly: true })],
    });
    try {
      expect(devs.map((d) => [d.device.deviceId, d.folder.tag])).toEqual([[9, 'a'], [9, 'data']]);
      expect(devs.map((d) => new TextDecoder().decode(d.device.config.subarray(2)))).toEqual(['a', 'data']);
      expect(devs[0]!.server.maxMsize).toBe(4096 * 125);
    } finally {
      await Promise.all(devs.map((d) => d.close()));
    }
  });

  it('names the folder when it cannot be served, and leaves nothing open', async () => {
    writeFileSync(join(base, 'file'), 'x');
    const missing = createSyncedFolderDevices({ syncedFolders: [folder({ tag: 'ok' }), folder({ hostPath: join(base, 'nope'), tag: 'src', guestPath: '/src' })] });
    await expect(missing).rejects.toThrow(BootFileError);
    await expect(missing).rejects.toThrow(`synced folder 'src' (${join(base, 'nope')} -> /src): synced folder ${join(base, 'nope')} does not exist`);
    await expect(createSyncedFolderDevices({ syncedFolders: [folder({ hostPath: join(base, 'file') })] })).rejects.toThrow(/is not a folder/);
  });

  it('writes vm.mount parameters, refusing guest paths the init cannot parse', () => {
    expect(syncedFolderParams([folder({}), folder({ tag: 'ro', guestPath: '/opt/ro', readOnly: true })])).toEqual(['vm.mount=vagrant:/vagrant', 'vm.mount=ro:/opt/ro:ro']);
    expect(() => syncedFolderParams([folder({ guestPath: '/my project' })])).toThrow("synced folder guest path '/my project' cannot be passed to the box's init");
    expect(() => syncedFolderParams([folder({ guestPath: '/a:b' })])).toThrow(BootFileError);
  });
});
