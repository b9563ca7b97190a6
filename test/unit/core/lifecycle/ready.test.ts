// Readiness: from the console (current boot only), and the `ready:` probe's reading of the kernel's socket table.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listeningPorts, waitReady } from '../../../../src/core/lifecycle/ready.js';

// The console rule itself (a line of its own, the current boot only): test/unit/engines/guest-console.test.ts.
describe('console readiness', () => {
  it('a timeout names the machine and shows the console tail; a dead engine is reported at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-ready-'));
    try {
      const log = join(dir, 'console.log');
      writeFileSync(log, 'line one\r\nKernel panic - not syncing: VFS\r\n');
      const paths = { runDir: dir, consoleSocket: '', agentSocket: '', qmpSocket: '', consoleLog: log, engineLog: join(dir, 'engine.log') };
      const me = { pid: process.pid, bootId: '' };
      const t = await waitReady({ name: 'web', paths, engine: me, timeoutMs: 300 }).catch((e: Error) => e);
      expect((t as Error).message).toBe("machine 'web' was not ready within its boot timeout (0 s); it is still running. The console's last lines:\n  | line one\n  | Kernel panic - not syncing: VFS");
      const dead = await waitReady({ name: 'web', paths, engine: { pid: 2 ** 22 + 1, bootId: '' }, timeoutMs: 60_000 }).catch((e: Error) => e);
      expect((dead as Error).message).toMatch(/^machine 'web' stopped while booting \(its engine process \d+ ended\)/);
      writeFileSync(log, 'x\nvm: ready\n');
      await waitReady({ name: 'web', paths, engine: me, timeoutMs: 5000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('listeningPorts', () => {
  it('reads LISTEN sockets (st 0A) of /proc/net/tcp and tcp6, ignoring other states', () => {
    const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0016 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 1235 1 0000000000000000 20 4 30 10 -1
`;
    const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 10 0
`;
    expect(listeningPorts(tcp)).toEqual([8000]);
    expect(listeningPorts(tcp6)).toEqual([5432]);
    expect(listeningPorts('')).toEqual([]);
  });
});
