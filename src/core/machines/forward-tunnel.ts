// A running machine's forward tunnel (engines/shared/forward-tunnel-record.ts), seen from commands:
// whether it runs, and, when it died, asking the engine process that keeps it to start it again now
// rather than after its back-off. `vm status` (for running libvirt machines), `vm up` and `vm port`
// do this, so a dead tunnel is back by the time they answer; `vm port` and `vm up` say which address
// serves each forward.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ForwardConfig } from '../../model/machine-config.js';
import { describeTunnelled, readTunnel, TUNNEL_RETRY_SIGNAL, type TunnelView } from '../../engines/shared/forward-tunnel-record.js';

export { stopTunnel } from '../../engines/shared/forward-tunnel-record.js';
export type { TunnelView };

/**
 * The machine's tunnel; when it is down and `enginePid` (the machine's confirmed engine process)
 * keeps it, that process is asked to re-establish it and given `waitMs` to. Undefined when the
 * machine's forwards need no tunnel.
 */
export async function ensureTunnel(stateDir: string, enginePid: number | undefined, waitMs = 10_000): Promise<TunnelView | undefined> {
  const t = readTunnel(stateDir);
  if (!t || t.pid !== undefined || enginePid === undefined || t.keeperPid !== enginePid) return t;
  try {
    process.kill(enginePid, TUNNEL_RETRY_SIGNAL);
  } catch {
    return t;
  }
  const deadline = Date.now() + waitMs;
  for (;;) {
    const now = readTunnel(stateDir);
    if (!now || now.pid !== undefined || Date.now() > deadline) return now;
    await sleep(100);
  }
}

/** Which address serves `f`, when a tunnel does; undefined for forwards the engine serves on this host itself. */
export function tunnelServing(t: TunnelView | undefined, f: ForwardConfig): string | undefined {
  const hit = t?.forwards.find((x) => x.host === f.host && x.hostIp === f.hostIp && x.guest === f.guest && f.protocol === 'tcp');
  return hit && t ? describeTunnelled(hit, t) : undefined;
}
