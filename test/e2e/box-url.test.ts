// A Vmfile whose box is not installed but names its URL: `vm up` downloads it from a real HTTP
// server on 127.0.0.1 (serving the bundled tiny.box), checks the archive's sha256, boots it; the
// next `up` after destroy uses the stored copy without downloading again.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_READY, Project, ROOT, show } from './helpers/vm-cli.js';

const BOOT = 400_000;

describe.skipIf(!E2E_READY)('box.url (compiled CLI; run `npm run build` first; skipped when the engine under test is missing)', () => {
  const archive = readFileSync(join(ROOT, 'boxes/tiny/tiny.box'));
  const sha = createHash('sha256').update(archive).digest('hex');
  let server: http.Server;
  let downloads = 0;
  let p: Project;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url !== '/tiny.box') {
        res.writeHead(404).end();
        return;
      }
      downloads++;
      res.writeHead(200, { 'content-length': archive.length }).end(archive);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tiny.box`;
    p = new Project('boxurl', `box: {name: fetched, url: "${url}", checksum: "sha256:${sha}"}\nmemory: 128M\nboot_timeout: 5m\n`);
  });
  afterAll(async () => {
    await p?.cleanup();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  it('up downloads the box once, verified, and boots it', async () => {
    const [before] = await p.status();
    expect(before).toMatchObject({ status: 'not created' });
    expect(downloads).toBe(0);
    const up = await p.run(['up'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stderr).toContain("Box 'fetched' is not installed: downloading http://127.0.0.1:");
    expect(downloads).toBe(1);
    const r = await p.run(['ssh', '-c', 'uname -m']);
    expect(r.stdout, show(r)).toBe('riscv64\n');
    const list = await p.run(['box', 'list', '--json']);
    expect(JSON.parse(list.stdout).find((b: { name: string }) => b.name === 'fetched')).toMatchObject({ version: (JSON.parse(readFileSync(join(ROOT, 'boxes/tiny/box.json'), 'utf8')) as { version: string }).version, stored: true });
    expect((await p.run(['destroy', '--force'])).code).toBe(0);
    const again = await p.run(['up', '--no-provision'], { timeoutMs: BOOT });
    expect(again.code, show(again)).toBe(0);
    expect(again.stderr).not.toContain('downloading');
    expect(downloads).toBe(1);
  }, BOOT * 2);
});
