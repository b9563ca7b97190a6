// Linux signal numbers, the same on riscv64 and x86_64 (asm-generic numbering for 1-31).

const NAMES = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
  'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

/** "SIGKILL" for 9; real-time signals as "SIGRTMIN+n" (SIGRTMIN is 34 as glibc exposes it). */
export function signalName(n: number): string {
  if (n > 0 && n < NAMES.length) return NAMES[n]!;
  if (n >= 34 && n <= 64) return n === 34 ? 'SIGRTMIN' : `SIGRTMIN+${n - 34}`;
  return `SIG${n}`;
}

/** 9 for "SIGKILL", "KILL", "kill" or 9; undefined for anything else. */
export function signalNumber(sig: string | number): number | undefined {
  if (typeof sig === 'number') return Number.isInteger(sig) && sig >= 1 && sig <= 64 ? sig : undefined;
  const upper = sig.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const i = NAMES.indexOf(name);
  return i > 0 ? i : undefined;
}
