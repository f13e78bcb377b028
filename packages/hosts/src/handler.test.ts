import { createServer } from '@dnsmesh/core';
import { forward } from '@dnsmesh/forward';
import { fakeUpstream, query } from '@dnsmesh/testkit';
import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { hosts, type HostsInput } from './index.js';
import { expandIPv6, reverseName } from './table.js';

/** hosts in front of forward, for svc.test. and the reverse zones, on 127.0.0.1:0; the upstream knows one name. */
async function resolver(input: Omit<HostsInput, 'zones'> = {}) {
  const upstream = await fakeUpstream({ 'up.svc.test A': { ttl: 30, data: ['10.9.9.9'] } }, { soa: { zone: 'svc.test', ttl: 60, minimum: 30 } });
  const metrics = new Registry();
  const server = await createServer({
    zones: ['svc.test.', 'in-addr.arpa.', 'ip6.arpa.'], port: 0, metrics,
    plugins: [
      hosts({ entries: { '10.0.0.7': ['web.svc.test', 'www.svc.test'], '10.0.0.8': ['web.svc.test'], '2001:db8::7': ['web.svc.test'] }, ttl: 60, zones: ['svc.test.'], ...input }),
      forward({ to: [upstream.address] }),
    ],
  }).start();
  onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
  return { upstream, server, metrics };
}

describe('hosts', () => {
  it('answers A and AAAA for listed names, authoritative, with its TTL, without asking upstream', async () => {
    const { server, upstream } = await resolver();
    const a = await query(server.address, 'WEB.svc.test', 'A');
    expect(a.rcode).toBe('NOERROR');
    expect(a.flags.aa).toBe(true);
    expect(a.questions[0]!.name).toBe('WEB.svc.test'); // the client's case
    expect(a.answers.map((r) => [r.ttl, r.data])).toEqual([[60, '10.0.0.7'], [60, '10.0.0.8']]);
    const aaaa = await query(server.address, 'web.svc.test', 'AAAA');
    expect(aaaa.answers.map((r) => r.data)).toEqual(['2001:db8::7']);
    expect(upstream.queries).toHaveLength(0);
  });

  it('answers NODATA for another type of a listed name, NXDOMAIN for an unlisted one of its zone', async () => {
    const { server, upstream } = await resolver();
    const mx = await query(server.address, 'www.svc.test', 'MX');
    expect(mx.rcode).toBe('NOERROR');
    expect(mx.answers).toHaveLength(0);
    const aaaa = await query(server.address, 'www.svc.test', 'AAAA');
    expect([aaaa.rcode, aaaa.answers.length]).toEqual(['NOERROR', 0]);
    const nx = await query(server.address, 'up.svc.test', 'A');
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(upstream.queries).toHaveLength(0);
  });

  it('passes unlisted names on with fallthrough', async () => {
    const { server, upstream } = await resolver({ fallthrough: true });
    const up = await query(server.address, 'up.svc.test', 'A');
    expect(up.answers.map((r) => r.data)).toEqual(['10.9.9.9']);
    expect(upstream.count('up.svc.test')).toBe(1);
    expect((await query(server.address, 'web.svc.test', 'A')).answers).toHaveLength(2); // listed: still hosts
    expect(upstream.queries).toHaveLength(1);
  });

  it('answers PTR for listed addresses, and not with reverse off', async () => {
    const { server } = await resolver();
    const ptr = await query(server.address, '7.0.0.10.in-addr.arpa', 'PTR');
    expect(ptr.answers.map((r) => r.data).sort()).toEqual(['web.svc.test', 'www.svc.test']);
    const v6 = await query(server.address, reverseName('2001:db8::7').slice(0, -1), 'PTR');
    expect(v6.answers.map((r) => r.data)).toEqual(['web.svc.test']);
    const off = await resolver({ reverse: false });
    expect((await query(off.server.address, '7.0.0.10.in-addr.arpa', 'PTR')).answers).toHaveLength(0);
  });

  it('counts what it answers', async () => {
    const { server, metrics } = await resolver();
    await query(server.address, 'web.svc.test', 'A');
    await query(server.address, 'nope.svc.test', 'A');
    const text = await metrics.metrics();
    expect(text).toContain('dnsmesh_hosts_entries{server="dns://127.0.0.1:0"} 2');
    expect(text).toMatch(/dnsmesh_hosts_responses_total\{server="[^"]+",rcode="NOERROR"\} 1/);
    expect(text).toMatch(/dnsmesh_hosts_responses_total\{server="[^"]+",rcode="NXDOMAIN"\} 1/);
  });

  it('checks code input once, with the TypeError naming the option', () => {
    expect(() => hosts({ ttl: -1 })).toThrow('hosts: ttl must be an integer between 0 and 65535, got -1');
    expect(() => hosts({ entries: { 'not-ip': ['a.test'] } })).toThrow("hosts: entries: expected an IP address, got 'not-ip'");
  });

  it('expands IPv6 for reverse names', () => {
    expect(expandIPv6('::1')).toBe('0000:0000:0000:0000:0000:0000:0000:0001');
    expect(expandIPv6('::ffff:10.0.0.1')).toBe('0000:0000:0000:0000:0000:ffff:0a00:0001');
    expect(reverseName('10.0.0.1')).toBe('1.0.0.10.in-addr.arpa.');
    expect(reverseName('2001:db8::1')).toBe(`1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa.`);
  });
});
