// virtio-net through the transport: frames each way with the 12-byte VERSION_1 header, bounded
// holding while the guest posts no receive buffers, runts and oversized frames dropped; and the real
// user-mode NAT behind it answering the guest's ARP request for the gateway.
import { describe, expect, it } from 'vitest';
import * as C from '../../../../../src/emulator/devices/virtio/constants.js';
import {
  MAX_FRAME,
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_HOST_TSO4,
  VIRTIO_NET_F_GUEST_TSO4,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_SIZE,
  VirtioNet,
  type EthernetLink,
} from '../../../../../src/emulator/devices/virtio/net.js';
import { pseudoHeaderSum } from '../../../../../src/emulator/net/checksum.js';
import { IPPROTO_TCP, parseIpv4Packet } from '../../../../../src/emulator/net/ipv4.js';
import { parseTcp, TCP_ACK, TCP_PSH } from '../../../../../src/emulator/net/tcp-segment.js';
import { GATEWAY, GUEST, tcpFrame } from '../../net/frame-builders.js';
import { ARP_OP_REPLY, ARP_OP_REQUEST, buildArp, parseArp } from '../../../../../src/emulator/net/arp.js';
import { BROADCAST_MAC, buildEthernet, ETHERTYPE_ARP, parseEthernet } from '../../../../../src/emulator/net/ethernet.js';
import { parseIpv4 } from '../../../../../src/emulator/net/ip-address.js';
import { UserNet } from '../../../../../src/emulator/net/user-net.js';
import { NodeNetHost, nodeNetClock } from '../../../../../src/engines/builtin/net/node-net-host.js';
import { TestDriver, type Buf } from './test-driver.js';

const MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);

/** The far end of the cable, as a test sees it: what the guest sent, and a way to send it frames. */
class Cable implements EthernetLink {
  readonly sent: Uint8Array[] = [];
  constructor(
    readonly acceptsLargeSegments = false,
    readonly checksumsValid = false,
  ) {}
  deliver: (frame: Uint8Array) => void = () => {};
  transmit(frame: Uint8Array): void {
    this.sent.push(frame);
  }
  connect(receive: (frame: Uint8Array) => void): void {
    this.deliver = receive;
  }
}

function netDriver(link: EthernetLink, features?: bigint): { d: TestDriver; net: VirtioNet } {
  const net = new VirtioNet({ mac: MAC, link, maxPendingFrames: 4 });
  const d = new TestDriver(net);
  d.init(2, features);
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

/** A frame behind a transmit header as a Linux guest fills it for CSUM / TSO offload. */
function sendTxOffload(d: TestDriver, frame: Uint8Array, h: { flags: number; gso: number; gsoSize?: number; csumStart?: number; csumOffset?: number }): void {
  const buf = d.alloc(VIRTIO_NET_HDR_SIZE + frame.length);
  const hdr = new Uint8Array(VIRTIO_NET_HDR_SIZE);
  const v = new DataView(hdr.buffer);
  hdr[0] = h.flags;
  hdr[1] = h.gso;
  v.setUint16(2, 54, true);
  v.setUint16(4, h.gsoSize ?? 0, true);
  v.setUint16(6, h.csumStart ?? 0, true);
  v.setUint16(8, h.csumOffset ?? 0, true);
  d.put(buf, hdr);
  d.put(buf + VIRTIO_NET_HDR_SIZE, frame);
  d.addChain(1, [{ addr: buf, len: VIRTIO_NET_HDR_SIZE + frame.length }]);
  d.kick(1);
}

/** The guest's view of a TCP frame it offloads: the checksum field holds only the pseudo-header sum. */
function withPartialChecksum(full: Uint8Array): Uint8Array {
  const f = full.slice();
  const tcpLen = ((f[16]! << 8) | f[17]!) - 20;
  let sum = pseudoHeaderSum(GUEST, GATEWAY, IPPROTO_TCP, tcpLen);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  f[34 + 16] = sum >>> 8;
  f[34 + 17] = sum & 0xff;
  return f;
}


/** A link that vouches for its checksums and records what the NIC told it about large segments. */
class TsoCable extends Cable {
  told: boolean[] = [];
  constructor() {
    super(true, true);
  }
  guestTakesLargeSegments(yes: boolean): void {
    this.told.push(yes);
  }
}

const ALL = netDriver(new TsoCable()).d.deviceFeatures();
const NO_MERGE = ALL & ~(C.featureBit(VIRTIO_NET_F_MRG_RXBUF) | C.featureBit(VIRTIO_NET_F_GUEST_TSO4));

const TSO_PAYLOAD = 60_000;
const tsoFrame = (): Uint8Array =>
  tcpFrame(GATEWAY, { srcPort: 40000, dstPort: 80, seq: 1000, ack: 5, flags: TCP_ACK | TCP_PSH, window: 100, payload: frame(TSO_PAYLOAD, 9) });

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

  it('skips a frame too large for the posted buffer without losing the buffer (no MRG_RXBUF)', () => {
    const cable = new TsoCable();
    const { d, net } = netDriver(cable, NO_MERGE);
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

  it('offers CSUM and HOST_TSO4 always, receive offloads only to a link that can use them', () => {
    const offered = (link: EthernetLink, bit: number) => (netDriver(link).d.deviceFeatures() & C.featureBit(bit)) !== 0n;
    for (const bit of [VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4]) expect(offered(new Cable(), bit)).toBe(true);
    for (const bit of [VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_MRG_RXBUF]) {
      expect(offered(new Cable(), bit)).toBe(false);
      expect(offered(new TsoCable(), bit)).toBe(true);
    }
    expect(offered(new Cable(false, true), VIRTIO_NET_F_GUEST_CSUM)).toBe(true);
    expect(offered(new Cable(false, true), VIRTIO_NET_F_MRG_RXBUF)).toBe(false);
  });

  it('finishes a NEEDS_CSUM frame so the link sees the full checksum', () => {
    const cable = new Cable();
    const { d } = netDriver(cable);
    const full = tcpFrame(GATEWAY, { srcPort: 40000, dstPort: 80, seq: 1, ack: 2, flags: TCP_ACK | TCP_PSH, window: 100, payload: frame(1001, 3) });
    sendTxOffload(d, withPartialChecksum(full), { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, gso: 0, csumStart: 34, csumOffset: 16 });
    expect(cable.sent).toEqual([full]);
  });

  it('cuts a TSO frame into MSS frames for a link that takes only MTU frames', () => {
    const cable = new Cable();
    const { d, net } = netDriver(cable);
    sendTxOffload(d, withPartialChecksum(tsoFrame()), { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, gso: VIRTIO_NET_HDR_GSO_TCPV4, gsoSize: 1448, csumStart: 34, csumOffset: 16 });
    expect(cable.sent).toHaveLength(Math.ceil(TSO_PAYLOAD / 1448));
    const data: number[] = [];
    for (const f of cable.sent) {
      expect(f.length).toBeLessThanOrEqual(MAX_FRAME);
      const ip = parseIpv4Packet(f.subarray(14), true);
      if (!ip.ok) throw new Error(ip.reason);
      const tcp = parseTcp(ip.value.payload, GUEST, GATEWAY, true);
      if (!tcp.ok) throw new Error(tcp.reason);
      expect(tcp.value.seq).toBe(1000 + data.length);
      data.push(...tcp.value.payload);
    }
    expect(Uint8Array.from(data)).toEqual(frame(TSO_PAYLOAD, 9));
    expect(net.stats.txDropped).toBe(0);
  });

  it('passes a TSO frame whole, checksum finished, to a link that takes large segments', () => {
    const cable = new Cable(true);
    const { d } = netDriver(cable);
    const full = tsoFrame();
    sendTxOffload(d, withPartialChecksum(full), { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, gso: VIRTIO_NET_HDR_GSO_TCPV4, gsoSize: 1448, csumStart: 34, csumOffset: 16 });
    expect(cable.sent).toEqual([full]);
  });

  it('drops offload requests the driver did not negotiate, or with offsets outside the frame', () => {
    const cable = new Cable(true);
    const plain = C.featureBit(VIRTIO_NET_F_MAC) | C.featureBit(C.VIRTIO_F_VERSION_1);
    const { d, net } = netDriver(cable, plain);
    sendTxOffload(d, tsoFrame(), { flags: 0, gso: VIRTIO_NET_HDR_GSO_TCPV4, gsoSize: 1448 });
    sendTxOffload(d, frame(100, 1), { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, gso: 0, csumStart: 34, csumOffset: 16 });
    const other = netDriver(new Cable());
    sendTxOffload(other.d, frame(100, 1), { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, gso: 0, csumStart: 90, csumOffset: 16 });
    sendTxOffload(other.d, frame(100, 1), { flags: 0, gso: 3 /* UDP: not offered */, gsoSize: 1000 });
    expect(cable.sent).toHaveLength(0);
    expect(net.stats.txDropped).toBe(2);
    expect(other.net.stats.txDropped).toBe(2);
    expect(d.takeUsed(1)).toHaveLength(2);
    expect(d.needsReset || other.d.needsReset).toBe(false);
  });

  it('marks received frames DATA_VALID only when the guest took GUEST_CSUM and the link vouches for them', () => {
    const header = (link: Cable, features?: bigint): number => {
      const { d } = netDriver(link, features);
      const [buf] = postRx(d, 1);
      link.deliver(frame(80, 2));
      expect(d.takeUsed(0)).toHaveLength(1);
      return d.bytes(buf!, 1)[0]!;
    };
    expect(header(new Cable(false, true))).toBe(VIRTIO_NET_HDR_F_DATA_VALID);
    expect(header(new Cable(false, false))).toBe(0);
    expect(header(new Cable(false, true), C.featureBit(VIRTIO_NET_F_MAC) | C.featureBit(C.VIRTIO_F_VERSION_1))).toBe(0);
  });

  it('spreads a frame over several receive buffers with MRG_RXBUF, num_buffers counting them', () => {
    const cable = new TsoCable();
    const { d, net } = netDriver(cable);
    const bufs = postRx(d, 4, 512);
    cable.deliver(frame(1200, 5)); // 12 + 1200 bytes: three 512-byte buffers
    cable.deliver(frame(100, 6)); // must wait: one buffer left is enough
    const used = d.takeUsed(0);
    expect(used.map((u) => u.len)).toEqual([512, 512, 1212 - 1024, 112]);
    expect(d.bytes(bufs[0]!, 12)).toEqual(Uint8Array.of(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0));
    const got = [...d.bytes(bufs[0]! + 12, 500), ...d.bytes(bufs[1]!, 512), ...d.bytes(bufs[2]!, 188)];
    expect(Uint8Array.from(got)).toEqual(frame(1200, 5));
    expect(d.bytes(bufs[3]!, 12)[10]).toBe(1);
    expect(d.bytes(bufs[3]! + 12, 100)).toEqual(frame(100, 6));
    expect(net.stats.framesToGuest).toBe(2);
  });

  it('holds a frame until the guest posts enough buffers for it, without losing those it posted', () => {
    const cable = new TsoCable();
    const { d } = netDriver(cable);
    const first = postRx(d, 1, 512);
    cable.deliver(frame(1000, 1));
    expect(d.takeUsed(0)).toHaveLength(0);
    const more = postRx(d, 1, 1024);
    expect(d.takeUsed(0).map((u) => u.len)).toEqual([512, 500]);
    expect(Uint8Array.from([...d.bytes(first[0]! + 12, 500), ...d.bytes(more[0]!, 500)])).toEqual(frame(1000, 1));
  });

  it('sends a 60000-byte TCP segment as one GSO frame to a guest that took GUEST_TSO4, and tells the link', () => {
    const cable = new TsoCable();
    const { d, net } = netDriver(cable);
    expect(d.deviceFeatures() & C.featureBit(VIRTIO_NET_F_GUEST_TSO4)).not.toBe(0n);
    expect(cable.told).toEqual([true]);
    const bufs = postRx(d, 16, 4096);
    const big = tsoFrame();
    cable.deliver(big);
    const used = d.takeUsed(0);
    const total = VIRTIO_NET_HDR_SIZE + big.length;
    expect(used).toHaveLength(Math.ceil(total / 4096));
    const hdr = new DataView(d.bytes(bufs[0]!, 12).slice().buffer);
    expect(hdr.getUint8(0)).toBe(VIRTIO_NET_HDR_F_DATA_VALID);
    expect(hdr.getUint8(1)).toBe(VIRTIO_NET_HDR_GSO_TCPV4);
    expect(hdr.getUint16(2, true)).toBe(54); // hdr_len: Ethernet + IPv4 + TCP
    expect(hdr.getUint16(4, true)).toBe(1460); // gso_size: MTU less the headers
    expect(hdr.getUint16(10, true)).toBe(used.length);
    const got: number[] = [];
    used.forEach((u, i) => got.push(...d.bytes(bufs[i]! + (i === 0 ? 12 : 0), u.len - (i === 0 ? 12 : 0))));
    expect(Uint8Array.from(got)).toEqual(big);
    expect(net.stats.rxDropped).toBe(0);
    d.setReg(C.VIRTIO_MMIO_STATUS, 0);
    expect(cable.told).toEqual([true, false]);
  });

  it('drops frames over the MTU unless the guest took GUEST_TSO4 from a link that vouches for checksums', () => {
    for (const [cable, features] of [
      [new TsoCable(), ALL & ~C.featureBit(VIRTIO_NET_F_GUEST_TSO4)],
      [new Cable(false, false), undefined],
    ] as const) {
      const { d, net } = netDriver(cable, features);
      postRx(d, 20, 4096);
      cable.deliver(tsoFrame());
      expect(d.takeUsed(0)).toHaveLength(0);
      expect(net.stats.rxDropped).toBe(1);
    }
    const cable = new TsoCable();
    const { d, net } = netDriver(cable);
    postRx(d, 20, 4096);
    const notTcp = new Uint8Array(5000);
    notTcp.set(tsoFrame().subarray(0, 40));
    notTcp[23] = 17;
    cable.deliver(notTcp);
    cable.deliver(frame(64, 1));
    expect(net.stats.rxDropped).toBe(1);
    expect(d.takeUsed(0)).toHaveLength(1);
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
