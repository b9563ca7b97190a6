// virtio-net through the transport: frames each way with the 12-byte VERSION_1 header, bounded
// holding while the guest posts no receive buffers, runts and oversized frames dropped; and the real
// user-mode NAT behind it answering the guest's ARP request for the gateway.
import { describe, expect, it } from 'vitest';
import * as C from '../../../src/emulator/devices/virtio/constants.js';
import { MAX_FRAME, VIRTIO_NET_F_MAC, VIRTIO_NET_HDR_SIZE, VirtioNet, type EthernetLink } from '../../../src/emulator/devices/virtio/net.js';
import { ARP_OP_REPLY, ARP_OP_REQUEST, buildArp, parseArp } from '../../../src/emulator/net/arp.js';
import { BROADCAST_MAC, buildEthernet, ETHERTYPE_ARP, parseEthernet } from '../../../src/emulator/net/ethernet.js';
import { parseIpv4 } from '../../../src/emulator/net/ip-address.js';
import { UserNet } from '../../../src/emulator/net/user-net.js';
import { NodeNetHost, nodeNetClock } from '../../../src/engines/builtin/net/node-net-host.js';
import { TestDriver, type Buf } from './test-driver.js';

const MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);

/** The far end of the cable, as a test sees it: what the guest sent, and a way to send it frames. */
class Cable implements EthernetLink {
  readonly sent: Uint8Array[] = [];
  deliver: (frame: Uint8Array) => void = () => {};
  transmit(frame: Uint8Array): void {
    this.sent.push(frame);
  }
  connect(receive: (frame: Uint8Array) => void): void {
    this.deliver = receive;
  }
}

function netDriver(link: EthernetLink): { d: TestDriver; net: VirtioNet } {
  const net = new VirtioNet({ mac: MAC, link, maxPendingFrames: 4 });
  const d = new TestDriver(net);
  d.init(2);
  return { d, net };
}

function postRx(d: TestDriver, count: number, len = VIRTIO_NET_HDR_SIZE + MAX_FRAME): number[] {
  const bufs: number[] = [];
  for (let i = 0; i < count; i++) {
    const a = d.alloc(len);
    bufs.push(a);
    d.addChain(0, [{ addr: a, len, write: true }]);
  }
  d.kick(0);
  return bufs;
}

function sendTx(d: TestDriver, frame: Uint8Array, split = false): void {
  const hdr = d.alloc(VIRTIO_NET_HDR_SIZE);
  const body = d.alloc(frame.length);
  d.put(body, frame);
  const bufs: Buf[] = split ? [{ addr: hdr, len: VIRTIO_NET_HDR_SIZE }, { addr: body, len: frame.length }] : [];
  if (!split) {
    const one = d.alloc(VIRTIO_NET_HDR_SIZE + frame.length);
    d.put(one + VIRTIO_NET_HDR_SIZE, frame);
    bufs.push({ addr: one, len: VIRTIO_NET_HDR_SIZE + frame.length });
  }
  d.addChain(1, bufs);
  d.kick(1);
}

const frame = (len: number, seed: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i + seed) & 0xff);

describe('virtio-net', () => {
  it('offers its MAC in the config space with the link up', () => {
    const { d } = netDriver(new Cable());
    expect(d.deviceFeatures() & C.featureBit(VIRTIO_NET_F_MAC)).not.toBe(0n);
    expect([0, 1, 2, 3, 4, 5].map((i) => d.transport.read(C.VIRTIO_MMIO_CONFIG + i, 1))).toEqual([...MAC]);
    expect(d.transport.read(C.VIRTIO_MMIO_CONFIG + 6, 2)).toBe(1);
  });

  it('carries guest frames to the link without the header, header and frame in one buffer or two', () => {
    const cable = new Cable();
    const { d, net } = netDriver(cable);
    sendTx(d, frame(60, 1));
    sendTx(d, frame(1514, 2), true);
    expect(cable.sent).toEqual([frame(60, 1), frame(1514, 2)]);
    expect(d.takeUsed(1)).toHaveLength(2);
    expect(net.stats.framesFromGuest).toBe(2);
  });

  it('drops runts and oversized frames from the guest but returns their buffers', () => {
    const cable = new Cable();
    const { d, net } = netDriver(cable);
    sendTx(d, frame(10, 0));
    sendTx(d, frame(MAX_FRAME + 1, 0));
    expect(cable.sent).toHaveLength(0);
    expect(d.takeUsed(1)).toHaveLength(2);
    expect(net.stats.txDropped).toBe(2);
    expect(d.needsReset).toBe(false);
  });

  it('delivers link frames into receive buffers behind a header with num_buffers = 1', () => {
    const cable = new Cable();
    const { d } = netDriver(cable);
    const [buf] = postRx(d, 1);
    cable.deliver(frame(100, 7));
    const used = d.takeUsed(0);
    expect(used).toEqual([{ id: 0, len: VIRTIO_NET_HDR_SIZE + 100 }]);
    const got = d.bytes(buf!, VIRTIO_NET_HDR_SIZE + 100);
    expect(got.subarray(0, VIRTIO_NET_HDR_SIZE)).toEqual(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0));
    expect(got.subarray(VIRTIO_NET_HDR_SIZE)).toEqual(frame(100, 7));
    expect(d.irq).toBe(true);
  });

  it('holds a bounded number of frames while the guest has no buffers, then delivers them in order', () => {
    const cable = new Cable();
    const { d, net } = netDriver(cable);
    for (let i = 0; i < 6; i++) cable.deliver(frame(64, i));
    expect(net.stats.rxDropped).toBe(2); // maxPendingFrames 4
    const bufs = postRx(d, 6);
    expect(d.takeUsed(0)).toHaveLength(4);
    for (let i = 0; i < 4; i++) expect(d.bytes(bufs[i]! + VIRTIO_NET_HDR_SIZE, 64)).toEqual(frame(64, i));
  });

  it('skips a frame too large for the posted buffer without losing the buffer', () => {
    const cable = new Cable();
    const { d, net } = netDriver(cable);
    postRx(d, 1, VIRTIO_NET_HDR_SIZE + 100);
    cable.deliver(frame(500, 0));
    cable.deliver(frame(80, 1));
    expect(d.takeUsed(0)).toEqual([{ id: 0, len: VIRTIO_NET_HDR_SIZE + 80 }]);
    expect(net.stats.rxDropped).toBe(1);
  });

  it('drops frames while the driver has not set DRIVER_OK', () => {
    const cable = new Cable();
    const net = new VirtioNet({ mac: MAC, link: cable });
    const d = new TestDriver(net);
    cable.deliver(frame(64, 0));
    expect(net.stats.rxDropped).toBe(1);
    d.init(2);
    postRx(d, 1);
    expect(d.takeUsed(0)).toHaveLength(0);
  });

  it('gets an ARP reply for the gateway from the user-mode NAT', () => {
    const nat = new UserNet({ host: new NodeNetHost(), clock: nodeNetClock });
    const link: EthernetLink = {
      transmit: (f) => nat.receiveFromGuest(f),
      connect: (receive) => {
        nat.onFrameToGuest = receive;
      },
    };
    const { d } = netDriver(link);
    const [buf] = postRx(d, 1);
    const request = buildArp({ op: ARP_OP_REQUEST, senderMac: MAC, senderIp: parseIpv4('10.0.2.15')!, targetMac: new Uint8Array(6), targetIp: parseIpv4('10.0.2.2')! });
    sendTx(d, buildEthernet(BROADCAST_MAC, MAC, ETHERTYPE_ARP, request));
    const [used] = d.takeUsed(0);
    expect(used).toBeDefined();
    const eth = parseEthernet(d.bytes(buf! + VIRTIO_NET_HDR_SIZE, used!.len - VIRTIO_NET_HDR_SIZE));
    if (!eth.ok) throw new Error(eth.reason);
    const arp = parseArp(eth.value.payload);
    if (!arp.ok) throw new Error(arp.reason);
    expect(arp.value.op).toBe(ARP_OP_REPLY);
    expect(arp.value.senderIp).toBe(parseIpv4('10.0.2.2'));
    expect(arp.value.targetMac).toEqual(MAC);
    nat.close();
  });
});
