// A private network card's wire for the builtin engine: each frame the guest sends is one UDP
// datagram to the network's multicast group on loopback (see ../private-network.ts, qemu's mcast
// socket format); datagrams from the group are frames for the guest. Frames this card sent itself
// come back over loopback and are dropped by their source MAC.
import dgram from 'node:dgram';
import type { EthernetLink } from '../../emulator/devices/virtio/net.js';
import { privateNetworkEndpoint } from '../private-network.js';

/** Larger datagrams are not Ethernet frames a NIC could take (jumbo frames included). */
const MAX_FRAME = 65_535;
/** Ethernet header: destination MAC (6), source MAC (6), ethertype (2). */
const ETH_HEADER = 14;

export interface PrivateLink {
  link: EthernetLink;
  close(): Promise<void>;
}

function macBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
}

const sameMac = (frame: Uint8Array, offset: number, mac: Uint8Array): boolean => {
  for (let i = 0; i < 6; i++) if (frame[offset + i] !== mac[i]) return false;
  return true;
};

/** Joins `network`; frames flow once the socket is bound (a few ms, long before the guest's driver). */
export function openPrivateLink(network: string, mac: string, log: (m: string) => void): PrivateLink {
  const e = privateNetworkEndpoint(network);
  const own = macBytes(mac);
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  let bound = false;
  let closed = false;
  let receive: ((frame: Uint8Array) => void) | null = null;
  socket.on('error', (err) => log(`private network '${network}' (${e.group}:${e.port}): ${err.message}`));
  socket.on('message', (msg) => {
    if (!receive || msg.length < ETH_HEADER || msg.length > MAX_FRAME) return;
    if (sameMac(msg, 6, own)) return;
    receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.length));
  });
  // Bound to the group address, the socket only receives datagrams sent to that group.
  socket.bind(e.port, e.group, () => {
    try {
      socket.addMembership(e.group, e.localAddr);
      socket.setMulticastInterface(e.localAddr);
      socket.setMulticastLoopback(true);
      socket.setMulticastTTL(0);
      bound = true;
    } catch (err) {
      log(`private network '${network}': cannot join ${e.group} on ${e.localAddr}: ${(err as Error).message}`);
    }
  });
  return {
    link: {
      transmit: (frame) => {
        if (!bound || closed || frame.length < ETH_HEADER || frame.length > MAX_FRAME) return;
        // A copy: the NIC may reuse the frame's memory before the datagram has gone out.
        socket.send(Buffer.from(frame), e.port, e.group);
      },
      connect: (r) => {
        receive = r;
      },
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
}
