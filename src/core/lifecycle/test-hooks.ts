// Test-only fault injection: VM_TEST_KILL_AT=<step> makes the CLI SIGKILL itself at that step of a
// lifecycle command, so tests can check that every interruption leaves a truthful state;
// <step>:SIGINT sends SIGINT instead, as a Ctrl-C at that moment would.
export const TEST_KILL_ENV = 'VM_TEST_KILL_AT';

/** Step names a test may name. */
export type KillPoint = 'after-lock' | 'after-created' | 'after-prepare' | 'after-spawn' | 'after-running' | 'after-ready' | 'before-halted' | 'after-suspend-saved'
  // vm snapshot restore (core/machines/restore-journal.ts): staged, journal written, after each disk, record saved
  | 'restore-staged'
  | 'restore-journaled'
  | 'restore-disk'
  | 'restore-state-saved';

export function killPoint(step: KillPoint): void {
  const at = process.env[TEST_KILL_ENV];
  if (at === step) process.kill(process.pid, 'SIGKILL');
  else if (at === `${step}:SIGINT`) process.kill(process.pid, 'SIGINT');
}
