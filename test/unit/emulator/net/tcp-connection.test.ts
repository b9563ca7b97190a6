import { describe, expect, it } from 'vitest';
import { DEFAULT_TCP_TUNING } from '../../../../src/emulator/net/tcp-connection.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, windowScaleFor } from '../../../../src/emulator/net/tcp-segment.js';
import { establishedPassive, GUEST_ISN, NAT_ISS, TcpHarness } from './tcp-harness.js';

const G = GUEST_ISN + 1; // the guest's first data sequence number
const N = NAT_ISS + 1; // the NAT's first data sequence number
/** The shift that lets the default receive buffer be advertised. */
const OUR_SCALE = windowScaleFor(DEFAULT_TCP_TUNING.rcvBufSize);
const bytes = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

describe('tcp handshakes', () => {
  it('answers a guest SYN only when accepted, with MSS and window scale, then establishes', () => {
    const h = new TcpHarness();
    h.guest({ seq: GUEST_ISN, flags: TCP_SYN, mss: 1400, wscale: 7 });
    // segmentArrives on a fresh connection is ignored: receiveSyn is the table's job.
    expect(h.take()).toEqual([]);
    const syn = establishedPassive({ mss: 1400, wscale: 7 });
    expect(syn.conn.state).toBe('ESTABLISHED');
    expect(syn.established).toBe(1);

    const fresh = new TcpHarness();
    fresh.conn.receiveSyn({ srcPort: 40000, dstPort: 8080, seq: GUEST_ISN, ack: 0, flags: TCP_SYN, window: 64240, mss: 1400, wscale: 7, payload: new Uint8Array() });
    fresh.guest({ seq: GUEST_ISN, flags: TCP_SYN, mss: 1400, wscale: 7 }); // retransmitted while the host connects
    expect(fresh.take()).toEqual([]);
    fresh.conn.accept();
    const synAck = fresh.takeOne();
    expect(synAck).toMatchObject({ seq: NAT_ISS, ack: G, flags: TCP_SYN | TCP_ACK, mss: 1460, wscale: OUR_SCALE, window: 65535 });
    fresh.guest({ seq: GUEST_ISN, flags: TCP_SYN, mss: 1400, wscale: 7 }); // our SYN-ACK was lost
    expect(fresh.takeOne().flags).toBe(TCP_SYN | TCP_ACK);
  });

  it('leaves window scaling out when the guest did not offer it', () => {
    const h = new TcpHarness();
    h.conn.receiveSyn({ srcPort: 40000, dstPort: 8080, seq: GUEST_ISN, ack: 0, flags: TCP_SYN, window: 8192, mss: undefined, wscale: undefined, payload: new Uint8Array() });
    h.conn.accept();
    const synAck = h.takeOne();
    expect(synAck.wscale).toBeUndefined();
    h.guest({ seq: G, ack: N, flags: TCP_ACK, window: 8192 });
    // No MSS option means 536 (RFC 9293 §3.7.1).
    h.conn.send(bytes(2000));
    expect(h.take().map((s) => s.payload.length)).toEqual([536, 536, 536, 392]);
  });

  it('refuses with RST|ACK when the host could not connect', () => {
    const h = new TcpHarness();
    h.conn.receiveSyn({ srcPort: 40000, dstPort: 8080, seq: GUEST_ISN, ack: 0, flags: TCP_SYN, window: 100, mss: 1460, wscale: undefined, payload: new Uint8Array() });
    h.conn.refuse();
    expect(h.takeOne()).toMatchObject({ flags: TCP_RST | TCP_ACK, ack: G });
    expect(h.closed).toBe('refused');
  });

  it('opens to the guest: SYN, SYN-ACK, ACK; options from the guest apply', () => {
    const h = new TcpHarness();
    h.conn.connect();
    const syn = h.takeOne();
    expect(syn).toMatchObject({ seq: NAT_ISS, flags: TCP_SYN, mss: 1460, wscale: OUR_SCALE });
    h.guest({ seq: 7000, ack: N, flags: TCP_SYN | TCP_ACK, mss: 1000, wscale: 2, window: 1000 });
    expect(h.takeOne()).toMatchObject({ flags: TCP_ACK, seq: N, ack: 7001 });
    expect(h.conn.state).toBe('ESTABLISHED');
    // Window 1000 in the SYN-ACK is unscaled; the next ACK's 1000 means 4000 bytes.
    h.guest({ seq: 7001, ack: N, flags: TCP_ACK, window: 1000 });
    h.conn.send(bytes(6000));
    expect(h.take().map((s) => s.payload.length)).toEqual([1000, 1000, 1000, 1000]);
  });

  it('treats RST|ACK to its SYN as refused and gives up after the SYN retries', () => {
    const refused = new TcpHarness();
    refused.conn.connect();
    refused.take();
    refused.guest({ seq: 0, ack: N, flags: TCP_RST | TCP_ACK });
    expect(refused.closed).toBe('refused');

    const silent = new TcpHarness({ maxSynRetries: 2 });
    silent.conn.connect();
    silent.take();
    silent.clock.advance(1000);
    silent.clock.advance(2000);
    expect(silent.take().map((s) => s.flags)).toEqual([TCP_SYN, TCP_SYN]);
    silent.clock.advance(4000);
    expect(silent.closed).toBe('timeout');
  });
});

describe('tcp data from the guest', () => {
  it('delivers in-order data and ACKs a push at once', () => {
    const h = establishedPassive();
    h.guest({ seq: G, ack: N, flags: TCP_ACK | TCP_PSH, data: 'hello' });
    expect(h.receivedText).toBe('hello');
    expect(h.takeOne()).toMatchObject({ flags: TCP_ACK, ack: G + 5 });
  });

  it('delays the ACK of one full segment, ACKs every second at once', () => {
    const h = establishedPassive({ mss: 1000, tuning: { mss: 1000 } });
    h.guest({ seq: G, ack: N, flags: TCP_ACK, data: bytes(1000) });
    expect(h.take()).toEqual([]);
    h.clock.advance(10);
    expect(h.takeOne().ack).toBe(G + 1000);
    h.guest({ seq: G + 1000, ack: N, flags: TCP_ACK, data: bytes(1000) });
    h.guest({ seq: G + 2000, ack: N, flags: TCP_ACK, data: bytes(1000) });
    expect(h.takeOne().ack).toBe(G + 3000);
  });

  it('queues out-of-order segments, sends a duplicate ACK, and delivers once the hole fills', () => {
    const h = establishedPassive();
    h.guest({ seq: G + 5, ack: N, flags: TCP_ACK, data: 'world' });
    expect(h.receivedText).toBe('');
    expect(h.takeOne().ack).toBe(G);
    h.guest({ seq: G, ack: N, flags: TCP_ACK, data: 'hello' });
    expect(h.receivedText).toBe('helloworld');
    expect(h.take().at(-1)!.ack).toBe(G + 10);
  });

  it('trims retransmitted overlap and never delivers a byte twice', () => {
    const h = establishedPassive();
    h.guest({ seq: G, ack: N, flags: TCP_ACK | TCP_PSH, data: 'abcdef' });
    h.guest({ seq: G + 3, ack: N, flags: TCP_ACK | TCP_PSH, data: 'defghi' });
    h.guest({ seq: G, ack: N, flags: TCP_ACK | TCP_PSH, data: 'abc' });
    expect(h.receivedText).toBe('abcdefghi');
  });

  it('shrinks the window by what the host side holds, refuses data past it, and reopens it', () => {
    const h = establishedPassive({ mss: 1000, tuning: { mss: 1000, rcvBufSize: 4000 } });
    h.holdReceived = true; // the host socket takes nothing
    for (let i = 0; i < 4; i++) h.guest({ seq: G + i * 1000, ack: N, flags: TCP_ACK | TCP_PSH, data: bytes(1000, i) });
    expect(h.take().at(-1)).toMatchObject({ ack: G + 4000, window: 0 });
    h.guest({ seq: G + 4000, ack: N, flags: TCP_ACK | TCP_PSH, data: 'past the window' });
    expect(h.received.length).toBe(4000);
    expect(h.takeOne()).toMatchObject({ ack: G + 4000, window: 0 });
    h.unconsumed = 3500;
    h.conn.windowMayHaveOpened(); // 500 free: too little to announce (silly window avoidance)
    expect(h.take()).toEqual([]);
    h.unconsumed = 0;
    h.conn.windowMayHaveOpened();
    expect(h.takeOne()).toMatchObject({ ack: G + 4000, window: 4000 });
  });

  it('takes the ACK of a zero-window probe and answers with the window', () => {
    const h = establishedPassive({ tuning: { rcvBufSize: 2000, mss: 1000 }, mss: 1000 });
    h.holdReceived = true;
    h.guest({ seq: G, ack: N, flags: TCP_ACK | TCP_PSH, data: bytes(1000) });
    h.guest({ seq: G + 1000, ack: N, flags: TCP_ACK | TCP_PSH, data: bytes(1000) });
    h.take();
    h.guest({ seq: G + 2000, ack: N, flags: TCP_ACK, data: 'x' });
    expect(h.received.length).toBe(2000);
    expect(h.takeOne()).toMatchObject({ ack: G + 2000, window: 0 });
  });
});

describe('tcp data to the guest', () => {
  it('segments to the guest MSS and stays inside its window', () => {
    const h = establishedPassive({ mss: 500, window: 2000 });
    h.conn.send(bytes(5000));
    let segs = h.take();
    expect(segs.map((s) => s.payload.length)).toEqual([500, 500, 500, 500]);
    expect(segs.map((s) => s.seq)).toEqual([N, N + 500, N + 1000, N + 1500]);
    h.guest({ seq: G, ack: N + 1000, flags: TCP_ACK, window: 2000 });
    segs = h.take();
    expect(segs.map((s) => s.seq)).toEqual([N + 2000, N + 2500]);
    expect(h.conn.sendQueued).toBe(4000);
  });

  it('sends large segments of whole MSS multiples when the guest NIC takes them, inside window and cwnd', () => {
    const h = establishedPassive({ mss: 1000, window: 65535, wscale: 4 });
    h.guest({ seq: G, ack: N, flags: TCP_ACK, window: 20000 }); // 320000 bytes, scaled
    h.segmentLimit = 4500;
    const data = bytes(30000, 3);
    h.conn.send(data);
    // cwnd starts at 10 * 1460 (the tuning's MSS) and grew by 1 for the SYN's ACK: 14601 bytes,
    // sent as large segments ending on MSS boundaries
    let segs = h.take();
    expect(segs.map((s) => s.payload.length)).toEqual([4000, 4000, 4000, 2000]);
    expect(segs.map((s) => s.seq)).toEqual([N, N + 4000, N + 8000, N + 12000]);
    const sent = segs.flatMap((s) => [...s.payload]);
    // The ACK of one large segment grows cwnd by that segment (byte counting): room for two more.
    h.guest({ seq: G, ack: N + 4000, flags: TCP_ACK, window: 20000 });
    segs = h.take();
    expect(segs.map((s) => s.payload.length)).toEqual([4000, 4000]);
    sent.push(...segs.flatMap((s) => [...s.payload]));
    h.segmentLimit = 0; // the guest's driver reset: back to MSS segments
    h.guest({ seq: G, ack: N + 18000, flags: TCP_ACK, window: 20000 });
    segs = h.take();
    expect(segs[0]!.seq).toBe(N + 22000);
    expect(segs.map((s) => s.payload.length)).toEqual(Array(8).fill(1000));
    sent.push(...segs.flatMap((s) => [...s.payload]));
    expect(Uint8Array.from(sent)).toEqual(data);
  });

  it('fast-retransmits one MSS from a lost large segment, then fills the hole on partial ACKs', () => {
    const h = establishedPassive({ mss: 1000, window: 65535 });
    h.segmentLimit = 3000;
    h.conn.send(bytes(9000));
    expect(h.take().map((s) => s.payload.length)).toEqual([3000, 3000, 3000]);
    for (let i = 0; i < 3; i++) h.guest({ seq: G, ack: N, flags: TCP_ACK });
    const [re] = h.take();
    expect(re).toMatchObject({ seq: N });
    expect(re!.payload).toEqual(bytes(9000).subarray(0, 1000));
    h.guest({ seq: G, ack: N + 1000, flags: TCP_ACK }); // partial ACK: the next MSS was lost too
    const [next] = h.take();
    expect(next).toMatchObject({ seq: N + 1000 });
    expect(next!.payload).toEqual(bytes(9000).subarray(1000, 2000));
  });

  it('asks the host side to pause above the high-water mark and to resume below half of it', () => {
    const h = establishedPassive({ tuning: { sndBufSize: 4096 }, window: 0 });
    expect(h.conn.send(bytes(3000))).toBe(true);
    expect(h.conn.send(bytes(2000))).toBe(false);
    h.guest({ seq: G, ack: N, flags: TCP_ACK, window: 65535 });
    h.guest({ seq: G, ack: N + 5000, flags: TCP_ACK, window: 65535 });
    expect(h.sendSpace).toBe(1);
  });

  it('retransmits on RTO with backoff and resets after the last retry', () => {
    const h = establishedPassive({ tuning: { maxRetries: 2 } });
    h.conn.send(new TextEncoder().encode('data'));
    expect(h.takeOne().seq).toBe(N);
    h.clock.advance(1000);
    expect(h.takeOne()).toMatchObject({ seq: N, flags: TCP_ACK | TCP_PSH });
    h.clock.advance(1999);
    expect(h.take()).toEqual([]);
    h.clock.advance(1);
    expect(h.takeOne().seq).toBe(N);
    h.clock.advance(4000);
    expect(h.takeOne().flags).toBe(TCP_RST | TCP_ACK);
    expect(h.closed).toBe('timeout');
    expect(h.retransmits).toBe(2);
  });

  it('learns the RTT from ACKs and stops the timer when everything is acknowledged', () => {
    const h = establishedPassive();
    h.conn.send(bytes(100));
    h.take();
    h.clock.advance(50);
    h.guest({ seq: G, ack: N + 100, flags: TCP_ACK });
    h.clock.advance(60_000);
    expect(h.take()).toEqual([]);
    expect(h.retransmits).toBe(0);
  });

  it('fast-retransmits after three duplicate ACKs', () => {
    const h = establishedPassive({ mss: 500 });
    h.conn.send(bytes(2500));
    h.take();
    h.guest({ seq: G, ack: N + 500, flags: TCP_ACK });
    for (let i = 0; i < 2; i++) h.guest({ seq: G, ack: N + 500, flags: TCP_ACK });
    expect(h.take()).toEqual([]);
    h.guest({ seq: G, ack: N + 500, flags: TCP_ACK });
    const [re] = h.take();
    expect(re).toMatchObject({ seq: N + 500 });
    expect(re!.payload.length).toBe(500);
    expect(h.retransmits).toBe(1);
  });

  it('probes a zero window with one byte on the persist timer', () => {
    const h = establishedPassive({ window: 0 });
    h.conn.send(new TextEncoder().encode('abc'));
    expect(h.take()).toEqual([]);
    h.clock.advance(1000);
    const probe = h.takeOne();
    expect(probe).toMatchObject({ seq: N });
    expect(new TextDecoder().decode(probe.payload)).toBe('a');
    h.guest({ seq: G, ack: N + 1, flags: TCP_ACK, window: 100 });
    const rest = h.takeOne();
    expect(rest.seq).toBe(N + 1);
    expect(new TextDecoder().decode(rest.payload)).toBe('bc');
  });

  it('drops a segment that ACKs data never sent, answering with an ACK', () => {
    const h = establishedPassive();
    h.guest({ seq: G, ack: N + 1000, flags: TCP_ACK | TCP_PSH, data: 'x' });
    expect(h.received).toEqual([]);
    expect(h.takeOne()).toMatchObject({ flags: TCP_ACK, seq: N, ack: G });
  });
});

describe('tcp teardown', () => {
  it('half-closes: the guest FIN reaches the host side, data still flows to the guest, then LAST_ACK', () => {
    const h = establishedPassive();
    h.guest({ seq: G, ack: N, flags: TCP_ACK | TCP_FIN | TCP_PSH, data: 'request' });
    expect(h.receivedText).toBe('request');
    expect(h.remoteFin).toBe(true);
    expect(h.conn.state).toBe('CLOSE_WAIT');
    expect(h.take().at(-1)!.ack).toBe(G + 8);
    h.conn.send(new TextEncoder().encode('response'));
    h.conn.shutdownWrite();
    const segs = h.take();
    expect(segs.map((s) => s.flags & TCP_FIN)).toEqual([0, TCP_FIN]);
    expect(segs[1]!.seq).toBe(N + 8);
    expect(h.conn.state).toBe('LAST_ACK');
    h.guest({ seq: G + 8, ack: N + 9, flags: TCP_ACK });
    expect(h.closed).toBe('normal');
  });

  it('closes actively through FIN_WAIT and a short TIME_WAIT, re-ACKing a repeated FIN', () => {
    const h = establishedPassive({ tuning: { timeWaitMs: 500 } });
    h.conn.shutdownWrite();
    expect(h.takeOne()).toMatchObject({ flags: TCP_FIN | TCP_ACK, seq: N });
    expect(h.conn.state).toBe('FIN_WAIT_1');
    h.guest({ seq: G, ack: N + 1, flags: TCP_ACK });
    expect(h.conn.state).toBe('FIN_WAIT_2');
    h.guest({ seq: G, ack: N + 1, flags: TCP_ACK | TCP_FIN });
    expect(h.conn.state).toBe('TIME_WAIT');
    expect(h.takeOne().ack).toBe(G + 1);
    h.guest({ seq: G, ack: N + 1, flags: TCP_ACK | TCP_FIN });
    expect(h.takeOne().ack).toBe(G + 1);
    h.clock.advance(500);
    expect(h.closed).toBe('normal');
  });

  it('ignores RST in TIME_WAIT (RFC 1337) and still closes normally', () => {
    // The peer closed from LAST_ACK, then our ACK of its retransmitted FIN met no connection: its RST
    // carries exactly our rcvNxt, yet the connection had already finished cleanly.
    const h = establishedPassive({ tuning: { timeWaitMs: 500 } });
    h.conn.shutdownWrite();
    h.take();
    h.guest({ seq: G, ack: N + 1, flags: TCP_ACK | TCP_FIN });
    expect(h.conn.state).toBe('TIME_WAIT');
    h.take();
    h.guest({ seq: G, ack: N + 1, flags: TCP_ACK | TCP_FIN });
    expect(h.takeOne().ack).toBe(G + 1);
    h.guest({ seq: G + 1, flags: TCP_RST });
    expect(h.take()).toEqual([]);
    expect(h.closed).toBeUndefined();
    expect(h.conn.state).toBe('TIME_WAIT');
    h.clock.advance(500);
    expect(h.closed).toBe('normal');
  });

  it('retransmits an unacknowledged FIN', () => {
    const h = establishedPassive();
    h.conn.shutdownWrite();
    h.take();
    h.clock.advance(1000);
    expect(h.takeOne()).toMatchObject({ flags: TCP_FIN | TCP_ACK, seq: N });
  });

  it('accepts an out-of-order FIN once the data before it arrives', () => {
    const h = establishedPassive();
    h.guest({ seq: G + 3, ack: N, flags: TCP_ACK | TCP_FIN, data: 'def' });
    expect(h.remoteFin).toBe(false);
    h.guest({ seq: G, ack: N, flags: TCP_ACK, data: 'abc' });
    expect(h.receivedText).toBe('abcdef');
    expect(h.remoteFin).toBe(true);
    expect(h.take().at(-1)!.ack).toBe(G + 7);
  });

  it('believes only an exact RST and challenges one that is merely in the window (RFC 5961)', () => {
    const h = establishedPassive();
    h.guest({ seq: G + 100, flags: TCP_RST });
    expect(h.closed).toBeUndefined();
    expect(h.takeOne()).toMatchObject({ flags: TCP_ACK, ack: G });
    h.guest({ seq: G + 10_000_000, flags: TCP_RST });
    expect(h.take()).toEqual([]);
    h.guest({ seq: G, flags: TCP_RST });
    expect(h.closed).toBe('reset');
  });

  it('answers a SYN on an established connection with a challenge ACK', () => {
    const h = establishedPassive();
    h.guest({ seq: G + 10, flags: TCP_SYN });
    expect(h.takeOne()).toMatchObject({ flags: TCP_ACK, ack: G });
    expect(h.conn.state).toBe('ESTABLISHED');
  });

  it('aborts with RST|ACK at the current sequence numbers', () => {
    const h = establishedPassive();
    h.guest({ seq: G, ack: N, flags: TCP_ACK | TCP_PSH, data: 'abc' });
    h.take();
    h.conn.abort();
    expect(h.takeOne()).toMatchObject({ flags: TCP_RST | TCP_ACK, seq: N, ack: G + 3 });
    expect(h.closed).toBe('aborted');
    expect(h.clock.pendingTimers).toBe(0);
  });
});
