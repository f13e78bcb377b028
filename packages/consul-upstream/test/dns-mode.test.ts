import net from 'node:net';
import tls from 'node:tls';
import { fakeUpstream, makeCertificates, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { ConsulDnsPlugin } from '../src/index.js';
import { DNS_TIMEOUT } from '../src/options.js';
import { resolver, sim } from './helpers.js';

/** Turns the event loop (setImmediate: I/O goes on while setTimeout is faked) until `fn` holds, at most `turns` times. */
async function loopUntil(fn: () => boolean, turns = 100_000): Promise<void> {
  for (let i = 0; i < turns && !fn(); i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('consul DNS mode', () => {
  it('asks the agent again over TCP when its UDP answer is truncated, so the cache stores the whole answer', async () => {
    const s = await sim({ dns_config: { enable_truncate: true } }, false);
    s.addBigService('web', 40);
    const r = await resolver({ dns: s.dnsAddress }, { cache: true });
    const first = await query(r.address, 'web.service.consul', 'A', { transport: 'tcp' });
    expect(first.rcode).toBe('NOERROR');
    expect(first.answers).toHaveLength(40);
    expect(s.counters.dns_queries_udp).toBe(1);
    expect(s.counters.dns_queries_tcp).toBe(1);
    expect(r.states.at(-1)).toMatchObject({ plugin: 'consul', upstream: s.dnsAddress, upstreamTransport: 'tcp', stored: 'stored' });

    for (let i = 0; i < 10; i++) {
      const again = await query(r.address, 'web.service.consul', 'A', { transport: i % 2 === 0 ? 'tcp' : 'udp', edns: 4096 });
      expect(again.answers).toHaveLength(40);
    }
    expect(s.counters.dns_queries).toBe(2);
    const counts = (r.plugin as ConsulDnsPlugin).counts;
    expect(counts).toMatchObject({ dnsUdp: 1, dnsTcp: 1, dnsTruncated: 1 });
    expect(counts.requests.ok).toBe(2);
    expect(await r.metrics.metrics()).toContain('dnsmesh_consul_dns_requests_total{transport="tcp"} 1');
  });

  it('returns the agent\'s reply as it came (SRV with its glue), and asks again without a cache', async () => {
    const s = await sim();
    const r = await resolver({ dns: s.dnsAddress });
    const reply = await query(r.address, 'web.service.consul', 'SRV', { edns: 4096 });
    expect(reply.answers).toHaveLength(3);
    expect(reply.additionals.filter((a) => a.type === 'A')).toHaveLength(3);
    await query(r.address, 'web.service.consul', 'SRV', { edns: 4096 });
    expect(s.counters.dns_queries_udp).toBe(2);
    expect(s.counters.rpc_health_service_nodes).toBe(2);
    expect((await query(r.address, 'nosuch.service.consul', 'A')).rcode).toBe('NXDOMAIN');
  });

  it('passes names outside its zones to the next plugin', async () => {
    const s = await sim();
    const r = await resolver({ dns: s.dnsAddress });
    expect((await query(r.address, 'example.org', 'A')).rcode).toBe('REFUSED');
    expect(s.counters.dns_queries).toBe(0);
  });

  it('answers SERVFAIL when the agent does not answer within 5 s', async () => {
    const s = await sim();
    await s.setFailure('blackhole', { dns: true, http: false });
    const r = await resolver({ dns: s.dnsAddress });
    const plugin = r.plugin as ConsulDnsPlugin;
    expect(DNS_TIMEOUT).toBe(5000);
    // The deadline runs on a fake clock (setTimeout and performance.now; sockets and setImmediate stay real).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    let reply;
    try {
      let answered = false;
      const replied = query(r.address, 'web.service.consul', 'A', { timeout: 8000, edns: 1232 }).finally(() => { answered = true; });
      await loopUntil(() => s.counters.dns_queries_udp === 1);   // the agent got the query, and keeps silent
      vi.advanceTimersByTime(DNS_TIMEOUT - 1);
      await loopUntil(() => answered, 200);
      expect(answered).toBe(false);                              // 4999 ms: still waiting
      vi.advanceTimersByTime(1);
      reply = await replied;
    } finally {
      vi.useRealTimers();
    }
    expect(reply.rcode).toBe('SERVFAIL');
    expect(reply.ede.map((e) => e.code)).toEqual([22]);   // No Reachable Authority (RFC 8914)
    // One query, one try: the exchange's own timer ended it (a timeout, not an abort or an error), and
    // nothing was asked again (no TCP, no second UDP query).
    expect(s.counters).toMatchObject({ dns_queries: 1, dns_queries_udp: 1, dns_queries_tcp: 0 });
    expect(plugin.counts).toMatchObject({ dnsUdp: 1, dnsTcp: 0, dnsTruncated: 0, servfails: 1 });
    expect(plugin.counts.requests).toMatchObject({ ok: 0, timeout: 1, error: 0 });
    expect(plugin.client.stats).toMatchObject({ udpQueries: 1, timeouts: 1, aborts: 0, replies: 0 });
  });

  it("sends the agent dnsmesh's own query (no client OPT options, size or Z bits) and clears AD and AA on the way back", async () => {
    const agent = await fakeUpstream({ 'web.service.consul A': { ttl: 0, data: ['10.1.0.1'] } }, {
      onQuery: (_q, info) => { const r = info.reply(); r[3] = r[3]! | 0x20; return r; },   // AD, and AA as Consul sets it
    });
    onTestFinished(() => agent.close());
    const r = await resolver({ dns: agent.address });
    const reply = await query(r.address, 'Web.Service.consul', 'A', {
      edns: 65535, do: true, ednsOptions: [{ code: 10, data: Buffer.alloc(8, 1) }, { code: 65001, data: Buffer.from([0xab, 0xcd]) }],
    });
    expect(reply.answers).toHaveLength(1);
    expect(reply.flags).toMatchObject({ ad: false, aa: false, do: true });
    const raw = agent.queries[0]!.raw;
    expect(raw.readUInt16BE(2)).toBe(0x0100);
    expect([raw.readUInt16BE(6), raw.readUInt16BE(8), raw.readUInt16BE(10)]).toEqual([0, 0, 1]);
    expect(raw.subarray(raw.length - 11)).toEqual(Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]));
    expect(agent.queries[0]!.name).toBe('Web.Service.consul');
  });

  it('asks the agent over DNS over TLS (dns tls://...): one connection, whole answers, no UDP', async () => {
    const certs = makeCertificates();
    onTestFinished(() => certs.remove());
    const s = await sim({ dns_config: { enable_truncate: true } }, false);
    s.addBigService('web', 40);
    // Consul has no DoT of its own: a TLS front (as stunnel would be) relays to its DNS TCP port.
    const at = s.dnsAddress.lastIndexOf(':');
    const agent = { host: s.dnsAddress.slice(0, at), port: Number(s.dnsAddress.slice(at + 1)) };
    let connections = 0;
    const sockets = new Set<net.Socket>();
    const front = tls.createServer({ cert: certs.read('server.pem'), key: certs.read('server.key') }, (secure) => {
      connections++;
      const plain = net.connect(agent.port, agent.host);
      sockets.add(secure); sockets.add(plain);
      secure.pipe(plain).pipe(secure);
      secure.on('error', () => plain.destroy());
      plain.on('error', () => secure.destroy());
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => { for (const x of sockets) x.destroy(); front.close(() => resolve()); }));
    const port = (front.address() as net.AddressInfo).port;
    const r = await resolver({ dns: { host: '127.0.0.1', port, tls: { ca: certs.read('ca.pem'), servername: certs.hostname } } });
    for (let i = 0; i < 5; i++) {
      const reply = await query(r.address, 'web.service.consul', 'A', { transport: 'tcp' });
      expect(reply.answers).toHaveLength(40);
    }
    expect(r.states.at(-1)).toMatchObject({ plugin: 'consul', upstreamTransport: 'tls' });
    expect(s.counters.dns_queries_udp).toBe(0);
    expect(s.counters.dns_queries_tcp).toBe(5);
    expect(connections).toBe(1);
    expect((r.plugin as ConsulDnsPlugin).counts.dnsTruncated).toBe(0);
  });
});
