// The builtin engine's root disk as a chain of overlays (engines/shared/disk-chain.ts): every layer
// is an overlay made for the box's image (overlay-format.ts; the header names the image, the chain
// manifest says which layer lies on which), opened read-only below the writable top. `LayeredRootDisk`
// is what the virtio-blk device holds: a snapshot of the running machine freezes its top in place and
// carries on writing into a new one, without the device noticing.
import type { BlockBackend } from '../../../emulator/devices/virtio/blk.js';
import { DiskChain, DiskChainError, type LayerOps } from '../../shared/disk-chain.js';
import { DiskError } from '../../errors.js';
import { absorbLayer, OverlayDisk, type BaseImage } from './overlay-disk.js';

export function builtinLayerOps(base: BaseImage): LayerOps {
  return {
    // A new layer is as large as the layer it lies on: `disk_size` may have made the machine's
    // disk larger than the box's image.
    createEmpty: async (path, parentPath) => {
      let virtualSize: number | undefined;
      if (parentPath !== null) {
        const parent = await OverlayDisk.open(parentPath, base, { readOnly: true });
        virtualSize = parent.sizeBytes;
        await parent.close();
      }
      await OverlayDisk.create(path, base, { virtualSize });
    },
    absorb: async (child, layer) => {
      await absorbLayer(child, layer);
    },
  };
}

/** The chain under the root overlay at `topPath`. */
export function rootChainAt(topPath: string, base: BaseImage, o: ConstructorParameters<typeof DiskChain>[2] = {}): DiskChain {
  return new DiskChain(topPath, builtinLayerOps(base), o);
}

export class LayeredRootDisk implements BlockBackend {
  private pending: OverlayDisk | undefined;

  private constructor(
    private top: OverlayDisk,
    private readonly chain: DiskChain,
    private readonly base: BaseImage,
  ) {}

  /** Open the chain: finishes a step a crash interrupted, then the layers from the lowest up. */
  static async open(topPath: string, base: BaseImage): Promise<LayeredRootDisk> {
    const chain = rootChainAt(topPath, base);
    let lowers: string[];
    try {
      await chain.recover();
      lowers = await chain.lowerFiles();
    } catch (err) {
      if (err instanceof DiskChainError) throw new DiskError(err.message, err.hint);
      throw err;
    }
    let below: OverlayDisk | undefined;
    try {
      for (const f of lowers.reverse()) below = await OverlayDisk.open(f, base, { readOnly: true, lower: below });
      return new LayeredRootDisk(await OverlayDisk.open(topPath, base, { lower: below }), chain, base);
    } catch (err) {
      await below?.close().catch(() => {});
      throw err;
    }
  }

  get sizeBytes(): number {
    return this.top.sizeBytes;
  }
  get readOnly(): boolean {
    return this.top.readOnly;
  }
  get conflictUnit(): number {
    return this.top.conflictUnit;
  }
  /** Blocks the writable top holds. */
  get topAllocatedBlocks(): number {
    return this.top.allocatedBlocks;
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return this.top.read(offset, length);
  }
  write(offset: number, data: Uint8Array): Promise<void> {
    return this.top.write(offset, data);
  }
  readNow(offset: number, dest: Uint8Array): boolean {
    return this.top.readNow(offset, dest);
  }
  writeNow(offset: number, data: Uint8Array): boolean {
    return this.top.writeNow(offset, data);
  }
  flush(): Promise<void> {
    return this.top.flush();
  }
  close(): Promise<void> {
    return this.top.close();
  }

  /**
   * Freeze the top as chain layer `id` and go on in a new empty top. The caller has paused the
   * guest and drained the device (no request in flight). On failure nothing changed.
   */
  async freezeAs(id: string): Promise<void> {
    await this.top.flush();
    try {
      await this.chain.freeze(id, {
        open: async (file) => {
          this.pending = await OverlayDisk.open(file, this.base, { lower: this.top });
        },
        switched: () => {
          // The old top's file is now the layer (same inode); it takes no more writes.
          this.top = this.pending!;
          this.pending = undefined;
        },
        abandon: async () => {
          // Close the new file only: its lower, the live top, stays open.
          await this.pending?.closeOwnFile();
          this.pending = undefined;
        },
      });
    } catch (err) {
      if (err instanceof DiskChainError) throw new DiskError(err.message, err.hint);
      throw err;
    }
    await this.lowerOfTop().freeze();
  }

  private lowerOfTop(): OverlayDisk {
    return this.top.lowerOverlay!;
  }
}
