// The auto-forward watcher's process (see auto-forward.ts): `node auto-forward-main.js RUN_DIR
// AGENT_SOCKET ENGINE_LOG EXCLUDED_PORTS`, started detached by `vm up` for a machine with
// `auto_forwards: true`. Every POLL_MS it reads the guest's listening ports through the agent and
// updates its host listeners; it ends when the machine's agent goes away. Output: engine.log.
import { openSync, closeSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAgent, viaMux } from '../../agent/index.js';
import { AUTO_FORWARDS_FILE, AutoForwarder, writeAutoForwards } from './auto-forward.js';
import { guestListeningPorts } from '../ready.js';

const POLL_MS = 2000;
const LOCK_FILE = 'auto-forward.pid';

const log = (m: string): void => {
  process.stderr.write(`${new Date().toISOString()} auto-forward ${process.pid}: ${m}\n`);
};

/** One watcher per machine: the lock file names the live one. */
function lock(runDir: string): boolean {
  const file = join(runDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      process.on('exit', () => {
        for (const f of [file, join(runDir, AUTO_FORWARDS_FILE)]) {
          try {
            unlinkSync(f);
          } catch {
            /* gone */
          }
        }
      });
      return true;
    } catch {
      const pid = Number(readFileSync(file, 'utf8'));
      try {
        if (Number.isInteger(pid) && pid > 0) {
          process.kill(pid, 0);
          return false; // another watcher runs
        }
      } catch {
        /* it died: take over */
      }
      unlinkSync(file);
    }
  }
  return false;
}

async function main(): Promise<number> {
  const [runDir, agentSocket, engineLog, excluded = ''] = process.argv.slice(2);
  if (!runDir || !agentSocket || !engineLog) {
    log('usage: auto-forward-main.js RUN_DIR AGENT_SOCKET ENGINE_LOG EXCLUDED_PORTS');
    return 2;
  }
  process.umask(0o077);
  if (!lock(runDir)) return 0;
  const agent = await connectAgent(agentSocket, { connect: viaMux(agentSocket, engineLog), helloTimeoutMs: 30_000 });
  const forwarder = new AutoForwarder(agent, new Set(excluded.split(',').filter(Boolean).map(Number)), log);
  await writeAutoForwards(runDir, forwarder.record(process.pid));
  log('watching the guest for listening ports');
  for (;;) {
    let ports: number[];
    try {
      ports = await guestListeningPorts(agent);
    } catch (err) {
      if (agent.closed) break;
      log(`reading the guest's ports failed: ${(err as Error).message}`);
      await sleep(POLL_MS);
      continue;
    }
    if (await forwarder.sync(ports)) await writeAutoForwards(runDir, forwarder.record(process.pid));
    await sleep(POLL_MS);
    if (agent.closed) break;
  }
  log('the machine went away');
  forwarder.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    log(`stopped: ${err.message}`);
    process.exit(1);
  },
);
