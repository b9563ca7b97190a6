// Window size for a serial console: a serial line carries no size, so vm sets the guest console's
// rows and columns through the guest agent (`stty -F /dev/console rows R cols C`, run apart from the
// console: nothing is typed into it) when a session attaches and when the host window changes. The
// kernel then sends SIGWINCH to the console's foreground programs, as on a real terminal resize.
// The first size is in place before the session attaches (`first`), so the first command typed
// sees it; later changes follow the window.
import { agentAnswers, withAgent } from '../guest/agent.js';
import type { RunningMachine } from '../select.js';

/** The guest command that sets the console's size (run through the agent, never typed). */
export function consoleSizeArgv(rows: number, cols: number): string[] {
  return ['stty', '-F', '/dev/console', 'rows', String(rows), 'cols', String(cols)];
}

export interface WindowSync {
  /** Sets the size now; resolves once the guest has it, or after `waitMs` (the session goes on without it). */
  first(waitMs?: number): Promise<void>;
  update(): void;
  close(): void;
}

/** Quiet period after a resize before the size is sent (drags fire many events). */
const DEBOUNCE_MS = 150;
/** A busy guest can miss an attempt (agent still starting, host loaded): try again this often. */
const RETRY_MS = 1000;
const MAX_ATTEMPTS = 20;
/** How long attaching waits for the first size by default: an agent that answers does it well within this. */
const FIRST_WAIT_MS = 5000;

export function consoleWindowSync(m: RunningMachine, size: () => { rows: number; cols: number }): WindowSync {
  let timer: NodeJS.Timeout | undefined;
  let busy: Promise<void> = Promise.resolve();
  let closed = false;
  let last = '';
  let attempts = 0;
  const schedule = (delay: number): void => {
    clearTimeout(timer);
    timer = setTimeout(() => (busy = busy.then(send)), delay);
  };
  const send = async (): Promise<void> => {
    const { rows, cols } = size();
    if (closed || !Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) return;
    const key = `${rows}x${cols}`;
    if (key === last) return;
    // Without an agent there is nothing to do; a slow one gets another chance.
    const ok =
      (await agentAnswers(m.paths, 1500)) &&
      (await withAgent(m.config.name, m.paths, 3000, (agent) =>
        agent.run({ argv: consoleSizeArgv(rows, cols), timeoutMs: 5000 }),
      ).then(
        () => true, // stty ran; if it refused the size, asking again would not help
        () => false,
      ));
    if (ok) {
      last = key;
      attempts = 0;
    } else if (!closed && ++attempts < MAX_ATTEMPTS) {
      schedule(RETRY_MS);
    }
  };
  return {
    first: async (waitMs = FIRST_WAIT_MS) => {
      clearTimeout(timer);
      attempts = 0;
      busy = busy.then(send);
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([busy, new Promise<void>((resolve) => (timeout = setTimeout(resolve, waitMs)))]);
      clearTimeout(timeout);
    },
    update: () => {
      attempts = 0;
      schedule(DEBOUNCE_MS);
    },
    close: () => {
      closed = true;
      clearTimeout(timer);
    },
  };
}
