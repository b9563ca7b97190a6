// `vm box add URL`: fetch a .box archive over http(s) into the store's tmp/ (a per-process name the
// sweep recognises, so a killed download leaves nothing for long), hashing it as it arrives; check the
// archive's sha256 when the user gave one; then the same verified, atomic add as a local archive.
// A box's own box.json checksums still guard every file inside: --checksum guards the archive itself.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { storeTmpDir } from '../paths.js';
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
  /** Abort when no data arrives for this long (default 30 s). */
  idleTimeoutMs?: number;
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

/** Streams `url` into `file`; returns the sha256 of what arrived. */
async function download(url: URL, file: string, opts: UrlAddOptions): Promise<string> {
  const idleMs = opts.idleTimeoutMs ?? 30_000;
  const abort = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  let timedOut = false;
  const arm = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, idleMs);
  };
  const shown = url.href;
  arm();
  try {
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'follow', signal: abort.signal });
    } catch (err) {
      throw new UserError(`cannot download ${shown}: ${timedOut ? `no answer within ${idleMs / 1000} s` : networkReason(err)}`, {
        hint: 'check the URL and that the server is reachable from this machine',
      });
    }
    if (!res.ok || !res.body) {
      throw new UserError(`cannot download ${shown}: the server answered ${res.status} ${res.statusText}`.trimEnd(), {
        hint: res.status === 404 ? 'check the URL: there is no file there' : undefined,
      });
    }
    const length = Number(res.headers.get('content-length'));
    const total = Number.isSafeInteger(length) && length > 0 ? length : undefined;
    const hash = createHash('sha256');
    let received = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        arm();
        received += chunk.length;
        hash.update(chunk);
        opts.onProgress?.({ received, total });
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), meter, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new UserError(`no space left on the device while downloading ${shown}`);
      throw new UserError(`the download of ${shown} broke off after ${received} bytes: ${timedOut ? `no data for ${idleMs / 1000} s` : networkReason(err)}`);
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

/** undici hides the useful part (ECONNREFUSED, ENOTFOUND...) in `cause`. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return (err as Error).message ?? String(err);
}
