// Who a pid is: boot id + pid + kernel start time, so a pid recorded before a reboot or reused by an
// unrelated process is never mistaken for ours (see proc(5): /proc/sys/kernel/random/boot_id, /proc/PID/stat).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** /proc/sys/kernel/random/boot_id when the process was recorded; '' where unknown (non-Linux). */
  bootId: string;
  /** Field 22 of /proc/PID/stat (clock ticks after boot); undefined where /proc is missing. */
  startTime?: number;
}

let cachedBootId: string | undefined;

/** This boot's id; '' where the kernel does not expose one. */
export function currentBootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = '';
    }
  }
  return cachedBootId;
}

interface ProcStat {
  state: string;
  startTime: number;
}

/** Parses /proc/PID/stat. The comm field may hold spaces and ')' so fields are read after the last ')'. */
function readProcStat(pid: number): ProcStat | undefined | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    // ENOENT: no such process (when /proc exists at all); anything else: unknown
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return procAvailable() ? null : undefined;
    return undefined;
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  const startTime = Number(rest[19]);
  if (!rest[0] || !Number.isFinite(startTime)) return undefined;
  return { state: rest[0], startTime };
}

let procChecked: boolean | undefined;
function procAvailable(): boolean {
  if (procChecked === undefined) {
    try {
      readFileSync('/proc/self/stat');
      procChecked = true;
    } catch {
      procChecked = false;
    }
  }
  return procChecked;
}

/** The identity of a live process (this one by default). */
export function identify(pid = process.pid): ProcessIdentity {
  const st = readProcStat(pid);
  return { pid, bootId: currentBootId(), ...(st ? { startTime: st.startTime } : {}) };
}

/**
 * Whether the process recorded as `who` is still that same process. Only signal 0 is ever sent
 * (an existence check, delivers nothing). Another boot, a dead or zombie pid, or a pid now held by a
 * process that started at another time all mean "no".
 */
export function isAlive(who: ProcessIdentity): boolean {
  if (!Number.isSafeInteger(who.pid) || who.pid <= 0) return false;
  const boot = currentBootId();
  if (who.bootId && boot && who.bootId !== boot) return false;
  try {
    process.kill(who.pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user, so it is alive.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const st = readProcStat(who.pid);
  if (st === null) return false;
  if (st === undefined) return true;
  if (st.state === 'Z' || st.state === 'X') return false;
  if (who.startTime !== undefined && st.startTime !== who.startTime) return false;
  return true;
}

/**
 * Paths a live process holds on Linux: its working directory and the files it has open, as the kernel
 * names them now (after a rename, the new names). Empty where /proc is missing or not ours to read.
 */
export function processPaths(pid: number): string[] {
  const out: string[] = [];
  const link = (p: string): void => {
    try {
      out.push(readlinkSync(p));
    } catch {
      // gone, or not ours: nothing to learn from it
    }
  };
  link(`/proc/${pid}/cwd`);
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) link(`/proc/${pid}/fd/${fd}`);
  return out;
}
