// `vm box add URL`: a real HTTP server on 127.0.0.1 serves box archives (whole, chunked, redirected,
// cut short, stalled, hostile); each add either stores a verified box or fails with a clear error and
// leaves the store as it was, with no download left behind in its tmp/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, existsSync, mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { REPO, ensureDist } from '../../../support/dist.js';
import { addBoxFromSource, parseChecksum } from '../../../../src/core/boxes/download.js';
import { peekBox, resolveBox } from '../../../../src/core/boxes/catalog.js';
import { BoxNotDownloadedError } from '../../../../src/core/vmfile/resolvers.js';
import { UserError } from '../../../../src/core/errors.js';
import { BOX_ORIGIN_FILE } from '../../../../src/core/paths.js';
import { tgz } from './tar-writer.js';
import { boxItems, demoFiles, snapshot, tempEnv, type TempEnv } from './fixtures.js';

let t: TempEnv;
let server: http.Server;
let base: string;
const hits = new Map<string, number>();
const good = tgz(boxItems(demoFiles()));
const goodSha = createHash('sha256').update(good).digest('hex');
const hostile = tgz([...boxItems(demoFiles()), { name: '../escape', data: 'x' }]);
const encoded = gzipSync(good);

beforeAll(async () => {
  ensureDist();
  t = tempEnv();
  server = http.createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    switch (req.url) {
      case '/demo.box':
        res.writeHead(200, { 'content-length': good.length });
        res.end(good);
        return;
      case '/chunked.box': // no Content-Length: sent in pieces
        res.writeHead(200);
        for (let i = 0; i < good.length; i += 7000) res.write(good.subarray(i, i + 7000));
        res.end();
        return;
      case '/vmfile.box':
        res.writeHead(200, { 'content-length': good.length });
        res.end(good);
        return;
      case '/moved':
        res.writeHead(302, { location: '/demo.box' });
        res.end();
        return;
      case '/short.box': // promises more than it sends, then hangs up
        res.writeHead(200, { 'content-length': good.length });
        res.write(good.subarray(0, 1000), () => res.destroy());
        return;
      case '/stall.box':
        res.writeHead(200, { 'content-length': good.length });
        res.write(good.subarray(0, 1000));
        return; // never ends: the client's idle timeout must
      case '/hostile.box':
        res.writeHead(200, { 'content-length': hostile.length });
        res.end(hostile);
        return;
      case '/endless.box': {
        // No Content-Length, and a body that never ends: only a byte cap stops it.
        res.writeHead(200);
        const block = Buffer.alloc(256 << 10, 0x41);
        const more = (): void => {
          while (!res.destroyed && res.write(block));
          if (!res.destroyed) res.once('drain', more);
        };
        more();
        return;
      }
      case '/huge.box': // claims far more than it will ever send
        res.writeHead(200, { 'content-length': String(2 ** 40) });
        res.write(good.subarray(0, 1000));
        return;
      case '/trickle.box': {
        // One byte every 100 ms: data keeps arriving, progress never does.
        res.writeHead(200, { 'content-length': good.length });
        let i = 0;
        const timer = setInterval(() => (res.destroyed || i >= good.length ? clearInterval(timer) : res.write(good.subarray(i, ++i))), 100);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case '/encoded.box': // a server that gzips the response on the fly, whatever the client asked
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': encoded.length });
        res.end(encoded);
        return;
      case '/to-file':
        res.writeHead(302, { location: 'file:///etc/passwd' });
        res.end();
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' });
        res.end();
        return;
      default:
        res.writeHead(404, 'Not Found');
        res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  t.cleanup();
});

const leftovers = (): string[] => (existsSync(join(t.loc.home, 'tmp')) ? readdirSync(join(t.loc.home, 'tmp')) : []);

async function refused(source: string, opts: Parameters<typeof addBoxFromSource>[1] = {}): Promise<string> {
  const before = snapshot(join(t.loc.home, 'boxes'));
  const err = await addBoxFromSource(source, { loc: t.loc, ...opts }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, source).toBeInstanceOf(UserError);
  expect(snapshot(join(t.loc.home, 'boxes'))).toEqual(before);
  expect(leftovers()).toEqual([]);
  return (err as Error).message;
}

describe('vm box add URL', () => {
  it('downloads, checks --checksum, stores the box and remembers the URL; redirects and chunked bodies work', async () => {
    const seen: number[] = [];
    const r = await addBoxFromSource(`${base}/demo.box`, { loc: t.loc, checksum: `sha256:${goodSha.toUpperCase()}`, onProgress: (p) => seen.push(p.received) });
    expect(r.box.name).toBe('demo');
    expect(JSON.parse(readFileSync(join(r.box.dir, BOX_ORIGIN_FILE), 'utf8')).from).toBe(`${base}/demo.box`);
    expect(seen.at(-1)).toBe(good.length);
    expect(leftovers()).toEqual([]);
    expect((await addBoxFromSource(`${base}/moved`, { loc: t.loc, force: true, checksum: goodSha })).replaced).toBe(true);
    expect((await addBoxFromSource(`${base}/chunked.box`, { loc: t.loc, name: 'chunky' })).box.name).toBe('chunky');
    expect((await addBoxFromSource(pathToFileURL(join(t.root, 'nope.box')).href, { loc: t.loc }).catch((e: Error) => e.message))).toMatch(/does not exist/);
  });

  it('refuses a wrong checksum, a 404, a refused connection, a cut-short or stalled body, a hostile archive, other schemes', async () => {
    expect(await refused(`${base}/demo.box`, { name: 'other', checksum: 'a'.repeat(64) })).toContain(`has sha256 ${goodSha}, not the ${'a'.repeat(64)}`);
    expect(await refused(`${base}/missing.box`)).toMatch(/answered 404 Not Found/);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await refused(`http://127.0.0.1:${port}/demo.box`)).toMatch(/ECONNREFUSED/);
    expect(await refused(`${base}/short.box`, { name: 'short' })).toMatch(/broke off|ended after 1000 of/);
    expect(await refused(`${base}/stall.box`, { name: 'stall', idleTimeoutMs: 500 })).toBe(`the download of ${base}/stall.box stalled after 1000 bytes: only 1000 bytes in 0.5 s`);
    expect(await refused(`${base}/hostile.box`, { name: 'evil' })).toBe(`archive ${base}/hostile.box: entry "../escape" points outside the box ('..' in its path)`);
    expect(await refused('ftp://127.0.0.1/demo.box')).toMatch(/http:\/\/, https:\/\/ or file:\/\//);
  });

  it('bounds the bytes: a cap while streaming, a Content-Length over the cap or over the free space', async () => {
    const t0 = Date.now();
    expect(await refused(`${base}/endless.box`, { name: 'endless', maxBytes: 4 << 20 })).toBe(
      `the download of ${base}/endless.box was stopped at 4194304 bytes: a box archive may be at most 4194304 bytes`,
    );
    expect(await refused(`${base}/huge.box`, { name: 'huge', maxBytes: 4 << 20 })).toBe(
      `cannot download ${base}/huge.box: the server says it is 1099511627776 bytes, and a box archive may be at most 4194304 bytes`,
    );
    const s = statfsSync(t.root);
    const free = s.bavail * s.bsize;
    expect(await refused(`${base}/huge.box`, { name: 'huge', maxBytes: 2 ** 41, minFreeBytes: free - (200 << 20) })).toMatch(
      new RegExp(`^cannot download ${base}/huge\\.box: not enough free space to add this box: \\d+ MiB free on the store's filesystem`),
    );
    expect(Date.now() - t0, 'each refusal comes at once, not after a timeout').toBeLessThan(20_000);
  });

  it('bounds the time: a server that trickles a byte at a time is a stall, not progress', async () => {
    const t0 = Date.now();
    expect(await refused(`${base}/trickle.box`, { name: 'trickle', idleTimeoutMs: 1500 })).toMatch(
      new RegExp(`^the download of ${base}/trickle\\.box stalled after \\d+ bytes: only \\d+ bytes in 1\\.5 s$`),
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 30_000);

  it('says why a redirect was not followed', async () => {
    expect(await refused(`${base}/to-file`)).toBe(`cannot download ${base}/to-file: the server redirected to file:///etc/passwd, and box downloads follow only http:// and https://`);
    expect(await refused(`${base}/loop`)).toBe(`cannot download ${base}/loop: more than 10 redirects (the last to ${base}/loop)`);
  });

  it('a response with Content-Encoding (Content-Length counts the encoded bytes) still downloads', async () => {
    expect((await addBoxFromSource(`${base}/encoded.box`, { loc: t.loc, name: 'encoded' })).box.name).toBe('encoded');
    expect(leftovers()).toEqual([]);
  });

  it('a URL with a password is refused without repeating the password', async () => {
    const msg = await refused(`${base.replace('://', '://user:s3cret@')}/demo.box`, { name: 'creds' });
    expect(msg).not.toContain('s3cret');
    expect(msg).toBe(`box URLs may not carry a user name or password (${base.replace('://', '://user:***@')}/demo.box)`);
  });

  it('parses sha256 checksums and explains bad ones', () => {
    expect(parseChecksum(`sha256:${'AB'.repeat(32)}`)).toBe('ab'.repeat(32));
    expect(() => parseChecksum(`md5:${'a'.repeat(32)}`)).toThrow(/checksum type 'md5' is not supported/);
    expect(() => parseChecksum('abc')).toThrow(/not a sha256 checksum/);
  });

  it('the CLI prints the result, and a bad download is exit 1 with one clear line', async () => {
    const vm = (...args: string[]): Promise<{ code: number | null; out: string; err: string }> =>
      new Promise((resolve) => {
        const env = { ...process.env, VM_HOME: t.loc.home, VM_BUNDLED_BOXES_DIR: t.loc.bundledDir, NO_COLOR: '1' };
        const p = spawn(process.execPath, [join(REPO, 'bin/run.js'), ...args], { env, cwd: t.root });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d));
        p.stderr.on('data', (d: Buffer) => (err += d));
        p.on('close', (code) => resolve({ code, out, err }));
      });
    const ok = await vm('box', 'add', `${base}/demo.box`, '--name', 'cli', '--checksum', goodSha);
    expect(ok).toEqual({ code: 0, out: `Added box 'cli' 1.0.0 (riscv64; builtin, qemu) in ${join(t.loc.home, 'boxes/cli/1.0.0')}\n`, err: '' });
    const bad = await vm('box', 'add', `${base}/missing.box`);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^Error: cannot download http:\/\/127\.0\.0\.1:\d+\/missing\.box: the server answered 404 Not Found\n/);
    expect(bad.err).not.toMatch(/\n\s+at /);
  });
});

describe('box.url in a Vmfile', () => {
  it('resolveBox downloads a missing box once, under the Vmfile name; peek and validate do not download', async () => {
    const source = { url: `${base}/vmfile.box`, checksum: goodSha };
    await expect(peekBox('fromurl', undefined, { loc: t.loc, source })).rejects.toBeInstanceOf(BoxNotDownloadedError);
    await expect(resolveBox('fromurl', undefined, { loc: t.loc, source, noDownload: true })).rejects.toBeInstanceOf(BoxNotDownloadedError);
    expect(hits.get('/vmfile.box') ?? 0).toBe(0);
    const shown: string[] = [];
    const ref = await resolveBox('fromurl', '>=1', { loc: t.loc, source, onDownload: (box, url) => (shown.push(`${box} ${url}`), { progress: () => undefined, done: () => shown.push('done') }) });
    expect([ref.name, ref.version]).toEqual(['fromurl', '1.0.0']);
    expect(shown).toEqual([`fromurl ${base}/vmfile.box`, 'done']);
    await resolveBox('fromurl', undefined, { loc: t.loc, source });
    expect(hits.get('/vmfile.box')).toBe(1);
    // A failed download says both things: what is missing and why the download did not help.
    await expect(resolveBox('nowhere', undefined, { loc: t.loc, source: { url: `${base}/missing.box` } })).rejects.toThrow(
      /^box 'nowhere' is not installed, and its download failed: cannot download .*missing\.box: the server answered 404 Not Found$/,
    );
    // A box that is installed is used as it is, whatever its url says.
    expect((await resolveBox('fromurl', undefined, { loc: t.loc, source: { url: `${base}/missing.box` } })).name).toBe('fromurl');
  });

  it('vm status shows the machine as not created, vm validate notes the download, vm up downloads', async () => {
    const dir = join(t.root, 'url-project');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Vmfile'), `box:\n  name: urlbox\n  url: ${base}/vmfile.box\n  checksum: sha256:${goodSha}\n`);
    const env = { ...process.env, VM_HOME: t.loc.home, VM_BUNDLED_BOXES_DIR: t.loc.bundledDir, NO_COLOR: '1' };
    const vm = (...args: string[]): Promise<{ code: number | null; out: string; err: string }> =>
      new Promise((done) => {
        const p = spawn(process.execPath, [join(REPO, 'bin/run.js'), ...args], { env, cwd: dir });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d));
        p.stderr.on('data', (d: Buffer) => (err += d));
        p.on('close', (code) => done({ code, out, err }));
      });
    const before = hits.get('/vmfile.box') ?? 0;
    expect(await vm('status')).toEqual({ code: 0, out: `default  not created (auto): box 'urlbox' is downloaded from ${base}/vmfile.box on \`vm up\`\n`, err: '' });
    const valid = await vm('validate');
    expect(valid.code).toBe(0);
    expect(valid.out).toBe('Vmfile is valid (1 machine: default)\n');
    expect(valid.err).toBe(`Note: machine 'default': box 'urlbox' is not installed yet; \`vm up\` downloads it from ${base}/vmfile.box\n`);
    const halt = await vm('halt');
    expect(halt.code).toBe(1);
    expect(halt.err).toContain("machine 'default': box 'urlbox' is not installed yet");
    expect(hits.get('/vmfile.box') ?? 0).toBe(before);
    // `vm config` needs the box's metadata: it downloads it, as `vm up` does.
    const config = await vm('config', '--json');
    expect(config.code).toBe(0);
    expect(JSON.parse(config.out)[0].box).toMatchObject({ name: 'urlbox', version: '1.0.0' });
    expect(hits.get('/vmfile.box')).toBe(before + 1);
    expect((await vm('status')).out).toBe('default  not created (builtin)\n');
  });
});
