// Where boot images go in guest RAM, the way QEMU's hw/riscv/boot.c places them: firmware at the
// start of DRAM, the kernel at DRAM + the Image header's text_offset (0x20_0000 for RV64), the
// initrd at kernel + min(RAM/2, 128 MiB), the DTB at ALIGN_DOWN(min(DRAM end, 3 GiB) - size, 2 MiB).
// Image header: Linux Documentation/riscv/boot-image-header.rst.

const RISCV_IMAGE_MAGIC = 'RISCV\0\0\0';
const RISCV_IMAGE_MAGIC2 = 'RSC\x05';
const IMAGE_HEADER_SIZE = 64;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** Where a kernel without an Image header (a raw binary) goes: 2 MiB into DRAM, as QEMU does for RV64. */
export const DEFAULT_KERNEL_OFFSET = 2 * MiB;

/** A boot image that cannot be placed: bad header, or it does not fit in the configured RAM. */
export class BootImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BootImageError';
  }
}

export interface ImageHeader {
  textOffset: number;
  /** Bytes the kernel occupies once running, .bss included (0 when the header does not say). */
  imageSize: number;
}

function ascii(b: Uint8Array, off: number, len: number): string {
  return String.fromCharCode(...b.subarray(off, off + len));
}

/** Parse a RISC-V Linux Image header; null if `kernel` is not an Image (e.g. a raw binary). */
export function parseImageHeader(kernel: Uint8Array): ImageHeader | null {
  if (kernel.length < IMAGE_HEADER_SIZE) return null;
  if (ascii(kernel, 48, 8) !== RISCV_IMAGE_MAGIC && ascii(kernel, 56, 4) !== RISCV_IMAGE_MAGIC2) return null;
  const dv = new DataView(kernel.buffer, kernel.byteOffset, kernel.byteLength);
  const u64 = (off: number): number => dv.getUint32(off + 4, true) * 2 ** 32 + dv.getUint32(off, true);
  return { textOffset: u64(8), imageSize: u64(16) };
}

export interface LayoutInput {
  ramBase: number;
  ramSize: number;
  kernelSize?: number;
  /** From the Image header, when the kernel has one. */
  header?: ImageHeader | null;
  initrdSize?: number;
  firmwareSize?: number;
}

export interface BootLayout {
  firmwareAddr?: number;
  kernelAddr?: number;
  /** End of the kernel's running footprint (image_size), which the initrd must not overlap. */
  kernelEnd?: number;
  initrdStart?: number;
  initrdEnd?: number;
}

const hex = (n: number): string => `0x${n.toString(16)}`;
const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;

/** Place firmware, kernel and initrd. Throws BootImageError when something does not fit. */
export function planLayout(i: LayoutInput): BootLayout {
  const ramEnd = i.ramBase + i.ramSize;
  const out: BootLayout = {};
  if (i.firmwareSize !== undefined) {
    out.firmwareAddr = i.ramBase;
    if (i.firmwareSize > DEFAULT_KERNEL_OFFSET) {
      throw new BootImageError(`the firmware image is ${mib(i.firmwareSize)}; at most 2 MiB fits below the kernel`);
    }
  }
  if (i.kernelSize !== undefined) {
    const textOffset = i.header ? i.header.textOffset : DEFAULT_KERNEL_OFFSET;
    if (textOffset % 4096 !== 0 || textOffset >= i.ramSize) {
      throw new BootImageError(`the kernel Image header asks for text_offset ${hex(textOffset)}, which is not usable`);
    }
    out.kernelAddr = i.ramBase + textOffset;
    const footprint = Math.max(i.kernelSize, i.header?.imageSize ?? 0);
    out.kernelEnd = out.kernelAddr + footprint;
    if (out.kernelEnd > ramEnd) {
      throw new BootImageError(`the kernel needs ${mib(footprint)} at ${hex(out.kernelAddr)}, more than the ${mib(i.ramSize)} of RAM`);
    }
    if (i.initrdSize !== undefined) {
      out.initrdStart = out.kernelAddr + Math.min(i.ramSize / 2, 128 * MiB);
      out.initrdEnd = out.initrdStart + i.initrdSize;
      if (out.initrdStart < out.kernelEnd) {
        throw new BootImageError(`the kernel (${mib(footprint)}) is too large for ${mib(i.ramSize)} of RAM: it would overlap the initrd; give the machine more memory`);
      }
    }
  } else if (i.initrdSize !== undefined) {
    throw new BootImageError('an initrd needs a kernel');
  }
  return out;
}

/** Address of a DTB of `size` bytes; checks it does not overlap what `layout` placed. */
export function placeDtb(ramBase: number, ramSize: number, size: number, layout: BootLayout): number {
  const ramEnd = ramBase + ramSize;
  const top = ramBase < 3 * GiB ? Math.min(ramEnd, 3 * GiB) : ramEnd;
  const addr = Math.floor((top - size) / (2 * MiB)) * 2 * MiB;
  const floor = Math.max(layout.initrdEnd ?? 0, layout.kernelEnd ?? 0, ramBase);
  if (addr < floor) {
    throw new BootImageError(`the boot images (${mib(floor - ramBase)}) do not fit in ${mib(ramSize)} of RAM with the device tree; give the machine more memory`);
  }
  return addr;
}

// OpenSBI fw_dynamic_info (include/sbi/fw_dynamic.h), which QEMU passes in a2 to any firmware.
const FW_DYNAMIC_INFO_MAGIC = 0x4942534f; // "OSBI"
const FW_DYNAMIC_INFO_VERSION = 2;
const FW_DYNAMIC_INFO_NEXT_MODE_S = 1;

/** The fw_dynamic_info block: tells OpenSBI where the next stage (the kernel) is and in which mode. */
export function fwDynamicInfo(nextAddr: number, bootHart = 0): Uint8Array {
  const out = new Uint8Array(48);
  const dv = new DataView(out.buffer);
  const put = (i: number, v: number): void => {
    dv.setUint32(i * 8, v >>> 0, true);
    dv.setUint32(i * 8 + 4, Math.floor(v / 2 ** 32), true);
  };
  put(0, FW_DYNAMIC_INFO_MAGIC);
  put(1, FW_DYNAMIC_INFO_VERSION);
  put(2, nextAddr);
  put(3, FW_DYNAMIC_INFO_NEXT_MODE_S);
  put(4, 0); // options
  put(5, bootHart);
  return out;
}
