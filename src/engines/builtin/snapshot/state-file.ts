// The builtin engine's machine state file (suspend, memory snapshots, warm images): a versioned
// header and records, each with a CRC-32 (ISO-HDLC, as zlib's) of itself, so that any part can be
// checked on its own as it is used.
//
//   "VM-STATE" | u32 format | u32 header length | header JSON | u32 crc of all before it | records...
//   record:  u8 kind | u32 arg | u32 raw length | u32 stored length | u32 crc | stored bytes
//            (the crc is of the record's first 13 bytes and its stored bytes)
//   kinds:   1 machine state (emulator/snapshot encoding, raw DEFLATE, RFC 1951)
//            2 RAM pages, raw DEFLATE (arg = count n: n u32 page numbers, then the n pages)
//            3 RAM run, stored as is (arg = first page; the pages that follow it in guest memory)
//            0 end: nothing stored, the last bytes of the file
//
// RAM is written sparsely (only pages that are not all zero). Suspends and snapshots compress it,
// up to 256 pages per record; a warm image stores it as runs, which a resume reads straight into
// the guest's memory on libuv's threads without a copy or a decompression (start-up is what a warm
// image is for). A file is written to a private temp file, fsynced and renamed over the old one, so
// a crash at any point leaves the old file or the new one. Each record's crc is verified before
// anything in it is used, and a resume's RAM before the guest runs an instruction.

import { closeSync, fstatSync, openSync, read, readFileSync, readSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32, deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';
import type { Ram } from '../../../emulator/memory/ram.js';
import { nonZeroPages, PAGE_SIZE, pageBytes, writePage, zeroPagesNotWritten } from '../../../emulator/snapshot/ram-pages.js';
import { decodeState, encodeState, SnapshotError, type StateObject, type StateValue } from '../../../emulator/snapshot/state-value.js';
import { syncDir } from '../../shared/atomic-file.js';
import { residentPages } from './resident-pages.js';

const MAGIC = Buffer.from('VM-STATE', 'latin1');
export const STATE_FILE_FORMAT = 2;
const KIND_END = 0;
const KIND_STATE = 1;
const KIND_RAM = 2;
const KIND_RAM_RUN = 3;
/** Magic, format, header length. */
const PRE = 16;
const CRC_BYTES = 4;
/** A record's head: kind, arg, raw length, stored length (what its crc covers), then the crc. */
const RECORD_HEAD = 17;
const HEAD_CRC_AT = 13;
/** Pages per compressed RAM record: small enough to compress and check one at a time. */
const RECORD_PAGES = 256;
/** Pages per stored RAM run: a run longer than this is split, so every length fits a u32. */
const RUN_PAGES = 16384;
/** Speed over ratio: a suspend should take about as long as writing the file. */
const DEFLATE_LEVEL = 1;
const MAX_HEADER = 64 * 1024;
/** Stored RAM runs read at once on a resume (libuv has four threads; the machine's files need some). */
const RAM_READERS = 2;
/** What a check reads at a time: the whole file never has to be in memory. */
const CHECK_CHUNK = 1024 * 1024;

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

/** How a state file keeps RAM: compressed (smaller: suspends, snapshots) or as runs a resume reads straight in (faster: warm images). */
export type RamEncoding = 'deflate' | 'runs';

function record(kind: number, arg: number, raw: number, stored: Uint8Array): Buffer[] {
  const head = Buffer.alloc(RECORD_HEAD);
  head.writeUInt8(kind, 0);
  head.writeUInt32LE(arg, 1);
  head.writeUInt32LE(raw, 5);
  head.writeUInt32LE(stored.length, 9);
  head.writeUInt32LE(crc32(stored, crc32(head.subarray(0, HEAD_CRC_AT))), HEAD_CRC_AT);
  return [head, Buffer.from(stored.buffer, stored.byteOffset, stored.length)];
}

function deflated(kind: number, arg: number, raw: Uint8Array): Buffer[] {
  return record(kind, arg, raw.length, deflateRawSync(raw, { level: DEFLATE_LEVEL }));
}

/**
 * Encode a paused machine's state and its RAM, synchronously (the guest cannot change it
 * meanwhile): RAM compressed, or as runs (`o.ram`), copied either way, as the guest may run on.
 */
export function captureState(fields: Omit<StateFileHeader, 'vm'>, state: StateObject, ram: Ram, o: { ram?: RamEncoding } = {}): CapturedState {
  const header: StateFileHeader = { vm: VM_VERSION, ...fields };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const pre = Buffer.alloc(PRE);
  MAGIC.copy(pre, 0);
  pre.writeUInt32LE(STATE_FILE_FORMAT, 8);
  pre.writeUInt32LE(headerBytes.length, 12);
  const headerCrc = Buffer.alloc(CRC_BYTES);
  headerCrc.writeUInt32LE(crc32(headerBytes, crc32(pre)), 0);
  const chunks: Buffer[] = [pre, headerBytes, headerCrc, ...deflated(KIND_STATE, 0, Buffer.from(encodeState(state), 'utf8'))];
  let ramStored = 0;
  if (o.ram === 'runs') {
    let first = -1;
    let n = 0;
    const flush = (): void => {
      if (n === 0) return;
      // A copy: a snapshot's guest runs on while the file is written.
      chunks.push(...record(KIND_RAM_RUN, first, n * PAGE_SIZE, Buffer.from(ram.bytes.subarray(first * PAGE_SIZE, (first + n) * PAGE_SIZE))));
      ramStored += n * PAGE_SIZE;
      n = 0;
    };
    for (const page of nonZeroPages(ram, residentPages(ram))) {
      if (n > 0 && (page !== first + n || n === RUN_PAGES)) flush();
      if (n === 0) first = page;
      n++;
    }
    flush();
  } else {
    const batch = Buffer.alloc(RECORD_PAGES * (4 + PAGE_SIZE));
    let n = 0;
    const flush = (): void => {
      if (n === 0) return;
      // Page numbers first, then the pages: move the numbers' block up against the data.
      const raw = Buffer.concat([batch.subarray(0, 4 * n), batch.subarray(4 * RECORD_PAGES, 4 * RECORD_PAGES + n * PAGE_SIZE)]);
      chunks.push(...deflated(KIND_RAM, n, raw));
      ramStored += n * PAGE_SIZE;
      n = 0;
    };
    for (const page of nonZeroPages(ram, residentPages(ram))) {
      batch.writeUInt32LE(page, 4 * n);
      batch.set(pageBytes(ram, page), 4 * RECORD_PAGES + n * PAGE_SIZE);
      if (++n === RECORD_PAGES) flush();
    }
    flush();
  }
  chunks.push(...record(KIND_END, 0, 0, new Uint8Array(0)));
  return { header, chunks, ramStored };
}

/** Write `c` to `path` atomically (temp file, fsync, rename, fsync of the folder). Returns the file's size. */
export async function writeStateFile(path: string, c: CapturedState): Promise<number> {
  const tmp = `${path}.tmp-${process.pid}`;
  let size = 0;
  await unlink(tmp).catch(() => {});
  const fh = await open(tmp, 'wx', 0o600);
  try {
    for (const chunk of c.chunks) {
      await fh.write(chunk);
      size += chunk.length;
    }
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
  /** Write the saved RAM into `ram` (the rest of it zeroed), checking each part before it counts;
   *  rejects on a damaged part (the machine must then not run). Compressed records decompress on
   *  libuv's threads from the moment the file is read, stored runs are read there straight into
   *  `ram`. `o.fresh`: nothing has been written into `ram` since it was made, so there is nothing
   *  to clear (and no need to ask the host which pages it backs). Closes the file. */
  applyRam(ram: Ram, o?: { fresh?: boolean }): Promise<void>;
  /** Close the file without applying its RAM (a resume given up); while applyRam runs, it closes the file once its reads are done. */
  close(): void;
}

const inflateRawAsync = promisify(inflateRaw) as (buf: Buffer, options: { chunkSize: number }) => Promise<Buffer>;
const readAsync = (fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> =>
  new Promise((resolve, reject) => read(fd, buffer, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));

interface RecordHead {
  kind: number;
  arg: number;
  raw: number;
  stored: number;
  crc: number;
  /** The crc of the head's first 13 bytes, to be continued over the stored bytes. */
  headCrc: number;
  /** File offset of the stored bytes. */
  at: number;
}

/** An open state file whose header is checked; its records are walked by `records`. */
interface OpenState {
  fd: number;
  header: StateFileHeader;
  damaged: (why: string) => StateFileError;
  /** Read `length` bytes at `position` (a short file is damage). */
  bytesAt(position: number, length: number): Buffer;
  /** The records' heads in file order, up to and not including the end record; each checked to fit the file. */
  records(): Generator<RecordHead>;
}

function openState(path: string): OpenState {
  const damaged = (why: string): StateFileError =>
    new StateFileError(`the saved machine state ${path} is damaged (${why}); it was not loaded`, '`vm halt` discards it; the machine then boots afresh with its disks.');
  let fd: number;
  let size: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new StateFileError(`the saved machine state ${path} is missing`);
    throw new StateFileError(`cannot read the saved machine state ${path}: ${e.message}`);
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) throw new StateFileError(`the saved machine state ${path} is not a regular file`);
    size = s.size;
    const bytesAt = (position: number, length: number): Buffer => {
      if (position + length > size) throw damaged('truncated');
      const buf = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        let n: number;
        try {
          n = readSync(fd, buf, done, length - done, position + done);
        } catch (err) {
          throw new StateFileError(`cannot read the saved machine state ${path}: ${(err as Error).message}`);
        }
        if (n <= 0) throw damaged('truncated');
        done += n;
      }
      return buf;
    };
    if (size < MAGIC.length || !bytesAt(0, MAGIC.length).equals(MAGIC)) throw damaged('not a vm state file');
    if (size < PRE + CRC_BYTES + RECORD_HEAD) throw damaged('truncated');
    const pre = bytesAt(0, PRE);
    const format = pre.readUInt32LE(8);
    const headerLen = pre.readUInt32LE(12);
    if (format !== STATE_FILE_FORMAT) {
      throw new StateFileError(`the saved machine state ${path} has format ${format}; this vm (${VM_VERSION}) reads format ${STATE_FILE_FORMAT}`, 'Resume it with the vm version that wrote it, or discard it with `vm halt`.');
    }
    if (headerLen > MAX_HEADER || PRE + headerLen + CRC_BYTES + RECORD_HEAD > size) throw damaged('bad header length');
    const headerBytes = bytesAt(PRE, headerLen + CRC_BYTES);
    if (crc32(headerBytes.subarray(0, headerLen), crc32(pre)) !== headerBytes.readUInt32LE(headerLen)) throw damaged('header checksum mismatch: corrupted');
    let header: StateFileHeader;
    try {
      header = JSON.parse(headerBytes.subarray(0, headerLen).toString('utf8')) as StateFileHeader;
    } catch {
      throw damaged('header is not JSON');
    }
    if (!header || typeof header !== 'object' || typeof header.vm !== 'string' || !Number.isSafeInteger(header.ramBytes) || !Number.isSafeInteger(header.cpus)) throw damaged('bad header');
    if (header.vm !== VM_VERSION) {
      throw new StateFileError(`the saved machine state ${path} was written by vm ${header.vm}; this is vm ${VM_VERSION}, which does not load another version's state`, 'Resume it with vm ' + header.vm + ', or discard it with `vm halt`.');
    }
    const first = PRE + headerLen + CRC_BYTES;
    function* records(): Generator<RecordHead> {
      let at = first;
      for (;;) {
        if (at + RECORD_HEAD > size) throw damaged('truncated: records run past the end');
        const head = bytesAt(at, RECORD_HEAD);
        const r: RecordHead = {
          kind: head.readUInt8(0),
          arg: head.readUInt32LE(1),
          raw: head.readUInt32LE(5),
          stored: head.readUInt32LE(9),
          crc: head.readUInt32LE(HEAD_CRC_AT),
          headCrc: crc32(head.subarray(0, HEAD_CRC_AT)),
          at: at + RECORD_HEAD,
        };
        if (r.at + r.stored > size) throw damaged('truncated: a record runs past the end');
        if (r.kind === KIND_END) {
          if (r.stored !== 0 || r.crc !== r.headCrc) throw damaged('bad end record');
          if (r.at !== size) throw damaged('bytes after the end record');
          return;
        }
        if (r.kind !== KIND_STATE && r.kind !== KIND_RAM && r.kind !== KIND_RAM_RUN) throw damaged(`unknown record kind ${r.kind}`);
        if (r.kind === KIND_RAM && (r.arg === 0 || r.arg > RECORD_PAGES || r.raw !== r.arg * (4 + PAGE_SIZE))) throw damaged(`RAM record of ${r.arg} pages in ${r.raw} bytes`);
        if (r.kind === KIND_RAM_RUN && (r.raw === 0 || r.raw !== r.stored || r.raw % PAGE_SIZE !== 0 || r.raw / PAGE_SIZE > RUN_PAGES)) throw damaged(`RAM run of ${r.stored} bytes`);
        yield r;
        at = r.at + r.stored;
      }
    }
    return { fd, header, damaged, bytesAt, records };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** The stored bytes of `r`, read and their crc checked. */
function storedBytes(f: OpenState, r: RecordHead): Buffer {
  const bytes = f.bytesAt(r.at, r.stored);
  if (crc32(bytes, r.headCrc) !== r.crc) throw f.damaged('checksum mismatch: corrupted');
  return bytes;
}

function decodeStateRecord(f: OpenState, bytes: Buffer): StateValue {
  try {
    return decodeState(inflateRawSync(bytes).toString('utf8'));
  } catch (err) {
    throw f.damaged(err instanceof SnapshotError ? err.message : 'machine state does not decompress');
  }
}

/**
 * Read and check `path` whole, as a resume would, without keeping it or decompressing its RAM: a
 * chunk at a time, so even a large file costs little memory. Resolves to its header; rejects with
 * a StateFileError saying what is wrong.
 */
export async function checkStateFile(path: string): Promise<StateFileHeader> {
  const f = openState(path);
  try {
    let state = false;
    const chunk = Buffer.allocUnsafe(CHECK_CHUNK);
    for (const r of f.records()) {
      if (r.kind === KIND_STATE) {
        decodeStateRecord(f, storedBytes(f, r));
        state = true;
        continue;
      }
      let crc = r.headCrc;
      for (let done = 0; done < r.stored; ) {
        const n = Math.min(CHECK_CHUNK, r.stored - done);
        let got: number;
        try {
          got = readSync(f.fd, chunk, 0, n, r.at + done);
        } catch (err) {
          throw new StateFileError(`cannot read the saved machine state ${path}: ${(err as Error).message}`);
        }
        if (got <= 0) throw f.damaged('truncated');
        crc = crc32(chunk.subarray(0, got), crc);
        done += got;
      }
      if (crc !== r.crc) throw f.damaged('checksum mismatch: corrupted');
    }
    if (!state) throw f.damaged('no machine state record');
    return f.header;
  } finally {
    closeSync(f.fd);
  }
}

/**
 * Open `path`, check its header and records' layout, and read and check its machine state. Its
 * RAM is checked by applyRam as it goes into the machine; compressed RAM records start
 * decompressing at once.
 */
export async function readStateFile(path: string): Promise<LoadedState> {
  const f = openState(path);
  let closed = false;
  let applying = false;
  const close = (): void => {
    if (closed || applying) return;
    closed = true;
    closeSync(f.fd);
  };
  const { header, damaged } = f;
  let state: StateValue | undefined;
  const packed: { r: RecordHead; bytes: Buffer }[] = [];
  const runs: RecordHead[] = [];
  try {
    for (const r of f.records()) {
      if (r.kind === KIND_STATE) state = decodeStateRecord(f, storedBytes(f, r));
      else if (r.kind === KIND_RAM) packed.push({ r, bytes: storedBytes(f, r) });
      else runs.push(r);
    }
    if (state === undefined) throw damaged('no machine state record');
  } catch (err) {
    close();
    throw err;
  }
  // One output buffer of each record's known size: zlib then has no chunks to join.
  const inflated = Promise.all(packed.map(({ r, bytes }) => inflateRawAsync(bytes, { chunkSize: Math.max(64, r.raw + 64) }).catch(() => null)));
  return {
    header,
    state,
    close,
    async applyRam(ram: Ram, o: { fresh?: boolean } = {}): Promise<void> {
      // Settled before the file is closed, whatever fails: no read may outlive its descriptor.
      let reading: Promise<unknown> = Promise.resolve();
      applying = true;
      try {
        if (ram.size !== header.ramBytes) throw new SnapshotError(`the state is of ${header.ramBytes} bytes of RAM, the machine has ${ram.size}`);
        const pages = ram.size / PAGE_SIZE;
        for (const r of runs) if (r.arg + r.raw / PAGE_SIZE > pages) throw damaged(`a RAM run of pages ${r.arg}.. past the machine's ${pages}`);
        const backed = o.fresh ? null : residentPages(ram);
        const written = new Uint8Array(pages);
        // Straight into guest memory, on libuv's threads: the host's first touch of each page
        // happens there, while this thread goes on building the machine. A few reads at a time,
        // leaving threads for the machine's own file requests meanwhile.
        let next = 0;
        const reader = async (): Promise<void> => {
          while (next < runs.length) {
            const r = runs[next++]!;
            const into = ram.bytes.subarray(r.arg * PAGE_SIZE, r.arg * PAGE_SIZE + r.raw);
            for (let done = 0; done < r.raw; ) {
              const n = await readAsync(f.fd, into, done, r.raw - done, r.at + done);
              if (n <= 0) throw damaged('truncated');
              done += n;
            }
          }
        };
        const reads = Array.from({ length: Math.min(RAM_READERS, runs.length) }, reader);
        reading = Promise.allSettled(reads);
        const records = await inflated;
        for (let k = 0; k < packed.length; k++) {
          const { r } = packed[k]!;
          const bytes = records[k];
          if (!bytes) throw damaged('a RAM record does not decompress');
          if (bytes.length !== r.raw) throw damaged(`a RAM record has ${bytes.length} bytes, not ${r.raw}`);
          for (let i = 0; i < r.arg; i++) {
            const page = bytes.readUInt32LE(4 * i);
            const at = 4 * r.arg + i * PAGE_SIZE;
            writePage(ram, page, bytes.subarray(at, at + PAGE_SIZE));
            written[page] = 1;
          }
        }
        const settled = await Promise.allSettled(reads);
        for (const s of settled) if (s.status === 'rejected') throw s.reason instanceof StateFileError ? s.reason : damaged(`cannot read a RAM run: ${(s.reason as Error).message}`);
        for (const r of runs) {
          if (crc32(ram.bytes.subarray(r.arg * PAGE_SIZE, r.arg * PAGE_SIZE + r.raw), r.headCrc) !== r.crc) throw damaged('checksum mismatch: corrupted');
          written.fill(1, r.arg, r.arg + r.raw / PAGE_SIZE);
        }
        if (!o.fresh) zeroPagesNotWritten(ram, written, backed);
      } finally {
        await reading;
        applying = false;
        close();
      }
    },
  };
}
