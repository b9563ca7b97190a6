// Reads boot images (kernel, initrd, firmware) from the host for the builtin engine: regular files
// only, bounded sizes, gzip accepted (the emulator itself only ever sees plain bytes).

import { open } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { BootFileError } from '../errors.js';

const gunzipAsync = promisify(gunzip);
const GZIP_MAGIC = [0x1f, 0x8b];


/**
 * Read `path` as the `label` image ("kernel", "initrd", "firmware"), decompressing gzip.
 * `maxBytes` bounds both the file and its decompressed size, so a hostile archive cannot balloon.
 */
export async function readBootImage(path: string, label: string, maxBytes: number): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BootFileError(`${label} image not found: ${path}`);
    if (code === 'EACCES') throw new BootFileError(`${label} image is not readable: ${path}`);
    if (code === 'EISDIR') throw new BootFileError(`${label} image is a directory, not a file: ${path}`);
    throw new BootFileError(`cannot open ${label} image ${path}: ${(err as Error).message}`);
  }
  let raw: Buffer;
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new BootFileError(`${label} image is a directory, not a file: ${path}`);
    if (!st.isFile()) throw new BootFileError(`${label} image is not a regular file: ${path}`);
    if (st.size === 0) throw new BootFileError(`${label} image is empty: ${path}`);
    if (st.size > maxBytes) {
      throw new BootFileError(`${label} image ${path} is ${st.size} bytes, more than the ${maxBytes} that fit in the machine's memory`, 'give the machine more memory (--memory)');
    }
    raw = await fh.readFile();
  } finally {
    await fh.close();
  }
  if (raw[0] !== GZIP_MAGIC[0] || raw[1] !== GZIP_MAGIC[1]) return new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  try {
    const out = await gunzipAsync(raw, { maxOutputLength: maxBytes });
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || /maxOutputLength|Cannot create a Buffer larger/.test((err as Error).message)) {
      throw new BootFileError(`${label} image ${path} decompresses to more than ${maxBytes} bytes, more than fits in the machine's memory`, 'give the machine more memory (--memory)');
    }
    throw new BootFileError(`${label} image ${path} looks gzip-compressed but does not decompress: ${(err as Error).message}`);
  }
}

/** Bytes of an image's head a stand-in keeps: a RISC-V Image header (emulator/machine/loader.ts). */
const STAND_IN_HEAD = 64;

/**
 * For a machine that resumes a saved state (its RAM is the state's, the images are never copied
 * in: virt.ts `restoring`): an image's stand-in of its real (decompressed) length holding only its
 * first bytes, which is all the memory layout is planned from. Reading and decompressing the
 * whole images was work a resume waited behind. The untouched rest of the array costs no memory.
 * A gzip image's length is its trailer's ISIZE (RFC 1952 section 2.3.1); a gzip kernel, whose
 * header is inside the compressed data, is read whole. The same checks as readBootImage.
 */
export async function readBootImageStandIn(path: string, label: string, maxBytes: number): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    // readBootImage says why, as a boot would
    return readBootImage(path, label, maxBytes);
  }
  let size: number;
  const head = Buffer.alloc(STAND_IN_HEAD);
  let gzip: boolean;
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size === 0 || st.size > maxBytes) return await readBootImage(path, label, maxBytes);
    const { bytesRead } = await fh.read(head, 0, STAND_IN_HEAD, 0);
    gzip = bytesRead >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    size = st.size;
    if (gzip && label !== 'kernel' && st.size >= 18) {
      const trailer = Buffer.alloc(4);
      await fh.read(trailer, 0, 4, st.size - 4);
      size = trailer.readUInt32LE(0);
    }
  } finally {
    await fh.close();
  }
  if (gzip && label === 'kernel') return readBootImage(path, label, maxBytes);
  if (size === 0 || size > maxBytes) return readBootImage(path, label, maxBytes);
  const out = new Uint8Array(size);
  if (!gzip) out.set(head.subarray(0, Math.min(size, STAND_IN_HEAD)));
  return out;
}
