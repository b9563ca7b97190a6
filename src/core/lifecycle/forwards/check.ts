// Checks before boot that every forward's host port can be bound — by binding it (exclusively, no
// SO_REUSEPORT), never by connecting, which gives false answers — so `up` fails naming the port,
// or, for a forward with `auto_correct`, moves a taken port to a free one the system picks.
import dgram from 'node:dgram';
import net from 'node:net';
import type { ForwardConfig } from '../../../model/machine-config.js';
import { UserError } from '../../errors.js';

const where = (f: ForwardConfig): string => (f.hostIp.includes(':') ? `[${f.hostIp}]:${f.host}` : `${f.hostIp}:${f.host}`);

/** Binds the forward's host address and port and lets go; resolves with the error, or the port bound. */
function tryBind(f: ForwardConfig, port = f.host): Promise<NodeJS.ErrnoException | number> {
  return new Promise((resolve) => {
    if (f.protocol === 'udp') {
      const s = dgram.createSocket({ type: f.hostIp.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
      s.once('error', (err) => {
        s.close();
        resolve(err);
      });
      s.bind({ address: f.hostIp, port, exclusive: true }, () => {
        const bound = s.address().port;
        s.close(() => resolve(bound));
      });
      return;
    }
    const srv = net.createServer();
    srv.once('error', (err) => resolve(err));
    srv.listen({ host: f.hostIp, port, exclusive: true }, () => {
      const bound = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(bound));
    });
  });
}

export interface ResolvedForwards {
  /** What the engine is to listen on: the Vmfile's forwards, taken ports moved where allowed. */
  forwards: ForwardConfig[];
  /** One sentence per moved port. */
  notes: string[];
}

/**
 * The forwards to start the machine with: each host port checked by binding it; a taken one of a
 * forward with `autoCorrect` is replaced by a free port the system picks (port 0), any other
 * failure is the UserError checkForwards throws.
 */
export async function resolveForwards(machine: string, forwards: ForwardConfig[]): Promise<ResolvedForwards> {
  const out: ForwardConfig[] = [];
  const notes: string[] = [];
  const wanted = new Set(forwards.map((f) => `${f.protocol}/${f.host}`));
  for (const f of forwards) {
    const first = await tryBind(f);
    if (typeof first === 'number' || !f.autoCorrect || first.code !== 'EADDRINUSE') {
      if (typeof first !== 'number') failure(machine, f, first);
      // host port 0 (vm's own ssh forward on a first boot): the free port the system picked
      out.push(f.host === 0 ? { ...f, host: first } : f);
      continue;
    }
    let port: number | undefined;
    for (let attempt = 0; attempt < 8 && port === undefined; attempt++) {
      const got = await tryBind(f, 0);
      if (typeof got !== 'number') failure(machine, f, got);
      // Not a port another forward of this machine asked for by number.
      else if (!wanted.has(`${f.protocol}/${got}`)) port = got;
    }
    if (port === undefined) failure(machine, f, first);
    out.push({ ...f, host: port! });
    notes.push(`machine '${machine}': host port ${f.host} was in use, so ${where({ ...f, host: port! })}/${f.protocol} forwards to guest port ${f.guest} instead (auto_correct)`);
  }
  return { forwards: out, notes };
}

/** Throws a UserError naming the first forward whose host port cannot be bound, and why. */
export async function checkForwards(machine: string, forwards: ForwardConfig[]): Promise<void> {
  for (const f of forwards) {
    const err = await tryBind(f);
    if (typeof err !== 'number') failure(machine, f, err);
  }
}

function failure(machine: string, f: ForwardConfig, err: NodeJS.ErrnoException): never {
  const what = `machine '${machine}' forwards ${where(f)}/${f.protocol} to guest port ${f.guest}, but`;
  switch (err.code) {
    case 'EADDRINUSE':
      throw new UserError(`${what} host port ${f.host} is already in use`, {
        hint: `stop the program using port ${f.host} (\`ss -ltnp 'sport = :${f.host}'\` shows it), choose another host port in the Vmfile, or add \`auto_correct: true\` to the forward`,
      });
    case 'EACCES':
      throw new UserError(`${what} this user may not listen on port ${f.host}`, { hint: 'ports below 1024 need privileges: choose a host port of 1024 or more' });
    case 'EADDRNOTAVAIL':
      throw new UserError(`${what} ${f.hostIp} is not an address of this host`, { hint: 'set host_ip to an address this host has, such as 127.0.0.1' });
    default:
      throw new UserError(`${what} it cannot be bound: ${err.message}`);
  }
}
