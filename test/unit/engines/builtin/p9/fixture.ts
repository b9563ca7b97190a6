// A shared folder beside an "outside" folder full of bait, a server on the share, and a snapshot of
// everything outside so each test can assert the host beyond the share was left exactly as it was.

import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { P9Server, type P9ServerOptions } from '../../../../../src/engines/builtin/p9/server.js';
import { P9Client } from './p9-client.js';

export interface Fixture {
  base: string;
  share: string;
  outside: string;
  server: P9Server;
  client: P9Client;
  /** Throws when anything under `outside` differs from when the fixture was made. */
  assertOutsideUntouched(): void;
  cleanup(): Promise<void>;
}

function snapshot(dir: string): string {
  const lines: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      let content = '';
      if (st.isFile()) content = readFileSync(p).toString('base64');
      else if (st.isSymbolicLink()) content = `-> ${readlinkSync(p)}`;
      lines.push(`${p} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${st.nlink} ${content}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return lines.join('\n');
}

export async function makeFixture(o: Partial<P9ServerOptions> = {}): Promise<Fixture> {
  const base = mkdtempSync(join(tmpdir(), 'vm-p9-'));
  const share = join(base, 'share');
  const outside = join(base, 'outside');
  mkdirSync(share);
  mkdirSync(join(outside, 'dir'), { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), 'outside secret\n', { mode: 0o600 });
  writeFileSync(join(outside, 'dir', 'inner.txt'), 'inner\n');
  writeFileSync(join(share, 'hello.txt'), 'hello from the host\n');
  mkdirSync(join(share, 'sub'));
  writeFileSync(join(share, 'sub', 'a.txt'), 'a\n');
  const before = snapshot(outside);
  const server = await P9Server.create({ hostPath: share, readOnly: false, ...o });
  const client = new P9Client(server);
  return {
    base,
    share,
    outside,
    server,
    client,
    assertOutsideUntouched() {
      const now = snapshot(outside);
      if (now !== before) throw new Error(`the folder outside the share changed:\nbefore:\n${before}\nafter:\n${now}`);
    },
    async cleanup() {
      await server.close();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Tversion + Tattach as fid 0. */
export async function connect(c: P9Client, msize = 262144): Promise<void> {
  await c.version(msize);
  await c.attach(0);
}
