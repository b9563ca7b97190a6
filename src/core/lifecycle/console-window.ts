// Window size for a serial console: a serial line carries no size, so vm sets the guest console's
// rows and columns through the guest agent (`stty -F /dev/console rows R cols C`, run apart from the
// console: nothing is typed into it) when a session attaches and when the host window changes. The
// kernel then sends SIGWINCH to the console's foreground programs, as on a real terminal resize.
import { agentAnswers, withAgent } from './agent-session.js';
import type { RunningMachine } from './running-machine.js';

export interface WindowSync {
  update(): void;
  close(): void;
}

/** Quiet period after a resize before the size is sent (drags fire many events). */
const DEBOUNCE_MS = 150;

export function consoleWindowSync(m: RunningMachine, size: () => { rows: number; cols: number }): WindowSync {
  let timer: NodeJS.Timeout | undefined;
  let busy: Promise<void> = Promise.resolve();
  let closed = false;
  let last = '';
  const send = async (): Promise<void> => {
    const { rows, cols } = size();
    if (closed || !Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) return;
    const key = `${rows}x${cols}`;
    if (key === last) return;
    // Without an agent there is nothing to do, and nothing to wait for.
    if (!(await agentAnswers(m.paths, 1500))) return;
    await withAgent(m.config.name, m.paths, 3000, (agent) =>
      agent.run({ argv: ['stty', '-F', '/dev/console', 'rows', String(rows), 'cols', String(cols)], timeoutMs: 5000 }),
    ).then(
      () => (last = key),
      () => undefined,
    );
  };
  return {
    update: () => {
      clearTimeout(timer);
      timer = setTimeout(() => (busy = busy.then(send)), DEBOUNCE_MS);
    },
    close: () => {
      closed = true;
      clearTimeout(timer);
    },
  };
}
