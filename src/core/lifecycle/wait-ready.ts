// Waiting for a booted guest to be ready, within the machine's boot timeout: the box's console
// marker or its agent answering, whichever comes first. On a timeout or an engine that died, the
// error shows the console's last lines.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimePaths } from '../../engines/engine.js';
import { UserError } from '../errors.js';
import { isAlive, type ProcessIdentity } from '../machines/process-identity.js';
import { cleanConsoleText, consoleTail, FileFollower } from './console-file.js';

/** The line the bundled boxes print once their init is done (boxes/tiny/README.md). */
export const READY_MARKER = 'vm: ready';
/** The builtin engine's note on a reboot; readiness seen before it belonged to the previous boot. */
const REBOOT_NOTE = '[vm: reboot]';
const POLL_MS = 100;
/** Console text kept for the marker search (the log itself is bounded too). */
const KEEP_CHARS = 256 * 1024;

/** Whether console text (cleaned: see cleanConsoleText) of the current boot says the guest is ready. */
export function consoleSaysReady(text: string): boolean {
  const lastBoot = text.lastIndexOf(REBOOT_NOTE);
  const since = lastBoot >= 0 ? text.slice(lastBoot) : text;
  return since.split('\n').some((line) => line.trim() === READY_MARKER);
}

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
  let seen = '';
  try {
    for (;;) {
      const chunk = await follower.read();
      if (chunk.length > 0) {
        seen = (seen + chunk.toString('utf8')).slice(-KEEP_CHARS);
        if (consoleSaysReady(cleanConsoleText(seen))) return;
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
