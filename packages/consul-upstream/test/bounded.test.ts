import { query, type Reply } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { catalogPlugin, resolver, sim, until } from './helpers.js';

const addresses = (r: Reply): string[] => r.answers.map((a) => String(a.data)).sort();

describe('consul catalog mode: bounded connections', () => {
  it('watches 250 services on at most max_connections connections, and a change reaches the answers within 2 s', async () => {
    // The agent's own per-client limit is set to the bound: one connection more would get 429.
    const s = await sim({ http_max_conns_per_client: 4 }, false);
    for (let i = 0; i < 250; i++) {
      s.registerNode({ name: `node-${i}`, address: `10.9.${i >> 8}.${i & 255}` });
      s.registerService({ id: `svc-${i}`, name: `svc-${i}`, node: `node-${i}`, port: 80 });
    }
    const r = await resolver({ http: s.httpUrl, maxConnections: 4 });
    // 250 names asked at once, 25 at a time.
    for (let b = 0; b < 10; b++) {
      const replies = await Promise.all(Array.from({ length: 25 }, (_, j) => query(r.address, `svc-${b * 25 + j}.service.consul`, 'A', { timeout: 5000 })));
      for (const reply of replies) expect(reply.rcode).toBe('NOERROR');
    }
    const p = catalogPlugin(r);
    expect(p.catalog.size).toBe(250);
    expect(s.counters.http_connections_max).toBeLessThanOrEqual(4);
    expect(s.counters.http_connections_refused).toBe(0);
    expect(p.http!.sockets).toBeLessThanOrEqual(4);
    expect(s.counters.blocking_waiters).toBe(2);                                  // the change feed and the catalog feed
    const text = await r.metrics.metrics();
    expect(text).toContain('dnsmesh_consul_connections_max 4');
    expect(Number(/dnsmesh_consul_connections (\d+)/.exec(text)?.[1])).toBeLessThanOrEqual(4);
    expect(Number(/dnsmesh_consul_connections (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(1);

    s.registerNode({ name: 'node-new', address: '10.8.0.1' });
    const refetches = p.counts.feedRefetches;
    s.registerService({ id: 'svc-137-b', name: 'svc-137', node: 'node-new', port: 80 });
    await until(async () => addresses(await query(r.address, 'svc-137.service.consul', 'A')).includes('10.8.0.1'), 2000, 20);
    // The change came through a feed: it named svc-137 and woke its view (the resync, a minute
    // away, counts no refetch), which was read again. The registration also moved the catalog
    // feed, but the change feed named the service at the same index: no probe sweep, no other view touched.
    const p2 = catalogPlugin(r);
    await until(() => p2.counts.sweeps.accounted >= 1 && p2.catalog.sweepsRunning === 0 && p2.catalog.pool.waiting === 0, 5000);
    expect(p2.counts.feedRefetches).toBeGreaterThan(refetches);
    expect(s.counters.http_requests.by_path['/v1/health/service/svc-137']).toBeGreaterThanOrEqual(2);
    expect(s.counters.http_requests.by_path['/v1/health/service/svc-136']).toBe(1);
    expect(p2.counts.probes).toBe(0);
    expect(s.counters.http_connections_max).toBeLessThanOrEqual(4);
    console.log(`250 services: ${s.counters.http_connections_max} connections at most, ${s.counters.http_requests.total} requests`);
  });

  it('takes the agent\'s 429 (past http_max_conns_per_client) as a rate limit: backs off, then answers', async () => {
    const s = await sim({ http_max_conns_per_client: 2 });
    for (const n of ['a', 'b', 'c', 'd', 'e']) s.registerService({ id: n, name: n, node: 'n1', port: 80 });
    // max_connections 4 without the catalog feed is one feed and up to three reads: more connections than this agent allows.
    const r = await resolver({ http: s.httpUrl, maxConnections: 4, catalogFeed: false });
    const p = catalogPlugin(r);
    const names = ['web', 'a', 'b', 'c', 'd', 'e'];
    await Promise.all(names.map((n) => query(r.address, `${n}.service.consul`, 'A')));
    await until(async () => {
      const replies = await Promise.all(names.map((n) => query(r.address, `${n}.service.consul`, 'A')));
      return replies.every((x) => x.rcode === 'NOERROR');
    }, 5000, 100);
    expect(s.counters.http_connections_refused).toBeGreaterThan(0);
    expect(p.counts.requests.rate_limited).toBeGreaterThan(0);
  });
});
