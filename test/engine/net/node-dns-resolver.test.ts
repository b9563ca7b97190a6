import { describe, expect, it } from 'vitest';
import { NodeDnsResolver } from '../../../src/engines/builtin/net/node-dns-resolver.js';

describe('the host resolver', () => {
  it('resolves localhost through getaddrinfo', async () => {
    const r = await new NodeDnsResolver().resolve('localhost', 'A');
    expect(r.status).toBe('ok');
    expect(r.answers.map((a) => a.value)).toContain('127.0.0.1');
  });

  it('says NXDOMAIN for a name under .invalid (RFC 2606)', async () => {
    const r = await new NodeDnsResolver().resolve('no-such-host.invalid', 'A');
    expect(r).toEqual({ status: 'nxdomain', answers: [] });
  });

  it('answers NOERROR without records when only the other address family exists', async () => {
    const lookup = async (name: string, family: 4 | 6) => {
      if (name === 'v4only.test' && family === 4) return ['192.0.2.1'];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    };
    const r = new NodeDnsResolver(lookup);
    expect(await r.resolve('v4only.test', 'AAAA')).toEqual({ status: 'ok', answers: [] });
    expect(await r.resolve('nothing.test', 'AAAA')).toEqual({ status: 'nxdomain', answers: [] });
    const failing = new NodeDnsResolver(async () => {
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' });
    });
    expect(await failing.resolve('x.test', 'A')).toEqual({ status: 'servfail', answers: [] });
  });
});
