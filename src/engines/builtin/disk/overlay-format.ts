// The copy-on-write overlay file format ("vm overlay", version 1): a machine's writes on top of a
// read-only base image (the box's root disk), in a sparse file of bounded size.
//
// Layout (all integers little-endian):
//
//   offset  size  field
//   0       8     magic "VMOVL\r\n\x1a" (the CR/LF/EOF bytes catch text-mode mangling, as PNG's do)
//   8       4     format version = 1
//   12      4     block size in bytes (a power of two, 512 .. 1 MiB; 4096 by default)
//   16      8     virtual disk size in bytes (what the guest sees; >= base size; <= 2 TiB)
//   24      8     base image size in bytes
//   32      32    base image sha256 (raw), as box.json records it: the overlay belongs to that image
//   64      8     map offset (= 4096)
//   72      8     map length in bytes (ceil(blocks / 8), rounded up to 4096)
//   80      8     data offset (map offset + map length, rounded up to the block size)
//   88      4     flags (0; readers refuse unknown flags)
//   92      32    sha256 of bytes 0 .. 91 (the header is written once, at creation, and never again)
//   124     ...   zero up to 4096
//
//   map:  one bit per block, block i at byte i >> 3, bit i & 7. 1 = the block's current contents
//         are in this file; 0 = read the base image (zeros past its end).
//   data: block i lives at data offset + i * block size. The file is sparse: blocks never written
//         take no space, and it can never grow past data offset + blocks * block size.
//
// Crash safety (what a guest's FLUSH promises): a write goes to its block's fixed place and sets the
// block's bit in memory only. FLUSH first fdatasyncs the file (the data is durable), then writes the
// changed map pages and fdatasyncs again. Bits are only ever set, never cleared, so whatever part of
// a map write survives a crash names only blocks whose data was already durable; a block whose bit
// did not reach the disk reads from the base again, exactly as unflushed writes may be lost.
// A partial write to a block not yet in the file copies the base block first (read-modify-write).

import { createHash } from 'node:crypto';

export const OVERLAY_MAGIC = Uint8Array.from([0x56, 0x4d, 0x4f, 0x56, 0x4c, 0x0d, 0x0a, 0x1a]); // "VMOVL\r\n\x1a"
export const OVERLAY_VERSION = 1;
export const OVERLAY_HEADER_SIZE = 4096;
export const DEFAULT_BLOCK_SIZE = 4096;
const HEADER_HASHED = 92;
const MAP_ALIGN = 4096;
const MIN_BLOCK = 512;
const MAX_BLOCK = 1024 * 1024;
/** Virtual sizes up to 2 TiB: offsets stay exact Numbers with room to spare. */
export const MAX_VIRTUAL_SIZE = 2 ** 41;
/** The block map is held in memory: at most this many bytes of it. */
const MAX_MAP = 64 * 1024 * 1024;

export interface OverlayHeader {
  blockSize: number;
  virtualSize: number;
  baseSize: number;
  /** Hex, lower case. */
  baseSha256: string;
  mapOffset: number;
  mapLength: number;
  dataOffset: number;
}

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** The header for a new overlay of `virtualSize` bytes over a base of `baseSize` bytes. */
export function planOverlay(o: { virtualSize: number; baseSize: number; baseSha256: string; blockSize?: number }): OverlayHeader {
  const blockSize = o.blockSize ?? DEFAULT_BLOCK_SIZE;
  const problem = checkGeometry(blockSize, o.virtualSize, o.baseSize) ?? checkSha(o.baseSha256);
  if (problem) throw new RangeError(problem);
  const blocks = Math.ceil(o.virtualSize / blockSize);
  const mapLength = roundUp(Math.max(1, Math.ceil(blocks / 8)), MAP_ALIGN);
  const mapOffset = OVERLAY_HEADER_SIZE;
  return {
    blockSize,
    virtualSize: o.virtualSize,
    baseSize: o.baseSize,
    baseSha256: o.baseSha256.toLowerCase(),
    mapOffset,
    mapLength,
    dataOffset: roundUp(mapOffset + mapLength, blockSize),
  };
}

/** Largest size the overlay file can reach. */
export function overlayBound(h: OverlayHeader): number {
  return h.dataOffset + Math.ceil(h.virtualSize / h.blockSize) * h.blockSize;
}

export function encodeHeader(h: OverlayHeader): Uint8Array {
  const buf = new Uint8Array(OVERLAY_HEADER_SIZE);
  const v = new DataView(buf.buffer);
  buf.set(OVERLAY_MAGIC, 0);
  v.setUint32(8, OVERLAY_VERSION, true);
  v.setUint32(12, h.blockSize, true);
  v.setBigUint64(16, BigInt(h.virtualSize), true);
  v.setBigUint64(24, BigInt(h.baseSize), true);
  buf.set(Buffer.from(h.baseSha256, 'hex'), 32);
  v.setBigUint64(64, BigInt(h.mapOffset), true);
  v.setBigUint64(72, BigInt(h.mapLength), true);
  v.setBigUint64(80, BigInt(h.dataOffset), true);
  v.setUint32(88, 0, true);
  buf.set(createHash('sha256').update(buf.subarray(0, HEADER_HASHED)).digest(), HEADER_HASHED);
  return buf;
}

/** Parse and check a header; throws an Error saying what is wrong (the caller names the file). */
export function decodeHeader(buf: Uint8Array): OverlayHeader {
  if (buf.length < OVERLAY_HEADER_SIZE) throw new Error(`it is shorter than the ${OVERLAY_HEADER_SIZE}-byte header`);
  for (let i = 0; i < OVERLAY_MAGIC.length; i++) if (buf[i] !== OVERLAY_MAGIC[i]) throw new Error('it is not a vm overlay (bad magic)');
  const v = new DataView(buf.buffer, buf.byteOffset, OVERLAY_HEADER_SIZE);
  const version = v.getUint32(8, true);
  if (version !== OVERLAY_VERSION) throw new Error(`it has overlay format version ${version}; this vm reads version ${OVERLAY_VERSION}`);
  const sum = createHash('sha256').update(buf.subarray(0, HEADER_HASHED)).digest();
  if (!sum.equals(buf.subarray(HEADER_HASHED, HEADER_HASHED + 32))) throw new Error('its header checksum does not match (the header is damaged)');
  const big = (off: number): number => {
    const n = v.getBigUint64(off, true);
    return n > BigInt(MAX_VIRTUAL_SIZE) * 2n ? Number.NaN : Number(n);
  };
  const h: OverlayHeader = {
    blockSize: v.getUint32(12, true),
    virtualSize: big(16),
    baseSize: big(24),
    baseSha256: Buffer.from(buf.subarray(32, 64)).toString('hex'),
    mapOffset: big(64),
    mapLength: big(72),
    dataOffset: big(80),
  };
  if (v.getUint32(88, true) !== 0) throw new Error('it uses header flags this vm does not know');
  const problem = checkGeometry(h.blockSize, h.virtualSize, h.baseSize);
  if (problem) throw new Error(problem);
  const expected = planOverlay({ virtualSize: h.virtualSize, baseSize: h.baseSize, baseSha256: h.baseSha256, blockSize: h.blockSize });
  if (h.mapOffset !== expected.mapOffset || h.mapLength !== expected.mapLength || h.dataOffset !== expected.dataOffset) {
    throw new Error('its map and data offsets do not match its sizes');
  }
  return h;
}

function checkGeometry(blockSize: number, virtualSize: number, baseSize: number): string | null {
  if (!Number.isInteger(blockSize) || blockSize < MIN_BLOCK || blockSize > MAX_BLOCK || (blockSize & (blockSize - 1)) !== 0) {
    return `block size ${blockSize} is not a power of two from ${MIN_BLOCK} to ${MAX_BLOCK}`;
  }
  if (!Number.isSafeInteger(virtualSize) || virtualSize <= 0 || virtualSize > MAX_VIRTUAL_SIZE || virtualSize % 512 !== 0) {
    return `virtual size ${virtualSize} is not a whole number of 512-byte sectors up to 2 TiB`;
  }
  if (virtualSize / blockSize / 8 > MAX_MAP) return `block size ${blockSize} is too small for a ${virtualSize}-byte disk (the block map would exceed ${MAX_MAP} bytes)`;
  if (!Number.isSafeInteger(baseSize) || baseSize < 0 || baseSize > virtualSize) return `base size ${baseSize} is negative or larger than the virtual size ${virtualSize}`;
  return null;
}

function checkSha(hex: string): string | null {
  return /^[0-9a-fA-F]{64}$/.test(hex) ? null : `base sha256 "${hex}" is not 64 hex digits`;
}
