// The builtin engine's network for one NAT NIC: binds the machine's forwards first (so a taken
// port fails before boot), then builds the UserNet on Node's sockets and attaches the forwards.

import type { ForwardConfig } from '../../../model/machine-config.js';
import type { UserNetConfig } from '../../../emulator/net/net-config.js';
import { UserNet } from '../../../emulator/net/user-net.js';
import type { DnsResolver } from '../../../emulator/net/net-host.js';
import { bindForwards, type BoundForwards } from './forward-ports.js';
import { NodeNetHost, nodeNetClock } from './node-net-host.js';

export interface NodeUserNetOptions {
  /** The NIC's MAC (from MachineConfig's nat NIC). */
  mac?: string;
  hostname?: string;
  forwards: ForwardConfig[];
  config?: Partial<UserNetConfig>;
  resolver?: DnsResolver;
  log?: (message: string) => void;
}

export interface NodeUserNet {
  net: UserNet;
  forwards: BoundForwards;
  close(): Promise<void>;
}

export async function startNodeUserNet(opts: NodeUserNetOptions): Promise<NodeUserNet> {
  const forwards = await bindForwards(opts.forwards, { log: opts.log });
  let net: UserNet;
  try {
    net = new UserNet({
      host: new NodeNetHost({ resolver: opts.resolver }),
      clock: nodeNetClock,
      config: { ...opts.config, guestMac: opts.mac ?? opts.config?.guestMac, hostname: opts.hostname ?? opts.config?.hostname },
      log: opts.log,
    });
  } catch (err) {
    await forwards.close();
    throw err;
  }
  forwards.attach(net);
  return {
    net,
    forwards,
    async close() {
      await forwards.close();
      net.close();
    },
  };
}
