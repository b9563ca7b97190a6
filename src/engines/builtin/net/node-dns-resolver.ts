// The host's resolver for the NAT's DNS server: A and AAAA through getaddrinfo (dns.lookup, so
// /etc/hosts and nsswitch apply as for any host program), CNAME through the host's DNS servers.

import { promises as dns } from 'node:dns';
import type { DnsAnswer, DnsRecordType, DnsResolver, DnsResult } from '../../../emulator/net/net-host.js';

/** getaddrinfo gives no TTL: keep guests re-asking often enough to follow host changes. */
const LOOKUP_TTL_SECONDS = 30;

type Lookup = (name: string, family: 4 | 6) => Promise<string[]>;

const hostLookup: Lookup = async (name, family) =>
  (await dns.lookup(name, { family, all: true, verbatim: true })).map((a) => a.address);

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

export class NodeDnsResolver implements DnsResolver {
  constructor(private readonly lookup: Lookup = hostLookup) {}

  async resolve(name: string, type: DnsRecordType): Promise<DnsResult> {
    if (type === 'CNAME') return this.resolveCname(name);
    const family = type === 'A' ? 4 : 6;
    try {
      const addresses = await this.lookup(name, family);
      const answers: DnsAnswer[] = addresses.map((value) => ({ type, name, value, ttl: LOOKUP_TTL_SECONDS }));
      return { status: 'ok', answers };
    } catch (err) {
      if (errorCode(err) !== 'ENOTFOUND') return { status: 'servfail', answers: [] };
      // getaddrinfo reports "no such name" and "no address of this family" alike; a name that has
      // the other family exists, and NXDOMAIN for it would make clients give up on the name.
      try {
        const other = await this.lookup(name, family === 4 ? 6 : 4);
        return { status: other.length > 0 ? 'ok' : 'nxdomain', answers: [] };
      } catch (err2) {
        return { status: errorCode(err2) === 'ENOTFOUND' ? 'nxdomain' : 'servfail', answers: [] };
      }
    }
  }

  private async resolveCname(name: string): Promise<DnsResult> {
    try {
      const targets = await dns.resolveCname(name);
      return { status: 'ok', answers: targets.map((value) => ({ type: 'CNAME', name, value, ttl: LOOKUP_TTL_SECONDS })) };
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ENODATA') return { status: 'ok', answers: [] };
      if (code === 'ENOTFOUND') return { status: 'nxdomain', answers: [] };
      return { status: 'servfail', answers: [] };
    }
  }
}
