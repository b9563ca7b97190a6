// VM_START_TRACE=1: marks of a machine's start-up, each with the host's wall clock in milliseconds
// (three decimals, comparable across processes) and the CPU time the process has used so far (all
// its threads, ms), written to the process's stderr (an engine's and a mux's stderr is the
// machine's engine.log): `trace <wall ms> <cpu ms> <who> <mark>`. For measuring where a warm
// start's time goes (bench/warm-phases.js reads them); off, it costs one environment lookup per process.

const on = process.env.VM_START_TRACE === '1';

/** Wall-clock milliseconds of this moment, with the monotonic clock's resolution. */
const wallMs = (): number => performance.timeOrigin + performance.now();

/** Writes a trace mark when VM_START_TRACE=1; `at` defaults to now. */
export function startTrace(who: string, mark: string, at: number = wallMs()): void {
  if (!on) return;
  const cpu = process.cpuUsage();
  process.stderr.write(`trace ${at.toFixed(3)} ${((cpu.user + cpu.system) / 1000).toFixed(1)} ${who} ${mark}\n`);
}
