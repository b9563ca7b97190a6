// The NAT's DNS server at 10.0.2.3 (RFC 1035): answers A, AAAA and CNAME questions through the
// host's resolver, NXDOMAIN and SERVFAIL included; bounded in-flight queries and a timeout each.

import {
  buildDnsResponse,
  DNS_CLASS_IN,
  DNS_TYPE_A,
  DNS_TYPE_AAAA,
  DNS_TYPE_CNAME,
  parseDnsQuery,
  RCODE_NOERROR,
  RCODE_NOTIMP,
  RCODE_NXDOMAIN,
  RCODE_SERVFAIL,
  type DnsRecord,
} from './dns-message.js';
import type { DnsRecordType, DnsResolver, DnsResult, NetClock } from './net-host.js';
import type { NetStats } from './net-stats.js';

export interface DnsServerLimits {
  maxInFlight: number;
  timeoutMs: number;
}

const TYPE_CODES: Record<DnsRecordType, number> = { A: DNS_TYPE_A, AAAA: DNS_TYPE_AAAA, CNAME: DNS_TYPE_CNAME };
const TYPE_NAMES = new Map<number, DnsRecordType>(Object.entries(TYPE_CODES).map(([k, v]) => [v, k as DnsRecordType]));

export class DnsServer {
  private inFlight = 0;
  private closed = false;

  constructor(
    private readonly resolver: DnsResolver,
    private readonly clock: NetClock,
    private readonly stats: NetStats,
    private readonly limits: DnsServerLimits,
  ) {}

  /** Answers `payload` (a query from the guest) through `reply`, now or later. */
  handle(payload: Uint8Array, reply: (response: Uint8Array) => void): void {
    const q = parseDnsQuery(payload);
    if (q.kind === 'ignore') {
      this.stats.drop('dns-malformed');
      return;
    }
    this.stats.dnsQueries++;
    if (q.kind === 'error') {
      reply(buildDnsResponse({ id: q.id, opcode: q.opcode, recursionDesired: q.recursionDesired, rcode: q.rcode }));
      return;
    }
    const base = { id: q.id, opcode: q.opcode, recursionDesired: q.recursionDesired, question: q.question };
    const type = TYPE_NAMES.get(q.question.type);
    if (type === undefined || q.question.qclass !== DNS_CLASS_IN || q.question.name === '') {
      reply(buildDnsResponse({ ...base, rcode: RCODE_NOTIMP }));
      return;
    }
    if (this.inFlight >= this.limits.maxInFlight) {
      this.stats.drop('dns-overload');
      reply(buildDnsResponse({ ...base, rcode: RCODE_SERVFAIL }));
      return;
    }
    this.inFlight++;
    void this.lookup(q.question.name, type).then((result) => {
      this.inFlight--;
      if (this.closed) return;
      const rcode =
        result.status === 'ok' ? RCODE_NOERROR : result.status === 'nxdomain' ? RCODE_NXDOMAIN : RCODE_SERVFAIL;
      const answers: DnsRecord[] = result.answers
        .filter((a) => TYPE_CODES[a.type] !== undefined)
        .map((a) => ({ name: a.name, type: TYPE_CODES[a.type], ttl: a.ttl, value: a.value }));
      reply(buildDnsResponse({ ...base, rcode, answers: rcode === RCODE_NOERROR ? answers : [] }));
    });
  }

  /** Never rejects: resolver errors and timeouts become SERVFAIL. */
  private lookup(name: string, type: DnsRecordType): Promise<DnsResult> {
    const servfail: DnsResult = { status: 'servfail', answers: [] };
    return new Promise<DnsResult>((resolve) => {
      let done = false;
      const timer = this.clock.setTimer(() => {
        if (!done) {
          done = true;
          resolve(servfail);
        }
      }, this.limits.timeoutMs);
      let pending: Promise<DnsResult>;
      try {
        pending = this.resolver.resolve(name, type);
      } catch {
        pending = Promise.resolve(servfail);
      }
      pending.then(
        (r) => {
          if (done) return;
          done = true;
          this.clock.clearTimer(timer);
          resolve(r);
        },
        () => {
          if (done) return;
          done = true;
          this.clock.clearTimer(timer);
          resolve(servfail);
        },
      );
    });
  }

  close(): void {
    this.closed = true;
  }
}
