// Checks before boot that every forward's host port can be bound — by binding it (exclusively, no
// SO_REUSEPORT), never by connecting, which gives false answers — so `up` fails naming the port.
import dgram from 'node:dgram';
import net from 'node:net';
import type { ForwardConfig } from '../../engines/machine-config.js';
import { UserError } from '../errors.js';

const where = (f: ForwardConfig): string => (f.hostIp.includes(':') ? `[${f.hostIp}]:${f.host}` : `${f.hostIp}:${f.host}`);

function tryBind(f: ForwardConfig): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    if (f.protocol === 'udp') {
      const s = dgram.createSocket({ type: f.hostIp.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
      s.once('error', (err) => {
        s.close();
        resolve(err);
      });
      s.bind({ address: f.hostIp, port: f.host, exclusive: true }, () => s.close(() => resolve(undefined)));
      return;
    }
    const srv = net.createServer();
    srv.once('error', (err) => resolve(err));
    srv.listen({ host: f.hostIp, port: f.host, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}

/** Throws a UserError naming the first forward whose host port cannot be bound, and why. */
export async function checkForwards(machine: string, forwards: ForwardConfig[]): Promise<void> {
  for (const f of forwards) {
    const err = await tryBind(f);
    if (!err) continue;
    const what = `machine '${machine}' forwards ${where(f)}/${f.protocol} to guest port ${f.guest}, but`;
    switch (err.code) {
      case 'EADDRINUSE':
        throw new UserError(`${what} host port ${f.host} is already in use`, {
          hint: `stop the program using port ${f.host} (\`ss -ltnp 'sport = :${f.host}'\` shows it) or choose another host port in the Vmfile`,
        });
      case 'EACCES':
        throw new UserError(`${what} this user may not listen on port ${f.host}`, { hint: 'ports below 1024 need privileges: choose a host port of 1024 or more' });
      case 'EADDRNOTAVAIL':
        throw new UserError(`${what} ${f.hostIp} is not an address of this host`, { hint: 'set host_ip to an address this host has, such as 127.0.0.1' });
      default:
        throw new UserError(`${what} it cannot be bound: ${err.message}`);
    }
  }
}
