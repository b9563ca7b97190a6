// A strict, streaming tar reader for untrusted box archives: POSIX ustar, GNU long names (L/K) and pax
// headers (x/g). Only regular files and folders pass; links, devices, fifos, sparse members, unsafe
// names, duplicates and oversized entries are refused with a message naming the entry.
// Format reference: POSIX.1-2017 pax(1) "ustar Interchange Format" and "pax Interchange Format";
// GNU tar manual, "Basic Tar Format" (types L, K, S and base-256 numbers).
import { UserError } from '../errors.js';

export const BLOCK = 512;

export interface TarLimits {
  /** Largest single file. */
  maxEntryBytes: number;
  /** Largest sum of file sizes. */
  maxTotalBytes: number;
  /** Most entries (files + folders). */
  maxEntries: number;
}

/** Generous for root disks, small enough that a hostile header cannot fill the disk. */
export const DEFAULT_TAR_LIMITS: TarLimits = {
  maxEntryBytes: 64 * 2 ** 30,
  maxTotalBytes: 128 * 2 ** 30,
  maxEntries: 10_000,
};

/** Longest entry name accepted (bytes, as PATH_MAX). */
const MAX_NAME_BYTES = 4096;
/** Largest pax or GNU long-name header body, and the most all those before one entry may hold. */
const MAX_META_BYTES = 1 << 20;
/** Most extended headers in a row: real writers emit one or two per entry. */
const MAX_META_RUN = 32;

export type TarEntry =
  | { type: 'file'; name: string; size: number; body: AsyncIterable<Buffer> }
  | { type: 'directory'; name: string };

/** Fails an archive: `UserError("<label>: <why>")`. */
export class TarError extends UserError {}

/** Pulls exact byte counts out of an async chunk source without concatenating big bodies. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  private ended = false;
  /** Bytes consumed so far (for messages). */
  offset = 0;
  constructor(source: AsyncIterable<Buffer>, private readonly fail: (msg: string) => never) {
    this.it = source[Symbol.asyncIterator]();
  }
  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return true;
  }
  /** Exactly n bytes; undefined if the source ended cleanly before any of them. */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.buf.length < n) {
      if (!(await this.pull())) {
        if (this.buf.length === 0) return undefined;
        this.fail(`archive is truncated at byte ${this.offset + this.buf.length}`);
      }
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.offset += n;
    return out;
  }
  /** n bytes as a sequence of chunks (no copy of the whole). */
  async *stream(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.pull())) this.fail(`archive is truncated at byte ${this.offset}`);
      const take = Math.min(left, this.buf.length);
      const out = this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      this.offset += take;
      left -= take;
      yield out;
    }
  }
  async skip(n: number): Promise<void> {
    for await (const _ of this.stream(n)) {
      // discard
    }
  }
  async close(): Promise<void> {
    await this.it.return?.();
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function cString(b: Buffer): Buffer {
  const nul = b.indexOf(0);
  return nul === -1 ? b : b.subarray(0, nul);
}

/** Octal ASCII (NUL/space terminated) or GNU base-256 (high bit of the first byte set). */
function parseNumber(field: Buffer): number | undefined {
  if (field[0]! & 0x80) {
    if (field[0] === 0xff) return undefined; // negative
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) {
      n = n * 256 + field[i]!;
      if (n > Number.MAX_SAFE_INTEGER) return undefined;
    }
    return n;
  }
  const s = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return undefined;
  const n = parseInt(s, 8);
  return Number.isSafeInteger(n) ? n : undefined;
}

function checksumOk(h: Buffer): boolean {
  const stored = parseNumber(h.subarray(148, 156));
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b; // some old writers summed signed chars
  }
  return stored === unsigned || stored === signed;
}

/** Parses pax records "LEN key=value\n". */
function parsePax(body: Buffer, fail: (m: string) => never): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break; // NUL padding
    const sp = body.indexOf(0x20, pos);
    const len = sp === -1 ? NaN : Number(body.toString('latin1', pos, sp));
    if (!Number.isSafeInteger(len) || len <= 0 || pos + len > body.length || body[pos + len - 1] !== 0x0a) {
      fail(`malformed pax header record at byte ${pos} of the header`);
    }
    let rec: string;
    try {
      rec = utf8.decode(body.subarray(sp + 1, pos + len - 1));
    } catch {
      fail('pax header record is not valid UTF-8');
    }
    const eq = rec.indexOf('=');
    if (eq <= 0) fail(`malformed pax header record '${rec.slice(0, 40)}'`);
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** A name for messages, shortened when too long to read (an entry name may be 4096 bytes). */
export const shortName = (name: string): string => (name.length <= 80 ? name : `${name.slice(0, 60)}…${name.slice(-14)}`);

/** An entry name for messages: quoted, shortened, and with its real length when shortened. */
export const showName = (name: string): string =>
  `${JSON.stringify(shortName(name))}${name.length > 80 ? ` (${Buffer.byteLength(name)} bytes long)` : ''}`;

const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a fifo',
  S: 'a GNU sparse file',
  V: 'a volume label',
  M: 'a multi-volume continuation',
};

/**
 * Checks and normalizes an entry name: relative, '/'-separated, leading "./" dropped, no '.', '..' or
 * empty segment, no NUL or backslash. Returns '' for the archive's root folder ("./").
 */
export function normalizeEntryName(raw: string, isDir: boolean, fail: (m: string) => never): string {
  const shown = showName(raw);
  if (raw === '') fail('entry with an empty name');
  if (raw.includes('\0')) fail(`entry ${shown} has a NUL byte in its name`);
  if (raw.includes('\\')) fail(`entry ${shown} has a backslash in its name`);
  if (raw.startsWith('/')) fail(`entry ${shown} has an absolute path`);
  if (Buffer.byteLength(raw) > MAX_NAME_BYTES) fail(`entry ${shown} has a name longer than ${MAX_NAME_BYTES} bytes`);
  let name = raw;
  if (name.endsWith('/')) {
    if (!isDir) fail(`entry ${shown} is a file whose name ends with '/'`);
    name = name.replace(/\/+$/, '');
  }
  while (name.startsWith('./')) name = name.slice(2);
  if (name === '' || name === '.') {
    if (!isDir) fail(`entry ${shown} is a file named like the archive's root folder`);
    return '';
  }
  for (const seg of name.split('/')) {
    if (seg === '..') fail(`entry ${shown} points outside the box ('..' in its path)`);
    if (seg === '.') fail(`entry ${shown} has a '.' segment in its path`);
    if (seg === '') fail(`entry ${shown} has an empty segment ('//') in its path`);
  }
  return name;
}

/** Tracks names already seen so duplicates and file/folder clashes are refused. */
class NameTable {
  private readonly files = new Set<string>();
  private readonly dirs = new Set<string>();
  private readonly folded = new Map<string, string>();
  constructor(private readonly fail: (m: string) => never) {}
  add(name: string, isDir: boolean): void {
    const q = showName(name);
    if (this.files.has(name) || this.dirs.has(name)) {
      // A folder listed twice is how some writers emit trees; the same file twice is an overwrite attack.
      if (isDir && this.dirs.has(name)) return;
      this.fail(`duplicate entry ${q}`);
    }
    const key = name.normalize('NFC').toLowerCase();
    const clash = this.folded.get(key);
    if (clash !== undefined && clash !== name) {
      this.fail(`entry ${q} differs from entry ${showName(clash)} only by letter case or Unicode normalization`);
    }
    this.folded.set(key, name);
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (this.files.has(parent)) this.fail(`entry ${q} is inside ${showName(parent)}, which is a file`);
      this.dirs.add(parent);
    }
    if (isDir) this.dirs.add(name);
    else this.files.add(name);
  }
}

/**
 * Reads tar entries from `source` (uncompressed bytes). Each file's body must be consumed (or
 * abandoned: it is skipped) before asking for the next entry. Stops at the end-of-archive block and
 * never reads past it. `label` prefixes every error ("archive ./foo.box").
 */
export async function* readTar(source: AsyncIterable<Buffer>, label: string, limits: TarLimits = DEFAULT_TAR_LIMITS): AsyncGenerator<TarEntry> {
  const fail: (msg: string) => never = (msg) => {
    throw new TarError(`${label}: ${msg}`);
  };
  const r = new ByteReader(source, fail);
  const names = new NameTable(fail);
  let entries = 0;
  let total = 0;
  let longName: string | undefined;
  let pax = new Map<string, string>();
  let first = true;
  let metaRun = 0;
  let metaBytes = 0;
  let metaStart = 0;
  try {
    for (;;) {
      const h = await r.read(BLOCK);
      if (h === undefined) fail('archive ends without the end-of-archive marker (truncated?)');
      const headerAt = r.offset - BLOCK;
      if (h.every((b) => b === 0)) {
        if (longName !== undefined || pax.size > 0) fail('archive ends right after an extended header');
        return; // end of archive: whatever follows is never read
      }
      if (!checksumOk(h)) {
        fail(first ? 'not a tar archive (bad header checksum at byte 0)' : `corrupt tar header at byte ${headerAt} (bad checksum)`);
      }
      first = false;
      const typeByte = h[156]!;
      const type = typeByte === 0 ? '0' : String.fromCharCode(typeByte);
      let size = parseNumber(h.subarray(124, 136));
      if (size === undefined) fail(`tar header at byte ${headerAt} has an invalid size field`);
      const padded = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

      // Extended headers describe the next entry.
      if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
        if (size! > MAX_META_BYTES) fail(`extended header at byte ${headerAt} is ${size} bytes (limit ${MAX_META_BYTES})`);
        if (metaRun++ === 0) metaStart = headerAt;
        metaBytes += size!;
        if (metaRun > MAX_META_RUN) fail(`more than ${MAX_META_RUN} extended headers in a row at byte ${metaStart}`);
        if (metaBytes > MAX_META_BYTES) fail(`extended headers at byte ${metaStart} hold more than ${MAX_META_BYTES} bytes for one entry`);
        const body = (await r.read(padded(size!))) ?? fail('archive is truncated inside an extended header');
        const data = body.subarray(0, size!);
        if (type === 'L') {
          try {
            longName = utf8.decode(cString(data));
          } catch {
            fail(`GNU long name at byte ${headerAt} is not valid UTF-8`);
          }
        } else if (type === 'x' || type === 'g') {
          const recs = parsePax(data, fail);
          for (const k of recs.keys()) if (k.startsWith('GNU.sparse')) fail('sparse archive members (pax GNU.sparse) are not supported');
          if (type === 'x') for (const [k, v] of recs) pax.set(k, v);
          // 'g' (global) headers carry nothing vm uses; they are read and dropped.
        }
        // 'K' (long link name) only ever precedes a link, which is refused below.
        continue;
      }

      let rawName: string;
      try {
        const base = utf8.decode(cString(h.subarray(0, 100)));
        const magic = h.toString('latin1', 257, 263);
        const prefix = magic === 'ustar\0' ? utf8.decode(cString(h.subarray(345, 500))) : '';
        rawName = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${base}` : base);
      } catch {
        fail(`entry at byte ${headerAt} has a name that is not valid UTF-8`);
      }
      if (pax.has('size')) {
        const s = pax.get('size')!;
        if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) fail(`entry ${showName(rawName!)} has an invalid pax size '${shortName(s)}'`);
        size = Number(s);
      }
      const linkTarget = pax.get('linkpath') ?? cString(h.subarray(157, 257)).toString('utf8');
      longName = undefined;
      pax = new Map();
      metaRun = 0;
      metaBytes = 0;

      const isFile = type === '0' || type === '7';
      const isDir = type === '5';
      if (!isFile && !isDir) {
        const what = TYPE_NAMES[type];
        const shown = showName(rawName!);
        if (type === '1' || type === '2') fail(`entry ${shown} is ${what} (to ${showName(linkTarget)}); boxes may hold only regular files and folders`);
        if (what) fail(`entry ${shown} is ${what}; boxes may hold only regular files and folders`);
        fail(`entry ${shown} has unsupported type '${type.replace(/[^\x20-\x7e]/g, '?')}'`);
      }
      const name = normalizeEntryName(rawName!, isDir, fail);
      if (++entries > limits.maxEntries) fail(`archive has more than ${limits.maxEntries} entries`);
      if (isDir) {
        // Some old writers give a folder a small size, which readers skip; a large one is only work.
        if (size! > MAX_META_BYTES) fail(`folder entry ${showName(name)} claims ${size} bytes of content; a folder has none`);
        if (size! > 0) await r.skip(padded(size!));
        if (name === '') continue;
        names.add(name, true);
        yield { type: 'directory', name };
        continue;
      }
      if (size! > limits.maxEntryBytes) fail(`entry ${showName(name)} is ${size} bytes, over the ${limits.maxEntryBytes}-byte limit per file`);
      total += size!;
      if (total > limits.maxTotalBytes) fail(`archive holds more than ${limits.maxTotalBytes} bytes in total`);
      names.add(name, false);
      let consumed = 0;
      const fileSize = size!;
      const body = (async function* () {
        for await (const chunk of r.stream(fileSize)) {
          consumed += chunk.length;
          yield chunk;
        }
      })();
      yield { type: 'file', name, size: fileSize, body };
      // Skip whatever the consumer left, then the padding to the next block.
      if (consumed < fileSize) await r.skip(fileSize - consumed);
      await r.skip(padded(fileSize) - fileSize);
    }
  } finally {
    await r.close();
  }
}
