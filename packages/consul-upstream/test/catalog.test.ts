import type { ConsulSim } from '@dnsmesh/consul-sim';
import { query, type Reply } from '@dnsmesh/testkit';
import { describe, expect, it, vi } from 'vitest';
import { catalogPlugin, resolver, sim, sleep, until } from './helpers.js';

const addresses = (r: Reply): string[] => r.answers.map((a) => String(a.data)).sort();
/** Turns the event loop (setImmediate: I/O goes on while setTimeout is faked) until `fn` holds, at most `turns` times. */
async function loopUntil(fn: () => boolean, turns = 100_000): Promise<void> {
  for (let i = 0; i < turns && !fn(); i++) await new Promise((resolve) => setImmediate(resolve));
}
const FEED = '/v1/health/state/any';
const CATALOG = '/v1/catalog/services';
/** Paths the simulator saw, other than the two feeds'. */
const viewPaths = (s: ConsulSim): string[] => Object.keys(s.counters.http_requests.by_path).filter((p) => p !== FEED && p !== CATALOG).sort();
/** Requests other than the two feeds'. */
const viewRequests = (s: ConsulSim): number => s.counters.http_requests.total - (s.counters.http_requests.by_path[FEED] ?? 0) - (s.counters.http_requests.by_path[CATALOG] ?? 0);

describe('consul catalog mode', () => {
  it('answers 1000 lookups of a service from one watch: a few HTTP requests, no DNS RPC at all', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl });
    for (let batch = 0; batch < 20; batch++) {
      const replies = await Promise.all(Array.from({ length: 50 }, () => query(r.address, 'web.service.consul', 'A')));
      for (const reply of replies) {
        expect(reply.rcode).toBe('NOERROR');
        expect(addresses(reply)).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3']);
      }
    }
    // The view read once or twice (once more when the feed's first answer came after it), the feed twice.
    expect(viewRequests(s)).toBeLessThanOrEqual(2);
    expect(s.counters.http_requests.by_path[FEED]).toBeLessThanOrEqual(2);
    expect(Object.keys(s.counters.http_requests.by_path).sort()).toEqual([CATALOG, '/v1/health/service/web', FEED]);
    expect(s.counters.rpc_health_service_nodes).toBe(0);
    expect(s.counters.dns_queries).toBe(0);
    expect(s.counters.blocking_waiters).toBe(2);                                  // the change feed and the catalog feed
    expect(r.states.at(-1)).toMatchObject({ plugin: 'consul', upstream: `127.0.0.1:${s.httpPort}` });
  });

  it('answers A authoritatively with the TTL of the view, shuffled per reply', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl, ttl: 7 });
    const firsts = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const reply = await query(r.address, 'Web.Service.Consul', 'A');
      expect(reply.flags.aa).toBe(true);
      expect(reply.answers.every((a) => a.ttl === 7 && a.name === 'Web.Service.Consul')).toBe(true);
      firsts.add(String(reply.answers[0]!.data));
    }
    expect(firsts.size).toBeGreaterThan(1);
  });

  it('answers with AA clear once a cache in front serves its answers (RFC 1034 §4.3.2), on the miss and on hits', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl, ttl: 7 }, { cache: true });
    expect((await query(r.address, 'web.service.consul', 'A')).flags.aa).toBe(false);
    expect(r.states.at(-1)).toMatchObject({ cache: 'miss', stored: 'stored' });
    const hit = await query(r.address, 'web.service.consul', 'A');
    expect(r.states.at(-1)?.cache).toBe('hit');
    expect(hit.flags.aa).toBe(false);
  });

  it('answers SRV with Consul\'s targets and their addresses in the additional section', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl });
    const reply = await query(r.address, 'web.service.consul', 'SRV');
    expect(reply.rcode).toBe('NOERROR');
    const srv = reply.answers.map((a) => a.data as { priority: number; weight: number; port: number; target: string })
      .sort((a, b) => a.port - b.port);
    expect(srv).toEqual([
      { priority: 1, weight: 1, port: 8081, target: 'n1.node.dc1.consul' },
      { priority: 1, weight: 1, port: 8082, target: 'n2.node.dc1.consul' },
      { priority: 1, weight: 1, port: 8083, target: 'n3.node.dc1.consul' },
    ]);
    const glue = reply.additionals.filter((a) => a.type === 'A').map((a) => [a.name, (a as { data: unknown }).data]).sort();
    expect(glue).toEqual([['n1.node.dc1.consul', '10.1.0.1'], ['n2.node.dc1.consul', '10.1.0.2'], ['n3.node.dc1.consul', '10.1.0.3']]);
  });

  it('answers the tag and RFC 2782 forms from the same watch', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl });
    expect(addresses(await query(r.address, 'primary.web.service.consul', 'A'))).toEqual(['10.1.0.1', '10.1.0.3']);
    expect(addresses(await query(r.address, 'SECONDARY.web.service.dc1.consul', 'A'))).toEqual(['10.1.0.2']);
    const tagged = await query(r.address, '_web._primary.service.consul', 'SRV');
    expect(tagged.answers.map((a) => (a.data as { port: number }).port).sort()).toEqual([8081, 8083]);
    expect((await query(r.address, '_web._tcp.service.consul', 'SRV')).answers).toHaveLength(3);
    expect((await query(r.address, '_web._tcp.consul', 'SRV')).answers).toHaveLength(3);
    expect((await query(r.address, '_web._tcp.dc1.consul', 'SRV')).answers).toHaveLength(3);
    const none = await query(r.address, 'canary.web.service.consul', 'A');
    expect(none.rcode).toBe('NXDOMAIN');
    expect(viewPaths(s)).toEqual(['/v1/health/service/web']);
    expect(catalogPlugin(r).catalog.size).toBe(1);        // dc1 is the agent's own: the same watch
  });

  it('gives NXDOMAIN with the SOA when every instance is critical (and for unknown services), NODATA for other types', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl, ttl: 9 });
    expect((await query(r.address, 'web.service.consul', 'A')).answers).toHaveLength(3);
    for (let i = 1; i <= 3; i++) s.setCheck({ node: `n${i}`, serviceId: `web-${i}`, status: 'critical' });
    await until(async () => (await query(r.address, 'web.service.consul', 'A')).rcode === 'NXDOMAIN', 1000);
    const nx = await query(r.address, 'web.service.consul', 'SRV');
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.flags.aa).toBe(true);
    expect(nx.authorities).toMatchObject([{ type: 'SOA', name: 'consul', ttl: 9, data: { mname: 'ns.consul', rname: 'hostmaster.consul', minimum: 9 } }]);
    expect((await query(r.address, 'nosuch.service.consul', 'A')).rcode).toBe('NXDOMAIN');

    s.setCheck({ node: 'n1', serviceId: 'web-1', status: 'passing' });
    await until(async () => (await query(r.address, 'web.service.consul', 'A')).rcode === 'NOERROR', 1000);
    for (const type of ['AAAA', 'TXT', 'MX']) {
      const nodata = await query(r.address, 'web.service.consul', type);
      expect([type, nodata.rcode, nodata.answers.length]).toEqual([type, 'NOERROR', 0]);
      expect(nodata.authorities[0]).toMatchObject({ type: 'SOA', ttl: 9 });
    }
  });

  it('answers warning instances by default (Consul\'s DNS default), and drops them with only_passing', async () => {
    const s = await sim();
    s.setCheck({ node: 'n2', serviceId: 'web-2', status: 'warning' });
    const strict = await resolver({ http: s.httpUrl, onlyPassing: true });
    const loose = await resolver({ http: s.httpUrl });
    expect(addresses(await query(s.dnsAddress, 'web.service.consul', 'A', { edns: 1232 }))).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    expect(addresses(await query(strict.address, 'web.service.consul', 'A'))).toEqual(['10.1.0.1', '10.1.0.3']);
    expect(addresses(await query(loose.address, 'web.service.consul', 'A'))).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    expect(viewPaths(s)).toEqual(['/v1/health/service/web']);
  });

  it('answers node names from the service views, and watches other nodes on their own', async () => {
    const s = await sim();
    s.registerNode({ name: 'db-1', address: '10.2.0.1', meta: { rack: 'r7' } });
    const r = await resolver({ http: s.httpUrl });
    await query(r.address, 'web.service.consul', 'A');
    const n2 = await query(r.address, 'n2.node.consul', 'A');
    expect(addresses(n2)).toEqual(['10.1.0.2']);
    const txt = (await query(r.address, 'n2.node.dc1.consul', 'TXT')).answers.map((a) => String(a.data));
    expect(txt).toContain('zone=z2');
    expect(txt).toContain('consul-network-segment=');
    expect(viewPaths(s)).toEqual(['/v1/health/service/web']);
    expect(addresses(await query(r.address, 'db-1.node.consul', 'A'))).toEqual(['10.2.0.1']);
    expect((await query(r.address, 'nosuch.node.consul', 'A')).rcode).toBe('NXDOMAIN');
    expect(s.counters.http_requests.by_path['/v1/catalog/node/db-1']).toBeGreaterThanOrEqual(1);
  });

  it('answers .addr names and the apex itself, and NXDOMAIN for other names in the zone', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl });
    expect(addresses(await query(r.address, '0a000105.addr.dc1.consul', 'A'))).toEqual(['10.0.1.5']);
    const soa = await query(r.address, 'consul', 'SOA');
    expect(soa.answers).toMatchObject([{ type: 'SOA', name: 'consul' }]);
    expect((await query(r.address, 'foo.consul', 'A')).rcode).toBe('NXDOMAIN');
    expect((await query(r.address, 'a.b.web.service.consul', 'A')).rcode).toBe('NXDOMAIN');
    expect(viewPaths(s)).toEqual(['/v1/health/service/consul']);                 // the SOA's servers, for its NS
  });

  it('passes names outside its zones, and peers\' virtual names, to the next plugin', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl });
    expect((await query(r.address, 'example.org', 'A')).rcode).toBe('REFUSED');
    expect((await query(r.address, 'web.virtual.peer1.consul', 'A')).rcode).toBe('REFUSED');
    expect(r.states.map((st) => st.plugin)).toEqual([undefined, undefined]);
    expect(viewRequests(s)).toBe(0);
  });

  it('keeps answering from the view while Consul is down, then SERVFAIL after max_stale, then recovers', async () => {
    const s = await sim();
    // wait 10 min: a feed that asked with a blocking query first after the outage would keep the
    // SERVFAIL for the whole test; only a plain first request lets it recover.
    const r = await resolver({ http: s.httpUrl, maxStale: 800, wait: 600_000 });
    expect((await query(r.address, 'web.service.consul', 'A')).answers).toHaveLength(3);
    await s.setFailure('down');
    const p = catalogPlugin(r);
    await until(() => p.catalog.failingSince([...p.catalog.watches()][0]!) !== undefined, 2000);
    for (let i = 0; i < 5; i++) {
      const reply = await query(r.address, 'web.service.consul', 'A');
      expect(addresses(reply)).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3']);
      await sleep(50);
    }
    expect(p.counts.stale).toBeGreaterThanOrEqual(5);
    await until(async () => (await query(r.address, 'web.service.consul', 'A')).rcode === 'SERVFAIL', 2000);
    await s.up();
    await until(async () => (await query(r.address, 'web.service.consul', 'A')).rcode === 'NOERROR', 3000);
    expect(p.counts.requests.error).toBeGreaterThan(0);
    // Recovered by answers, not by the clock: the view and its change feed both read again after
    // the outage (neither fails now), and the feed went back to its blocking query afterwards.
    const feed = [...p.catalog.feeds()][0]!;
    expect([feed.failingSince, [...p.catalog.watches()][0]!.failingSince]).toEqual([undefined, undefined]);
    await until(() => s.counters.blocking_waiters === 2, 3000);
  });

  it('answers SERVFAIL at once when the first lookup finds Consul unreachable', async () => {
    const s = await sim();
    await s.setFailure('down');
    // firstWait (30 s) is far past the client's 2 s: a reply at all proves the lookup did not wait for it.
    const r = await resolver({ http: s.httpUrl, firstWait: 30_000 });
    expect((await query(r.address, 'web.service.consul', 'A', { timeout: 2000 })).rcode).toBe('SERVFAIL');
    // The failed first read settled the watch, which answered: the refused-connection path.
    const p = catalogPlugin(r);
    const w = [...p.catalog.watches()][0]!;
    expect(w.settled).toBe(true);
    expect(w.view).toBeUndefined();
    expect(w.lastError).toMatch(/ECONNREFUSED/);
    expect(p.counts.requests.error).toBeGreaterThanOrEqual(1);
    expect(p.counts.servfails).toBe(1);
  });

  it('answers SERVFAIL after firstWait when the first result does not come', async () => {
    const s = await sim();
    await s.setFailure('blackhole', { http: true, dns: false });
    const r = await resolver({ http: s.httpUrl, firstWait: 300 });
    const p = catalogPlugin(r);
    // firstWait's timer runs on a fake clock (setTimeout only; sockets and setImmediate stay real).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let answered = false;
      const reply = query(r.address, 'web.service.consul', 'A', { timeout: 5000 }).finally(() => { answered = true; });
      await loopUntil(() => s.counters.http_requests.by_path['/v1/health/service/web'] === 1);   // the lookup started the watch
      await loopUntil(() => answered, 200);
      expect(answered).toBe(false);                                // held, with the clock stopped
      vi.advanceTimersByTime(299);
      await loopUntil(() => answered, 200);
      expect(answered).toBe(false);                                // 299 ms: still waiting
      vi.advanceTimersByTime(1);
      expect((await reply).rcode).toBe('SERVFAIL');
    } finally {
      vi.useRealTimers();
    }
    // The first result never came (the read is still held, no outcome counted): the SERVFAIL is
    // firstWait's, not a failed first read's.
    const w = [...p.catalog.watches()][0]!;
    expect(w.settled).toBe(false);
    expect(w.requests).toBe(1);
    expect(Object.values(p.counts.requests).reduce((a, b) => a + b, 0)).toBe(0);
    expect(p.counts.servfails).toBe(1);
  });

  it('sends the ACL token: a wrong one gets SERVFAIL, one without rights NXDOMAIN, the right one answers', async () => {
    const s = await sim({ acl: { tokens: { 'root-token': 'all', 'db-only': ['db'] } } });
    const wrong = await resolver({ http: s.httpUrl, token: 'nope' });
    const weak = await resolver({ http: s.httpUrl, token: 'db-only' });
    const none = await resolver({ http: s.httpUrl });
    const right = await resolver({ http: s.httpUrl, token: 'root-token' });
    expect((await query(wrong.address, 'web.service.consul', 'A')).rcode).toBe('SERVFAIL');
    expect((await query(weak.address, 'web.service.consul', 'A')).rcode).toBe('NXDOMAIN');
    expect((await query(none.address, 'web.service.consul', 'A')).rcode).toBe('NXDOMAIN');
    expect(addresses(await query(right.address, 'web.service.consul', 'A'))).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    expect(catalogPlugin(wrong).counts.requests.forbidden).toBeGreaterThanOrEqual(1);
  });

  it('handles an index reset (snapshot restore): starts over and still sees the next change at once', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl });
    expect((await query(r.address, 'web.service.consul', 'A')).answers).toHaveLength(3);
    const w = [...catalogPlugin(r).catalog.feeds()][0]!;                          // the change feed follows the index
    await until(() => s.counters.blocking_waiters === 2);
    const before = w.index;
    await s.setFailure('index_reset');
    await until(() => w.index > 0 && w.index < before && s.counters.blocking_waiters === 2, 2000);
    const refetches = catalogPlugin(r).counts.feedRefetches;
    s.deregisterService('web-2');
    await until(async () => !addresses(await query(r.address, 'web.service.consul', 'A')).includes('10.1.0.2'), 2000);
    // Seen through the feed, which follows the new indexes (the resync, a minute away, counts no refetch).
    expect(catalogPlugin(r).counts.feedRefetches).toBeGreaterThan(refetches);
  });

  it('stops a watch nobody asked for in `idle`, and starts it again on the next lookup', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl, idle: 1000 });
    await query(r.address, 'web.service.consul', 'A');
    const p = catalogPlugin(r);
    expect(p.catalog.size).toBe(1);
    const w = [...p.catalog.watches()][0]!;
    await until(() => p.catalog.size === 0, 3000);
    expect(w.stopped).toBe(true);
    expect(p.counts.watchesIdled).toBe(1);
    expect((await query(r.address, 'web.service.consul', 'A')).answers).toHaveLength(3);
    expect(p.catalog.size).toBe(1);
  });

  it('publishes its metrics: requests by outcome and the watches gauge', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl });
    const before = await r.metrics.metrics();
    expect(before).toContain('dnsmesh_consul_requests_total{outcome="ok"} 0');
    expect(before).toContain('dnsmesh_consul_watches 0');
    await query(r.address, 'web.service.consul', 'A');
    await query(r.address, 'db.service.consul', 'A');
    const text = await r.metrics.metrics();
    expect(text).toContain('dnsmesh_consul_watches 2');
    expect(text).toMatch(/dnsmesh_consul_requests_total\{outcome="ok"\} [2-9]/);
    expect(text).toContain('dnsmesh_consul_requests_total{outcome="http_5xx"} 0');
  });
});

describe('consul catalog mode behind cache', () => {
  it('a deregistered or critical instance leaves the cached answers within a second', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl }, { cache: true });
    const names: [string, string][] = [
      ['web.service.consul', 'A'], ['primary.web.service.consul', 'A'], ['_web._tcp.service.consul', 'SRV'], ['n2.node.consul', 'A'],
    ];
    for (const [n, t] of names) await query(r.address, n, t);
    expect(r.states.at(-1)?.cache).toBe('miss');
    await query(r.address, 'web.service.consul', 'A');
    expect(r.states.at(-1)?.cache).toBe('hit');

    // Each change leaves the cache because consul drops the names (the cached answers' ttl is 5 s).
    const p = catalogPlugin(r);
    const flushed = p.counts.flushed;
    s.deregisterService('web-2');
    await until(async () => !addresses(await query(r.address, 'web.service.consul', 'A')).includes('10.1.0.2'), 2000);
    expect(p.counts.changes).toBe(1);
    expect(p.counts.flushed).toBeGreaterThan(flushed);
    expect((await query(r.address, '_web._tcp.service.consul', 'SRV')).answers).toHaveLength(2);

    const flushedAgain = p.counts.flushed;
    s.setCheck({ node: 'n3', serviceId: 'web-3', status: 'critical' });
    await until(async () => !addresses(await query(r.address, 'primary.web.service.consul', 'A')).includes('10.1.0.3'), 2000);
    expect(p.counts.changes).toBe(2);
    expect(p.counts.flushed).toBeGreaterThan(flushedAgain);
    expect(addresses(await query(r.address, 'web.service.consul', 'A'))).toEqual(['10.1.0.1']);
    expect(catalogPlugin(r).counts.flushed).toBeGreaterThan(0);
    // Between changes, the cache answers again.
    await query(r.address, 'web.service.consul', 'A');
    expect(r.states.at(-1)?.cache).toBe('hit');
  });

  it('a cached NXDOMAIN gives way as soon as an instance registers', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl }, { cache: true });
    expect((await query(r.address, 'api.service.consul', 'A')).rcode).toBe('NXDOMAIN');
    expect((await query(r.address, 'api.service.consul', 'A')).rcode).toBe('NXDOMAIN');
    expect(r.states.at(-1)?.cache).toBe('hit');
    const p = catalogPlugin(r);
    s.registerService({ id: 'api-1', name: 'api', node: 'n1', port: 9000 });
    await until(async () => (await query(r.address, 'api.service.consul', 'A')).rcode === 'NOERROR', 2000);
    // The feed named api, its view was read again and changed, and that dropped the cached NXDOMAIN
    // (its ttl is 5 s): nothing else flushes.
    expect(p.counts.feedRefetches).toBeGreaterThanOrEqual(1);
    expect(p.counts.changes).toBe(1);
    expect(p.counts.flushed).toBeGreaterThanOrEqual(1);
  });

  it('a change that does not change the answers drops nothing', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl }, { cache: true });
    await query(r.address, 'web.service.consul', 'A');
    const w = [...catalogPlugin(r).catalog.watches()][0]!;
    const feed = [...catalogPlugin(r).catalog.feeds()][0]!;
    await until(() => s.counters.blocking_waiters === 2 && feed.index > 0);
    const requests = w.requests;
    const feedRequests = feed.requests;
    s.bumpIndex('web');                                                            // a spurious wakeup
    await until(() => feed.requests > feedRequests && s.counters.blocking_waiters === 2);
    expect(w.requests).toBe(requests);                                             // no check moved: no read
    s.setCheck({ node: 'n1', serviceId: 'web-1', status: 'passing', output: 'still fine' });  // a change of no answer
    await until(() => w.requests > requests && s.counters.blocking_waiters === 2);
    await query(r.address, 'web.service.consul', 'A');
    expect(r.states.at(-1)?.cache).toBe('hit');
    expect(catalogPlugin(r).counts.flushed).toBe(0);
  });
});
