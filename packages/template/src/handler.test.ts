import { createServer, parseCorefile } from '@dnsmesh/core';
import { forward } from '@dnsmesh/forward';
import { fakeUpstream, query, type DnsRecord } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createTemplate, parse } from './index.js';

/** The server block's `template` lines, then forward, on 127.0.0.1:0. */
async function resolver(body: string) {
  const upstream = await fakeUpstream({ 'up.example A': { ttl: 30, data: ['10.9.9.9'] } });
  const directives = parseCorefile(`example.:53 {\n${body}\n}\n`, 'Corefile')[0]!.directives;
  const plugins = directives.map((d) => { const o = parse(d); return (block: Parameters<typeof createTemplate>[1]) => createTemplate(o, block); });
  const server = await createServer({ zones: ['example.'], port: 0, plugins: [...plugins, forward({ to: [upstream.address] })] }).start();
  onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
  return { server, upstream };
}

describe('template', () => {
  it('answers A records built from the name (CoreDNS ip-in-name example), with groups by number and name', async () => {
    const { server, upstream } = await resolver(`  template IN A example {
    match ^ip-(?P<a>[0-9]+)-([0-9]+)-([0-9]+)-([0-9]+)[.]example[.]$
    answer "{{ .Name }} 60 IN A {{ .Group.a }}.{{ index .Match 2 }}.{{ index .Match 3 }}.{{ index .Match 4 }}"
    fallthrough
  }`);
    const reply = await query(server.address, 'IP-10-1-2-3.example', 'A');
    expect(reply.flags.aa).toBe(true);
    expect(reply.questions[0]!.name).toBe('IP-10-1-2-3.example');
    expect(reply.answers).toMatchObject([{ name: 'ip-10-1-2-3.example', ttl: 60, type: 'A', data: '10.1.2.3' }]);
    expect((await query(server.address, 'up.example', 'A')).answers.map((r) => r.data)).toEqual(['10.9.9.9']); // fallthrough
    expect(upstream.queries.map((q) => q.name)).toEqual(['up.example']);
  });

  it('NXDOMAIN for names of its zone no regex matches (no fallthrough); other types pass on', async () => {
    const { server } = await resolver(`  template IN A example {
    match ^web[.]
    answer "{{ .Name }} 60 IN CNAME web.svc.{{ .Zone }}"
  }`);
    const cname = await query(server.address, 'web.example', 'A');
    expect(cname.answers).toMatchObject([{ type: 'CNAME', data: 'web.svc.example' }]);
    expect((await query(server.address, 'other.example', 'A')).rcode).toBe('NXDOMAIN');
    expect((await query(server.address, 'up.example', 'AAAA')).rcode).not.toBe('NXDOMAIN'); // AAAA is not its type
  });

  it('rcode, authority and additional; TXT and SRV records', async () => {
    const { server } = await resolver(`  template ANY ANY example {
    match ^_http[.]_tcp[.]
    answer "{{ .Name }} 30 IN SRV 10 5 8080 web.example."
    additional "web.example. 30 IN A 10.0.0.7"
    additional "web.example. 30 IN TXT \\"asked by {{ .Remote }}\\""
    fallthrough
  }
  template IN ANY example {
    match ^gone[.]
    rcode NXDOMAIN
    authority "example. 60 IN SOA ns.example. hostmaster.example. 1 7200 3600 86400 60"
  }`);
    const srv = await query(server.address, '_http._tcp.example', 'SRV');
    expect(srv.answers).toMatchObject([{ type: 'SRV', data: { priority: 10, weight: 5, port: 8080, target: 'web.example' } }]);
    expect(srv.additionals.filter((r) => r.type !== 'OPT').map((r) => r.type)).toEqual(['A', 'TXT']);
    expect(String((srv.additionals.find((r): r is DnsRecord => r.type === 'TXT')!.data as Buffer[])[0])).toBe('asked by 127.0.0.1');
    const gone = await query(server.address, 'gone.example', 'A');
    expect([gone.rcode, gone.flags.aa, gone.authorities.map((r) => r.type)]).toEqual(['NXDOMAIN', true, ['SOA']]);
  });

  it('ederror: the templated answer carries the Extended DNS Error for EDNS clients (RFC 8914), none without EDNS', async () => {
    const { server } = await resolver(`  template IN A example {
    match ^blocked[.]
    rcode NXDOMAIN
    ederror 15 "blocked by policy"
    fallthrough
  }
  template IN AAAA example {
    match ^censored[.]
    ederror 16
  }`);
    const blocked = await query(server.address, 'blocked.example', 'A', { edns: 1232 });
    expect([blocked.rcode, blocked.ede]).toEqual(['NXDOMAIN', [{ code: 15, text: 'blocked by policy' }]]);
    expect((await query(server.address, 'censored.example', 'AAAA', { edns: 1232 })).ede).toEqual([{ code: 16, text: '' }]);
    const plain = await query(server.address, 'blocked.example', 'A');
    expect([plain.rcode, plain.additionals.filter((r) => r.type === 'OPT')]).toEqual(['NXDOMAIN', []]);
    expect((await query(server.address, 'up.example', 'A', { edns: 1232 })).ede).toEqual([]); // fallthrough: not templated
  });

  it('a record that does not render to a valid record gives SERVFAIL and is counted', async () => {
    const { server } = await resolver(`  template IN A example {
    answer "{{ .Name }} 60 IN A not-an-address"
  }`);
    expect((await query(server.address, 'x.example', 'A')).rcode).toBe('SERVFAIL');
  });
});
