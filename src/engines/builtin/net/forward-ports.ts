// Host listeners for a machine's port forwards: bound before boot (exclusively: no SO_REUSEPORT, so
// a taken port fails here, naming host_ip:port and, on Linux, the process holding it), then
// attached to the machine's UserNet: each accepted TCP connection becomes a connection to the
// guest's port, each UDP datagram is relayed per peer.

import dgram from 'node:dgram';
import net from 'node:net';
import type { ForwardConfig } from '../../../model/machine-config.js';
import type { UserNet } from '../../../emulator/net/user-net.js';
import type { UdpForwardPort } from '../../../emulator/net/udp-nat.js';
import { NodeTcpSocket, describeSocketError } from './node-tcp-socket.js';
import { findPortHolder, type PortHolder } from './port-holder.js';

/** Connections accepted before the machine's network exists wait, up to this many. */
const MAX_EARLY_CONNECTIONS = 64;

/** A forward could not listen. The message names host_ip:port; core turns this into a UserError. */
export class ForwardBindError extends Error {
  constructor(
    message: string,
    readonly forward: ForwardConfig,
    readonly code: string | undefined,
    readonly hint: string,
    readonly holder: PortHolder | undefined,
  ) {
    super(message);
    this.name = 'ForwardBindError';
  }
}

function hostPort(f: ForwardConfig): string {
  return f.hostIp.includes(':') ? `[${f.hostIp}]:${f.host}` : `${f.hostIp}:${f.host}`;
}

async function bindError(f: ForwardConfig, err: Error & { code?: string }): Promise<ForwardBindError> {
  const where = hostPort(f);
  const what = `cannot forward ${where}/${f.protocol} to guest port ${f.guest}`;
  switch (err.code) {
    case 'EADDRINUSE': {
      const holder = await findPortHolder(f.protocol, f.host).catch(() => undefined);
      const by = holder ? ` by process ${holder.pid} (${holder.command})` : '';
      return new ForwardBindError(
        `${what}: ${where} is already in use${by}`,
        f,
        err.code,
        holder ? `Stop process ${holder.pid} or choose another host port for this forward in the Vmfile.` : 'Choose another host port for this forward in the Vmfile, or stop the program using it.',
        holder,
      );
    }
    case 'EACCES':
      return new ForwardBindError(
        `${what}: permission denied to listen on ${where}`,
        f,
        err.code,
        'Ports below 1024 need root (or CAP_NET_BIND_SERVICE); choose a host port of 1024 or more.',
        undefined,
      );
    case 'EADDRNOTAVAIL':
      return new ForwardBindError(
        `${what}: ${f.hostIp} is not an address of this host`,
        f,
        err.code,
        'Set host_ip to an address this host has, such as 127.0.0.1.',
        undefined,
      );
    default:
      return new ForwardBindError(`${what}: ${describeSocketError(err)}`, f, err.code, 'Check the forward in the Vmfile.', undefined);
  }
}

interface Listener {
  forward: ForwardConfig;
  /** The port actually bound (differs from forward.host only when that was 0, as tests do). */
  port: number;
  attach(net: UserNet): void;
  close(): Promise<void>;
}

function listenTcp(f: ForwardConfig, log: (m: string) => void): Promise<Listener> {
  return new Promise((resolve, reject) => {
    let userNet: UserNet | undefined;
    const early: net.Socket[] = [];
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
      if (userNet !== undefined) {
        userNet.acceptTcpForward(new NodeTcpSocket(socket), f.guest);
      } else if (early.length < MAX_EARLY_CONNECTIONS) {
        early.push(socket);
      } else {
        socket.destroy();
      }
    });
    server.on('error', (err) => log(`forward ${hostPort(f)}: ${describeSocketError(err)}`));
    server.once('error', (err: Error & { code?: string }) => {
      void bindError(f, err).then(reject);
    });
    // exclusive: no handle sharing with cluster workers; Node never sets SO_REUSEPORT unless asked.
    server.listen({ host: f.hostIp, port: f.host, exclusive: true }, () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        forward: f,
        port,
        attach(n) {
          userNet = n;
          for (const s of early.splice(0)) if (!s.destroyed) n.acceptTcpForward(new NodeTcpSocket(s), f.guest);
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of early.splice(0)) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function listenUdp(f: ForwardConfig, log: (m: string) => void): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: f.hostIp.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
    let port: UdpForwardPort | undefined;
    socket.on('message', (msg, rinfo) => port?.deliver(msg, rinfo.address, rinfo.port));
    socket.once('error', (err: Error & { code?: string }) => {
      void bindError(f, err).then(reject);
    });
    socket.bind({ address: f.hostIp, port: f.host, exclusive: true }, () => {
      socket.removeAllListeners('error');
      socket.on('error', (err) => log(`forward ${hostPort(f)}/udp: ${describeSocketError(err)}`));
      resolve({
        forward: f,
        port: socket.address().port,
        attach(n) {
          port = n.openUdpForward(f.guest, (data, peerIp, peerPort) => socket.send(data, peerPort, peerIp));
        },
        close: () =>
          new Promise<void>((done) => {
            port?.close();
            socket.close(() => done());
          }),
      });
    });
  });
}

export interface BoundForwards {
  /** Each forward with the host port it listens on. */
  readonly listening: ReadonlyArray<{ forward: ForwardConfig; port: number }>;
  /** Start handing connections and datagrams to the machine's network. */
  attach(net: UserNet): void;
  close(): Promise<void>;
}

/**
 * Listens on every forward's host address, in order. If one fails, the ones already bound are
 * closed and its ForwardBindError is thrown.
 */
export async function bindForwards(forwards: ForwardConfig[], opts: { log?: (m: string) => void } = {}): Promise<BoundForwards> {
  const log = opts.log ?? (() => {});
  const listeners: Listener[] = [];
  try {
    for (const f of forwards) listeners.push(await (f.protocol === 'udp' ? listenUdp(f, log) : listenTcp(f, log)));
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    throw err;
  }
  return {
    listening: listeners.map((l) => ({ forward: l.forward, port: l.port })),
    attach(n) {
      for (const l of listeners) l.attach(n);
    },
    async close() {
      await Promise.all(listeners.map((l) => l.close()));
    },
  };
}
