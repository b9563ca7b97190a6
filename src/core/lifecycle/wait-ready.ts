// Waiting for a booted guest to be ready, within the machine's boot timeout: the box's console
// marker or its agent answering, whichever comes first. On a timeout or an engine that died, the
// error shows the console's last lines.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimePaths } from '../../engines/engine.js';
import { UserError } from '../errors.js';
import { isAlive, type ProcessIdentity } from '../machines/process-identity.js';
import { GuestConsoleParser } from '../../engines/guest-console.js';
import { consoleTail, FileFollower } from './console-file.js';

const POLL_MS = 100;

export interface WaitReadyOptions {
  name: string;
  paths: RuntimePaths;
  engine: ProcessIdentity;
  timeoutMs: number;
  /** Another sign of readiness (the guest agent answering); tried beside the console checks. */
  probe?: () => Promise<boolean>;
}

const indent = (t: string): string =>
  t
    .split('\n')
    .map((l) => `  | ${l}`)
    .join('\n');

/** Runs `probe` again and again in the background, one attempt at a time, until stopped. */
function backgroundProbe(probe: (() => Promise<boolean>) | undefined): { ok: () => boolean; stop: () => void } {
  let ok = false;
  let stopped = false;
  const run = async (): Promise<void> => {
    while (probe && !stopped && !ok) {
      ok = await probe().catch(() => false);
      if (!ok) await sleep(POLL_MS);
    }
  };
  void run();
  return { ok: () => ok, stop: () => (stopped = true) };
}

/** Resolves when the guest is ready; throws a UserError (with the console tail) otherwise. */
export async function waitReady(o: WaitReadyOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  const follower = new FileFollower(o.paths.consoleLog);
  const probe = backgroundProbe(o.probe);
  const guest = new GuestConsoleParser();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const chunk = await follower.read();
      if (chunk.length > 0) {
        guest.feed(decoder.decode(chunk, { stream: true }));
        if (guest.ready) return;
      }
      if (probe.ok()) return;
      if (!isAlive(o.engine)) {
        const tail = await consoleTail(o.paths.consoleLog);
        throw new UserError(`machine '${o.name}' stopped while booting (its engine process ${o.engine.pid} ended)${tail ? `; the console's last lines:\n${indent(tail)}` : ''}`, {
          hint: `see the engine log ${o.paths.engineLog} and \`vm logs ${o.name}\``,
        });
      }
      if (Date.now() >= deadline) {
        const tail = await consoleTail(o.paths.consoleLog);
        throw new UserError(
          `machine '${o.name}' was not ready within its boot timeout (${Math.round(o.timeoutMs / 1000)} s); it is still running${tail ? `. The console's last lines:\n${indent(tail)}` : ' and has printed nothing'}`,
          { hint: `raise boot_timeout in the Vmfile, watch it with \`vm logs --follow ${o.name}\`, or stop it with \`vm halt ${o.name}\`` },
        );
      }
      await sleep(POLL_MS);
    }
  } finally {
    probe.stop();
  }
}
