// The builtin engine's machine state file (suspend, memory snapshots): a versioned header, records
// compressed one by one with raw DEFLATE (RFC 1951), and a SHA-256 of everything before it.
//
//   "VM-STATE" | u32 format | u32 header length | header JSON | records... | end record | sha256[32]
//   record:  u8 kind | u32 arg | u32 raw length | u32 stored length | stored bytes
//   kinds:   1 machine state (emulator/snapshot encoding), 2 RAM pages (arg = count n: n u32 page
//            numbers, then the n pages), 0 end
//
// RAM is written sparsely (only pages that are not all zero), up to 256 pages per record. A file is
// written to a private temp file, fsynced and renamed over the old one, so a crash at any point leaves
// the old file or the new one. It is read whole and its checksum verified before anything in it is used.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';
import type { Ram } from '../../../emulator/memory/ram.js';
import { nonZeroPages, PAGE_SIZE, pageBytes, writePage, zeroPagesNotWritten } from '../../../emulator/snapshot/ram-pages.js';
import { decodeState, encodeState, SnapshotError, type StateObject, type StateValue } from '../../../emulator/snapshot/state-value.js';
import { syncDir } from '../../shared/atomic-file.js';
import { residentPages } from './resident-pages.js';

const MAGIC = Buffer.from('VM-STATE', 'latin1');
export const STATE_FILE_FORMAT = 1;
const KIND_END = 0;
const KIND_STATE = 1;
const KIND_RAM = 2;
const RECORD_HEAD = 13;
const SHA_BYTES = 32;
/** Pages per RAM record: small enough to compress and check one at a time. */
const RECORD_PAGES = 256;
/** Speed over ratio: a suspend should take about as long as writing the file. */
const DEFLATE_LEVEL = 1;
const MAX_HEADER = 64 * 1024;

/**
 * The version of vm that writes state files; a file from another version is refused. From vm's
 * package.json, the first one up from this module's folder: four levels up for the module
 * (src/ or dist/engines/builtin/snapshot/), three for the engine's one-file bundle
 * (dist/engines/builtin/, scripts/bundle-engine.js), which both must read alike.
 */
export const VM_VERSION: string = vmVersionFrom(import.meta.dirname);

export function vmVersionFrom(dir: string): string {
  for (let at = dir, up = 0; up < 6; at = dirname(at), up++) {
    let text: string;
    try {
      text = readFileSync(join(at, 'package.json'), 'utf8');
    } catch {
      continue;
    }
    try {
      const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
      if (pkg.name === 'vm') return typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      // not JSON: go on up
    }
  }
  return 'unknown';
}

export interface StateFileHeader {
  /** vm's version at writing. */
  vm: string;
  /** Machine name, for messages. */
  machine: string;
  ramBytes: number;
  cpus: number;
  /** ISO time of writing. */
  savedAt: string;
  /** Whatever the engine wants back on load (ready flag, wall time at save...). */
  engine: StateObject;
}

/** A state file that cannot be used: damaged, truncated, of another version, or of another machine. */
export class StateFileError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'StateFileError';
  }
}

/** What a paused machine hands to be written: taken synchronously, so nothing changes in between. */
export interface CapturedState {
  header: StateFileHeader;
  /** The encoded state and the compressed RAM, ready to write. */
  chunks: Buffer[];
  /** Bytes of RAM that were not zero. */
  ramStored: number;
}

function record(kind: number, arg: number, raw: Uint8Array): Buffer[] {
  const stored = deflateRawSync(raw, { level: DEFLATE_LEVEL });
  const head = Buffer.alloc(RECORD_HEAD);
  head.writeUInt8(kind, 0);
  head.writeUInt32LE(arg, 1);
  head.writeUInt32LE(raw.length, 5);
  head.writeUInt32LE(stored.length, 9);
  return [head, stored];
}

/** Encode a paused machine's state and compress its RAM, synchronously (the guest cannot change it meanwhile). */
export function captureState(fields: Omit<StateFileHeader, 'vm'>, state: StateObject, ram: Ram): CapturedState {
  const header: StateFileHeader = { vm: VM_VERSION, ...fields };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const pre = Buffer.alloc(16);
  MAGIC.copy(pre, 0);
  pre.writeUInt32LE(STATE_FILE_FORMAT, 8);
  pre.writeUInt32LE(headerBytes.length, 12);
  const chunks: Buffer[] = [pre, headerBytes, ...record(KIND_STATE, 0, Buffer.from(encodeState(state), 'utf8'))];
  let ramStored = 0;
  const batch = Buffer.alloc(RECORD_PAGES * (4 + PAGE_SIZE));
  let n = 0;
  const flush = (): void => {
    if (n === 0) return;
    // Page numbers first, then the pages: move the numbers' block up against the data.
    const raw = Buffer.concat([batch.subarray(0, 4 * n), batch.subarray(4 * RECORD_PAGES, 4 * RECORD_PAGES + n * PAGE_SIZE)]);
    chunks.push(...record(KIND_RAM, n, raw));
    ramStored += n * PAGE_SIZE;
    n = 0;
  };
  for (const page of nonZeroPages(ram, residentPages(ram))) {
    batch.writeUInt32LE(page, 4 * n);
    batch.set(pageBytes(ram, page), 4 * RECORD_PAGES + n * PAGE_SIZE);
    if (++n === RECORD_PAGES) flush();
  }
  flush();
  chunks.push(...record(KIND_END, 0, new Uint8Array(0)));
  return { header, chunks, ramStored };
}

/** Write `c` to `path` atomically (temp file, fsync, rename, fsync of the folder). Returns the file's size. */
export async function writeStateFile(path: string, c: CapturedState): Promise<number> {
  const tmp = `${path}.tmp-${process.pid}`;
  const hash = createHash('sha256');
  let size = 0;
  await unlink(tmp).catch(() => {});
  const fh = await open(tmp, 'wx', 0o600);
  try {
    for (const chunk of c.chunks) {
      hash.update(chunk);
      await fh.write(chunk);
      size += chunk.length;
    }
    await fh.write(hash.digest());
    size += SHA_BYTES;
    await fh.sync();
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
  return size;
}

/** A checked state file, ready to apply. */
export interface LoadedState {
  header: StateFileHeader;
  state: StateValue;
  /** Write the saved RAM into `ram` (the rest of it zeroed). The records decompress on libuv's
   *  threads from the moment the file is read, while the machine is being built. */
  applyRam(ram: Ram): Promise<void>;
}

const inflateRawAsync = promisify(inflateRaw) as (buf: Buffer, options: { chunkSize: number }) => Promise<Buffer>;

/**
 * Read and verify `path`. Nothing is returned from a file that fails any check. The RAM records
 * start decompressing at once unless `o.ram` is false (a check of the file alone: applyRam then
 * decompresses them when called).
 */
export async function readStateFile(path: string, o: { ram?: boolean } = {}): Promise<LoadedState> {
  const damaged = (why: string): StateFileError =>
    new StateFileError(`the saved machine state ${path} is damaged (${why}); it was not loaded`, '`vm halt` discards it; the machine then boots afresh with its disks.');
  let buf: Buffer;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new StateFileError(`the saved machine state ${path} is not a regular file`);
    buf = await readFile(path);
  } catch (err) {
    if (err instanceof StateFileError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new StateFileError(`the saved machine state ${path} is missing`);
    throw new StateFileError(`cannot read the saved machine state ${path}: ${e.message}`);
  }
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw damaged('not a vm state file');
  if (buf.length < 16 + SHA_BYTES) throw damaged('truncated');
  const format = buf.readUInt32LE(8);
  const headerLen = buf.readUInt32LE(12);
  if (format !== STATE_FILE_FORMAT) {
    throw new StateFileError(`the saved machine state ${path} has format ${format}; this vm (${VM_VERSION}) reads format ${STATE_FILE_FORMAT}`, 'Resume it with the vm version that wrote it, or discard it with `vm halt`.');
  }
  const body = buf.subarray(0, buf.length - SHA_BYTES);
  if (!createHash('sha256').update(body).digest().equals(buf.subarray(buf.length - SHA_BYTES))) throw damaged('checksum mismatch: truncated or corrupted');
  if (headerLen > MAX_HEADER || 16 + headerLen > body.length) throw damaged('bad header length');
  let header: StateFileHeader;
  try {
    header = JSON.parse(body.subarray(16, 16 + headerLen).toString('utf8')) as StateFileHeader;
  } catch {
    throw damaged('header is not JSON');
  }
  if (!header || typeof header !== 'object' || typeof header.vm !== 'string' || !Number.isSafeInteger(header.ramBytes) || !Number.isSafeInteger(header.cpus)) throw damaged('bad header');
  if (header.vm !== VM_VERSION) {
    throw new StateFileError(`the saved machine state ${path} was written by vm ${header.vm}; this is vm ${VM_VERSION}, which does not load another version's state`, 'Resume it with vm ' + header.vm + ', or discard it with `vm halt`.');
  }
  let state: StateValue | undefined;
  const runs: { pages: number; at: number; raw: number; stored: number }[] = [];
  let at = 16 + headerLen;
  for (;;) {
    if (at + RECORD_HEAD > body.length) throw damaged('records run past the end');
    const kind = body.readUInt8(at);
    const arg = body.readUInt32LE(at + 1);
    const raw = body.readUInt32LE(at + 5);
    const stored = body.readUInt32LE(at + 9);
    at += RECORD_HEAD;
    if (at + stored > body.length) throw damaged('a record runs past the end');
    if (kind === KIND_END) {
      at += stored;
      break;
    }
    if (kind === KIND_STATE) {
      try {
        state = decodeState(inflateRawSync(body.subarray(at, at + stored)).toString('utf8'));
      } catch (err) {
        throw damaged(err instanceof SnapshotError ? err.message : 'machine state does not decompress');
      }
    } else if (kind === KIND_RAM) {
      if (arg === 0 || arg > RECORD_PAGES || raw !== arg * (4 + PAGE_SIZE)) throw damaged(`RAM record of ${arg} pages in ${raw} bytes`);
      runs.push({ pages: arg, at, raw, stored });
    } else {
      throw damaged(`unknown record kind ${kind}`);
    }
    at += stored;
  }
  if (at !== body.length) throw damaged('bytes after the end record');
  if (state === undefined) throw damaged('no machine state record');
  const found = state;
  // One output buffer of each record's known size: zlib then has no chunks to join.
  const inflate = (): Promise<(Buffer | null)[]> =>
    Promise.all(runs.map((r) => inflateRawAsync(body.subarray(r.at, r.at + r.stored), { chunkSize: Math.max(64, r.raw + 64) }).catch(() => null)));
  let inflated = o.ram === false ? undefined : inflate();
  return {
    header,
    state: found,
    async applyRam(ram: Ram): Promise<void> {
      if (ram.size !== header.ramBytes) throw new SnapshotError(`the state is of ${header.ramBytes} bytes of RAM, the machine has ${ram.size}`);
      const records = await (inflated ??= inflate());
      const backed = residentPages(ram);
      const written = new Uint8Array(ram.size / PAGE_SIZE);
      for (let k = 0; k < runs.length; k++) {
        const r = runs[k]!;
        const bytes = records[k];
        if (!bytes) throw damaged('a RAM record does not decompress');
        if (bytes.length !== r.raw) throw damaged(`a RAM record has ${bytes.length} bytes, not ${r.raw}`);
        for (let i = 0; i < r.pages; i++) {
          const page = bytes.readUInt32LE(4 * i);
          const at = 4 * r.pages + i * PAGE_SIZE;
          writePage(ram, page, bytes.subarray(at, at + PAGE_SIZE));
          written[page] = 1;
        }
      }
      zeroPagesNotWritten(ram, written, backed);
    },
  };
}
