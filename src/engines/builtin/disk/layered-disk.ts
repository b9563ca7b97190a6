// The builtin engine's disks as chains of overlays (engines/shared/disk-chain.ts): every layer is an
// overlay made for the image below the chain (overlay-format.ts; the header names the image, the
// chain manifest says which layer lies on which), opened read-only below the writable top. For the
// root disk that image is the box's root disk; for an extra disk it is the machine's own raw file,
// written in place until the disk's first snapshot makes a top on it (`startTop`) and never again
// after. `LayeredDisk` is what the virtio-blk device holds: a snapshot of the running machine freezes
// its top in place and carries on writing into a new one, without the device noticing.
import { unlink } from 'node:fs/promises';
import type { BlockBackend } from '../../../emulator/devices/virtio/blk.js';
import { DiskChain, DiskChainError, type LayerOps } from '../../shared/disk-chain.js';
import { DiskError } from '../../errors.js';
import { DEFAULT_BLOCK_SIZE } from './overlay-format.js';
import { absorbLayer, OverlayDisk, type BaseImage } from './overlay-disk.js';
import { RawDisk } from './raw-disk.js';

/** How a chain's lowest image is known: the box's root disk, or an extra disk's raw file (`inPlace`). */
export interface ChainBase {
  base: BaseImage;
  /** The raw file is the disk itself until its first snapshot. */
  inPlace?: boolean;
  /** What the disk is called in messages. */
  label?: string;
}

export function builtinLayerOps(b: ChainBase): LayerOps {
  const { base } = b;
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
    ...(b.inPlace ? { startTop: async (topPath: string) => void (await OverlayDisk.create(topPath, base)) } : {}),
  };
}

/** The chain whose writable top is `topPath`. */
export function chainAt(topPath: string, b: ChainBase, o: ConstructorParameters<typeof DiskChain>[2] = {}): DiskChain {
  return new DiskChain(topPath, builtinLayerOps(b), { label: b.label, ...o });
}

export class LayeredDisk implements BlockBackend {
  private pending: OverlayDisk | undefined;

  private constructor(
    /** A raw top: an extra disk not layered yet. */
    private top: OverlayDisk | RawDisk,
    private readonly chain: DiskChain,
    private readonly b: ChainBase,
  ) {}

  /**
   * Open the chain: finishes a step a crash interrupted, then the layers from the lowest up. An
   * extra disk (`b.inPlace`) with no top yet is its raw file, opened for writing.
   */
  static async open(topPath: string, b: ChainBase): Promise<LayeredDisk> {
    const chain = chainAt(topPath, b);
    let lowers: string[];
    try {
      await chain.recover();
      if (b.inPlace && !(await chain.layered())) return new LayeredDisk(await RawDisk.open(b.base.path), chain, b);
      lowers = await chain.lowerFiles();
    } catch (err) {
      if (err instanceof DiskChainError) throw new DiskError(err.message, err.hint);
      throw err;
    }
    let below: OverlayDisk | undefined;
    try {
      for (const f of lowers.reverse()) below = await OverlayDisk.open(f, b.base, { readOnly: true, lower: below });
      return new LayeredDisk(await OverlayDisk.open(topPath, b.base, { lower: below }), chain, b);
    } catch (err) {
      await below?.close().catch(() => {});
      throw err;
    }
  }

  /** The writable top's path, which names the disk's chain. */
  get topPath(): string {
    return this.chain.topPath;
  }

  get sizeBytes(): number {
    return this.top.sizeBytes;
  }
  get readOnly(): boolean {
    return this.top.readOnly;
  }
  /** The overlay's block even while the top is raw: the device reads it once, and the top may become an overlay. */
  get conflictUnit(): number {
    return this.top instanceof OverlayDisk ? this.top.conflictUnit : DEFAULT_BLOCK_SIZE;
  }
  /** Blocks the writable top holds (0 while it is raw). */
  get topAllocatedBlocks(): number {
    return this.top instanceof OverlayDisk ? this.top.allocatedBlocks : 0;
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
   * guest and drained the device (no request in flight). On failure the disk reads as before.
   */
  async freezeAs(id: string): Promise<void> {
    await this.top.flush();
    try {
      if (this.top instanceof RawDisk) await this.startTop(this.top);
      await this.chain.freeze(id, {
        open: async (file) => {
          this.pending = await OverlayDisk.open(file, this.b.base, { lower: this.top as OverlayDisk });
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
    await (this.top as OverlayDisk).lowerOverlay!.freeze();
  }

  /** The raw file becomes the image under an empty overlay top; it is not written again. */
  private async startTop(raw: RawDisk): Promise<void> {
    await this.chain.recover();
    const made = !(await this.chain.layered());
    if (made) await builtinLayerOps(this.b).startTop!(this.topPath);
    try {
      this.top = await OverlayDisk.open(this.topPath, this.b.base);
    } catch (err) {
      // The raw file stays the disk: the top it would have had goes.
      if (made) await unlink(this.topPath).catch(() => {});
      throw err;
    }
    await raw.close();
  }
}
