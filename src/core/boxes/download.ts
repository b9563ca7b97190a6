// `vm box add URL`: fetch a .box archive over http(s) into the store's tmp/ (a per-process name the
// sweep recognises, so a killed download leaves nothing for long), hashing it as it arrives; check the
// archive's sha256 when the user gave one; then the same verified, atomic add as a local archive.
// A box's own box.json checksums still guard every file inside: --checksum guards the archive itself.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { storeRoot, storeTmpDir } from '../paths.js';
import { DiskRoom } from './sparse-writer.js';
import { DEFAULT_TAR_LIMITS } from './tar-reader.js';
import { addBox, ensureStore, sweepStaleTemp, tempPrefix, type AddOptions, type AddResult } from './store.js';

export interface DownloadProgress {
  received: number;
  /** From Content-Length; undefined when the server does not say. */
  total?: number;
}

export interface UrlAddOptions extends AddOptions {
  /** The archive's expected sha256: `sha256:HEX` or bare HEX. */
  checksum?: string;
  onProgress?(p: DownloadProgress): void;
  /** Abort when less than PROGRESS_BYTES arrive within this long (default 30 s). */
  idleTimeoutMs?: number;
  /** The largest archive accepted (default: the tar content limit plus room for headers and gzip framing). */
  maxBytes?: number;
}

const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Whether `vm box add` was given a URL rather than a path. */
export function isBoxUrl(source: string): boolean {
  return URL_LIKE.test(source);
}

/** Parses `sha256:HEX` or `HEX` into lower-case hex, or explains what is wrong. */
export function parseChecksum(value: string): string {
  const m = /^(?:(sha256):)?([0-9a-fA-F]{64})$/.exec(value.trim());
  if (!m) {
    const type = /^([A-Za-z0-9]+):/.exec(value)?.[1];
    throw new UserError(
      type && type.toLowerCase() !== 'sha256'
        ? `checksum type '${type}' is not supported: only sha256 is`
        : `'${value}' is not a sha256 checksum: expected 64 hex digits, optionally prefixed with 'sha256:'`,
      { hint: 'compute it with `sha256sum FILE.box`' },
    );
  }
  return m[2]!.toLowerCase();
}

function parseUrl(source: string): URL {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new UserError(`'${source}' is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'file:') {
    throw new UserError(`box URLs must be http://, https:// or file:// (got ${url.protocol}//)`);
  }
  if (url.username !== '' || url.password !== '') {
    // fetch refuses them anyway, and a message (or the store's origin note) must not repeat a password.
    const shown = new URL(url.href);
    if (shown.password !== '') shown.password = '***';
    throw new UserError(`box URLs may not carry a user name or password (${shown.href})`, { hint: 'download the box yourself, then `vm box add FILE`' });
  }
  return url;
}

/**
 * `vm box add SOURCE`: a URL is downloaded first; a path (folder or archive) is added as it is. With
 * a checksum, the archive must match it before anything else happens.
 */
export async function addBoxFromSource(source: string, opts: UrlAddOptions = {}): Promise<AddResult> {
  if (isBoxUrl(source)) return addBoxFromUrl(source, opts);
  const path = resolve(source);
  if (opts.checksum !== undefined) await verifyFileChecksum(path, parseChecksum(opts.checksum), path);
  return addBox(path, opts);
}

/** Adds the box at `source` (a URL) to the store; see addBox for everything after the download. */
export async function addBoxFromUrl(source: string, opts: UrlAddOptions = {}): Promise<AddResult> {
  const url = parseUrl(source);
  const want = opts.checksum === undefined ? undefined : parseChecksum(opts.checksum);
  if (url.protocol === 'file:') {
    const path = fileURLToPath(url);
    if (want !== undefined) await verifyFileChecksum(path, want, source);
    return addBox(path, { ...opts, originFrom: source });
  }
  const loc = opts.loc ?? {};
  await ensureStore(loc);
  await sweepStaleTemp(loc);
  const dir = await mkdtemp(join(storeTmpDir(loc), tempPrefix('dl')));
  try {
    const file = join(dir, 'download.box');
    const got = await download(url, file, opts);
    if (want !== undefined && got !== want) {
      throw new UserError(`the archive downloaded from ${source} has sha256 ${got}, not the ${want} that --checksum asks for`, {
        hint: 'the file changed on the server or was damaged on the way; nothing was stored',
      });
    }
    return await addBox(file, { ...opts, originFrom: source });
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A stall is less than this arriving within the idle timeout: a byte now and then is not progress. */
const PROGRESS_BYTES = 16 << 10;
/** Redirects followed before giving up (curl's and browsers' limits are of this order). */
const MAX_REDIRECTS = 10;
/** Room for tar headers and gzip framing above the content limit. */
const ARCHIVE_OVERHEAD_BYTES = 2 ** 30;

/** The largest archive a download may be: the content limit plus framing, unless the caller says. */
const downloadCap = (opts: UrlAddOptions): number => opts.maxBytes ?? (opts.limits ?? DEFAULT_TAR_LIMITS).maxTotalBytes + ARCHIVE_OVERHEAD_BYTES;

/**
 * GETs `url`, following up to MAX_REDIRECTS redirects itself so that a redirect to another scheme
 * (file:, ftp:) or a loop is reported as such rather than as "fetch failed".
 */
async function get(url: URL, signal: AbortSignal, fail: (why: string, hint?: string) => never): Promise<Response> {
  let at = url;
  for (let hops = 0; ; hops++) {
    // identity: a Content-Length then counts the bytes that arrive (a server may encode anyway; see download).
    const res = await fetch(at, { redirect: 'manual', signal, headers: { 'accept-encoding': 'identity' } });
    if (res.status < 300 || res.status >= 400 || res.status === 304) return res;
    const location = res.headers.get('location');
    await res.body?.cancel().catch(() => undefined);
    if (location === null) return res; // a 3xx without a target: reported as the status it is
    let next: URL;
    try {
      next = new URL(location, at);
    } catch {
      return fail(`the server redirected to '${location.slice(0, 200)}', which is not a URL`);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      return fail(`the server redirected to ${next.href.slice(0, 200)}, and box downloads follow only http:// and https://`);
    }
    if (hops + 1 > MAX_REDIRECTS) return fail(`more than ${MAX_REDIRECTS} redirects (the last to ${next.href.slice(0, 200)})`);
    at = next;
  }
}

/**
 * Streams `url` into `file`; returns the sha256 of what arrived. Bounded in bytes (the cap, a
 * Content-Length over it refused before the body, the free space kept by DiskRoom) and in time (less
 * than PROGRESS_BYTES within the idle timeout is a stall).
 */
async function download(url: URL, file: string, opts: UrlAddOptions): Promise<string> {
  const idleMs = opts.idleTimeoutMs ?? 30_000;
  const cap = downloadCap(opts);
  const shown = url.href;
  const abort = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  let stalled = false;
  let received = 0;
  let armedAt = 0;
  const arm = (): void => {
    clearTimeout(idle);
    armedAt = received;
    idle = setTimeout(() => {
      stalled = true;
      abort.abort();
    }, idleMs);
  };
  const cannot = (why: string, hint?: string): never => {
    throw new UserError(`cannot download ${shown}: ${why}`, { hint });
  };
  const room = new DiskRoom(dirname(file), `cannot download ${shown}`, storeRoot(opts.loc ?? {}), opts.minFreeBytes);
  arm();
  try {
    let res: Response;
    try {
      res = await get(url, abort.signal, cannot);
    } catch (err) {
      if (err instanceof UserError) throw err;
      return cannot(stalled ? `no answer within ${idleMs / 1000} s` : networkReason(err), 'check the URL and that the server is reachable from this machine');
    }
    arm(); // the answer came: the body gets its own idle window
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      return cannot(`the server answered ${res.status} ${res.statusText}`.trimEnd(), res.status === 404 ? 'check the URL: there is no file there' : undefined);
    }
    const length = Number(res.headers.get('content-length') ?? NaN);
    const declared = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
    // With a Content-Encoding, fetch decodes and Content-Length counts the encoded bytes: only a lower bound.
    const encoded = (res.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
    const total = encoded ? undefined : declared;
    if (declared !== undefined && declared > cap) {
      await res.body.cancel().catch(() => undefined);
      return cannot(`the server says it is ${declared} bytes, and a box archive may be at most ${cap} bytes`);
    }
    try {
      await room.check(declared ?? 0);
    } catch (err) {
      await res.body.cancel().catch(() => undefined);
      throw err;
    }
    const hash = createHash('sha256');
    let overflow: string | undefined;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        if (received > cap || (total !== undefined && received > total)) {
          overflow = received > cap ? `a box archive may be at most ${cap} bytes` : `the server said it would send ${total}`;
          done(new Error(overflow));
          return;
        }
        if (received - armedAt >= PROGRESS_BYTES) arm();
        hash.update(chunk);
        opts.onProgress?.({ received, total });
        room.spend(chunk.length).then(() => done(null, chunk), done);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), meter, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    } catch (err) {
      if (err instanceof UserError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new UserError(`no space left on the device while downloading ${shown}`);
      if (overflow !== undefined) throw new UserError(`the download of ${shown} was stopped at ${Math.min(received, cap)} bytes: ${overflow}`);
      if (stalled) {
        throw new UserError(`the download of ${shown} stalled after ${received} bytes: ${received === armedAt ? 'no data' : `only ${received - armedAt} bytes`} in ${idleMs / 1000} s`, {
          hint: 'the server or the network is too slow or stuck; try again later',
        });
      }
      throw new UserError(`the download of ${shown} broke off after ${received} bytes: ${networkReason(err)}`);
    }
    if (total !== undefined && received !== total) {
      throw new UserError(`the download of ${shown} ended after ${received} of ${total} bytes`);
    }
    return hash.digest('hex');
  } finally {
    clearTimeout(idle);
  }
}

/** --checksum names an archive's hash: a folder has none, a missing file is the usual error. */
async function verifyFileChecksum(path: string, want: string, shown: string): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (st?.isDirectory()) throw new UserError(`--checksum applies to a .box archive, and ${path} is a folder`, { hint: "a folder's files are checked against its box.json anyway" });
  if (!st) throw new UserError(`${path} does not exist`, { hint: 'pass a box folder (with box.json), a .box archive or its URL' });
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const got = hash.digest('hex');
  if (got !== want) throw new UserError(`${shown} has sha256 ${got}, not the ${want} that --checksum asks for`);
}

/** undici hides the useful part (ECONNREFUSED, ENOTFOUND, a TLS error...) in `cause`: "fetch failed" says nothing. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  if (cause?.message) return cause.message;
  return (err as Error).message ?? String(err);
}
