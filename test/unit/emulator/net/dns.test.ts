import { describe, expect, it } from 'vitest';
import {
  buildDnsResponse,
  DNS_TYPE_A,
  DNS_TYPE_AAAA,
  DNS_TYPE_CNAME,
  encodeName,
  parseDnsQuery,
  RCODE_FORMERR,
  RCODE_NOERROR,
  RCODE_NOTIMP,
  RCODE_NXDOMAIN,
  RCODE_SERVFAIL,
} from '../../../../src/emulator/net/dns-message.js';
import { DnsServer } from '../../../../src/emulator/net/dns-server.js';
import { ETH_HEADER_SIZE } from '../../../../src/emulator/net/ethernet.js';
import { parseIpv4Packet } from '../../../../src/emulator/net/ipv4.js';
import type { DnsRecordType, DnsResolver, DnsResult } from '../../../../src/emulator/net/net-host.js';
import { NetStats } from '../../../../src/emulator/net/net-stats.js';
import { parseUdp } from '../../../../src/emulator/net/udp.js';
import { DNS_QUERY_A } from './fixtures/guest-frames.js';
import { ManualClock } from './manual-clock.js';

function capturedQuery(): Uint8Array {
  const ip = parseIpv4Packet(DNS_QUERY_A.subarray(ETH_HEADER_SIZE));
  if (!ip.ok) throw new Error(ip.reason);
  const udp = parseUdp(ip.value.payload, ip.value.src, ip.value.dst);
  if (!udp.ok) throw new Error(udp.reason);
  return udp.value.payload.slice();
}

/** A query in wire format for `name`/`type`, built by hand. */
function query(name: string, type: number, id = 0x1234): Uint8Array {
  const q = encodeName(name)!;
  return Uint8Array.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...q, type >> 8, type & 0xff, 0, 1]);
}

const rcodeOf = (r: Uint8Array) => r[3]! & 0xf;
const answerCount = (r: Uint8Array) => (r[6]! << 8) | r[7]!;

describe('dns messages', () => {
  it('parses a captured query', () => {
    const q = parseDnsQuery(capturedQuery());
    expect(q.kind).toBe('query');
    if (q.kind !== 'query') return;
    expect(q.question.name).toBe('localhost');
    expect(q.question.type).toBe(DNS_TYPE_A);
    expect(q.recursionDesired).toBe(true);
  });

  it('builds an exact A answer pointing back at the question', () => {
    const q = parseDnsQuery(query('example.test', DNS_TYPE_A));
    if (q.kind !== 'query') throw new Error(q.kind);
    const r = buildDnsResponse({
      id: q.id,
      opcode: 0,
      recursionDesired: true,
      rcode: RCODE_NOERROR,
      question: q.question,
      answers: [{ name: 'example.test', type: DNS_TYPE_A, ttl: 300, value: '192.0.2.7' }],
    });
    const expected = Buffer.concat([
      Buffer.from('1234818000010001 00000000'.replace(/ /g, ''), 'hex'),
      Buffer.from(query('example.test', DNS_TYPE_A).subarray(12)),
      Buffer.from('c00c 0001 0001 0000012c 0004 c0000207'.replace(/ /g, ''), 'hex'),
    ]);
    expect(Buffer.from(r).toString('hex')).toBe(expected.toString('hex'));
  });

  it('encodes CNAME chains and AAAA records, skipping values that do not fit their type', () => {
    const q = parseDnsQuery(query('www.example.test', DNS_TYPE_AAAA));
    if (q.kind !== 'query') throw new Error(q.kind);
    const r = buildDnsResponse({
      id: 1,
      opcode: 0,
      recursionDesired: true,
      rcode: 0,
      question: q.question,
      answers: [
        { name: 'www.example.test', type: DNS_TYPE_CNAME, ttl: 60, value: 'host.example.test' },
        { name: 'host.example.test', type: DNS_TYPE_AAAA, ttl: 60, value: '2001:db8::1' },
        { name: 'host.example.test', type: DNS_TYPE_AAAA, ttl: 60, value: 'not-an-address' },
      ],
    });
    expect(answerCount(r)).toBe(2);
    expect(Buffer.from(r).toString('hex')).toContain('20010db8000000000000000000000001');
    expect(Buffer.from(r).includes(Buffer.from(encodeName('host.example.test')!))).toBe(true);
  });

  it('sets TC and cuts answers past 512 bytes', () => {
    const q = parseDnsQuery(query('many.test', DNS_TYPE_A));
    if (q.kind !== 'query') throw new Error(q.kind);
    const answers = Array.from({ length: 40 }, (_, i) => ({ name: 'many.test', type: DNS_TYPE_A, ttl: 1, value: `10.0.0.${i}` }));
    const r = buildDnsResponse({ id: 1, opcode: 0, recursionDesired: false, rcode: 0, question: q.question, answers });
    expect(r.length).toBeLessThanOrEqual(512);
    expect(r[2]! & 0x02).toBe(0x02);
    expect(answerCount(r)).toBeLessThan(40);
  });

  it('answers broken queries with FORMERR or NOTIMP and ignores responses and runts', () => {
    expect(parseDnsQuery(new Uint8Array(11)).kind).toBe('ignore');
    const response = query('a.test', 1);
    response[2]! |= 0x80;
    expect(parseDnsQuery(response).kind).toBe('ignore');
    const two = query('a.test', 1);
    two[5] = 2;
    expect(parseDnsQuery(two)).toMatchObject({ kind: 'error', rcode: RCODE_FORMERR });
    const opcode = query('a.test', 1);
    opcode[2] = 0x10; // opcode 2 (STATUS)
    expect(parseDnsQuery(opcode)).toMatchObject({ kind: 'error', rcode: RCODE_NOTIMP });
    // A compression pointer that points at itself.
    const loop = Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(parseDnsQuery(loop)).toMatchObject({ kind: 'error', rcode: RCODE_FORMERR });
    const truncated = query('abc.test', 1).subarray(0, 16);
    expect(parseDnsQuery(truncated)).toMatchObject({ kind: 'error', rcode: RCODE_FORMERR });
    const control = query('abc.test', 1);
    control[13] = 0x0a; // a newline inside a label
    expect(parseDnsQuery(control)).toMatchObject({ kind: 'error', rcode: RCODE_FORMERR });
    expect(encodeName('x'.repeat(64) + '.test')).toBeUndefined();
  });
});

class TableResolver implements DnsResolver {
  calls: string[] = [];
  constructor(private readonly answer: (name: string, type: DnsRecordType) => Promise<DnsResult>) {}
  resolve(name: string, type: DnsRecordType): Promise<DnsResult> {
    this.calls.push(`${type} ${name}`);
    return this.answer(name, type);
  }
}

function serve(resolver: DnsResolver, limits = { maxInFlight: 8, timeoutMs: 1000 }) {
  const clock = new ManualClock();
  const stats = new NetStats();
  const server = new DnsServer(resolver, clock, stats, limits);
  const replies: Uint8Array[] = [];
  return { clock, stats, server, replies, ask: (q: Uint8Array) => server.handle(q, (r) => replies.push(r)) };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('dns server', () => {
  it('answers A through the resolver, NXDOMAIN and SERVFAIL as the resolver says', async () => {
    const resolver = new TableResolver(async (name, type) => {
      if (name === 'host.test' && type === 'A') return { status: 'ok', answers: [{ type: 'A', name, value: '127.0.0.1', ttl: 30 }] };
      if (name === 'gone.test') return { status: 'nxdomain', answers: [] };
      if (name === 'broken.test') throw new Error('resolver crashed');
      return { status: 'servfail', answers: [] };
    });
    const t = serve(resolver);
    t.ask(query('host.test', DNS_TYPE_A, 1));
    t.ask(query('gone.test', DNS_TYPE_A, 2));
    t.ask(query('broken.test', DNS_TYPE_A, 3));
    await flush();
    expect(t.replies.map(rcodeOf)).toEqual([RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_SERVFAIL]);
    expect(answerCount(t.replies[0]!)).toBe(1);
    expect(Buffer.from(t.replies[0]!).subarray(-4).toString('hex')).toBe('7f000001');
    expect(t.replies.map((r) => (r[0]! << 8) | r[1]!)).toEqual([1, 2, 3]);
  });

  it('answers NOTIMP for types it does not resolve without asking the resolver', async () => {
    const resolver = new TableResolver(async () => ({ status: 'ok', answers: [] }));
    const t = serve(resolver);
    t.ask(query('host.test', 15 /* MX */));
    await flush();
    expect(rcodeOf(t.replies[0]!)).toBe(RCODE_NOTIMP);
    expect(resolver.calls).toEqual([]);
  });

  it('times out a hanging resolver with SERVFAIL and caps queries in flight', async () => {
    const never = new TableResolver(() => new Promise<DnsResult>(() => {}));
    const t = serve(never, { maxInFlight: 2, timeoutMs: 500 });
    for (let i = 0; i < 3; i++) t.ask(query(`h${i}.test`, DNS_TYPE_A, i));
    expect(t.replies.length).toBe(1); // the third: over the cap, SERVFAIL at once
    expect(rcodeOf(t.replies[0]!)).toBe(RCODE_SERVFAIL);
    expect(t.stats.dropped['dns-overload']).toBe(1);
    t.clock.advance(500);
    await flush();
    expect(t.replies.length).toBe(3);
    expect(t.replies.every((r) => rcodeOf(r) === RCODE_SERVFAIL)).toBe(true);
    t.ask(query('again.test', DNS_TYPE_A));
    expect(t.stats.dropped['dns-overload']).toBe(1); // slots were freed
  });

  it('drops runts and counts them', () => {
    const t = serve(new TableResolver(async () => ({ status: 'ok', answers: [] })));
    t.ask(new Uint8Array(5));
    expect(t.replies).toEqual([]);
    expect(t.stats.dropped['dns-malformed']).toBe(1);
  });
});
