// A machine whose port forwards are not served by the engine on this host but by a tunnel process
// (the libvirt engine on a remote hypervisor host: `ssh -N -L`, see libvirt/forward-tunnel.ts) says
// so in its state folder, so commands that never load engine code (`vm port`, `vm status`, `vm halt`)
// can tell the user which address serves each forward, see whether the tunnel runs, ask for it again,
// and make sure it is gone with the machine:
//   forward-tunnel.json  what the tunnel forwards and through which host, and the engine process that keeps it
//   forward-tunnel.pid   the tunnel process's pid, while one runs
// The engine process (the keeper) restarts a tunnel that died, at once when sent TUNNEL_RETRY_SIGNAL.
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export const TUNNEL_RECORD_FILE = 'forward-tunnel.json';
export const TUNNEL_PID_FILE = 'forward-tunnel.pid';
/** Sent to the engine process: re-establish a dead tunnel now, without waiting for its back-off. */
export const TUNNEL_RETRY_SIGNAL = 'SIGUSR2';

export interface TunnelledForward {
  /** Where the user connects, on this host. */
  hostIp: string;
  host: number;
  guest: number;
  protocol: 'tcp';
  /** The address the forward reaches on the far side of the tunnel (the hypervisor host's loopback). */
  remote: string;
}

export interface TunnelRecord {
  /** The process that keeps the tunnel (restarts it): the machine's engine process. */
  keeperPid: number;
  /** What the tunnel goes through, for people: `ssh root@hv1:22`. */
  via: string;
  /** The tunnel's argv, so a pid is only taken for the tunnel when its command line matches. */
  argv: string[];
  forwards: TunnelledForward[];
}

export interface TunnelView extends TunnelRecord {
  /** The live tunnel process, or undefined while it is down. */
  pid?: number;
}

/** The argv of process `pid`, or undefined when it is gone (Linux /proc). */
function processArgv(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return undefined; // a zombie
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return undefined;
  }
}

const sameArgv = (a: string[] | undefined, b: string[]): boolean => !!a && a.length === b.length && a.every((x, i) => x === b[i]);

/** The machine's tunnel record and whether its process runs; undefined when its forwards need none. */
export function readTunnel(stateDir: string): TunnelView | undefined {
  let record: TunnelRecord;
  try {
    record = JSON.parse(readFileSync(join(stateDir, TUNNEL_RECORD_FILE), 'utf8')) as TunnelRecord;
    if (!Number.isInteger(record.keeperPid) || !Array.isArray(record.argv) || !Array.isArray(record.forwards)) return undefined;
  } catch {
    return undefined;
  }
  const pid = Number(readFileSyncOr(join(stateDir, TUNNEL_PID_FILE)));
  const live = Number.isInteger(pid) && pid > 0 && sameArgv(processArgv(pid), record.argv);
  return { ...record, ...(live ? { pid } : {}) };
}

function readFileSyncOr(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * Ends the machine's tunnel, if one still runs, and removes its files: the engine process ends it
 * itself, this is for one killed outright. The pid is only signalled when its command line is the
 * recorded tunnel's.
 */
export function stopTunnel(stateDir: string): boolean {
  const t = readTunnel(stateDir);
  let stopped = false;
  if (t?.pid !== undefined) {
    try {
      process.kill(t.pid, 'SIGTERM');
      stopped = true;
    } catch {
      // gone in between
    }
  }
  for (const f of [TUNNEL_PID_FILE, TUNNEL_RECORD_FILE]) {
    try {
      unlinkSync(join(stateDir, f));
    } catch {
      // not there
    }
  }
  return stopped;
}

/** How one tunnelled forward is served, for people. */
export function describeTunnelled(f: TunnelledForward, t: TunnelView): string {
  return t.pid !== undefined ? `ssh tunnel (pid ${t.pid}) through ${t.via} to ${f.remote} there` : `ssh tunnel through ${t.via} is down (being re-established)`;
}
