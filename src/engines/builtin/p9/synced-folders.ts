// A MachineConfig's synced folders as virtio-9p devices for the builtin engine (one 9P server per
// folder), and the kernel parameters that make the bundled boxes' init mount them.
// Wiring: bootSpecFromConfig(config, { extra: await createSyncedFolderDevices(config) }) and
// guestParams(config) (src/engines/builtin/guest-params.ts), which includes the vm.mount parameters.

import { Virtio9p, VIRTIO_9P_QUEUE_SIZE, virtio9pMaxMsize } from '../../../emulator/devices/virtio/9p.js';
import type { VirtioDevice } from '../../../emulator/devices/virtio/mmio.js';
import type { MachineConfig, SyncedFolderConfig } from '../../../model/machine-config.js';
import { BootFileError } from '../../errors.js';
import { P9Server } from './server.js';
import { ShareError } from './share.js';

export interface SyncedFolderDevice {
  device: VirtioDevice;
  server: P9Server;
  folder: SyncedFolderConfig;
  /** Close the server's open host files (after the machine ended). */
  close(): Promise<void>;
}

/**
 * One virtio-9p device per synced folder, each serving its host folder (read-only when declared).
 * Throws BootFileError naming the folder when one cannot be served; nothing stays open then.
 */
export async function createSyncedFolderDevices(
  config: Pick<MachineConfig, 'syncedFolders'>,
  o: { onLog?: (message: string) => void; queueSize?: number } = {},
): Promise<SyncedFolderDevice[]> {
  const queueSize = o.queueSize ?? VIRTIO_9P_QUEUE_SIZE;
  const out: SyncedFolderDevice[] = [];
  try {
    for (const folder of config.syncedFolders) {
      const server = await P9Server.create({
        hostPath: folder.hostPath,
        readOnly: folder.readOnly,
        maxMsize: virtio9pMaxMsize(queueSize),
        onLog: o.onLog,
      }).catch((err: unknown) => {
        if (err instanceof ShareError) {
          throw new BootFileError(`synced folder '${folder.tag}' (${folder.hostPath} -> ${folder.guestPath}): ${err.message}`, 'Create the folder or fix `host:` in the Vmfile.');
        }
        throw err;
      });
      const device = new Virtio9p({ tag: folder.tag, backend: server, queueSize });
      out.push({ device, server, folder, close: () => server.close() });
    }
    return out;
  } catch (err) {
    await Promise.allSettled(out.map((d) => d.close()));
    throw err;
  }
}

/** Characters the tiny box's init cannot take in `vm.mount=TAG:PATH` (it splits on spaces and ':'). */
