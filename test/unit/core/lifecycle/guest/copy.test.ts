// `vm cp`'s engine room against the real C agent on this host (--fd mode, as test/unit/core/agent): a
// tree with modes, a read-only folder, symlinks, awkward names and a file larger than the agent's
// windows goes in and comes back identical; cp -r's "into a folder / become the destination" rules.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../../../src/core/agent/client.js';
import { copyFromGuest, copyToGuest, parseEndpoint } from '../../../../../src/core/lifecycle/guest/copy.js';
import { buildHostAgent, compilerMissing, startHostAgent, type HostAgent } from '../../agent/host-agent.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** type, mode and content (or link target) of every entry under `root`, by relative path. */
function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (rel: string): void => {
    const abs = rel ? join(root, rel) : root;
    const st = lstatSync(abs);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out[rel] = `link -> ${readlinkSync(abs)}`;
    else if (st.isFile()) out[rel] = `file ${mode} ${sha(readFileSync(abs))}`;
    else {
      out[rel] = `dir ${mode}`;
      for (const n of readdirSync(abs)) visit(rel ? `${rel}/${n}` : n);
    }
  };
  visit('');
  return out;
}

describe('parseEndpoint', () => {
  it('tells guest paths from host paths', () => {
    expect(parseEndpoint('web:/srv/x')).toEqual({ kind: 'guest', machine: 'web', path: '/srv/x' });
    expect(parseEndpoint(':/etc/hosts')).toEqual({ kind: 'guest', path: '/etc/hosts' });
    expect(parseEndpoint('db:notes.txt')).toEqual({ kind: 'guest', machine: 'db', path: '/root/notes.txt' });
    expect(parseEndpoint('./a:b')).toEqual({ kind: 'host', path: './a:b' });
    expect(parseEndpoint('/tmp/a:b')).toEqual({ kind: 'host', path: '/tmp/a:b' });
    expect(() => parseEndpoint('web:')).toThrow('"web:" names no path in the guest');
  });
});

describe.skipIf(compilerMissing)('copying through the agent', () => {
  let agentPath = '';
  let agent: HostAgent;
  let client: AgentClient;
  let dir = '';

  beforeAll(() => {
    agentPath = buildHostAgent().path;
    dir = mkdtempSync(join(tmpdir(), 'vm-cp-test-'));
  }, 120_000);
  afterAll(() => {
    if (!dir) return;
    // the read-only folders must become writable again to be removed
    for (const p of [join(dir, 'guest', 'src', 'ro'), join(dir, 'back', 'src', 'ro')]) {
      try {
        chmodSync(p, 0o755);
      } catch {
        /* not created */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    expect(await agent.stop()).toBe(0);
  });

  async function fresh(): Promise<void> {
    agent = startHostAgent(agentPath);
    client = new AgentClient(agent.socket, { requestTimeoutMs: 10_000 });
    await client.hello(10_000);
  }

  it('copies a tree in and back out, keeping modes, symlinks and names', async () => {
    await fresh();
    const src = join(dir, 'src');
    mkdirSync(join(src, 'sub', 'deep'), { recursive: true });
    writeFileSync(join(src, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    writeFileSync(join(src, 'secret'), 'key', { mode: 0o600 });
    writeFileSync(join(src, 'empty'), '');
    writeFileSync(join(src, 'name with\nnewline and space'), 'odd');
    writeFileSync(join(src, '..dots'), '');
    writeFileSync(join(src, 'sub', 'deep', 'big.bin'), randomBytes(3 * 1024 * 1024 + 17));
    chmodSync(join(src, 'sub', 'deep'), 0o700);
    mkdirSync(join(src, 'ro'));
    writeFileSync(join(src, 'ro', 'inside'), 'read-only folder');
    chmodSync(join(src, 'ro'), 0o555);
    symlinkSync('sub/deep/big.bin', join(src, 'link'));
    symlinkSync('/nowhere', join(src, 'dangling'));
    const want = describeTree(src);

    const guest = join(dir, 'guest');
    mkdirSync(guest);
    const seen: number[] = [];
    const up = await copyToGuest(client, src, guest, (p) => seen.push(p.done));
    expect(up).toMatchObject({ files: 7, folders: 4, symlinks: 2, target: join(guest, 'src'), skipped: [] });
    expect(up.bytes).toBe(3 * 1024 * 1024 + 17 + 18 + 3 + 3 + 16);
    expect(seen.at(-1)).toBe(up.bytes);
    expect(describeTree(join(guest, 'src'))).toEqual(want);

    const back = join(dir, 'back');
    const down = await copyFromGuest(client, join(guest, 'src'), `${back}/`);
    expect(down).toMatchObject({ files: 7, folders: 4, symlinks: 2, bytes: up.bytes, target: join(back, 'src') });
    expect(describeTree(join(back, 'src'))).toEqual(want);
  });

  it('follows cp -r: a file becomes the destination, or lands inside a folder; errors name the path', async () => {
    await fresh();
    const one = join(dir, 'one.txt');
    writeFileSync(one, 'one', { mode: 0o640 });
    const target = join(dir, 'renamed.txt');
    expect((await copyToGuest(client, one, target)).target).toBe(target);
    expect(describeTree(target)).toEqual(describeTree(one));
    expect((await copyFromGuest(client, target, dir)).target).toBe(join(dir, 'renamed.txt'));
    const copy = join(dir, 'copy.txt');
    await copyFromGuest(client, target, copy);
    expect(readFileSync(copy, 'utf8')).toBe('one');
    await expect(copyFromGuest(client, join(dir, 'missing'), copy)).rejects.toThrow(`cannot copy ${join(dir, 'missing')} from the guest: ${join(dir, 'missing')}: no such file or folder`);
    await expect(copyToGuest(client, join(dir, 'missing'), dir)).rejects.toThrow(`${join(dir, 'missing')}: no such file or folder on the host`);
    await expect(copyToGuest(client, join(dir, 'src'), copy)).rejects.toThrow(`cannot copy the folder ${join(dir, 'src')} over ${copy} in the guest: it is not a folder`);
  });
});
